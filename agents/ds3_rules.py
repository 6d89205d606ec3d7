"""DS3's own MET, STF and ETF_LB rules, tie-breaks included (``ds3-*`` schedulers).

socsim's ``met`` and ``stf`` (see :mod:`socsim.schedulers` and
:mod:`socsim.agents.runtime`) take, among several identical fastest PEs,
the one expected to be free first, counting the work queued there. DS3
(Arda et al., "DS3: A System-Level Domain-Specific System-on-Chip
Simulation Framework", IEEE Trans. Computers, 2020; its public code base,
``scheduler.py``) decides differently, and users coming from DS3 compare
against its rules. This module reimplements them from their description:

- ``ds3-met``: each ready task, in ready order, to a live PE with its least
  execution time. With several such PEs, DS3 first drops those that are
  busy, *busy* meaning running a task at the moment the scheduler is called,
  before the instant's dispatch (a task that starts at this very instant
  does not make its PE busy; queued work does not either). It drops them the
  way its list removal does: as many entries as there are busy PEs, starting
  at the position of the first busy one, so that an idle PE that sits
  between two busy ones is dropped instead of the later busy one. Nothing is
  dropped unless some candidates are busy and some idle. Among the PEs left,
  the one with the fewest tasks assigned *in this call* wins, then the lowest
  index. Queued work is never looked at.
- ``ds3-stf``: every ready task on the first (lowest-index) live PE with its
  minimum execution time (DS3 compares with a strict ``<``). DS3's STF picks
  the tasks in increasing time, but it does not reorder its list, so the
  order has no effect: tasks are queued in ready order.
- ``ds3-etf-lb``: DS3's ETF_LB, ETF with a load-balancing tie-break.
  Repeatedly, the ready task with the least planned finish (the first in
  ready order on ties: strict ``<``) is placed, on the PE with that finish;
  among PEs with equal finish the one with the fewest tasks counted so far,
  then the lowest index. The count lives for the whole run and, as in DS3,
  grows each time a task becomes the best candidate during a scan, not only
  when it is placed. Finish times count the PE's planned availability and
  the arrival of the inputs, as ``etf`` does.

These rules assume DS3's other conventions to reproduce DS3's figures:
integer timing (the DS3 reader's platforms) and the ``first-ready-job``
queue discipline (DS3's executable list, one list ordered by job id), which
the ``ds3-default`` preset of ``socsim compare`` uses.

Importing this module registers the three schedulers.
"""

from __future__ import annotations

import math

import numpy as np

from socsim.registry import register_scheduler
from socsim.scheduler import Assignment, SchedulerView

from .runtime import PlannedAvailability


def ds3_busy(view: SchedulerView, pe: int) -> bool:
    """DS3's ``not PE.idle`` at scheduling time: a task started before this instant runs."""
    since = view.running_since(pe)
    return since is not None and since < view.now


def drop_busy(candidates: list[int], busy: list[bool]) -> list[int]:
    """DS3 MET's removal of busy PEs from its candidate list.

    When some candidates are busy and some idle, DS3 removes, once per busy
    PE, the entry at the position of the first busy one in the original
    list. That drops the busy PEs when they sit together, and otherwise
    drops idle PEs that follow the first busy one.

    Args:
        candidates: PE indices, in increasing order.
        busy: Per candidate, whether it is busy.

    Returns:
        The candidates left.
    """
    if not (any(busy) and not all(busy)):
        return list(candidates)
    first = busy.index(True)
    count = sum(busy)
    return candidates[:first] + candidates[first + count:]


class DS3MinimumExecutionTime:
    """DS3's MET: fastest PE; among several, drop busy ones, then fewest assigned this call."""

    name = "ds3-met"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Nothing to prepare."""

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task, in ready order."""
        assigned: dict[int, int] = {}  # tasks given to each PE in this call
        out = []
        for job, task in view.ready:
            pes = sorted(view.fastest_pes(job, task))
            if not pes:
                continue
            if len(pes) == 1:
                target = pes[0]
            else:
                left = drop_busy(pes, [ds3_busy(view, pe) for pe in pes])
                target = min(left, key=lambda pe: (assigned.get(pe, 0), pe))
            assigned[target] = assigned.get(target, 0) + 1
            out.append(Assignment(job, task, target))
        return out


class DS3ShortestTaskFirst:
    """DS3's STF: each ready task, in ready order, on the first PE with its least time."""

    name = "ds3-stf"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Nothing to prepare."""

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task, in ready order."""
        out = []
        for job, task in view.ready:
            best, target = math.inf, -1
            for pe in sorted(view.eligible_pes(job, task)):
                time = view.exec_time(job, task, pe)
                if time < best:
                    best, target = time, pe
            if target >= 0:
                out.append(Assignment(job, task, target))
        return out


class DS3EarliestTaskFirstLB:
    """DS3's ETF_LB: ETF whose PE ties go to the PE counted least often this run."""

    name = "ds3-etf-lb"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Every PE free, every count zero."""
        self.plan = PlannedAvailability(view.platform.num_pes)
        self.assigned = [0] * view.platform.num_pes

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task, the earliest-finishing first."""
        left = [jt for jt in view.ready if view.eligible_pes(*jt)]
        out = []
        while left:
            best, best_index, best_pe = math.inf, -1, -1
            for index, (job, task) in enumerate(left):
                finishes = {pe: self.plan.finish(view, job, task, pe)
                            for pe in view.eligible_pes(job, task)}
                least = min(finishes.values())
                if least < best:
                    tied = sorted(pe for pe, finish in finishes.items() if finish == least)
                    pe = min(tied, key=lambda p: (self.assigned[p], p))
                    self.assigned[pe] += 1  # DS3 counts every improving candidate
                    best, best_index, best_pe = least, index, pe
            job, task = left.pop(best_index)
            self.plan.book(best_pe, best)
            out.append(Assignment(job, task, best_pe))
        return out


DS3_SCHEDULERS = (DS3MinimumExecutionTime, DS3ShortestTaskFirst, DS3EarliestTaskFirstLB)
"""Every scheduler class this module registers, by its ``name``."""

for _cls in DS3_SCHEDULERS:
    register_scheduler(_cls.name, _cls)
