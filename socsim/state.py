"""The records of a run's state that schedulers, environments and renderers read.

The simulator owns and writes them; everyone else reads them through
:class:`socsim.scheduler.SchedulerView` (schedulers) or the simulator's
small read API (:data:`socsim.simulator.READ_API`: the clock, the jobs in
the system, :attr:`~socsim.simulator.Simulator.pes`,
:attr:`~socsim.simulator.Simulator.counters`,
:meth:`~socsim.simulator.Simulator.energy_so_far` and a few more), never by
poking at its internals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections import deque

    from socsim.workload import BoundProfile


class JobState:
    """A job in the system. Schedulers may read it; only the simulator writes it.

    Attributes:
        id: Job id (injection order).
        profile: Its bound profile.
        arrival: Injection time (us).
        waiting: Per task, predecessors not yet finished.
        task_pe: Per task, the PE it is queued on, runs on or ran on (-1: unplaced).
        finish: Per task, finish time (-1 until finished).
        noise: Per task standard normal draw, or ``None`` without noise.
        remaining: Tasks not yet finished.
        energy: Energy spent on the job so far (uJ).
        failed: Whether the job was given up.
    """

    __slots__ = ("arrival", "energy", "failed", "finish", "id", "noise", "profile", "remaining",
                 "task_pe", "waiting")

    def __init__(self, job_id: int, profile: BoundProfile, arrival: float,
                 noise: list[float] | None) -> None:
        n = profile.num_tasks
        self.id = job_id
        self.profile = profile
        self.arrival = arrival
        self.waiting = profile.num_preds.copy()
        self.task_pe = [-1] * n
        self.finish = [-1.0] * n
        self.noise = noise
        self.remaining = n
        self.energy = 0.0
        self.failed = False

    def copy(self) -> JobState:
        """An independent copy (the profile and the noise draws are shared: never written)."""
        twin = object.__new__(JobState)
        twin.id, twin.profile, twin.arrival, twin.noise = (self.id, self.profile, self.arrival,
                                                          self.noise)
        twin.waiting, twin.task_pe, twin.finish = (self.waiting.copy(), self.task_pe.copy(),
                                                   self.finish.copy())
        twin.remaining, twin.energy, twin.failed = self.remaining, self.energy, self.failed
        return twin


class RunningTask(NamedTuple):
    """The task a PE is running.

    Attributes:
        job: Its job.
        task: The task's index in the job.
        inputs_at: When its last input arrived on the PE (us).
        start: When it started (us).
        expected: Its expected (noise-free) duration (us).
        energy: The energy its whole run will cost (uJ), booked when it finishes.
    """

    job: JobState
    task: int
    inputs_at: float
    start: float
    expected: float
    energy: float


class PEState(NamedTuple):
    """One PE as the simulator sees it now (a snapshot; see ``Simulator.pe_state``).

    Attributes:
        alive: Whether the PE is up.
        running: The task it runs, or ``None``.
        queued: Tasks waiting in its queue.
        expected_end: Expected end of its running task (us; the clock when idle).
        backlog: Expected work queued behind it (us).
        busy: Busy time so far (us).
        idle_since: When it last went idle (us).
    """

    alive: bool
    running: RunningTask | None
    queued: int
    expected_end: float
    backlog: float
    busy: float
    idle_since: float


class PEColumns(NamedTuple):
    """Every PE's live state, one list per field, indexed by PE (see ``Simulator.pes``).

    The lists are the simulator's own, not copies: reading them costs nothing,
    which is what per-step observation builders need. They are read-only for
    everyone but the simulator; writing into them corrupts the run.

    Attributes:
        alive: Whether each PE is up.
        running: The task each PE runs, or ``None``.
        queue: Each PE's queue of ``(job, task)`` pairs waiting to start, in order.
        expected_end: Expected end of each PE's running task (us; when it last went idle if idle).
        backlog: Expected work queued on each PE behind its running task (us).
        slowdown: Each PE's execution-time factor at its busy operating point (1: reference).
        active_w: Each PE's active power at its busy operating point (W).
    """

    alive: list[bool]
    running: list[RunningTask | None]
    queue: list[deque[tuple[JobState, int]]]
    expected_end: list[float]
    backlog: list[float]
    slowdown: list[float]
    active_w: list[float]


class Counters(NamedTuple):
    """How many jobs and tasks a run has seen so far (see ``Simulator.counters``).

    Attributes:
        injected: Jobs injected.
        completed: Jobs completed.
        failed: Jobs given up.
        tasks_done: Tasks finished (of every job, completed, failed or in the system).
    """

    injected: int
    completed: int
    failed: int
    tasks_done: int
