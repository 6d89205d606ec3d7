"""Static schedulers in the simulator: plan each job whole at its arrival, run the plan.

At a decision point with new jobs, a :class:`StaticScheduler` plans them
together (one DAG made of their union) from the moment each PE can take
new work (DS3's static HEFT also plans a whole job at its arrival). Each
PE then receives its planned tasks in planned start order: a task is
queued once it is ready (its predecessors finished) and every task
planned before it on that PE has been queued. The simulator starts it as
soon as the PE is free and its inputs have arrived, which is the planned
start when nothing is noisy: the executed schedule equals the plan. (It
would be the same if the whole plan were queued at once; queueing ready
tasks only keeps every queue free of tasks that wait for a task returned
by a failed PE, which would block that queue for ever.)

When a PE can take new work: now if it is idle and has no planned task
left; otherwise the later of the view's estimate (running task plus queued
work) and the planned finish of the last task this scheduler planned or
queued there (exact without noise).

Faults: tasks planned on a PE that is down, and tasks a failed PE
returned, leave the plan and are placed one by one as they become ready,
on the live PE of earliest expected finish; so are the tasks of a job that
had a task with no live eligible PE when it arrived (not planned).

Registers ``heft``, ``cpop``, ``peft`` and ``optimal`` (CP-SAT with a
10 s limit per decision; for small jobs only) with
:func:`socsim.registry.register_scheduler`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from socsim.placement import earliest_finish
from socsim.registry import register_scheduler
from socsim.scheduler import Assignment, SchedulerView

from .cpop import plan_cpop
from .exact import plan_optimal
from .heft import plan_heft
from .peft import plan_peft
from .planning import Plan, Problem

__all__ = ["CPOP", "HEFT", "PEFT", "Optimal", "Plan", "Problem", "StaticScheduler", "plan_cpop",
           "plan_heft", "plan_optimal", "plan_peft"]

Planner = Callable[[Problem], Plan]
Key = tuple[int, int]  # (job, task)


class StaticScheduler:
    """Runs a static planner on each arriving job (or batch of jobs) and executes the plans.

    Args:
        name: Scheduler name.
        planner: Turns a :class:`Problem` into a :class:`Plan`.

    Attributes:
        last_plan: The most recent plan (for inspection and tests).
    """

    def __init__(self, name: str, planner: Planner) -> None:
        self.name = name
        self.planner = planner
        self.last_plan: Plan | None = None
        self._tail: list[float] = []
        self._pending: list[deque[Key]] = []  # per PE: planned tasks not yet queued, in order
        self._planned: dict[Key, int] = {}  # planned task not yet queued -> its PE

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Forget earlier runs."""
        n = view.platform.num_pes
        self.last_plan = None
        self._tail = [0.0] * n
        self._pending = [deque() for _ in range(n)]
        self._planned = {}

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Plan new jobs, queue the planned tasks now due, place any other ready task."""
        if len(self._tail) != view.platform.num_pes:
            self.reset(view, np.random.default_rng())
        for pe in range(view.platform.num_pes):
            if view.is_idle(pe) and not self._pending[pe]:  # whatever was there is done
                self._tail[pe] = view.now
        jobs = [job for job in view.new_jobs if self._plannable(view, job)]
        if jobs:
            self._add_plan(self.planner(Problem.from_view(view, jobs, self._pe_ready(view))))
        ready = view.ready
        out = self._release(view, set(ready))
        queued = {(a.job, a.task) for a in out}
        for key in ready:
            if key not in queued and key not in self._planned:
                assignment = self._place_ready(view, *key)
                if assignment is not None:
                    out.append(assignment)
        return out

    def _add_plan(self, plan: Plan) -> None:
        """Append a plan's per-PE sequences to the tasks waiting to be queued."""
        self.last_plan = plan
        problem = plan.problem
        for pe, sequence in enumerate(plan.sequence):
            for t in sequence:
                key = (problem.job_of[t], problem.local[t])
                self._pending[pe].append(key)
                self._planned[key] = pe
                self._tail[pe] = max(self._tail[pe], plan.finish[t])

    def _release(self, view: SchedulerView, ready: set[Key]) -> list[Assignment]:
        """Queue, PE by PE, the planned tasks that are ready and next in their PE's order.

        Planned tasks of a PE that is down, and of jobs that left, leave the plan.
        """
        out = []
        present = set(view.jobs())
        for pe, pending in enumerate(self._pending):
            alive = view.is_alive(pe)
            while pending:
                key = pending[0]
                if not alive or key[0] not in present or self._planned.get(key) != pe:
                    pending.popleft()
                    self._planned.pop(key, None)
                elif key in ready:
                    pending.popleft()
                    del self._planned[key]
                    out.append(Assignment(key[0], key[1], pe))
                else:
                    break
        return out

    @staticmethod
    def _plannable(view: SchedulerView, job: int) -> bool:
        """Whether every task of ``job`` has a live eligible PE."""
        return all(view.eligible_pes(job, t) for t in range(view.profile(job).num_tasks))

    def _pe_ready(self, view: SchedulerView) -> list[float]:
        """Per PE, when it can take new work (see the module docstring)."""
        now, tail = view.now, self._tail
        return [max(now, tail[pe]) if view.is_idle(pe) else
                max(now, view.available_at(pe), tail[pe])
                for pe in range(view.platform.num_pes)]

    def _place_ready(self, view: SchedulerView, job: int, task: int) -> Assignment | None:
        """Earliest expected finish over live PEs, for a ready task outside any plan."""
        ready = self._pe_ready(view)
        choice = earliest_finish(view.job(job), task, view.eligible_pes(job, task), view.now,
                                 free=ready.__getitem__,
                                 duration=lambda pe: view.exec_time(job, task, pe),
                                 transfer=view.transfer_time)
        if choice.pe < 0:
            return None
        self._tail[choice.pe] = max(self._tail[choice.pe], choice.finish)
        return Assignment(job, task, choice.pe)


class HEFT(StaticScheduler):
    """Insertion-based HEFT, each job planned at its arrival (see :mod:`socsim.agents.heft`)."""

    def __init__(self) -> None:
        super().__init__("heft", plan_heft)


class CPOP(StaticScheduler):
    """CPOP, each job planned at its arrival (see :mod:`socsim.agents.cpop`)."""

    def __init__(self) -> None:
        super().__init__("cpop", plan_cpop)


class PEFT(StaticScheduler):
    """PEFT, each job planned at its arrival (see :mod:`socsim.agents.peft`)."""

    def __init__(self) -> None:
        super().__init__("peft", plan_peft)


class Optimal(StaticScheduler):
    """CP-SAT's optimum (or best plan within the limit) for each arriving batch of jobs.

    Meant for single small batches (the classic static problem); every
    decision with new jobs runs the solver up to ``time_limit`` seconds.

    Args:
        time_limit: Seconds CP-SAT may search per decision.
    """

    def __init__(self, time_limit: float = 10.0) -> None:
        super().__init__("optimal", self._solve)
        self.time_limit = time_limit

    def _solve(self, problem: Problem) -> Plan:
        return plan_optimal(problem, time_limit=self.time_limit)


for _name, _factory in (("heft", HEFT), ("cpop", CPOP), ("peft", PEFT), ("optimal", Optimal)):
    register_scheduler(_name, _factory)
