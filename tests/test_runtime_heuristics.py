"""Runtime heuristics: valid schedules everywhere, DS3 semantics on hand-made cases."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence

import pytest

from socsim import catalog
from socsim.agents import runtime
from socsim.agents.scenario import DEEPSOCS, Scenario
from socsim.jobs import Batch, JobSource
from socsim.platform import Platform
from socsim.registry import make_scheduler, scheduler_names
from socsim.results import SimulationResult
from socsim.scheduler import SchedulerView
from socsim.simulator import Simulator
from socsim.workload import BoundProfile, JobProfile

RUNTIME = [cls.name for cls in runtime.RUNTIME_SCHEDULERS]
ALL = [*RUNTIME, "met"]

DS3_SMALL = Scenario(jobs=25)  # DS3's default scenario, shortened
CANONICAL = DEEPSOCS.scenario.replace(horizon=1500.0)


def check_schedule(result: SimulationResult, profiles: Sequence[BoundProfile]) -> None:
    """Each task of each job ran once, after its inputs arrived, never overlapping on a PE."""
    by_name = {p.name: p for p in profiles}
    runs: dict[tuple[int, str], object] = {}
    for record in result.trace:
        assert record.status == "done"
        key = (record.job, record.task)
        assert key not in runs, f"{key} ran twice"
        runs[key] = record
    platform = result.platform
    for (_, task_name), record in runs.items():
        profile = by_name[record.profile]
        task = profile.profile.task_names.index(task_name)
        assert record.start >= record.ready - 1e-9
        for pred, volume in profile.preds[task]:
            before = runs.get((record.job, profile.profile.task_names[pred]))
            assert before is not None, f"{task_name} of job {record.job} ran before {pred}"
            arrival = before.finish + platform.transfer_time(before.pe, record.pe, volume)
            assert record.start >= arrival - 1e-9
    lanes = defaultdict(list)
    for record in runs.values():
        lanes[record.pe].append((record.start, record.finish))
    for spans in lanes.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end - 1e-9
    completed = {job.job for job in result.jobs if job.status == "completed"}
    for job in completed:
        profile = by_name[next(r.profile for r in runs.values() if r.job == job)]
        assert sum(1 for j, _ in runs if j == job) == profile.num_tasks


def run(scenario: Scenario, name: str, seed: int = 0) -> tuple[SimulationResult, list]:
    sim = scenario.simulator(seed, keep_trace=True, keep_jobs=True)
    return sim.run(make_scheduler(name)), list(sim.source.profiles)


def test_every_runtime_scheduler_is_registered() -> None:
    names = scheduler_names()
    for name in ("heft-rt", "heft-rt-comm", "etf", "eft", "stf", "eft-fifo", "round-robin",
                 "random", "min-energy", "min-edp", "eft-energy"):
        assert name in names


@pytest.mark.parametrize("name", ALL)
def test_valid_schedule_on_ds3_default(name: str) -> None:
    result, profiles = run(DS3_SMALL, name)
    assert result.metrics["completed"] == 25
    check_schedule(result, profiles)


@pytest.mark.parametrize("name", ALL)
def test_valid_schedule_on_canonical3(name: str) -> None:
    result, profiles = run(CANONICAL, name)
    assert result.metrics["completed"] > 10
    check_schedule(result, profiles)


def test_random_is_seeded() -> None:
    first, _ = run(CANONICAL, "random", seed=3)
    again, _ = run(CANONICAL, "random", seed=3)
    other, _ = run(CANONICAL, "random", seed=4)
    assert first.trace == again.trace and first.metrics == again.metrics
    assert [r.pe for r in first.trace] != [r.pe for r in other.trace]


def test_energy_aware_schedulers_spend_less_than_eft() -> None:
    scenario = Scenario(jobs=30)
    for seed in (0, 1):
        eft = scenario.simulator(seed).run(make_scheduler("eft")).metrics["energy_uj"]
        for name in ("min-energy", "min-edp", "eft-energy"):
            energy = scenario.simulator(seed).run(make_scheduler(name)).metrics["energy_uj"]
            assert energy < 0.9 * eft, name


# ------------------------------------------------------- hand-made cases
def tiny_platform() -> Platform:
    """Two single-PE types, FAST and SLOW, bandwidth 1 (a transfer takes its volume in us)."""
    return Platform.from_dict({
        "name": "pair", "timing": "ds3",
        "pe_types": [{"name": "SLOW", "opps": [{"mhz": 1000, "active_w": 1.0, "idle_w": 0.1}]},
                     {"name": "FAST", "opps": [{"mhz": 1000, "active_w": 3.0, "idle_w": 0.1}]}],
        "clusters": [{"name": "slow", "type": "SLOW"}, {"name": "fast", "type": "FAST"}],
        "interconnect": {"default_bandwidth": 1.0},
    })


def chain(platform: Platform) -> BoundProfile:
    """a (SLOW only) -> b (10 us on SLOW, 6 on FAST), edge volume 20."""
    return JobProfile.from_dict({
        "name": "chain",
        "tasks": [{"name": "a", "cost": {"SLOW": 5}},
                  {"name": "b", "cost": {"SLOW": 10, "FAST": 6}}],
        "edges": [["a", "b", 20]],
    }).bind(platform)


@pytest.mark.parametrize(("name", "pe_of_b"), [("heft-rt", 1), ("eft-fifo", 1),
                                               ("heft-rt-comm", 0), ("eft", 0), ("etf", 0),
                                               ("met", 1), ("min-energy", 0)])
def test_who_counts_the_transfer(name: str, pe_of_b: int) -> None:
    # On FAST, b would finish at 5 + 20 + 6 = 31; on SLOW, next to its input, at 15.
    # HEFT_RT (as DS3) ignores inputs from finished predecessors and picks FAST.
    platform = tiny_platform()
    source = JobSource([chain(platform)], arrivals=Batch(), max_jobs=1)
    result = Simulator(platform, source, keep_trace=True).run(make_scheduler(name))
    assert {r.task: r.pe for r in result.trace}["b"] == pe_of_b


class _Stub:
    """Just enough of a SchedulerView for the ordering helpers."""

    def __init__(self, costs: dict[int, float]) -> None:
        self.costs = costs

    def profile(self, job: int) -> object:
        return type("P", (), {"mean_cost": self.costs})()


def test_heft_rt_order_follows_ds3_entry_swap() -> None:
    # Ranks (mean costs) of tasks 0..3 of job 0: the top rank is shared by tasks 1 and 3.
    view: SchedulerView = _Stub({0: 5.0, 1: 9.0, 2: 7.0, 3: 9.0})  # type: ignore[assignment]
    ready = [(0, 0), (0, 1), (0, 2), (0, 3)]
    # Stable decreasing sort gives 1, 3, 2, 0; DS3's virtual entry swaps 1 behind 3.
    assert runtime.mean_cost_order(view, ready) == [(0, 3), (0, 1), (0, 2), (0, 0)]
    assert runtime.fifo_entry_order(ready) == [(0, 1), (0, 2), (0, 3), (0, 0)]


def test_etf_places_the_earliest_finishing_task_first() -> None:
    result, _ = run(CANONICAL.replace(horizon=200.0), "etf")
    first = min(result.trace, key=lambda r: (r.start, r.finish))
    # Three jobs wait at t = 0 with n1 ready: n1 on P3 (9 us) is the earliest finish.
    assert (first.task, first.pe, first.start, first.finish) == ("n1", 2, 0.0, 9.0)


def test_eft_energy_weight_is_checked() -> None:
    with pytest.raises(ValueError, match="energy_weight"):
        runtime.EftEnergy(1.5)
    assert runtime.EftEnergy(0.0).energy_weight == 0.0


def test_round_robin_cycles_over_pes() -> None:
    platform = catalog.get_platform("canonical3")
    profile = catalog.get_workload("canonical").bind(platform)
    source = JobSource([profile], arrivals=Batch(), max_jobs=1)
    result = Simulator(platform, source, keep_trace=True).run(make_scheduler("round-robin"))
    by_task = {r.task: r.pe for r in result.trace}
    # n1 alone first (PE 0); then n2..n6 become ready together and take PEs 1, 2, 0, 1, 2.
    assert [by_task[f"n{k}"] for k in range(1, 7)] == [0, 1, 2, 0, 1, 2]
