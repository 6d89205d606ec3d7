"""Runtime (streaming) list schedulers, called at every decision point.

Each scheduler maps the ready tasks (those whose predecessors have all
finished and that are not placed yet) onto PE queues, as the DS3 emulator
and its Gym port DS3Gym do. Their semantics follow DS3Gym's heuristics,
which the DeepSoCS streaming protocol measures (see ``docs/compare.md``):

- ``heft-rt``: HEFT over the ready set only. Tasks go in decreasing mean
  execution time (the upward rank of a DAG without edges) and each takes the
  PE that finishes it first, counting the work already queued there but
  *not* the transfer of its inputs from predecessors that already finished.
  Its plan fixes the order of the tasks on each PE (DS3's "dynamic
  dependencies"), so it asks for in-order PE queues.
- ``heft-rt-comm``: the same, communication-aware: true upward ranks over
  each job's DAG, and finish times that wait for the inputs to arrive.
- ``eft-fifo``: ``heft-rt``'s PE selection in ready-queue order (what the
  released DeepSoCS code runs, whatever its network outputs).
- ``eft``: each ready task, in ready order, to the PE giving the earliest
  finish time; a PE's availability is the planned finish of the last task
  this scheduler gave it (DS3's ``available_time``), inputs count from their
  arrival.
- ``etf``: earliest task first: repeatedly the (task, PE) pair with the
  least finish time among all ready tasks.
- ``etf-live``: the same on the emulator's live queues (a PE is free when
  its running and queued work is done) instead of ETF's own plan.
- ``peft-rt``: runtime PEFT: ready tasks in decreasing upward rank, each to
  the PE minimising its finish plus PEFT's optimistic cost of the rest of
  its DAG from there (Arabnejad and Barbosa, 2014), on the live queues.
- ``stf``: shortest task first, each to its fastest PE.
- ``round-robin`` and ``random``: cost-oblivious baselines.
- ``min-energy``, ``min-edp``, ``eft-energy``: energy-aware variants.

The emulator's own ``met`` (fastest PE type) is DS3's MET wherever a task's
fastest PE is unique, as on ``canonical3``; among several identical fastest
PEs it takes the one expected to be free first, where DS3's code prefers an
idle one. DS3's own MET, STF and ETF_LB, tie rules included, are ``ds3-met``,
``ds3-stf`` and ``ds3-etf-lb`` (:mod:`socsim.agents.ds3_rules`).

Importing this module registers every scheduler with
:func:`socsim.registry.register_scheduler`.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterator, Sequence

import numpy as np

from socsim.placement import TransferMemo, earliest_finish, finish_on, inputs_ready_each
from socsim.registry import register_scheduler
from socsim.scheduler import Assignment, SchedulerView

Ready = tuple[int, int]


# ------------------------------------------------------------------ helpers
def fastest_eligible(view: SchedulerView, job: int, task: int,
                     extra: dict[int, float] | None = None) -> int:
    """The live PE where ``task`` runs fastest, the earliest available on ties (-1: none)."""
    pes = view.fastest_pes(job, task)
    if not pes:
        return -1
    return pes[0] if len(pes) == 1 else view.earliest_available(pes, extra)


def data_wait(view: SchedulerView, job: int, task: int, pe: int) -> float:
    """Microseconds from now until every input of a ready task is on ``pe``."""
    return max(view.inputs_ready_at(job, task, pe) - view.now, 0.0)


def transfer_energy(view: SchedulerView, job: int, task: int, pe: int) -> float:
    """Data-movement energy (uJ) of bringing a ready task's inputs to ``pe``."""
    per_unit = view.platform.energy_per_unit
    if not per_unit:
        return 0.0
    state = view.job(job)
    moved = sum(volume for pred, volume in state.profile.preds[task]
                if state.task_pe[pred] != pe)
    return moved * per_unit


def task_energy(view: SchedulerView, job: int, task: int, pe: int) -> float:
    """Expected energy (uJ) of running ``task`` on ``pe``: active power x time + transfers."""
    return (view.exec_time(job, task, pe) * view.active_power(pe)
            + transfer_energy(view, job, task, pe))


class PlannedAvailability:
    """Per-PE time at which a scheduler's own plan frees the PE (DS3's ``available_time``).

    DS3's EFT and ETF estimate when a PE is free from the planned finish of
    the last task they put there, idle gaps (waiting for inputs) included,
    rather than from the tasks actually queued.
    """

    def __init__(self, num_pes: int) -> None:
        self.at = [0.0] * num_pes

    def finish(self, view: SchedulerView, job: int, task: int, pe: int) -> float:
        """Planned finish of ``task`` on ``pe``: start when both the PE and the inputs are."""
        now = view.now
        start = max(now + data_wait(view, job, task, pe), self.at[pe], now)
        return start + view.exec_time(job, task, pe)

    def book(self, pe: int, finish: float) -> None:
        """Record that ``pe`` is planned busy until ``finish``."""
        self.at[pe] = finish


def best_pe(scores: Sequence[tuple[float, int]]) -> tuple[float, int]:
    """The ``(score, pe)`` with the least score, the lower PE index on ties."""
    return min(scores)


class _Stateless:
    """Base of schedulers that keep nothing between runs."""

    name = ""

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Nothing to prepare."""


# ---------------------------------------------------------------- HEFT_RT
def mean_cost_order(view: SchedulerView, ready: list[Ready]) -> list[Ready]:
    """Ready tasks in DS3 HEFT_RT order: decreasing mean execution time.

    The sort is stable (ready order among equal ranks). DS3's virtual entry
    node, whose rank equals the top rank and which comes after the ready
    tasks, is swapped with the first task: with several tasks sharing the
    top rank, the first of them moves behind the others.
    """
    ranked = sorted(ready, key=lambda jt: -view.profile(jt[0]).mean_cost[jt[1]])
    if len(ranked) < 2:
        return ranked
    top = view.profile(ranked[0][0]).mean_cost[ranked[0][1]]
    ties = 1
    while ties < len(ranked) and view.profile(ranked[ties][0]).mean_cost[ranked[ties][1]] == top:
        ties += 1
    return [*ranked[1:ties], ranked[0], *ranked[ties:]]


def fifo_entry_order(ready: list[Ready]) -> list[Ready]:
    """Ready tasks in the order DS3's EFT-FIFO processes them.

    The entry-node swap (see :func:`mean_cost_order`) on the unsorted ready
    list moves the first ready task to the end.
    """
    return ready[1:] + ready[:1] if len(ready) > 1 else list(ready)


class QueueEFT:
    """Earliest-finish PE selection over the work already queued (HEFT's processor phase).

    A PE's availability is the expected end of its running task plus its
    queued work, all at mean execution times, plus what this decision has
    placed there. With ``comm_aware`` a task also waits for its inputs to
    arrive; without, it ignores them, as DS3's HEFT_RT and EFT-FIFO do.
    """

    def __init__(self, view: SchedulerView, comm_aware: bool) -> None:
        self.view = view
        self.comm_aware = comm_aware
        self.extra: dict[int, float] = {}

    def place(self, job: int, task: int) -> int:
        """Choose the PE for ``task``, book it, and return it (-1: no live PE)."""
        view, extra = self.view, self.extra
        choice = earliest_finish(
            view.job(job), task, view.eligible_pes(job, task), view.now,
            free=lambda pe: view.available_at(pe) + extra.get(pe, 0.0),
            duration=lambda pe: view.exec_time(job, task, pe),
            transfer=view.transfer_time if self.comm_aware else None)
        if choice.pe >= 0:
            extra[choice.pe] = extra.get(choice.pe, 0.0) + (choice.finish - choice.floor)
        return choice.pe


class HeftRT(_Stateless):
    """DS3's HEFT_RT: HEFT over the ready set, blind to input transfers.

    Tasks in decreasing mean execution time (DS3's rank of an edgeless DAG),
    each to the PE with the earliest finish given the work queued there.
    Its plan fixes each PE's task order, so it wants in-order queues.
    """

    name = "heft-rt"
    in_order_queues = True

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task."""
        return _place_in_order(view, mean_cost_order(view, list(view.ready)), comm_aware=False)


class EftFifo(_Stateless):
    """DeepSoCS as released: HEFT_RT's PE selection in ready-queue order."""

    name = "eft-fifo"
    in_order_queues = True

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task."""
        return _place_in_order(view, fifo_entry_order(list(view.ready)), comm_aware=False)


def _place_in_order(view: SchedulerView, order: list[Ready], comm_aware: bool
                    ) -> list[Assignment]:
    planner = QueueEFT(view, comm_aware)
    out = []
    for job, task in order:
        pe = planner.place(job, task)
        if pe >= 0:
            out.append(Assignment(job, task, pe))
    return out


class HeftRTComm:
    """Communication-aware runtime HEFT.

    Ready tasks in decreasing upward rank over their job's whole DAG (mean
    costs and mean transfers); each goes to the PE with the earliest finish
    time once both the PE's queued work and the task's inputs are there.
    Keeps the planned order on each PE (in-order queues).
    """

    name = "heft-rt-comm"
    in_order_queues = True

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Nothing to prepare: ranks are computed once per bound profile."""

    def _rank(self, view: SchedulerView, job: int, task: int) -> float:
        return view.profile(job).upward_rank[task]

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task."""
        order = sorted(view.ready, key=lambda jt: -self._rank(view, *jt))
        return _place_in_order(view, order, comm_aware=True)


# --------------------------------------------------------------- EFT / ETF
class _Planned:
    """Base of schedulers that track PE availability from their own plan."""

    name = ""

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Start with every PE free; forget the transfer times of the previous run."""
        self.plan = PlannedAvailability(view.platform.num_pes)
        self._memo = TransferMemo(view.platform.num_pes, view.transfer_time)

    def _candidates(self, view: SchedulerView, job: int, task: int
                    ) -> tuple[list[int], list[float], list[float]]:
        """A ready task's live eligible PEs, when its inputs allow a start on each, its times.

        The input term is :meth:`PlannedAvailability.finish`'s ``now +
        data_wait``, the same floating-point expression; it cannot change
        within a decision point, so it is computed once per (task, PE). The
        inputs' arrival comes from :func:`~socsim.placement.inputs_ready_each`.
        """
        now = view.now
        state = view.job(job)
        pes = view.eligible_pes(job, task)
        ready = inputs_ready_each(state, task, pes, self._memo, state.arrival)
        inputs = [now + (at - now if at > now else 0.0) for at in ready]  # now + max(., 0)
        return pes, inputs, view.exec_times(job, task, pes)


def _least_finish(pes: list[int], inputs: list[float], times: list[float], at: list[float],
                  now: float) -> tuple[float, int]:
    """The least planned finish over a task's candidates and its PE (the first on ties)."""
    best, best_pe = math.inf, -1
    for pe, ready, time in zip(pes, inputs, times, strict=True):
        start = at[pe]  # max(ready, at[pe], now), unrolled: the ETF's innermost loop
        if ready > start:
            start = ready
        if now > start:
            start = now
        finish = start + time
        if finish < best:
            best, best_pe = finish, pe
    return best, best_pe


class EarliestFinishTime(_Planned):
    """DS3's EFT: each ready task, in ready order, to its earliest-finish PE.

    Finish = now + execution time + max(time until the inputs arrive, time
    until the PE's planned availability). Ties go to the lower PE index.
    """

    name = "eft"

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task."""
        out = []
        now, at = view.now, self.plan.at
        for job, task in view.ready:
            pes, inputs, times = self._candidates(view, job, task)
            if pes:
                finish, pe = min((max(ready, at[pe], now) + time, pe)
                                 for pe, ready, time in zip(pes, inputs, times, strict=True))
                self.plan.book(pe, finish)
                out.append(Assignment(job, task, pe))
        return out


class EarliestTaskFirst(_Planned):
    """DS3's ETF: repeatedly place the ready task that can finish first.

    Among all unplaced ready tasks and their PEs, the pair with the least
    planned finish (first ready task, then first eligible PE, on ties) is
    placed and booked, until every ready task is placed; tasks are queued in
    that order.

    Incremental: each task's candidates (inputs' arrival, execution time
    per PE) are computed once per decision point, and each task's least
    finish is kept; booking a PE only delays that PE, so only the tasks
    whose best PE it was are re-evaluated. The choices are exactly those of
    re-evaluating every pair each round.
    """

    name = "etf"

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task."""
        now, at = view.now, self.plan.at
        left = []  # (job, task, pes, inputs, times) in ready order
        for job, task in view.ready:
            pes, inputs, times = self._candidates(view, job, task)
            if pes:
                left.append((job, task, pes, inputs, times))
        best = [_least_finish(c[2], c[3], c[4], at, now) for c in left]
        out = []
        while left:
            index, least = 0, best[0][0]
            for i in range(1, len(best)):  # the first of the least finishes
                if best[i][0] < least:
                    index, least = i, best[i][0]
            finish, pe = best.pop(index)
            job, task, *_ = left.pop(index)
            self.plan.book(pe, finish)
            out.append(Assignment(job, task, pe))
            for i, (_, their_pe) in enumerate(best):
                if their_pe == pe:  # only a booked PE got later
                    c = left[i]
                    best[i] = _least_finish(c[2], c[3], c[4], at, now)
        return out


class LiveEarliestTaskFirst(_Stateless):
    """ETF on the emulator's live queues: the (task, PE) pair that finishes first, one at a time.

    Like ``etf`` it repeatedly places the ready task and PE with the least
    expected finish, but a PE's availability is the emulator's own view of
    it (the expected end of its running task plus the work queued there,
    :meth:`~socsim.scheduler.SchedulerView.available_at`) plus the execution
    times this decision has queued there, instead of the planned finish of
    the last task the scheduler gave it; inputs count from their arrival
    on the PE. Under execution noise the live view is the better estimate.
    Ties go to the first ready task, then the lowest PE index. This is the
    rule the learned set policy's candidates measure (their ``finish``
    feature), and the base of ``rollout:etf-live``.
    """

    name = "etf-live"

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task that a live PE can run."""
        now = view.now
        extra: dict[int, float] = {}
        left = []
        for job, task in view.ready:
            pes = view.eligible_pes(job, task)
            if pes:
                left.append((job, task, pes, [view.exec_time(job, task, pe) for pe in pes]))
        out = []
        while left:
            best, best_at, best_time = -1, math.inf, 0.0
            best_pe = -1
            for index, (job, task, pes, times) in enumerate(left):
                state = view.job(job)
                for pe, time in zip(pes, times, strict=True):
                    done = finish_on(state, task, pe, now,
                                     view.available_at(pe) + extra.get(pe, 0.0), time,
                                     view.transfer_time).finish
                    if done < best_at:
                        best, best_at, best_pe, best_time = index, done, pe, time
            if best < 0:
                break
            job, task, *_ = left.pop(best)
            extra[best_pe] = extra.get(best_pe, 0.0) + best_time
            out.append(Assignment(job, task, best_pe))
        return out


# ----------------------------------------------------------- runtime PEFT
class PeftRT:
    """Runtime PEFT: HEFT's task order, PEFT's lookahead PE choice, the live queues.

    Ready tasks go in decreasing upward rank over their job's DAG (mean
    costs and transfers, as ``heft-rt-comm``). Each takes the PE minimising
    ``finish + OCT(task, pe)``: its finish once the PE has worked off its
    queue (the queued tasks' input waits counted, as ``etf-live``'s
    estimate does) and its inputs are there, plus PEFT's optimistic cost
    table entry, the cost of the rest of the DAG when the task runs there
    (:func:`~socsim.agents.peft.optimistic_cost_table`, once per bound
    profile). Ties go to the lower PE index. PEFT places by the same sum at
    plan time with insertion (Arabnejad and Barbosa, IEEE TPDS 2014); this
    is its never-waiting runtime form, and it yields one placement at a
    time so that each sees the previous ones queued.
    """

    name = "peft-rt"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Forget the previous run's tables."""
        self._tables: dict[int, tuple[object, list[list[float]]]] = {}

    def _table(self, view: SchedulerView, job: int) -> list[list[float]]:
        from .peft import profile_oct

        profile = view.profile(job)
        found = self._tables.get(id(profile))
        if found is None or found[0] is not profile:
            found = self._tables[id(profile)] = (profile, profile_oct(profile))
        return found[1]

    def decide(self, view: SchedulerView) -> Iterator[Assignment]:
        """Yield every ready task that a live PE can run, highest rank first."""
        order = sorted(view.ready, key=lambda jt: -view.profile(jt[0]).upward_rank[jt[1]])
        for job, task in order:
            pes = view.eligible_pes(job, task)
            if not pes:
                continue
            state, table = view.job(job), self._table(view, job)[task]
            best, best_pe = math.inf, -1
            for pe in pes:
                free = view.free_at(pe) if view.queue_length(pe) else view.available_at(pe)
                finish = finish_on(state, task, pe, view.now, free, view.exec_time(job, task, pe),
                                   view.transfer_time).finish + table[pe]
                if finish < best:
                    best, best_pe = finish, pe
            yield Assignment(job, task, best_pe)


# ----------------------------------------------------- simple baselines
class ShortestTaskFirst(_Stateless):
    """STF: ready tasks in increasing best execution time, each on its fastest PE.

    Ties in time keep ready order; among identical fastest PEs the one
    expected to be free first wins (DS3 always takes the first one).
    """

    name = "stf"

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task."""
        def best_time(jt: Ready) -> float:
            pes = view.fastest_pes(*jt)
            return view.exec_time(jt[0], jt[1], pes[0]) if pes else math.inf

        planned: dict[int, float] = {}
        out = []
        for job, task in sorted(view.ready, key=best_time):
            pe = fastest_eligible(view, job, task, planned)
            if pe >= 0:
                planned[pe] = planned.get(pe, 0.0) + view.exec_time(job, task, pe)
                out.append(Assignment(job, task, pe))
        return out


class RoundRobin:
    """Each ready task to the next live eligible PE in cyclic order, blind to costs."""

    name = "round-robin"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Start the cycle at PE 0."""
        self._next = 0

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task."""
        num_pes = view.platform.num_pes
        out = []
        for job, task in view.ready:
            eligible = set(view.eligible_pes(job, task))
            for step in range(num_pes):
                pe = (self._next + step) % num_pes
                if pe in eligible:
                    self._next = (pe + 1) % num_pes
                    out.append(Assignment(job, task, pe))
                    break
        return out


class RandomPE:
    """Each ready task to a uniformly random live eligible PE (DS3's random).

    Draws only from the generator given to :meth:`reset`, so a run is
    reproducible from its seed.
    """

    name = "random"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Keep the run's generator."""
        self._rng = rng

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task."""
        out = []
        for job, task in view.ready:
            pes = view.eligible_pes(job, task)
            if pes:
                out.append(Assignment(job, task, pes[int(self._rng.integers(len(pes)))]))
        return out


# ------------------------------------------------------------ energy aware
class MinEnergy(_Stateless):
    """Each ready task to the PE where it costs the least energy (active + transfers).

    Ties go to the PE expected to be free first, then the lower index. Load
    is ignored, so the cheapest PE may build a long queue: the point of the
    baseline is the energy floor, not latency.
    """

    name = "min-energy"

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task."""
        planned: dict[int, float] = {}
        out = []
        for job, task in view.ready:
            scores = [(task_energy(view, job, task, pe),
                       view.available_at(pe) + planned.get(pe, 0.0), pe)
                      for pe in view.eligible_pes(job, task)]
            if scores:
                pe = min(scores)[2]
                planned[pe] = planned.get(pe, 0.0) + view.exec_time(job, task, pe)
                out.append(Assignment(job, task, pe))
        return out


class _WeightedEft(_Planned, abc.ABC):
    """EFT with a score per PE that also weighs the task's energy there."""

    @abc.abstractmethod
    def score(self, delay: float, energy: float, best_delay: float, best_energy: float
              ) -> float:
        """Lower is better; ``delay`` is finish minus now."""

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task, in ready order."""
        out = []
        now = view.now
        for job, task in view.ready:
            pes = view.eligible_pes(job, task)
            if not pes:
                continue
            finish = [self.plan.finish(view, job, task, pe) for pe in pes]
            energy = [task_energy(view, job, task, pe) for pe in pes]
            delay = [f - now for f in finish]
            low_delay = max(min(delay), 1e-9)
            low_energy = max(min(energy), 1e-12)
            scores = [(self.score(d, e, low_delay, low_energy), pe)
                      for d, e, pe in zip(delay, energy, pes, strict=True)]
            _, pe = best_pe(scores)
            self.plan.book(pe, finish[pes.index(pe)])
            out.append(Assignment(job, task, pe))
        return out


class MinEDP(_WeightedEft):
    """Each ready task to the PE minimising its energy x (finish - now), its own EDP."""

    name = "min-edp"

    def score(self, delay: float, energy: float, best_delay: float, best_energy: float
              ) -> float:
        """Energy times delay."""
        return energy * delay


class EftEnergy(_WeightedEft):
    """EFT under an energy weight: minimise (1-w) delay/best delay + w energy/best energy.

    Both terms are relative to the best PE for the task, so the weight means
    the same on any platform: ``w = 0`` is EFT (with DS3's planned
    availability), ``w = 1`` is minimum energy.

    Args:
        energy_weight: ``w`` in [0, 1] (default 0.5).
    """

    name = "eft-energy"

    def __init__(self, energy_weight: float = 0.5) -> None:
        if not 0.0 <= energy_weight <= 1.0:
            raise ValueError(f"energy_weight must be in [0, 1], got {energy_weight}")
        self.energy_weight = energy_weight

    def score(self, delay: float, energy: float, best_delay: float, best_energy: float
              ) -> float:
        """Weighted sum of relative delay and relative energy."""
        w = self.energy_weight
        return (1.0 - w) * delay / best_delay + w * energy / best_energy


RUNTIME_SCHEDULERS = (HeftRT, HeftRTComm, EftFifo, EarliestFinishTime, EarliestTaskFirst,
                      LiveEarliestTaskFirst, PeftRT, ShortestTaskFirst, RoundRobin, RandomPE,
                      MinEnergy, MinEDP, EftEnergy)
"""Every scheduler class this module registers, by its ``name``."""

for _cls in RUNTIME_SCHEDULERS:
    register_scheduler(_cls.name, _cls)
