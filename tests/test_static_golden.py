"""Golden numbers of the static schedulers (docs: /work/shared/reference/scheduling.md, 1-3).

Each number is checked three ways: through the pure planning API, through
the simulator (the job as a batch of one; the executed schedule must equal
the plan) and through ``socsim schedule FILE --json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socsim import catalog
from socsim.agents.cpop import plan_cpop
from socsim.agents.exact import plan_optimal
from socsim.agents.heft import plan_heft
from socsim.agents.instance import load_instance
from socsim.agents.peft import plan_peft
from socsim.agents.planning import Plan, check_plan
from socsim.cli import main
from socsim.jobs import Batch, JobSource
from socsim.platform import Platform
from socsim.registry import make_scheduler
from socsim.simulator import Simulator
from socsim.workload import BoundProfile

DATA = Path(__file__).parent / "data"
CANONICAL = DATA / "canonical.json"
PEFT_EXAMPLE = DATA / "peft_example.json"

# The reference's HEFT schedule, processors P1..P3 written 0..2.
HEFT_CANONICAL = {
    "n1": (2, 0, 9), "n3": (2, 9, 28), "n4": (1, 18, 26), "n2": (0, 27, 40),
    "n5": (2, 28, 38), "n6": (1, 26, 42), "n9": (1, 56, 68), "n7": (2, 38, 49),
    "n8": (0, 57, 62), "n10": (1, 73, 80),
}
RANK_U = [108, 77, 80, 80, 69, 63.333, 42.667, 35.667, 44.333, 14.667]

MAKESPANS = [
    (CANONICAL, "heft", 80), (CANONICAL, "cpop", 86), (CANONICAL, "peft", 85),
    (CANONICAL, "optimal", 73),
    (PEFT_EXAMPLE, "peft", 122), (PEFT_EXAMPLE, "heft", 133), (PEFT_EXAMPLE, "optimal", 113),
]
PLANNERS = {"heft": plan_heft, "cpop": plan_cpop, "peft": plan_peft, "optimal": plan_optimal}


def canonical_builtin() -> BoundProfile:
    """The built-in canonical workload on the canonical3 platform (DS3 integer timing)."""
    return catalog.get_workload("canonical").bind(catalog.get_platform("canonical3"))


def names(plan: Plan) -> list[str]:
    return [plan.problem.names[t] for t in plan.order]


def simulate(platform: Platform, profile: BoundProfile, scheduler: str
             ) -> tuple[float, dict[str, tuple[int, float, float]], Plan]:
    """Run one job as a batch of one; return makespan, executed schedule and the plan."""
    sched = make_scheduler(scheduler)
    sim = Simulator(platform, JobSource([profile], arrivals=Batch(), max_jobs=1),
                    keep_trace=True)
    result = sim.run(sched)
    executed = {r.task: (r.pe, r.start, r.finish) for r in result.trace or []}
    assert sched.last_plan is not None
    return result.metrics["makespan"], executed, sched.last_plan


# ----------------------------------------------------------------- canonical example


@pytest.mark.parametrize("profile", [
    pytest.param(lambda: load_instance(CANONICAL).bound, id="instance-file"),
    pytest.param(canonical_builtin, id="builtin-ds3-timing"),
])
def test_heft_canonical_schedule_and_ranks(profile) -> None:
    plan = plan_heft(profile())
    assert plan.makespan == 80
    assert plan.by_name() == HEFT_CANONICAL
    assert names(plan) == ["n1", "n3", "n4", "n2", "n5", "n6", "n9", "n7", "n8", "n10"]
    assert plan.priority == pytest.approx(RANK_U, abs=1e-3)
    assert plan.info["rank_u"] == plan.priority
    assert check_plan(plan) == []


def test_cpop_canonical_critical_path() -> None:
    plan = plan_cpop(load_instance(CANONICAL).bound)
    assert plan.makespan == 86
    assert [plan.problem.names[t] for t in plan.info["critical_path"]] == \
        ["n1", "n2", "n9", "n10"]
    assert plan.info["critical_pe"] == {0: 1}  # P2 of the paper
    assert all(plan.pe[t] == 1 for t in plan.info["critical_path"])
    assert check_plan(plan) == []


def test_peft_canonical() -> None:
    plan = plan_peft(load_instance(CANONICAL).bound)
    assert plan.makespan == 85
    assert check_plan(plan) == []


# ----------------------------------------------------------------- PEFT paper example


def test_peft_paper_example() -> None:
    plan = plan_peft(load_instance(PEFT_EXAMPLE).bound)
    assert plan.makespan == 122
    assert names(plan) == ["T1", "T4", "T6", "T2", "T3", "T5", "T8", "T7", "T9", "T10"]
    assert plan.info["oct"][0] == [64, 68, 86]
    assert check_plan(plan) == []


def test_heft_on_peft_example() -> None:
    assert plan_heft(load_instance(PEFT_EXAMPLE).bound).makespan == 133


# ----------------------------------------------------------------- all three routes


@pytest.mark.parametrize(("path", "scheduler", "makespan"), MAKESPANS)
def test_pure_api(path: Path, scheduler: str, makespan: float) -> None:
    plan = PLANNERS[scheduler](load_instance(path).bound)
    assert plan.makespan == makespan
    assert check_plan(plan) == []


@pytest.mark.parametrize(("path", "scheduler", "makespan"), MAKESPANS)
def test_simulator_executes_the_plan(path: Path, scheduler: str, makespan: float) -> None:
    instance = load_instance(path)
    executed_makespan, executed, plan = simulate(instance.platform, instance.bound, scheduler)
    assert executed_makespan == plan.makespan == makespan
    assert executed == plan.by_name()


def test_simulator_on_builtin_canonical3_heft() -> None:
    makespan, executed, _ = simulate(catalog.get_platform("canonical3"), canonical_builtin(),
                                     "heft")
    assert makespan == 80
    assert executed == HEFT_CANONICAL


@pytest.mark.parametrize(("path", "scheduler", "makespan"), MAKESPANS)
def test_schedule_command_json(path: Path, scheduler: str, makespan: float,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", str(path), "--scheduler", scheduler, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["makespan"] == makespan
    assert len(doc["schedule"]) == 10


def test_schedule_command_heft_canonical_exact_schedule(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", str(CANONICAL), "--scheduler", "heft", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"makespan", "schedule"}
    assert doc["makespan"] == 80
    got = {row["task"]: (row["processor"], row["start"], row["finish"])
           for row in doc["schedule"]}
    assert got == HEFT_CANONICAL
