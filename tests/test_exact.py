"""The CP-SAT reference and the cheap lower bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from socsim import catalog
from socsim.agents.bounds import critical_path_bound, lower_bound, total_work_bound
from socsim.agents.exact import plan_optimal
from socsim.agents.heft import plan_heft
from socsim.agents.instance import instance_from_dict, load_instance
from socsim.agents.planning import Problem, check_plan, compact_plan
from socsim.jobs import Batch, JobSource
from socsim.registry import make_scheduler
from socsim.simulator import Simulator

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(("name", "optimum"), [("canonical", 73), ("peft_example", 113)])
def test_golden_optima_are_proven(name: str, optimum: float) -> None:
    plan = plan_optimal(load_instance(DATA / f"{name}.json").bound, time_limit=30)
    assert plan.status == "optimal"
    assert plan.makespan == optimum
    assert plan.lower_bound == optimum
    assert plan.info["exact_times"] and plan.info["scale"] == 1
    assert check_plan(plan) == []


def test_optimum_on_builtin_canonical3_with_ds3_timing() -> None:
    platform = catalog.get_platform("canonical3")
    profile = catalog.get_workload("canonical").bind(platform)
    assert plan_optimal(profile, time_limit=30).makespan == 73


def test_optimal_scheduler_executes_its_plan() -> None:
    instance = load_instance(DATA / "canonical.json")
    scheduler = make_scheduler("optimal")
    sim = Simulator(instance.platform, JobSource([instance.bound], arrivals=Batch(), max_jobs=1),
                    keep_trace=True)
    result = sim.run(scheduler)
    assert result.metrics["makespan"] == 73
    executed = {r.task: (r.pe, r.start, r.finish) for r in result.trace}
    assert executed == scheduler.last_plan.by_name()


def test_lower_bounds_of_the_canonical_example() -> None:
    profile = load_instance(DATA / "canonical.json").bound
    # n1 n2 n9 n10 at their least costs: 9 + 13 + 12 + 7 (with communication ignored).
    assert critical_path_bound(profile) == 41
    assert total_work_bound(profile) == pytest.approx((9 + 13 + 11 + 8 + 10 + 9 + 7 + 5 + 12 + 7)
                                                      / 3)
    assert lower_bound(profile) == 41


def test_bounds_honour_busy_pes() -> None:
    doc = {"processors": 2, "tasks": {"a": [4, 6]}, "edges": []}
    profile = instance_from_dict(doc).bound
    problem = Problem.from_profiles(profile, pe_ready=[10.0, 1.0])
    assert critical_path_bound(problem) == 7  # on P1: 1 + 6 beats P0: 10 + 4
    assert total_work_bound(problem) == 1 + 4 / 2
    plan = plan_optimal(problem, time_limit=5)
    assert plan.makespan == 7 and plan.status == "optimal"
    assert check_plan(plan) == []


def test_fractional_costs_are_scaled_exactly() -> None:
    doc = {"processors": 2, "tasks": {"a": [1.5, 2.25], "b": [0.5, 3], "c": [2, 1.75]},
           "edges": [["a", "b", 1], ["a", "c", 0.5]], "bandwidth": [[0, 2], [2, 0]]}
    plan = plan_optimal(instance_from_dict(doc).bound, time_limit=5)
    assert plan.info["exact_times"] and plan.info["scale"] == 4
    assert plan.status == "optimal"
    assert check_plan(plan) == []
    assert plan.makespan <= plan_heft(instance_from_dict(doc).bound).makespan


def test_inexact_costs_are_rounded_and_the_plan_stays_valid() -> None:
    doc = {"processors": 2, "tasks": {"a": [1 / 3, 2 / 7], "b": [0.1234567891, 1 / 9]},
           "edges": [["a", "b", 1 / 11]]}
    plan = plan_optimal(instance_from_dict(doc).bound, time_limit=5)
    assert not plan.info["exact_times"]
    assert plan.status in ("optimal", "feasible")
    assert check_plan(plan) == []
    assert plan.lower_bound <= plan.makespan + 1e-12


def test_several_profiles_are_solved_jointly() -> None:
    profile = load_instance(DATA / "canonical.json").bound
    plan = plan_optimal([profile, profile], time_limit=30)
    assert check_plan(plan) == []
    assert plan.problem.num_tasks == 20
    assert plan.lower_bound <= plan.makespan <= plan_heft([profile, profile]).makespan


def test_time_limit_gives_a_feasible_plan_at_least() -> None:
    platform = catalog.get_platform("canonical3")
    profile = catalog.get_workload("canonical").bind(platform)
    plan = plan_optimal([profile] * 4, time_limit=0.05, workers=1)
    assert plan.status in ("optimal", "feasible")
    assert check_plan(plan) == []
    assert plan.lower_bound is not None and plan.lower_bound <= plan.makespan


def test_zero_length_tasks_do_not_sit_inside_another() -> None:
    doc = {"processors": 1, "tasks": {"a": [10], "z": [0], "b": [3]},
           "edges": [["z", "b", 0]]}
    plan = plan_optimal(instance_from_dict(doc).bound, time_limit=5)
    assert plan.makespan == 13
    assert check_plan(plan) == []


def test_compact_plan_rejects_orders_against_the_graph() -> None:
    doc = {"processors": 1, "tasks": {"a": [1], "b": [1]}, "edges": [["a", "b", 0]]}
    problem = Problem.from_profiles(instance_from_dict(doc).bound)
    with pytest.raises(ValueError, match="contradict"):
        compact_plan(problem, [0, 0], [[1, 0]], "manual")
