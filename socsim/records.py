"""Plain records the simulator emits: one per executed task, one per job.

They are ``NamedTuple`` s so that a long trace costs little memory and
converts directly to CSV rows.
"""

from __future__ import annotations

from typing import NamedTuple


class TaskRecord(NamedTuple):
    """One execution of one task, as it appears in the trace.

    Attributes:
        job: Job id (injection order, from 0).
        profile: Name of the job's profile.
        task: Task name.
        pe: PE index on the platform.
        ready: Time all inputs had arrived on that PE (us).
        start: Start time (us).
        finish: Finish time (us); for an aborted run, the failure time.
        energy: Active energy of this execution (uJ).
        status: ``"done"``, or ``"aborted"`` when the PE failed under it.
    """

    job: int
    profile: str
    task: str
    pe: int
    ready: float
    start: float
    finish: float
    energy: float
    status: str = "done"


class JobRecord(NamedTuple):
    """What happened to one job.

    Attributes:
        job: Job id.
        profile: Name of the job's profile.
        arrival: Injection time (us).
        finish: Completion time (us), or ``nan`` if not completed.
        status: ``"completed"``, ``"failed"`` or ``"in_system"`` (at the end of the run).
        energy: Active and data-movement energy spent on the job (uJ).
        reason: Why a job failed (empty otherwise).
    """

    job: int
    profile: str
    arrival: float
    finish: float
    status: str
    energy: float
    reason: str = ""

    @property
    def latency(self) -> float:
        """Completion minus arrival (``nan`` unless completed)."""
        return self.finish - self.arrival
