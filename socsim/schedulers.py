"""Two simple runtime schedulers that ship with the emulator.

The full set of baselines (HEFT and family, ETF, EFT...) lives in
``socsim.agents``; these two let the emulator run on its own and serve as
references in its tests. Schedulers are found by name through
:mod:`socsim.registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np

from socsim.scheduler import Assignment, Scheduler, SchedulerView


class MinimumExecutionTime:
    """MET: each ready task goes to the PE type where it runs fastest.

    Among live PEs with the least expected execution time, it picks the one
    expected to be free first (lowest index on ties) and queues the task
    there, without regard to transfers or load elsewhere. If every PE of the
    fastest type is down it falls back to the fastest live ones. DS3's MET
    breaks ties among the fastest PEs differently (idle first, then fewest
    tasks assigned in the call, blind to queues): that is ``ds3-met`` in
    ``socsim.agents``.
    """

    name = "met"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Nothing to prepare."""

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task on its fastest type."""
        planned: dict[int, float] = {}  # expected work queued in this round, per PE
        out = []
        for job, task in view.ready:
            pes = view.fastest_pes(job, task)
            if not pes:
                continue
            target = pes[0] if len(pes) == 1 else view.earliest_available(pes, planned)
            planned[target] = planned.get(target, 0.0) + view.exec_time(job, task, target)
            out.append(Assignment(job, task, target))
        return out


class FirstIdle:
    """Each ready task, in ready order, goes to the first idle PE that can run it.

    Work-conserving and oblivious to costs; a task with no idle eligible PE
    waits for the next decision point (a PE going idle is one).
    """

    name = "first-idle"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Nothing to prepare."""

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place ready tasks on idle PEs, one task per PE."""
        taken: set[int] = set()
        out = []
        for job, task in view.ready:
            for pe in view.eligible_pes(job, task):
                if pe not in taken and view.is_idle(pe):
                    taken.add(pe)
                    out.append(Assignment(job, task, pe))
                    break
        return out


SCHEDULERS: Mapping[str, Callable[[], Scheduler]] = MappingProxyType({
    MinimumExecutionTime.name: MinimumExecutionTime,
    FirstIdle.name: FirstIdle,
})
"""The emulator's own schedulers."""
