"""The earliest-finish-time (EFT) kernel: when a task would finish on a PE, and where first.

Every placement rule of the suite that asks "on which PE does this task
finish first?" (the environments' ``order``-mode placement, the runtime
HEFT family, the learned agents' pair features, the static planners'
fallback for tasks outside a plan, the PettingZoo clusters) calls
:func:`earliest_finish`; only how a PE's free time is counted differs
between them, and that is the caller's ``free`` function.

A task may start on a PE once the PE is free, the clock has reached
``now``, and (when transfers count) its last input is on that PE: each
finished predecessor's finish time plus the transfer time from the PE it
ran on (zero on the same PE).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from socsim.state import JobState

Transfer = Callable[[int, int, float], float]
"""``transfer(src_pe, dst_pe, volume)``: time to move ``volume`` (0 on the same PE)."""


class Choice(NamedTuple):
    """The PE where a task finishes first.

    Attributes:
        pe: The PE (-1 when no candidate can run it).
        start: When it would start there.
        finish: When it would finish there (``inf`` when ``pe`` is -1).
        floor: When that PE is free (its ``free`` time, not before ``now``):
            ``start - floor`` is the idle gap the task leaves waiting for inputs.
    """

    pe: int
    start: float
    finish: float
    floor: float


NO_CHOICE = Choice(-1, math.inf, math.inf, math.inf)


def inputs_ready(job: JobState, task: int, pe: int, transfer: Transfer, floor: float) -> float:
    """When every input of ``task`` is on ``pe``, and not before ``floor``.

    ``inf`` while a predecessor has not finished.
    """
    ready = floor
    finish, task_pe = job.finish, job.task_pe
    for pred, volume in job.profile.preds[task]:
        done = finish[pred]
        if done < 0:
            return math.inf
        at = done + transfer(task_pe[pred], pe, volume)
        if at > ready:
            ready = at
    return ready


class TransferMemo:
    """A run's transfer times, memoised per (source PE, volume) as a row over destinations.

    The candidates' inner loops (every PE for every predecessor) index a
    list instead of calling the platform per pair; entries are filled the
    first time they are asked for, so nothing costs O(PEs^2) up front.
    """

    def __init__(self, num_pes: int, transfer: Transfer) -> None:
        self._num_pes = num_pes
        self._transfer = transfer
        self._rows: dict[tuple[int, float], list[float]] = {}

    def row(self, src: int, volume: float) -> list[float]:
        """Transfer times of ``volume`` from ``src`` per destination PE (-1: not asked yet)."""
        key = (src, volume)
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = [-1.0] * self._num_pes
        return row

    def __call__(self, src: int, dst: int, volume: float) -> float:
        """The platform's transfer time (a :data:`Transfer`), memoised."""
        row = self.row(src, volume)
        time = row[dst]
        if time < 0:
            time = row[dst] = self._transfer(src, dst, volume)
        return time


def inputs_ready_each(job: JobState, task: int, pes: list[int], memo: TransferMemo,
                      floor: float) -> list[float]:
    """:func:`inputs_ready` on each of ``pes`` (same numbers), predecessor by predecessor."""
    ready = [floor] * len(pes)
    finish, task_pe = job.finish, job.task_pe
    for pred, volume in job.profile.preds[task]:
        done = finish[pred]
        if done < 0:
            return [math.inf] * len(pes)
        src = task_pe[pred]
        row = memo.row(src, volume)
        for i, pe in enumerate(pes):
            time = row[pe]
            if time < 0:
                time = memo(src, pe, volume)
            at = done + time
            if at > ready[i]:
                ready[i] = at
    return ready


def finish_on(job: JobState, task: int, pe: int, now: float, free: float, duration: float,
              transfer: Transfer | None = None) -> Choice:
    """When ``task`` of ``job`` would start and finish on ``pe``.

    Args:
        job: The task's job (its predecessors' finish times and PEs).
        task: The task.
        pe: The PE.
        now: The clock: nothing starts earlier.
        free: When ``pe`` can take the task (the caller's view of its load).
        duration: The task's expected execution time on ``pe``.
        transfer: Transfer time between PEs; ``None`` ignores inputs in
            transit (DS3's HEFT_RT and EFT-FIFO are blind to them).
    """
    floor = free if free > now else now
    start = floor if transfer is None else inputs_ready(job, task, pe, transfer, floor)
    return Choice(pe, start, start + duration, floor)


def earliest_finish(job: JobState, task: int, pes: Iterable[int], now: float,
                    free: Callable[[int], float], duration: Callable[[int], float],
                    transfer: Transfer | None = None) -> Choice:
    """The candidate PE on which ``task`` of ``job`` finishes first (see :func:`finish_on`).

    Args:
        job: The task's job.
        task: The task.
        pes: Candidate PEs, in tie-break order (the first of equal finishes wins).
        now: The clock.
        free: When a PE can take the task.
        duration: The task's expected execution time on a PE.
        transfer: Transfer time between PEs, or ``None`` to ignore inputs.

    Returns:
        The choice, or :data:`NO_CHOICE` if no candidate finishes in finite time.
    """
    best_pe, best_start, best_finish, best_floor = -1, math.inf, math.inf, math.inf
    for pe in pes:  # finish_on, inlined: this loop is on every placement's hot path
        floor = free(pe)
        if floor < now:
            floor = now
        start = floor if transfer is None else inputs_ready(job, task, pe, transfer, floor)
        done = start + duration(pe)
        if done < best_finish:
            best_pe, best_start, best_finish, best_floor = pe, start, done, floor
    return NO_CHOICE if best_pe < 0 else Choice(best_pe, best_start, best_finish, best_floor)
