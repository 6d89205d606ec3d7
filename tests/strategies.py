"""Hypothesis strategies for random simulator scenarios.

A :class:`Scenario` keeps the plain documents and parameters it was drawn
from (so that a failing example prints as something one can paste back) and
builds the platform, profiles, job source and fault model on demand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from hypothesis import strategies as st

from socsim import simulator as simulator_module
from socsim.dvfs import POLICIES, DVFSPolicy
from socsim.faults import FaultEvent, FaultModel
from socsim.jobs import ArrivalProcess, Batch, FixedRate, JobSource, Poisson, Trace
from socsim.platform import Platform
from socsim.scheduler import Assignment, Scheduler, SchedulerView
from socsim.schedulers import SCHEDULERS
from socsim.simulator import Simulator
from socsim.workload import BoundProfile, JobProfile

# Options other people are adding; drawn only where this checkout has them.
QUEUE_DISCIPLINES: tuple[str, ...] = getattr(simulator_module, "QUEUE_DISCIPLINES", ("fifo",))
RETRY_WHEN_FULL = (None, 1.0, 20.0) if hasattr(Poisson, "after_blocked") else (None,)

MHZ = (500.0, 1000.0, 2000.0)
NOISE = (0.0, 0.1, 0.5)
DVFS = ("performance", "powersave", "race-to-idle")



class RandomReady:
    """Each ready task to a random live eligible PE, from the simulator's scheduler stream.

    It only places ready tasks, so queues cannot deadlock; it builds long
    queues and cross-PE transfers that MET and FirstIdle rarely produce.
    """

    name = "random-ready"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        self.rng = rng

    def decide(self, view: SchedulerView) -> list[Assignment]:
        out = []
        for job, task in view.ready:
            pes = view.eligible_pes(job, task)
            if pes:
                out.append(Assignment(job, task, pes[int(self.rng.integers(len(pes)))]))
        return out


FACTORIES: dict[str, Callable[[], Scheduler]] = {**SCHEDULERS, RandomReady.name: RandomReady}

power = st.sampled_from([0.0, 0.05, 0.5, 1.25, 3.0])
small_float = st.sampled_from([0.0, 0.25, 1.0, 3.5])


def _opp(mhz: float, idle_w: float, active_w: float) -> dict[str, float]:
    """An operating point (idle power never above active power, as platforms require)."""
    return {"mhz": mhz, "active_w": active_w, "idle_w": idle_w}


@st.composite
def platform_docs(draw: st.DrawFn, timing: str | None = None) -> dict[str, Any]:
    """A platform document: 1..4 PE types, every type with 1..3 PEs per cluster."""
    n_types = draw(st.integers(1, 4))
    types = []
    for i in range(n_types):
        mhzs = draw(st.lists(st.sampled_from(MHZ), min_size=1, max_size=3, unique=True))
        pe_type: dict[str, Any] = {
            "name": f"T{i}",
            "opps": [_opp(m, *sorted((draw(power), draw(power)))) for m in mhzs],
        }
        if draw(st.booleans()):
            pe_type["reference_mhz"] = draw(st.sampled_from(mhzs))
        types.append(pe_type)
    # Every type gets a cluster (so every task has an eligible PE), plus maybe one more.
    cluster_types = list(range(n_types)) + draw(
        st.lists(st.integers(0, n_types - 1), max_size=1))
    clusters = [{"name": f"c{k}", "type": f"T{t}", "count": draw(st.integers(1, 3))}
                for k, t in enumerate(cluster_types)]
    bandwidth = st.sampled_from([0.25, 1.0, 3.0, 16.0, 100.0])
    interconnect: dict[str, Any] = {
        "default_bandwidth": draw(bandwidth),
        "intra_cluster_bandwidth": draw(bandwidth),
        "latency": draw(st.sampled_from([0.0, 0.5, 2.0, 7.0])),
    }
    if draw(st.booleans()):
        interconnect["energy_per_unit"] = draw(st.sampled_from([0.001, 0.25, 2.0]))
    names = [c["name"] for c in clusters]
    links = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names),
                                    bandwidth, small_float), max_size=3))
    interconnect["links"] = [{"between": [a, b], "bandwidth": bw, "latency": float(lat)}
                             for a, b, bw, lat in links]
    return {
        "name": "random",
        "timing": timing or draw(st.sampled_from(["continuous", "ds3"])),
        "pe_types": types,
        "clusters": clusters,
        "interconnect": interconnect,
    }


cost_value = st.one_of(st.just(0.0), st.integers(1, 40).map(float),
                       st.floats(0.125, 40.0, allow_nan=False, allow_subnormal=False))
volume_value = st.one_of(st.just(0.0), st.integers(1, 64).map(float),
                         st.floats(0.015625, 64.0, allow_nan=False, allow_subnormal=False))
fault_time = st.one_of(st.integers(0, 30).map(float), st.integers(0, 100).map(float),
                       st.floats(0.0, 300.0, allow_nan=False, allow_subnormal=False))


@st.composite
def profile_docs(draw: st.DrawFn, type_names: list[str], name: str = "p0",
                 max_tasks: int = 15) -> dict[str, Any]:
    """A DAG of 1..max_tasks tasks; edges i -> j with i < j; costs on a non-empty set of types."""
    n = draw(st.integers(1, max_tasks))
    tasks = []
    for i in range(n):
        subset = draw(st.lists(st.sampled_from(type_names), min_size=1,
                               max_size=len(type_names), unique=True))
        tasks.append({"name": f"t{i}", "cost": {t: draw(cost_value) for t in subset}})
    edges = []
    if n > 1:
        pairs = set()
        for _ in range(draw(st.integers(0, 2 * n))):
            a = draw(st.integers(0, n - 2))
            pairs.add((a, draw(st.integers(a + 1, n - 1))))
        edges = [[f"t{a}", f"t{b}", draw(volume_value)] for a, b in sorted(pairs)]
    return {"name": name, "tasks": tasks, "edges": edges}


@st.composite
def arrival_specs(draw: st.DrawFn, profile_names: list[str]) -> dict[str, Any]:
    """Arrival process, job count, cap and prefill (as plain parameters)."""
    kind = draw(st.sampled_from(["batch", "poisson", "fixed", "trace"]))
    spec: dict[str, Any] = {"kind": kind}
    if kind == "poisson":
        spec["mean"] = draw(st.sampled_from([1.0, 10.0, 50.0, 200.0]))
        spec["integer"] = draw(st.booleans())
        spec["retry_when_full"] = draw(st.sampled_from(RETRY_WHEN_FULL))
    elif kind == "fixed":
        spec["period"] = draw(st.sampled_from([0.5, 7.0, 40.0, 150.0]))
    elif kind == "trace":
        times = sorted(draw(st.lists(st.integers(0, 300).map(float), min_size=1, max_size=6)))
        spec["entries"] = [(t, draw(st.one_of(st.none(), st.sampled_from(profile_names))))
                           for t in times]
    endless_ok = kind in ("poisson", "fixed")
    spec["max_jobs"] = draw(st.one_of(st.none(), st.integers(1, 6)) if endless_ok
                            else st.integers(1, 6))
    spec["max_in_system"] = draw(st.one_of(st.none(), st.integers(1, 4)))
    cap = spec["max_in_system"]
    spec["prefill"] = draw(st.integers(0, cap if cap is not None else 2))
    return spec


def make_arrivals(spec: dict[str, Any]) -> ArrivalProcess:
    """Build the arrival process described by ``spec``."""
    kind = spec["kind"]
    if kind == "poisson":
        retry = spec.get("retry_when_full")
        if retry is not None:
            return Poisson(spec["mean"], integer=spec["integer"], retry_when_full=retry)
        return Poisson(spec["mean"], integer=spec["integer"])
    if kind == "fixed":
        return FixedRate(spec["period"])
    if kind == "trace":
        return Trace(spec["entries"])
    return Batch()


@st.composite
def fault_specs(draw: st.DrawFn, num_pes: int, always: bool = False) -> dict[str, Any]:
    """Scheduled fail/recover events (some failures permanent) and/or random MTBF/MTTR faults."""
    kinds = ["scheduled", "random", "both"] + ([] if always else ["none"])
    kind = draw(st.sampled_from(kinds))
    spec: dict[str, Any] = {"scheduled": [], "mtbf": None, "mttr": 100.0, "pes": None}
    if kind in ("scheduled", "both"):
        spec["scheduled"] = draw(st.lists(
            st.tuples(fault_time, st.integers(0, num_pes - 1),
                      st.sampled_from(["fail", "recover"])),
            min_size=1, max_size=8))
    if kind in ("random", "both"):
        spec["mtbf"] = draw(st.sampled_from([60.0, 500.0, 2000.0]))
        spec["mttr"] = draw(st.sampled_from([5.0, 50.0, 200.0]))
        spec["pes"] = draw(st.one_of(st.none(), st.lists(st.integers(0, num_pes - 1),
                                                         min_size=1, unique=True)))
    return spec


@dataclass
class Scenario:
    """Everything one simulation run depends on, as plain data."""

    platform_doc: dict[str, Any]
    profile_docs: list[dict[str, Any]]
    weights: list[float] | None
    arrival: dict[str, Any]
    noise_sigma: float
    faults_spec: dict[str, Any]
    horizon: float | None
    scheduler: str
    dvfs: str
    seed: int
    queue_discipline: str = "fifo"

    @cached_property
    def platform(self) -> Platform:
        return Platform.from_dict(self.platform_doc)

    @cached_property
    def profiles(self) -> list[BoundProfile]:
        return [JobProfile.from_dict(doc).bind(self.platform) for doc in self.profile_docs]

    @cached_property
    def source(self) -> JobSource:
        """One job source, shared by every run of this scenario (as a user would)."""
        return JobSource(self.profiles, weights=self.weights,
                         arrivals=make_arrivals(self.arrival),
                         max_jobs=self.arrival["max_jobs"],
                         max_in_system=self.arrival["max_in_system"],
                         prefill=self.arrival["prefill"], noise_sigma=self.noise_sigma)

    @property
    def fault_events(self) -> list[FaultEvent]:
        return [FaultEvent(t, pe, kind) for t, pe, kind in self.faults_spec["scheduled"]]

    def fault_model(self) -> FaultModel:
        spec = self.faults_spec
        return FaultModel(self.fault_events, mtbf=spec["mtbf"], mttr=spec["mttr"],
                          pes=spec["pes"])

    @property
    def random_fault_pes(self) -> set[int]:
        return set(self.fault_model().random_pes(self.platform.num_pes))

    def policy(self) -> DVFSPolicy:
        return POLICIES[self.dvfs]()

    def simulator(self, seed: int | None = None) -> Simulator:
        """A fresh simulator for this scenario, keeping trace and job records."""
        extra = {} if self.queue_discipline == "fifo" else {
            "queue_discipline": self.queue_discipline}
        return Simulator(self.platform, self.source, seed=self.seed if seed is None else seed,
                         horizon=self.horizon, dvfs=self.policy(), faults=self.fault_model(),
                         keep_trace=True, keep_jobs=True, **extra)


@st.composite
def scenarios(draw: st.DrawFn, *, timing: str | None = None, faults: bool | str = True,
              noise: bool = True, horizon: bool | None = None) -> Scenario:
    """A random scenario; keyword arguments switch features off (or force a horizon).

    ``faults``: ``False`` (none), ``True`` (maybe) or ``"always"``.
    """
    platform_doc = draw(platform_docs(timing))
    platform = Platform.from_dict(platform_doc)
    type_names = platform.type_names
    n_profiles = draw(st.integers(1, 2))
    docs = [draw(profile_docs(type_names, name=f"p{k}")) for k in range(n_profiles)]
    weights = None
    if n_profiles > 1 and draw(st.booleans()):
        first = draw(st.sampled_from([1.0, 3.0]))  # keeps the sum positive
        weights = [first, *draw(st.lists(st.sampled_from([0.0, 1.0, 3.0]),
                                         min_size=n_profiles - 1, max_size=n_profiles - 1))]
    arrival = draw(arrival_specs([d["name"] for d in docs]))
    want_horizon = draw(st.booleans()) if horizon is None else horizon
    if arrival["max_jobs"] is None:
        want_horizon = True
    if horizon is False and arrival["max_jobs"] is None:
        arrival["max_jobs"] = 3
        want_horizon = False
    return Scenario(
        platform_doc=platform_doc,
        profile_docs=docs,
        weights=weights,
        arrival=arrival,
        noise_sigma=draw(st.sampled_from(NOISE)) if noise else 0.0,
        faults_spec=(draw(fault_specs(platform.num_pes, always=faults == "always")) if faults
                     else {"scheduled": [], "mtbf": None, "mttr": 100.0, "pes": None}),
        horizon=(draw(st.sampled_from([0.0, 25.0, 120.0, 400.0]))
                 if want_horizon else None),
        scheduler=draw(st.sampled_from(sorted(FACTORIES))),
        dvfs=draw(st.sampled_from(DVFS)),
        seed=draw(st.integers(0, 2**16)),
        queue_discipline=draw(st.sampled_from(QUEUE_DISCIPLINES)),
    )
