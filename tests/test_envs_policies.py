"""Heuristics acting through the environments reproduce their emulator results exactly."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import socsim  # noqa: F401
from socsim.envs import HeuristicPolicy, run_heuristic
from socsim.registry import make_scheduler


def direct(env: gym.Env, scheduler: str, seed: int) -> dict[str, float]:
    """The scheduler run by the emulator itself, on the scenario the env was built from."""
    scenario = env.unwrapped.generator.scenario
    return scenario.simulator(seed).run(make_scheduler(scheduler)).metrics


def assert_same_metrics(ours: dict[str, float], theirs: dict[str, float]) -> None:
    for key, value in theirs.items():
        assert (np.isnan(value) and np.isnan(ours[key])) or ours[key] == value, key


@pytest.mark.parametrize("env_id,mode,kwargs,schedulers", [
    ("socsim/DeepSoCS-v0", "assign", {},
     ["heft-rt", "etf", "met", "eft", "eft-fifo", "stf", "random", "first-idle", "heft"]),
    ("socsim/DeepSoCS-v0", "order", {}, ["heft-rt-comm"]),
    ("socsim/DeepSoCS-v0", "order", {"placement": "eft-blind"}, ["heft-rt", "eft-fifo"]),
    ("socsim/DAGSchedule-v0", "assign", {"jobs": 2}, ["heft", "peft", "etf", "met"]),
    ("socsim/DAGSchedule-v0", "order", {}, ["heft-rt-comm"]),
    ("socsim/SoCStream-v0", "assign", {"horizon": 150_000.0}, ["heft-rt", "etf", "met"]),
    ("socsim/SoCStream-v0", "order", {"horizon": 150_000.0}, ["heft-rt-comm"]),
])
def test_heuristic_through_the_env_equals_its_emulator_run(
        env_id: str, mode: str, kwargs: dict[str, Any], schedulers: list[str]) -> None:
    env = gym.make(env_id, action_mode=mode, baseline=None, **kwargs)
    for name in schedulers:
        for seed in (0, 7):
            out = run_heuristic(env, name, sim_seed=seed)
            assert out["sim_seed"] == seed
            assert_same_metrics(out["metrics"], direct(env, name, seed))


def test_heuristic_policy_step_by_step_and_the_yardstick() -> None:
    env = gym.make("socsim/DeepSoCS-v0", placement="eft-blind")  # yardstick: heft-rt
    policy = HeuristicPolicy("heft-rt")
    _, info = policy.reset(env, seed=4)
    total = 0.0
    while True:
        action = policy.action(env)
        assert info["action_mask"][action]
        _, reward, terminated, truncated, info = env.step(action)
        total += reward
        if terminated or truncated:
            break
    # heft-rt through the env is the yardstick run itself: every ratio is 1
    assert info["vs_baseline"]["mean_latency"] == 1.0
    assert info["vs_baseline"]["energy_uj"] == 1.0
    assert info["episode_return"] == pytest.approx(total)


def test_order_mode_refuses_a_scheduler_that_leaves_tasks_unplaced() -> None:
    env = gym.make("socsim/DeepSoCS-v0", baseline=None)
    with pytest.raises(ValueError, match="no wait action: use action_mode='assign'"):
        run_heuristic(env, "first-idle", sim_seed=0)
