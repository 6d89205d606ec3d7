"""The one interface between the emulator and every scheduler.

At each decision point the simulator calls :meth:`Scheduler.decide` with a
:class:`SchedulerView`, a read-only window on its state, and applies the
assignments returned. A decision point is a moment when a job arrived, a
task became ready (all predecessors finished) or a PE went idle, and there
is something to decide: a new job or a ready task not yet placed.

An assignment ``(job, task, pe)`` appends the task to the end of the PE's
queue. The scheduler may place any task of a job present in the system
(ready or not, so static plans work) on any live PE that can run it; each
task is placed once, and again only after a PE failure returned it. A task
starts when it heads its PE's queue, the PE is free and all its inputs have
arrived (predecessor finish plus transfer time). Invalid assignments raise
:class:`socsim.errors.SchedulingError`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from socsim.placement import inputs_ready
from socsim.platform import Platform
from socsim.workload import BoundProfile

if TYPE_CHECKING:
    from socsim.state import JobState


class Assignment(NamedTuple):
    """Queue ``task`` of job ``job`` on ``pe``."""

    job: int
    task: int
    pe: int


class Scheduler(Protocol):
    """What a scheduler implements.

    Attributes:
        name: Short name used in tables and on the command line.
    """

    name: str

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Prepare for a new run; ``rng`` is the scheduler's own seeded stream."""
        ...

    def decide(self, view: SchedulerView) -> Iterable[Assignment | tuple[int, int, int]]:
        """Return the assignments to make now (possibly none)."""
        ...


class SchedulerView:
    """Read-only view of the simulator offered to schedulers.

    Everything a scheduler needs and nothing it may change: the clock, the
    jobs present with their DAGs and progress, the ready tasks not yet
    placed, PE states, and expected (noise-free) execution and transfer
    times. Actual durations under noise are never revealed.
    """

    __slots__ = ("_sim",)

    def __init__(self, sim: Any) -> None:  # the Simulator (socsim.simulator) it reads
        self._sim = sim

    @property
    def now(self) -> float:
        """Current simulated time (us)."""
        return self._sim.now

    @property
    def platform(self) -> Platform:
        """The platform."""
        return self._sim.platform

    @property
    def horizon(self) -> float | None:
        """The run's horizon (us), or ``None``."""
        return self._sim.horizon

    def fork(self, seed: int, *, horizon: float | None = None) -> Any:
        """A what-if copy of the run to simulate ahead on (lookahead schedulers).

        Always a sampled future (``Simulator.fork(seed)``): fresh arrivals and
        noise beyond what the run has already drawn, never the run's own, so
        a scheduler cannot see actual durations through it. The copy is
        independent: nothing done to it reaches the run.
        """
        return self._sim.fork(int(seed), horizon=horizon)

    @property
    def ready(self) -> Sequence[tuple[int, int]]:
        """Ready tasks not yet placed, as ``(job, task)``, in the order they became ready."""
        return list(self._sim.ready)

    @property
    def new_jobs(self) -> Sequence[int]:
        """Jobs injected since the previous decision."""
        return self._sim.new_jobs

    def jobs(self) -> Iterable[int]:
        """Ids of the jobs in the system."""
        return self._sim.jobs.keys()

    def job(self, job: int) -> JobState:
        """State of a job in the system (treat as read-only)."""
        return self._sim.jobs[job]

    def profile(self, job: int) -> BoundProfile:
        """The bound profile (DAG and cost table) of a job."""
        return self._sim.jobs[job].profile

    def unplaced_tasks(self, job: int) -> list[int]:
        """Tasks of ``job`` neither placed on a PE nor finished."""
        state = self._sim.jobs[job]
        return [t for t in range(state.profile.num_tasks)
                if state.task_pe[t] < 0 and state.finish[t] < 0]

    def is_alive(self, pe: int) -> bool:
        """Whether a PE is up."""
        return self._sim.pe_alive[pe]

    def is_idle(self, pe: int) -> bool:
        """Whether a PE is up, runs nothing and has an empty queue."""
        sim = self._sim
        return sim.pe_alive[pe] and sim.pe_running[pe] is None and not sim.pe_queue[pe]

    def running_since(self, pe: int) -> float | None:
        """Start time of the task a PE is running, or ``None`` when it runs nothing."""
        running = self._sim.pe_running[pe]
        return None if running is None else running.start

    def queue_length(self, pe: int) -> int:
        """Tasks waiting in a PE's queue (not counting the running one)."""
        return len(self._sim.pe_queue[pe])

    def queued(self, pe: int) -> list[tuple[int, int]]:
        """The ``(job, task)`` pairs waiting in a PE's queue, in queue order."""
        return [(state.id, task) for state, task in self._sim.pe_queue[pe]]

    def free_at(self, pe: int) -> float:
        """When the PE is expected to be done with its work, input waits included (noise-free).

        Like :meth:`available_at`, but each queued task starts only once its
        inputs are on the PE, so the idle gaps they leave count (a queued
        task whose inputs are not all produced yet counts from now).
        """
        sim = self._sim
        free = max(sim.now, sim.pe_expected_end[pe])
        queue = sim.pe_queue[pe]
        if not queue:
            return free
        transfer, slowdown = sim.platform.transfer_time, sim.pe_slowdown[pe]
        pe_type = sim.platform.pe_type[pe]
        for state, task in queue:
            ready = inputs_ready(state, task, pe, transfer, free)
            start = ready if ready != math.inf else free
            free = start + state.profile.cost[task][pe_type] * slowdown
        return free

    def available_at(self, pe: int) -> float:
        """Expected time the PE finishes its running task and its queue (noise-free)."""
        sim = self._sim
        return max(sim.now, sim.pe_expected_end[pe]) + sim.pe_backlog[pe]

    def earliest_available(self, pes: Sequence[int],
                           extra: Mapping[int, float] | None = None) -> int:
        """The PE among ``pes`` expected to be free first (lowest index on ties).

        Args:
            pes: Candidate PEs (non-empty).
            extra: Work (us) the caller has already planned per PE in this
                decision and not yet returned, added to each PE's backlog.
        """
        sim = self._sim
        now, end, backlog = sim.now, sim.pe_expected_end, sim.pe_backlog
        best, best_at = -1, math.inf
        for pe in pes:
            at = (end[pe] if end[pe] > now else now) + backlog[pe]
            if extra:
                at += extra.get(pe, 0.0)
            if at < best_at or (at == best_at and pe < best):
                best, best_at = pe, at
        return best

    def fastest_pes(self, job: int, task: int) -> list[int]:
        """Live PEs on which a task's expected execution time is least."""
        sim = self._sim
        state = sim.jobs[job]
        pes = sim.fastest_pes(state.profile)[task]
        if sim.all_alive:
            return pes
        alive = sim.pe_alive
        live = [pe for pe in pes if alive[pe]]
        if live:
            return live
        candidates = self.eligible_pes(job, task)
        if not candidates:
            return []
        best = min(self.exec_time(job, task, pe) for pe in candidates)
        return [pe for pe in candidates if self.exec_time(job, task, pe) == best]

    def exec_time(self, job: int, task: int, pe: int) -> float:
        """Expected time of a task on a PE at its busy operating point (inf: not eligible)."""
        sim = self._sim
        return sim.jobs[job].profile.cost[task][sim.platform.pe_type[pe]] * sim.pe_slowdown[pe]

    def exec_times(self, job: int, task: int, pes: Sequence[int]) -> list[float]:
        """:meth:`exec_time` of a task on each of ``pes``, in their order."""
        sim = self._sim
        row, pe_type, slowdown = sim.jobs[job].profile.cost[task], sim.platform.pe_type, \
            sim.pe_slowdown
        return [row[pe_type[pe]] * slowdown[pe] for pe in pes]

    def active_power(self, pe: int) -> float:
        """Power (W) of a PE while it runs a task, at its busy operating point."""
        return self._sim.pe_active_w[pe]

    def eligible_pes(self, job: int, task: int) -> list[int]:
        """Live PEs that can run a task."""
        sim = self._sim
        pes = sim.jobs[job].profile.eligible_pes[task]
        if sim.all_alive:
            return list(pes)
        alive = sim.pe_alive
        return [pe for pe in pes if alive[pe]]

    def transfer_time(self, src_pe: int, dst_pe: int, volume: float) -> float:
        """Time to move ``volume`` between two PEs (0 on the same PE)."""
        return self._sim.platform.transfer_time(src_pe, dst_pe, volume)

    def inputs_ready_at(self, job: int, task: int, pe: int) -> float:
        """When all inputs of a task would be on ``pe``, from finished predecessors.

        Returns ``inf`` if a predecessor has not finished; a task without
        predecessors has its inputs from the job's arrival.
        """
        sim = self._sim
        state = sim.jobs[job]
        ready = state.arrival
        for pred, volume in state.profile.preds[task]:
            if state.finish[pred] < 0:
                return float("inf")
            ready = max(ready, state.finish[pred]
                        + sim.platform.transfer_time(state.task_pe[pred], pe, volume))
        return ready
