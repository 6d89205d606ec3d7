"""The outcome of one simulation run: metrics, per-PE figures, and optional trace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from socsim.platform import Platform
from socsim.records import JobRecord, TaskRecord


@dataclass
class SimulationResult:
    """Everything a run produced.

    Attributes:
        platform: The platform simulated.
        scheduler: Name of the scheduler used.
        seed: Seed of the run.
        metrics: Scalar metrics (see :func:`socsim.metrics.compute_metrics`).
        pe_busy: Busy time per PE (us).
        pe_energy: Energy per PE, active plus idle (uJ).
        trace: One record per task execution, when the run kept a trace.
        jobs: One record per job, when the run kept job records.
        end_time: Simulated time at which the run stopped (us).
        pe_down: When PEs were down: ``(pe, failed at, recovered at)`` in us, sorted;
            a PE still down at the end counts as down until ``end_time``.
        extra: Further per-run figures (``failure_reasons``: failed jobs by reason).
    """

    platform: Platform
    scheduler: str
    seed: int
    metrics: dict[str, float]
    pe_busy: list[float]
    pe_energy: list[float]
    trace: list[TaskRecord] | None = None
    jobs: list[JobRecord] | None = None
    end_time: float = 0.0
    pe_down: list[tuple[int, float, float]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
