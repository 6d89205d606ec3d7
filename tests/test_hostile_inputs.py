"""Hostile and careless inputs (issue: safe and unbreakable): hangs, faults, env arguments.

Each test is a reproducer of a fault found by trying the tool as a careless
or hostile user would; it asserts the clear error (or the right behaviour)
that replaced a hang, a traceback or a silent acceptance.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hostile_helpers import run_with_alarm

import socsim  # noqa: F401  (registers the environments)
from socsim import catalog
from socsim.agents.scenario import PRESETS
from socsim.errors import SchedulingError
from socsim.faults import FaultEvent, FaultModel
from socsim.jobs import FixedRate, JobSource
from socsim.simulator import Simulator


class PlacesNothing:
    """A scheduler that never places a task."""

    name = "nothing"

    def reset(self, view, rng) -> None:
        pass

    def decide(self, view) -> list:
        return []


class FirstEligible:
    """Places every ready task on its first live eligible PE (a simple, complete scheduler)."""

    name = "first-eligible"

    def reset(self, view, rng) -> None:
        pass

    def decide(self, view):
        for job, task in list(view.ready):
            pes = [pe for pe in view.eligible_pes(job, task) if view.is_alive(pe)]
            if pes:
                yield job, task, pes[0]


# ------------------------------------------------------------------ hangs
def test_retrying_arrivals_without_horizon_end_with_the_stuck_error() -> None:
    scenario = PRESETS["deepsocs"].scenario.replace(horizon=None, jobs=100)
    sim = scenario.simulator(0)
    with pytest.raises(SchedulingError, match=r"stuck at t=.*turned away while the system is full"):
        run_with_alarm(lambda: sim.run(PlacesNothing()), seconds=20)


def test_deepsocs_assign_wait_without_horizon_never_hangs() -> None:
    env = gym.make("socsim/DeepSoCS-v0", action_mode="assign", horizon=None,
                   invalid_action="raise").unwrapped
    _, info = env.reset(seed=0)
    # The system is full (3 jobs pre-filled) and nothing runs: waiting would stall it.
    assert info["action_mask"][env.wait_action] == 0
    with pytest.raises(ValueError, match="wait"):
        env.step(env.wait_action)
    _, info = env.reset(seed=0)
    # A waiting-first policy never hangs and the episode ends.
    rng = np.random.default_rng(0)

    def play() -> int:
        nonlocal info
        for step in range(5000):
            mask = info["action_mask"]
            action = env.wait_action if mask[env.wait_action] else int(
                rng.choice(np.flatnonzero(mask)))
            _, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                return step
        return -1

    assert run_with_alarm(play, seconds=60) > 0


# ----------------------------------------------------------------- faults
def _canonical_run(faults: FaultModel, jobs: int = 40, seed: int = 0) -> Simulator:
    platform = catalog.get_platform("canonical3")
    profile = catalog.get_workload("canonical").bind(platform)
    source = JobSource([profile], arrivals=FixedRate(20.0), max_jobs=jobs)
    sim = Simulator(platform, source, seed=seed, faults=faults, keep_trace=True, keep_jobs=True)
    sim.run(FirstEligible())
    return sim


def test_overlapping_fault_windows_combine() -> None:
    p1 = catalog.get_platform("canonical3").pe_names.index("P1")
    faults = FaultModel(scheduled=(FaultEvent(20, p1, "fail"), FaultEvent(60, p1, "recover"),
                                   FaultEvent(40, p1, "fail"), FaultEvent(200, p1, "recover")))
    sim = _canonical_run(faults)
    on_p1 = [r for r in sim.trace if r.pe == p1]
    assert on_p1, "P1 runs tasks outside its windows"
    assert not [r for r in on_p1 if r.start < 200 and r.finish > 20], \
        "P1 ran a task while a fault window held it down"


def test_cli_overlapping_windows(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    from socsim.cli import main
    assert main(["simulate", "--platform", "canonical3", "--workload", "canonical",
                 "--jobs", "30", "--interarrival", "20", "--scheduler", "etf",
                 "--fail", "P1@20-60", "--fail", "P1@40-200", "--out", str(tmp_path)]) == 0
    import csv
    rows = list(csv.DictReader((tmp_path / "trace.csv").open()))
    assert rows
    inside = [r for r in rows if r["pe_name"] == "P1" and float(r["start"]) < 200
              and float(r["finish"]) > 20]
    assert not inside


def test_random_repair_never_revives_a_permanently_failed_pe() -> None:
    p1 = catalog.get_platform("canonical3").pe_names.index("P1")
    faults = FaultModel(scheduled=(FaultEvent(50, p1, "fail"),), mtbf=300.0, mttr=50.0)
    for seed in range(5):
        sim = _canonical_run(faults, jobs=60, seed=seed)
        assert not [r for r in sim.trace if r.pe == p1 and r.start >= 50], seed
        assert not sim.pe_alive[p1]


# ---------------------------------------------------- environment arguments
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"time_scale": float("nan")}, "time_scale must be a finite number > 0"),
    ({"time_scale": -1.0}, "time_scale must be a finite number > 0"),
    ({"time_scale": 0}, "time_scale must be a finite number > 0"),
    ({"energy_scale": 0}, "energy_scale must be a finite number > 0"),
    ({"energy_scale": float("inf")}, "energy_scale must be a finite number > 0"),
    ({"max_nodes": 0}, "max_nodes must be an integer >= 1"),
    ({"max_pes": 2.5}, "max_pes must be an integer >= 1"),
    ({"invalid_action": "ignore"}, "invalid_action must be one of"),
])
def test_bad_env_arguments_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gym.make("socsim/DAGSchedule-v0", **kwargs)


@pytest.mark.parametrize("action", [0.7, "0", 1.0, True, np.float32(0.0), np.array([0.2])])
def test_actions_that_are_not_integers_are_refused(action: object) -> None:
    env = gym.make("socsim/DAGSchedule-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be an integer"):
        env.step(action)


@pytest.mark.parametrize("action", [0, np.int64(0), np.array(0), np.array([0])])
def test_integer_actions_of_every_usual_type_are_taken(action: object) -> None:
    env = gym.make("socsim/DAGSchedule-v0").unwrapped
    env.reset(seed=0)
    _, _, _, _, info = env.step(action)
    assert "invalid_action" not in info


@pytest.mark.parametrize("seed", [1.9, "3", -1, True])
def test_bad_sim_seed_is_refused(seed: object) -> None:
    env = gym.make("socsim/DeepSoCS-v0").unwrapped
    with pytest.raises(ValueError, match="'sim_seed' must be an integer >= 0"):
        env.reset(options={"sim_seed": seed})


def test_unknown_reset_option_is_reported() -> None:
    # A warning rather than an error: PettingZoo's api_test passes options of its own.
    env = gym.make("socsim/DeepSoCS-v0").unwrapped
    with pytest.warns(UserWarning, match=r"ignoring unknown option.*'sim_sed'"):
        env.reset(options={"sim_sed": 3})


def test_reset_refuses_an_episode_that_is_over_before_it_starts() -> None:
    env = gym.make("socsim/DAGSchedule-v0", fail=["P1@0", "P2@0", "P3@0"]).unwrapped
    with pytest.raises(ValueError, match=r"over before its first decision.*1 failed: task n1 "
                                         r"has no live eligible PE.*fix the scenario"):
        env.reset(seed=0)


@pytest.mark.parametrize("value", ["", ",", "etf,,heft-rt", " "])
def test_compare_refuses_empty_scheduler_names(value: str, capsys: pytest.CaptureFixture[str],
                                               tmp_path) -> None:
    from socsim.cli import main
    assert main(["compare", "--schedulers", value, "--seeds", "1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--schedulers" in err and "empty name" in err and "etf,heft-rt" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["--horizon", "1e308"], "horizon must be a time in [0, 1e+15] us"),
    (["--mtbf", "1e308"], "mtbf and mttr must be times in (0, 1e+15] us"),
    (["--mtbf", "100", "--mttr", "1e308"], "mtbf and mttr must be times"),
    (["--fail", "0@1e308"], "fault 0: time must be in [0, 1e+15] us"),
])
def test_huge_times_are_refused(argv: list[str], message: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    from socsim.cli import main
    assert main(["simulate", "--scheduler", "met", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_random_faults_without_horizon_cannot_spin_for_ever() -> None:
    # Random failures and repairs never stop on their own: with a scheduler that places
    # nothing and no horizon, the run used to cycle through them for ever.
    platform = catalog.get_platform("canonical3")
    source = JobSource([catalog.get_workload("canonical").bind(platform)], max_jobs=2)
    sim = Simulator(platform, source, seed=0, faults=FaultModel(mtbf=50.0, mttr=5.0))
    with pytest.raises(SchedulingError, match="stuck"):
        run_with_alarm(lambda: sim.run(PlacesNothing()), seconds=60)
