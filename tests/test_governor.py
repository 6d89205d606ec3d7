"""DVFS governors at run time (DS3's ondemand) and DS3's constant-<MHz> policy."""

from __future__ import annotations

import pytest
from fork_helpers import fork_and_finish

from socsim.dvfs import Constant, Ondemand, make_policy
from socsim.errors import ScenarioError
from socsim.jobs import FixedRate, JobSource
from socsim.platform import Platform
from socsim.registry import make_scheduler
from socsim.scenario import Scenario
from socsim.schedulers import MinimumExecutionTime
from socsim.simulator import Simulator
from socsim.workload import JobProfile

OPPS = [{"mhz": 500, "active_w": 0.5, "idle_w": 0.05}, {"mhz": 1000, "active_w": 1.0,
        "idle_w": 0.1}, {"mhz": 2000, "active_w": 2.0, "idle_w": 0.2}]


def platform(cores: int = 1) -> Platform:
    return Platform.from_dict({"name": "dvfs", "pe_types": [{"name": "CPU", "opps": OPPS}],
                               "clusters": [{"name": "cpu", "type": "CPU", "count": cores}]})


def profile(plat: Platform, costs: list[float]) -> object:
    return JobProfile.from_dict({"name": "j", "tasks": [
        {"name": f"t{k}", "cost": {"CPU": c}} for k, c in enumerate(costs)]}).bind(plat)


def test_ondemand_slows_an_idle_cluster_and_races_when_it_is_busy() -> None:
    plat = platform()
    source = JobSource([profile(plat, [100.0])], arrivals=FixedRate(200), max_jobs=2)
    sim = Simulator(plat, source, dvfs=Ondemand(), keep_trace=True)
    result = sim.run(MinimumExecutionTime())
    first, second = result.trace
    # 0..100 busy at 2000 MHz; idle periods step down at t = 110 (1000) and 120 (500).
    assert (first.start, first.finish) == (0, 100)
    # The second job starts at 500 MHz (4x slower) at t = 200; at t = 210 the period was
    # fully busy, so the cluster races: 10 us did 2.5 us of work, 97.5 us are left at 2000.
    assert (second.start, second.finish) == (200, pytest.approx(307.5))
    assert second.energy == pytest.approx(0.5 * 10 + 2.0 * 97.5)
    assert result.metrics["energy_uj"] == pytest.approx(sim.energy_so_far())


def test_ondemand_sums_the_utilisation_of_a_clusters_cores() -> None:
    """DS3 compares the mean busy fraction times the core count (the sum) with 0.8 and 0.3."""
    governor = Ondemand()
    pe_type = platform().types[0]
    assert governor.next_opp(pe_type, 0, 0.9) == 2  # e.g. two cores 45 % busy
    assert governor.next_opp(pe_type, 2, 0.5) == 2
    assert governor.next_opp(pe_type, 2, 0.2) == 1
    assert governor.next_opp(pe_type, 0, 0.0) == 0


def test_without_a_governor_a_run_has_no_governor_events() -> None:
    plat = platform()
    source = JobSource([profile(plat, [100.0])], arrivals=FixedRate(200), max_jobs=2)
    sim = Simulator(plat, source, keep_trace=True)
    result = sim.run(MinimumExecutionTime())
    assert [r.finish for r in result.trace] == [100, 300]
    assert sim._next_tick == float("inf")


def test_constant_picks_the_point_at_or_below_the_frequency() -> None:
    pe_type = platform().types[0]
    assert [Constant(mhz).busy_opp(pe_type, 0) for mhz in (500, 1500, 2000, 100)] == [0, 1, 2, 0]
    assert isinstance(make_policy("constant-1000"), Constant)
    with pytest.raises(ValueError, match="constant-1000"):
        make_policy("constant-fast")
    with pytest.raises(ScenarioError, match=r"Scenario\.dvfs: is 'turbo'"):
        Scenario(dvfs="turbo").simulator(0)


def test_an_exact_fork_under_ondemand_replays_the_run() -> None:
    from socsim.agents.scenario import PRESETS

    runs = fork_and_finish(PRESETS["ds3-default"].scenario.replace(
        dvfs="ondemand", jobs=30).simulator(2), make_scheduler("met"), 100)
    first, second = ((r.energy_so_far(), r.makespan, list(r._cluster_opp)) for r in runs)
    assert first == second


def test_ondemand_on_ds3s_soc_saves_energy_for_some_latency() -> None:
    from socsim.agents.scenario import PRESETS

    base = PRESETS["ds3-default"].scenario.replace(jobs=40)
    fast = base.simulator(0).run(make_scheduler("etf")).metrics
    eco = base.replace(dvfs="ondemand").simulator(0).run(make_scheduler("etf")).metrics
    assert eco["energy_uj"] < fast["energy_uj"]
    assert eco["mean_latency"] >= fast["mean_latency"]


def test_frequency_temperature_and_power_series_reach_the_exports(tmp_path) -> None:
    import json

    from socsim.agents.scenario import PRESETS
    from socsim.export import export_result

    scenario = PRESETS["ds3-default"].scenario.replace(dvfs="ondemand", jobs=10)
    result = scenario.simulator(0, keep_trace=True).run(make_scheduler("etf"))
    series = result.extra["power_series"]
    names = {name for _, name, _ in series}
    assert {"temperature_c", "power_w", "frequency_mhz:A15", "frequency_mhz:A7"} <= names
    temperature_times = [t for t, name, _ in series if name == "temperature_c"]
    assert temperature_times[:3] == [20.0, 40.0, 60.0]  # DS3's 20 us thermal period
    written = export_result(result, tmp_path)
    rows = written["power_series"].read_text().splitlines()
    assert rows[0] == "time_us,series,value" and len(rows) == len(series) + 1
    events = json.loads(written["chrome_trace"].read_text())["traceEvents"]
    assert sum(e["ph"] == "C" for e in events) == len(series)


def test_warmup_under_a_governor_measures_from_the_warmup_instant() -> None:
    plat = platform()
    source = JobSource([profile(plat, [100.0])], arrivals=FixedRate(200), max_jobs=2)
    whole = Simulator(plat, source, dvfs=Ondemand()).run(MinimumExecutionTime()).metrics
    later = Simulator(plat, source, dvfs=Ondemand(), warmup=15).run(
        MinimumExecutionTime()).metrics
    # 0..15: the first task at 2000 MHz, 2 W: 30 uJ left out.
    assert whole["energy_uj"] - later["energy_uj"] == pytest.approx(30.0)
    assert (later["injected"], later["completed"]) == (1, 1)
