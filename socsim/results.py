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
    extra: dict[str, Any] = field(default_factory=dict)
