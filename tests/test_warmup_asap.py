"""DS3's warm-up period (metrics from a time on) and inject-as-soon-as-possible arrivals."""

from __future__ import annotations

import pytest
from fork_helpers import fork_and_finish

from socsim.jobs import FixedRate, JobSource
from socsim.platform import Platform
from socsim.scenario import Scenario
from socsim.schedulers import MinimumExecutionTime
from socsim.simulator import Simulator
from socsim.workload import JobProfile


def one_pe() -> tuple[Platform, object]:
    platform = Platform.from_dict({"name": "one", "pe_types": [{"name": "CPU", "opps": [
        {"mhz": 1000, "active_w": 1.0, "idle_w": 0.1}]}], "clusters": [
        {"name": "cpu", "type": "CPU"}]})
    profile = JobProfile.from_dict({"name": "j", "tasks": [
        {"name": "t", "cost": {"CPU": 10}}]}).bind(platform)
    return platform, profile


def test_warmup_leaves_early_jobs_and_energy_out_of_the_metrics() -> None:
    platform, profile = one_pe()
    source = JobSource([profile], arrivals=FixedRate(20), max_jobs=2)  # jobs at 0 and 20
    whole = Simulator(platform, source).run(MinimumExecutionTime()).metrics
    measured = Simulator(platform, source, warmup=15).run(MinimumExecutionTime()).metrics
    assert (whole["injected"], whole["completed"], whole["energy_uj"]) == (2, 2, 20 + 0.1 * 10)
    # From t = 15: idle 15..20 (0.5 uJ), the second job 20..30 (10 uJ).
    assert (measured["injected"], measured["completed"]) == (1, 1)
    assert measured["mean_latency"] == 10 and measured["censored_mean_latency"] == 10
    assert measured["energy_uj"] == pytest.approx(10.5)
    assert measured["throughput"] == pytest.approx(1 / 15 * 1e6)
    assert measured["utilisation"] == pytest.approx(10 / 15)
    assert measured["makespan"] == whole["makespan"] == 30


def test_warmup_during_a_running_task_counts_only_its_measured_part() -> None:
    platform, profile = one_pe()
    source = JobSource([profile], arrivals=FixedRate(20), max_jobs=2)
    measured = Simulator(platform, source, warmup=4).run(MinimumExecutionTime()).metrics
    # The first job (arrived at 0) is not measured, but its run 4..10 is energy in the window.
    assert (measured["injected"], measured["completed"], measured["mean_latency"]) == (1, 1, 10)
    assert measured["energy_uj"] == pytest.approx(6 + 0.1 * 10 + 10)


def test_inject_asap_sends_the_next_job_when_one_completes() -> None:
    platform, profile = one_pe()
    timer = JobSource([profile], arrivals=FixedRate(100), max_jobs=5)
    asap = JobSource([profile], arrivals=FixedRate(100), max_jobs=5, inject_asap=True)
    sim_timer, sim_asap = Simulator(platform, timer, keep_jobs=True), \
        Simulator(platform, asap, keep_jobs=True)
    plain = sim_timer.run(MinimumExecutionTime())
    eager = sim_asap.run(MinimumExecutionTime())
    assert [j.arrival for j in plain.jobs] == [0, 100, 200, 300, 400]
    assert [j.arrival for j in eager.jobs] == [0, 10, 20, 30, 40]  # each at the last finish
    assert eager.metrics["makespan"] == 50 and eager.metrics["completed"] == 5


def test_scenario_and_cli_carry_both() -> None:
    from socsim.cli import build_parser, scenario_from_args

    args = build_parser().parse_args(["simulate", "--warmup", "1000", "--inject-asap"])
    scenario = scenario_from_args(args)
    assert (scenario.warmup, scenario.inject_asap) == (1000.0, True)
    sim = scenario.simulator(0)
    assert sim.warmup == 1000.0 and sim.source.inject_asap
    result = sim.run(MinimumExecutionTime())
    assert result.metrics["injected"] < Scenario().simulator(0).source.max_jobs


def test_a_fork_keeps_its_own_warmup_counts() -> None:
    scenario = Scenario(jobs=30, warmup=2000.0, inject_asap=True)
    runs = fork_and_finish(scenario.simulator(3), MinimumExecutionTime(), 60, history=True)
    first, second = (r.result("met").metrics for r in runs)
    assert first == second
    assert first["injected"] < 30
