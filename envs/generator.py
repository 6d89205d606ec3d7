"""Instances: the scenario an environment simulates, built once, one simulator per episode.

An environment describes what it simulates with a
:class:`socsim.scenario.Scenario`, the same record ``socsim compare`` and
its presets use, so that an environment and a comparison of heuristics on
"the same scenario" are the same runs.

:class:`InstanceGenerator` binds the workloads to the platform once (binding
paper workloads with per-job activity takes tens of milliseconds) and then
builds a fresh :class:`socsim.Simulator` for each episode seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from socsim.dvfs import make_policy
from socsim.faults import FaultModel
from socsim.jobs import ArrivalProcess, JobSource
from socsim.platform import Platform
from socsim.scenario import SCENARIOS, Scenario
from socsim.simulator import Simulator
from socsim.workload import BoundProfile


def preset_scenario(name: str) -> Scenario:
    """A named protocol scenario (``"deepsocs"``, ``"ds3-default"``)."""
    return SCENARIOS[name]


def apply_overrides(scenario: Any, overrides: Mapping[str, Any]) -> Any:
    """``scenario`` with some fields replaced; unknown names raise a ``TypeError`` naming them.

    Args:
        scenario: A :class:`socsim.scenario.Scenario`.
        overrides: Field name to new value (``None`` values are kept as ``None``).
    """
    if not overrides:
        return scenario
    names = [f.name for f in dataclasses.fields(scenario)]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise TypeError(f"unknown environment argument(s) {unknown}; scenario fields are "
                        f"{names} (see socsim.scenario.Scenario)")
    return scenario.replace(**overrides)


class InstanceGenerator:
    """Builds one simulator per episode from a scenario.

    Args:
        scenario: What to simulate (a :class:`socsim.scenario.Scenario`).
        arrivals: An arrival process replacing the scenario's ``arrival`` and
            ``interarrival`` (e.g. ``Poisson(25, integer=True)``).
        faults: A fault model replacing the scenario's ``fail``, ``mtbf`` and ``mttr``.
        keep_trace: Keep the task trace (needed for ``rgb_array`` rendering).

    Attributes:
        scenario: The scenario.
        platform: The platform (shared, immutable).
        source: The job source, profiles bound once.
        faults: The fault model.
    """

    def __init__(self, scenario: Any, *, arrivals: ArrivalProcess | None = None,
                 faults: FaultModel | None = None, keep_trace: bool = False) -> None:
        self.scenario = scenario
        self.platform: Platform = scenario.build_platform()
        source: JobSource = scenario.build_source(self.platform)
        if arrivals is not None:
            source = dataclasses.replace(source, arrivals=arrivals)
        self.source = source
        if faults is None:
            faults = scenario.build_faults(self.platform)
        self.faults = faults
        self.keep_trace = keep_trace

    @property
    def horizon(self) -> float | None:
        """The scenario's horizon (us), or ``None``."""
        return self.scenario.horizon

    @property
    def fault_prone(self) -> bool:
        """Whether PEs may fail during a run."""
        return bool(self.faults.scheduled) or self.faults.mtbf is not None

    def simulator(self, seed: int, *, in_order_queues: bool = False,
                  keep_trace: bool | None = None) -> Simulator:
        """A fresh simulator of the scenario for ``seed``.

        Args:
            seed: The simulator's seed (arrivals, mix, noise, faults).
            in_order_queues: Run each PE's queue in order even under the
                ``first-ready`` discipline, as :meth:`Simulator.run` does for a
                scheduler that declares ``in_order_queues``.
            keep_trace: Override the generator's ``keep_trace``.
        """
        discipline = self.scenario.queue_discipline
        if in_order_queues:
            discipline = "fifo"
        return Simulator(self.platform, self.source, seed=seed, horizon=self.scenario.horizon,
                         dvfs=make_policy(self.scenario.dvfs), faults=self.faults,
                         keep_trace=self.keep_trace if keep_trace is None else keep_trace,
                         queue_discipline=discipline)

    def profiles(self) -> list[BoundProfile]:
        """Every bound profile a job may get (activity variants included)."""
        out: list[BoundProfile] = []
        for profile in self.source.profiles:
            out.append(profile)
            out.extend(profile.variants)
        return out

    def typical_job_time(self) -> float:
        """Mix-weighted mean, over profiles, of a job's work on its fastest PEs (us).

        The default time scale of observations and rewards: the sum over a
        job's tasks of the least expected execution time.
        """
        total = 0.0
        for probability, profile in zip(self.source.probabilities, self.source.profiles,
                                        strict=True):
            work = sum(min(row) for row in profile.cost)
            total += float(probability) * work
        return total if total > 0 else 1.0

    def default_max_jobs(self) -> int:
        """Jobs the observation must hold at once, from the scenario (32 if unbounded)."""
        scenario = self.scenario
        if scenario.arrival == "batch":
            jobs = scenario.jobs if scenario.jobs is not None else 100
            cap = scenario.max_in_system or jobs
            return max(1, min(jobs, cap))
        if scenario.max_in_system:
            return scenario.max_in_system
        return 32
