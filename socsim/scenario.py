"""Scenarios: everything but the scheduler and the seed that decides a simulation run.

A :class:`Scenario` is a small frozen dataclass of plain values (names,
numbers, strings) so that it pickles cheaply to worker processes and prints
as a record of what was run. Its typed builders turn it into a platform, a
job source, a fault model and, for one seed, a ready
:class:`socsim.simulator.Simulator`. ``socsim simulate`` builds one from its
flags, ``socsim compare`` and the environments take one directly: the same
record means the same runs everywhere.

Bad values raise :class:`socsim.errors.ScenarioError` naming the field
(``Scenario.trace_file``); the command line rewords it for its flag.

:data:`SCENARIOS` holds the named protocol scenarios (``deepsocs``,
``ds3-default``); the presets of ``socsim compare`` (schedulers, seeds,
reference numbers) are built on them in ``socsim.agents.scenario``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from socsim import catalog
from socsim.dvfs import POLICY_NAMES, DVFSPolicy, make_policy
from socsim.errors import ConfigError, ScenarioError
from socsim.faults import FaultEvent, FaultModel
from socsim.jobs import ArrivalProcess, Batch, FixedRate, JobSource, Poisson, Trace
from socsim.platform import Platform
from socsim.simulator import Simulator
from socsim.workload import JobProfile

if TYPE_CHECKING:  # the DS3 file reader loads only for DS3 files
    from socsim.ds3 import DS3Soc

DEFAULT_PLATFORM = "ds3_multiple_bal"
DEFAULT_MIX = "ds3_default"
DEFAULT_JOBS = 100
ARRIVALS = ("poisson", "fixed", "batch", "trace")
_FAIL_SPEC = re.compile(r"^(?P<pe>[^@]+)@(?P<fail>[0-9.eE+]+)(-(?P<recover>[0-9.eE+]+))?$")


@dataclass(frozen=True)
class Scenario:
    """Platform, jobs, arrivals, noise, faults and run length, by value.

    Field names and meanings follow the ``socsim simulate`` flags.

    Attributes:
        platform: Built-in platform name, platform file, or DS3 SoC file (``.txt``).
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
        warmup: Measure from this time on (us): earlier arrivals are left out
            of the metrics (DS3's ``warmup_period``; 0: none).
        inject_asap: Inject the next job as soon as one completes, as well as on
            the arrival process (DS3's ``inject_jobs_ASAP``).
        throttling: DS3's thermal trips cap the clusters' frequencies (``None``:
            as the platform says; off on the ``ds3_*`` built-ins, as in DS3).
        power_gating: DS3's power model gates idle cores and charges busy ones
            from the clusters' gated profiles (DS3 platforms only).
    """

    platform: str = DEFAULT_PLATFORM
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
    warmup: float = 0.0
    inject_asap: bool = False
    throttling: bool | None = None
    power_gating: bool = False

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

    # ---------------------------------------------------------------- builders
    def build_platform(self) -> Platform:
        """The platform (built-ins are cached, so this is cheap)."""
        return catalog.get_platform(self.platform)

    def build_source(self, platform: Platform) -> JobSource:
        """The job source: profiles bound to ``platform``, arrivals, cap, noise.

        Raises:
            ScenarioError: A field that cannot be used (named in the message).
        """
        names, weights = self._workload_weights()
        soc = _ds3_soc(self.platform)
        profiles = [_workload(name, soc).bind(platform) for name in names]
        jobs = self.jobs
        if jobs is None and self.horizon is None and self.arrival != "trace":
            jobs = DEFAULT_JOBS
        if jobs is not None and jobs < 0:
            raise ScenarioError("jobs", f"must be >= 0, got {jobs}", "N >= 0")
        arrivals: ArrivalProcess
        if self.arrival == "poisson":
            arrivals = Poisson(self.interarrival, integer=platform.timing == "ds3")
            if self.retry_when_full is not None:
                arrivals = dataclasses.replace(arrivals, retry_when_full=self.retry_when_full)
        elif self.arrival == "fixed":
            arrivals = FixedRate(self.interarrival)
        elif self.arrival == "batch":
            if jobs is None:
                raise ScenarioError("jobs", "arrival 'batch' needs a job count (all arrive "
                                    "at t = 0)", "N")
            arrivals = Batch()
        elif self.arrival == "trace":
            if not self.trace_file:
                raise ScenarioError("trace_file", "arrival 'trace' needs an arrival trace",
                                    "FILE (CSV with time[,profile], or JSON)")
            arrivals = Trace.from_file(self.trace_file)
            if jobs is None:
                jobs = len(arrivals.entries)
        else:
            raise ScenarioError("arrival", f"is {self.arrival!r}", f"one of {', '.join(ARRIVALS)}")
        if self.retry_when_full is not None and self.arrival != "poisson":
            raise ScenarioError("retry_when_full", f"applies to Poisson arrivals only, not "
                                f"{self.arrival!r}", "None (or use arrival='poisson')")
        return JobSource(profiles, weights=weights, arrivals=arrivals, max_jobs=jobs,
                         max_in_system=self.max_in_system or None, prefill=self.prefill,
                         noise_sigma=self.noise, inject_asap=self.inject_asap)

    def build_faults(self, platform: Platform) -> FaultModel:
        """The fault model of ``fail``, ``mtbf`` and ``mttr`` on ``platform``.

        Raises:
            ScenarioError: A ``fail`` entry that is malformed or names no PE.
        """
        events = []
        for spec in self.fail:
            match = _FAIL_SPEC.match(spec)
            if not match:
                raise ScenarioError("fail", f"'{spec}' is not PE@TIME or PE@TIME-RECOVERY",
                                    "PE@TIME[-RECOVERY], e.g. 2@1000 or A15.0@20-60")
            pe = _pe_index(match["pe"], platform)
            fail_at = float(match["fail"])
            events.append(FaultEvent(fail_at, pe, "fail"))
            if match["recover"]:
                recover_at = float(match["recover"])
                if not recover_at > fail_at:
                    raise ScenarioError("fail", f"'{spec}': recovery must come after the "
                                        "failure", f"{match['pe']}@{fail_at:g}-LATER")
                events.append(FaultEvent(recover_at, pe, "recover"))
        return FaultModel(scheduled=tuple(events), mtbf=self.mtbf, mttr=self.mttr)

    def simulator(self, seed: int, *, keep_trace: bool = False,
                  keep_jobs: bool = False) -> Simulator:
        """A fresh simulator of this scenario for ``seed``."""
        platform = self.build_platform()
        if self.power_gating and platform.power_model is None:
            raise ScenarioError("platform", f"'{platform.name}' charges energy per PE, but "
                                "power gating needs DS3's cluster power model",
                                "a ds3_* platform or a DS3 SoC file (or leave power gating "
                                "off)")
        return Simulator(platform, self.build_source(platform), seed=seed,
                         horizon=self.horizon, dvfs=self.build_dvfs(),
                         faults=self.build_faults(platform), keep_trace=keep_trace,
                         keep_jobs=keep_jobs, queue_discipline=self.queue_discipline,
                         warmup=self.warmup, throttling=self.throttling,
                         power_gating=self.power_gating)

    def build_dvfs(self) -> DVFSPolicy:
        """The DVFS policy or governor named by ``dvfs``."""
        try:
            return make_policy(self.dvfs)
        except ValueError:
            raise ScenarioError("dvfs", f"is {self.dvfs!r}",
                                f"one of {', '.join(POLICY_NAMES)}") from None

    def describe(self) -> str:
        """One line saying what runs: platform, jobs, arrivals, length."""
        jobs = self.workload or f"mix {self.mix or DEFAULT_MIX}"
        arrivals = (f"{self.arrival} every {self.interarrival:g} us"
                    if self.arrival in ("poisson", "fixed") else self.arrival)
        cap = f", at most {self.max_in_system} in system" if self.max_in_system else ""
        length = (f"{self.horizon:g} us" if self.horizon is not None
                  else f"{self.jobs if self.jobs is not None else DEFAULT_JOBS} jobs")
        noise = f", noise {self.noise:g}" if self.noise else ""
        return f"{jobs} on {self.platform}, {arrivals}{cap}, {length}{noise}"

    def _workload_weights(self) -> tuple[list[str], list[float]]:
        if self.workload:
            names, weights = [], []
            for part in self.workload.split(","):
                name, _, weight = part.partition(":")
                try:
                    value = float(weight) if weight else 1.0
                except ValueError:
                    raise ScenarioError("workload", f"weight of '{name}' is '{weight}'",
                                        "name:weight with a number, e.g. wifi_tx:2") from None
                names.append(name.strip())
                weights.append(value)
            return names, weights
        mix = catalog.get_mix(self.mix or DEFAULT_MIX)
        return list(mix.weights), list(mix.weights.values())


def _ds3_soc(platform: str) -> DS3Soc | None:
    """The DS3 SoC file given as the platform (a ``.txt`` path), or ``None``.

    A DS3 job file holds only the DAG; its tasks take their execution times
    from this SoC file's functionalities.
    """
    if not str(platform).lower().endswith(".txt"):
        return None
    from socsim.ds3 import read_ds3_soc

    return read_ds3_soc(platform)


def _workload(name: str, soc: DS3Soc | None) -> JobProfile:
    """A workload entry; a DS3 job file is joined with ``soc``."""
    if name.lower().endswith(".txt") and soc is None:
        raise ConfigError(name, "<file>", "is a DS3 job file, whose execution times live in "
                          "a DS3 SoC file", "give that SoC file as the platform "
                          "(--platform path/to/SoC.NAME.txt)")
    return catalog.get_workload(name, ds3_soc=soc)


def _pe_index(text: str, platform: Platform) -> int:
    if text.isdigit() and int(text) < platform.num_pes:
        return int(text)
    if text in platform.pe_names:
        return platform.pe_names.index(text)
    raise ScenarioError("fail", f"no PE '{text}' on {platform.name}",
                        f"PE@TIME with an index 0..{platform.num_pes - 1} or one of "
                        f"{platform.pe_names}")


#: The named protocol scenarios (see ``socsim compare --preset``).
SCENARIOS: dict[str, Scenario] = {
    "deepsocs": Scenario(platform="canonical3", workload="canonical", horizon=5000.0,
                         arrival="poisson", interarrival=25.0, max_in_system=3, prefill=3,
                         retry_when_full=1.0, queue_discipline="first-ready"),
    "ds3-default": Scenario(jobs=100, queue_discipline="first-ready-job"),
}
