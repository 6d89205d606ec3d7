"""Properties of the static schedulers on random DAGs and platforms (Hypothesis).

- every plan is valid: precedence plus transfer time, no overlap on a PE,
  each task once on an eligible PE;
- the simulator executes a plan exactly when nothing is noisy (one job, a
  batch of jobs planned together, or jobs arriving over time);
- no heuristic beats CP-SAT's proven optimum, and no schedule beats the
  cheap lower bounds.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import Scenario, platform_docs, profile_docs, scenarios

from socsim.agents.bounds import critical_path_bound, lower_bound, total_work_bound
from socsim.agents.cpop import plan_cpop
from socsim.agents.exact import plan_optimal
from socsim.agents.heft import plan_heft
from socsim.agents.instance import instance_from_dict
from socsim.agents.peft import plan_peft
from socsim.agents.planning import Plan, Problem, check_plan, priority_order
from socsim.agents.static import StaticScheduler
from socsim.faults import FaultEvent, FaultModel
from socsim.jobs import Batch, FixedRate, JobSource
from socsim.platform import Platform
from socsim.registry import make_scheduler, scheduler_names
from socsim.simulator import Simulator
from socsim.workload import BoundProfile, JobProfile

PLANNERS = {"heft": plan_heft, "cpop": plan_cpop, "peft": plan_peft}


@st.composite
def instance_docs(draw: st.DrawFn, max_tasks: int = 7, max_processors: int = 3
                  ) -> dict[str, Any]:
    """A small instance document: integer costs (some null, some 0), symmetric bandwidth."""
    p = draw(st.integers(1, max_processors))
    n = draw(st.integers(1, max_tasks))
    tasks = {}
    for i in range(n):
        row = draw(st.lists(st.one_of(st.none(), st.integers(0, 20)), min_size=p, max_size=p))
        if all(v is None for v in row):
            row[draw(st.integers(0, p - 1))] = draw(st.integers(1, 20))
        tasks[f"t{i}"] = row
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
                          .filter(lambda e: e[0] < e[1]), unique=True, max_size=2 * n))
    edges = [[f"t{a}", f"t{b}", draw(st.integers(0, 20))] for a, b in pairs]
    rate = st.sampled_from([0.5, 1, 2, 4])
    bandwidth = [[0.0] * p for _ in range(p)]
    for a in range(p):
        for b in range(a + 1, p):
            bandwidth[a][b] = bandwidth[b][a] = draw(rate)
    return {"processors": p, "tasks": tasks, "edges": edges, "bandwidth": bandwidth}


@dataclass
class Case:
    """A random platform and DAGs, kept as plain documents so failures print readably."""

    platform_doc: dict[str, Any]
    profile_docs: list[dict[str, Any]]

    @cached_property
    def platform(self) -> Platform:
        return Platform.from_dict(self.platform_doc)

    @cached_property
    def profiles(self) -> list[BoundProfile]:
        return [JobProfile.from_dict(d).bind(self.platform) for d in self.profile_docs]


@st.composite
def cases(draw: st.DrawFn, max_jobs: int = 1, max_tasks: int = 10,
          keep_dvfs: bool = True) -> Case:
    """A platform from the simulator's strategies (clusters, latencies, DS3 timing) and DAGs.

    ``keep_dvfs=False`` removes ``reference_mhz`` so that the simulator runs
    every task at its tabulated time (the pure planning API's assumption).
    """
    doc = draw(platform_docs())
    if not keep_dvfs:
        doc = copy.deepcopy(doc)
        for pe_type in doc["pe_types"]:
            pe_type.pop("reference_mhz", None)
    type_names = [t["name"] for t in doc["pe_types"]]
    count = draw(st.integers(1, max_jobs))
    return Case(doc, [draw(profile_docs(type_names, name=f"p{k}", max_tasks=max_tasks))
                      for k in range(count)])


class Recorder(StaticScheduler):
    """A static scheduler that keeps every plan it makes."""

    def __init__(self, name: str) -> None:
        super().__init__(name, self._plan)
        self.plans: list[Plan] = []
        self._planner = PLANNERS[name]

    def _plan(self, problem: Problem) -> Plan:
        plan = self._planner(problem)
        self.plans.append(plan)
        return plan


def run(platform: Platform, profiles: list[BoundProfile], scheduler: Any, *,
        jobs: int = 1, period: float | None = None, faults: FaultModel | None = None
        ) -> Any:
    arrivals = Batch() if period is None else FixedRate(period)
    source = JobSource(profiles, arrivals=arrivals, max_jobs=jobs)
    return Simulator(platform, source, seed=1, keep_trace=True, faults=faults).run(scheduler)


def planned(plans: list[Plan]) -> dict[tuple[int, int], tuple[int, float, float]]:
    """(job, task) -> (pe, start, finish) over several plans."""
    out = {}
    for plan in plans:
        problem = plan.problem
        for t in range(problem.num_tasks):
            out[(problem.job_of[t], problem.local[t])] = (plan.pe[t], plan.start[t],
                                                          plan.finish[t])
    return out


def executed(result: Any, profiles: dict[int, BoundProfile]
             ) -> dict[tuple[int, int], tuple[int, float, float]]:
    """(job, task) -> (pe, start, finish) from a trace."""
    out = {}
    for r in result.trace:
        task = profiles[r.job].profile.task_names.index(r.task)
        out[(r.job, task)] = (r.pe, r.start, r.finish)
    return out


def assert_same_schedule(plan_rows: dict, exec_rows: dict) -> None:
    assert plan_rows.keys() == exec_rows.keys()
    for key, (pe, start, finish) in plan_rows.items():
        got = exec_rows[key]
        assert got[0] == pe, key
        assert got[1] == pytest.approx(start, rel=1e-9, abs=1e-9), key
        assert got[2] == pytest.approx(finish, rel=1e-9, abs=1e-9), key


# --------------------------------------------------------------------------- validity


@settings(max_examples=60)
@given(cases(max_jobs=3))
def test_heuristic_plans_are_valid(case: Case) -> None:
    profiles = case.profiles
    for name, planner in PLANNERS.items():
        plan = planner(profiles)
        assert check_plan(plan) == [], name
        assert sorted(plan.order) == list(range(plan.problem.num_tasks))
        assert plan.makespan >= lower_bound(profiles) - 1e-9


@settings(max_examples=40)
@given(cases(max_jobs=3), st.sampled_from(sorted(PLANNERS)),
       st.sampled_from([None, 5.0, 40.0]))
def test_simulator_executes_every_plan(case: Case, name: str, period: float | None) -> None:
    """A batch of jobs planned together, or jobs arriving over time, each planned at arrival."""
    platform, profiles = case.platform, case.profiles
    scheduler = Recorder(name)
    jobs = len(profiles) if period is None else 4
    result = run(platform, profiles, scheduler, jobs=jobs, period=period)
    assert result.metrics["completed"] == jobs
    for plan in scheduler.plans:
        assert check_plan(plan) == []
    sim_profiles = {r.job: next(p for p in profiles if p.name == r.profile)
                    for r in result.trace}
    assert_same_schedule(planned(scheduler.plans), executed(result, sim_profiles))
    assert result.metrics["makespan"] == pytest.approx(
        max(p.makespan for p in scheduler.plans), rel=1e-9, abs=1e-9)


@settings(max_examples=40)
@given(cases(keep_dvfs=False))
def test_heft_planned_makespan_equals_executed(case: Case) -> None:
    platform, profiles = case.platform, case.profiles
    plan = plan_heft(profiles[0])
    result = run(platform, profiles, make_scheduler("heft"))
    assert result.metrics["makespan"] == plan.makespan


# --------------------------------------------------------------------------- optimum, bounds


@settings(max_examples=40)
@given(instance_docs())
def test_no_heuristic_beats_the_optimum(doc: dict[str, Any]) -> None:
    instance = instance_from_dict(doc)
    profile = instance.bound
    best = plan_optimal(profile, time_limit=10.0)
    assert check_plan(best) == []
    bound = lower_bound(profile)
    assert best.makespan >= bound - 1e-9
    assert best.lower_bound is not None and best.lower_bound <= best.makespan + 1e-9
    for name, planner in PLANNERS.items():
        plan = planner(profile)
        assert plan.makespan >= bound - 1e-9, name
        if best.status == "optimal":
            assert plan.makespan >= best.makespan - 1e-9, name


@settings(max_examples=15)
@given(instance_docs(max_tasks=6))
def test_every_scheduler_respects_the_lower_bounds(doc: dict[str, Any]) -> None:
    """Any registered scheduler (runtime heuristics too), run in the simulator."""
    instance = instance_from_dict(doc)
    bound = max(critical_path_bound(instance.bound), total_work_bound(instance.bound))
    for name in scheduler_names():
        if name == "optimal":
            continue
        result = run(instance.platform, [instance.bound], make_scheduler(name))
        assert result.metrics["completed"] == 1, name
        assert result.metrics["makespan"] >= bound - 1e-9, name


@settings(max_examples=15)
@given(instance_docs(max_tasks=5))
def test_optimal_plan_is_executed_exactly(doc: dict[str, Any]) -> None:
    instance = instance_from_dict(doc)
    scheduler = make_scheduler("optimal")
    result = run(instance.platform, [instance.bound], scheduler)
    plan = scheduler.last_plan
    assert result.metrics["makespan"] == pytest.approx(plan.makespan, abs=1e-9)
    assert_same_schedule(planned([plan]), executed(result, {0: instance.bound}))


# --------------------------------------------------------------------------- units


def test_priority_order_ties_within_tolerance_go_to_lower_id() -> None:
    values = [5.0, 80.0, 79.99999999999999, 80.0 + 1e-12, 108.0, 3.0]
    assert priority_order(values) == [4, 1, 2, 3, 0, 5]


def test_zero_costs_with_equal_ranks_keep_precedence() -> None:
    """Edge t1 -> t0 with zero costs: equal ranks, yet t1 must be placed first."""
    doc = {"processors": 2, "tasks": {"a": [0, 0], "b": [0, 0]}, "edges": [["b", "a", 0]]}
    profile = instance_from_dict(doc).bound
    for planner in PLANNERS.values():
        plan = planner(profile)
        assert check_plan(plan) == []
        assert plan.order == [1, 0]


def test_insertion_fills_an_idle_gap() -> None:
    """b waits for a's large output on P1; c is independent and fits in the gap before it."""
    doc = {"processors": 2,
           "tasks": {"a": [1, None], "b": [None, 5], "c": [None, 2], "d": [100, None]},
           "edges": [["a", "b", 10], ["d", "c", 0]]}
    plan = plan_heft(instance_from_dict(doc).bound)
    times = plan.by_name()
    # d (rank 100+) goes first on P0, then a after it; b on P1 at a's finish + 10.
    assert check_plan(plan) == []
    assert times["c"][0] == 1 and times["c"][1] >= times["d"][2]


def test_plans_from_several_profiles_are_joint() -> None:
    doc = {"processors": 2, "tasks": {"a": [3, 4], "b": [2, 2]}, "edges": [["a", "b", 1]]}
    profile = instance_from_dict(doc).bound
    plan = plan_heft([profile, profile])
    assert plan.problem.names == ["j0:a", "j0:b", "j1:a", "j1:b"]
    assert check_plan(plan) == []
    assert plan.makespan < 2 * plan_heft(profile).makespan


def test_pe_ready_delays_the_plan() -> None:
    doc = {"processors": 2, "tasks": {"a": [3, 4]}, "edges": []}
    profile = instance_from_dict(doc).bound
    plan = plan_heft(profile, pe_ready=[10.0, 0.0])
    assert plan.by_name() == {"a": (1, 0.0, 4.0)}
    assert check_plan(plan) == []
    assert plan_heft(profile, pe_ready=[0.0, 10.0]).by_name() == {"a": (0, 0.0, 3.0)}


@pytest.mark.parametrize("name", sorted(PLANNERS))
def test_static_schedulers_survive_pe_failures(name: str) -> None:
    from socsim import catalog

    platform = catalog.get_platform("canonical3")
    profile = catalog.get_workload("canonical").bind(platform)
    faults = FaultModel(scheduled=(FaultEvent(20.0, 1, "fail"), FaultEvent(150.0, 1, "recover"),
                                   FaultEvent(60.0, 2, "fail")))
    result = run(platform, [profile], make_scheduler(name), jobs=5, period=10.0, faults=faults)
    assert result.metrics["completed"] == 5


@settings(max_examples=60)
@given(scenarios(faults="always"), st.sampled_from(sorted(PLANNERS)))
def test_static_schedulers_never_leave_a_job_stuck(scn: Scenario, name: str) -> None:
    """Noise, faults, DVFS, caps and horizons: every job ends (or is cut by the horizon)."""
    sim = scn.simulator()
    result = sim.run(make_scheduler(name))
    m = result.metrics
    if scn.horizon is None:
        assert m["completed"] + m["failed"] == m["injected"]
    else:
        assert m["completed"] + m["failed"] + m["in_system"] == m["injected"]
