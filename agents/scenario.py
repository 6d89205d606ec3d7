"""Scenarios: everything but the scheduler and the seed that decides a simulation run.

A :class:`Scenario` is a small frozen dataclass of plain values (names,
numbers, strings) so that it pickles cheaply to worker processes and prints
as a record of what was run. :meth:`Scenario.simulator` turns it into a
ready :class:`socsim.simulator.Simulator` for one seed, reusing the command
line's own builders (:func:`socsim.cli.build_source`,
:func:`socsim.cli.build_faults`) so that ``socsim simulate`` and ``socsim
compare`` read the same flags the same way.

:data:`PRESETS` holds named protocols, among them ``deepsocs``: the
DeepSoCS / DS3Gym streaming protocol with its published reference numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from socsim import catalog
from socsim.cli import build_faults, build_source
from socsim.dvfs import make_policy
from socsim.jobs import JobSource, Poisson
from socsim.platform import Platform
from socsim.simulator import Simulator


@dataclass(frozen=True)
class Scenario:
    """Platform, jobs, arrivals, noise, faults and run length, by value.

    Field names and meanings follow the ``socsim simulate`` flags.

    Attributes:
        platform: Built-in platform name or platform file.
        workload: Workload name or file, several as ``"a:w,b:w"``; excludes ``mix``.
        mix: Named workload mix or mix file (used when ``workload`` is ``None``).
        jobs: Jobs to inject (``None``: unbounded with a horizon, else 100).
        horizon: Stop at this time (us), or ``None``.
        arrival: ``poisson``, ``fixed``, ``batch`` or ``trace``.
        interarrival: Mean (poisson) or exact (fixed) gap between arrivals (us).
        trace_file: Arrival trace for ``arrival="trace"``.
        max_in_system: Cap on jobs in the system (0: none).
        prefill: Jobs injected at t = 0 (pseudo steady state).
        retry_when_full: Poisson arrivals only: ``None`` to hold an arrival
            that finds the system full until a slot frees; a pause (us) to
            drop it and try again after the pause plus a fresh gap (DS3Gym: 1).
        noise: Relative standard deviation of execution times.
        dvfs: DVFS policy name.
        fail: Scheduled failures, ``"PE@T[-R]"`` each.
        mtbf: Random faults: mean time between failures per PE (us).
        mttr: Random faults: mean time to repair (us).
        queue_discipline: ``fifo``, ``first-ready`` (DS3Gym protocol) or
            ``first-ready-job`` (DS3's executable list, ordered by job id).
    """

    platform: str = "ds3_multiple_bal"
    workload: str | None = None
    mix: str | None = None
    jobs: int | None = None
    horizon: float | None = None
    arrival: str = "poisson"
    interarrival: float = 500.0
    trace_file: str | None = None
    max_in_system: int = 12
    prefill: int = 0
    retry_when_full: float | None = None
    noise: float = 0.0
    dvfs: str = "performance"
    fail: tuple[str, ...] = ()
    mtbf: float | None = None
    mttr: float = 1000.0
    queue_discipline: str = "fifo"

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed (unknown names raise ``TypeError``)."""
        if "fail" in changes:
            changes["fail"] = tuple(changes["fail"])
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for JSON records)."""
        data = dataclasses.asdict(self)
        data["fail"] = list(self.fail)
        return data

    def build_platform(self) -> Platform:
        """The platform (built-ins are cached, so this is cheap)."""
        return catalog.get_platform(self.platform)

    def build_source(self, platform: Platform) -> JobSource:
        """The job source, through the ``simulate`` command's own builder."""
        source = build_source(self._namespace(), platform)
        if self.retry_when_full is not None and isinstance(source.arrivals, Poisson):
            arrivals = dataclasses.replace(source.arrivals, retry_when_full=self.retry_when_full)
            source = dataclasses.replace(source, arrivals=arrivals)
        return source

    def simulator(self, seed: int, *, keep_trace: bool = False,
                  keep_jobs: bool = False) -> Simulator:
        """A fresh simulator of this scenario for ``seed``."""
        platform = self.build_platform()
        namespace = self._namespace()
        return Simulator(platform, self.build_source(platform), seed=seed,
                         horizon=self.horizon, dvfs=make_policy(self.dvfs),
                         faults=build_faults(namespace, platform), keep_trace=keep_trace,
                         keep_jobs=keep_jobs, queue_discipline=self.queue_discipline)

    def describe(self) -> str:
        """One line saying what runs: platform, jobs, arrivals, length."""
        jobs = self.workload or f"mix {self.mix or 'ds3_default'}"
        arrivals = (f"{self.arrival} every {self.interarrival:g} us"
                    if self.arrival in ("poisson", "fixed") else self.arrival)
        cap = f", at most {self.max_in_system} in system" if self.max_in_system else ""
        length = (f"{self.horizon:g} us" if self.horizon is not None
                  else f"{self.jobs if self.jobs is not None else 100} jobs")
        noise = f", noise {self.noise:g}" if self.noise else ""
        return f"{jobs} on {self.platform}, {arrivals}{cap}, {length}{noise}"

    def _namespace(self) -> argparse.Namespace:
        """The scenario as the ``simulate`` flags' namespace."""
        return argparse.Namespace(**self.as_dict())  # no workload, no mix: DS3's default mix


@dataclass(frozen=True)
class Preset:
    """A named protocol: a scenario, the schedulers and seeds to run, reference numbers.

    Attributes:
        name: Preset name (``--preset NAME``).
        description: What it reproduces and where its numbers come from.
        scenario: The scenario.
        schedulers: Schedulers run by default.
        seeds: Number of seeds run by default (seeds 0..n-1).
        reference: Published value per scheduler, for ``reference_metric``.
        reference_metric: The metric the reference numbers are for.
        tolerance: Relative distance from the reference counted as a match.
    """

    name: str
    description: str
    scenario: Scenario
    schedulers: tuple[str, ...]
    seeds: int = 10
    reference: dict[str, float] = field(default_factory=dict)
    reference_metric: str = "mean_latency"
    tolerance: float = 0.03


DEEPSOCS = Preset(
    name="deepsocs",
    description="DeepSoCS / DS3Gym streaming protocol: canonical job on canonical3, "
    "Poisson integer gaps (scale 25 us), pseudo steady state (3 pre-filled, at most 3 in "
    "the system, DS3Gym's retrying generator), 5000 us, no noise, DS3's executable-list "
    "queues. Reference: mean latency over completed jobs from the released DS3Gym code, "
    "10 seeds (DeepSoCS: Sung et al., Electronics 9(6):936, 2020; DS3Gym: "
    "github.com/EpiSci/SoCRATES; DS3: Arda et al., IEEE Trans. Computers 69(8), 2020).",
    scenario=Scenario(platform="canonical3", workload="canonical", horizon=5000.0,
                      arrival="poisson", interarrival=25.0, max_in_system=3, prefill=3,
                      retry_when_full=1.0, queue_discipline="first-ready"),
    schedulers=("heft-rt", "etf", "met", "eft", "eft-fifo", "random"),
    reference={"heft-rt": 122.4, "etf": 105.1, "met": 108.1, "eft": 110.5,
               "eft-fifo": 118.5, "random": 166.8},
)

DS3_DEFAULT = Preset(
    name="ds3-default",
    description="DS3's default configuration: SoC MULTIPLE_BAL, its six-application mix, "
    "100 jobs, Poisson arrivals every 500 us on average, at most 12 jobs in the system, "
    "DS3's executable list (first-ready-job queues); ds3-met, ds3-stf and ds3-etf-lb are "
    "DS3's own MET, STF and ETF_LB rules.",
    scenario=Scenario(jobs=100, queue_discipline="first-ready-job"),
    schedulers=("heft-rt", "heft-rt-comm", "etf", "eft", "ds3-met", "ds3-stf", "ds3-etf-lb",
                "met", "stf", "eft-fifo", "round-robin", "random", "min-energy", "min-edp",
                "eft-energy"),
    seeds=5,
)

PRESETS: dict[str, Preset] = {preset.name: preset for preset in (DEEPSOCS, DS3_DEFAULT)}
"""Named protocols for ``socsim compare --preset``."""
