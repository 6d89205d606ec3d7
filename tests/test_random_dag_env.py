"""``socsim/RandomDAG-v0``: a seeded instance per reset, fixed shapes, baseline-relative reward."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import socsim  # noqa: F401  (registers the ids)
from socsim.envs import ENV_IDS, run_heuristic


def _episode(env: gym.Env, seed: int) -> tuple[float, dict]:
    obs, info = env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        action = env.action_space.sample(obs["action_mask"])
        obs, reward, terminated, truncated, info = env.step(action)
        total += reward
        done = terminated or truncated
    return total, info


def test_registered_and_checked_by_the_conformance_suite() -> None:
    assert "socsim/RandomDAG-v0" in ENV_IDS  # tests/test_conformance.py runs every id


def test_new_instance_per_reset_same_seed_same_instance_fixed_shapes() -> None:
    env = gym.make("socsim/RandomDAG-v0", tasks=(3, 25), pes=(1, 5), ccr=2.0, beta=1.0)
    space = env.observation_space
    sizes, pes = set(), set()
    for seed in range(12):
        obs, _ = env.reset(seed=seed)
        assert space.contains(obs)
        sizes.add(int(obs["node_mask"].sum()))
        pes.add(int(obs["pe_mask"].sum()))
        assert 3 <= int(obs["node_mask"].sum()) <= 25 and 1 <= int(obs["pe_mask"].sum()) <= 5
    assert len(sizes) > 3 and len(pes) > 1
    first, _ = env.reset(seed=7)
    again, _ = env.reset(seed=7)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert space["node_features"].shape[0] == 25 and space["pe_mask"].shape == (5,)


def test_heuristics_and_the_baseline_run_on_the_episode_instance() -> None:
    env = gym.make("socsim/RandomDAG-v0", action_mode="assign")
    _, info = _episode(env, 5)
    heft = run_heuristic(env, "heft", seed=5)["metrics"]["makespan"]
    assert info["baseline"]["makespan"] == pytest.approx(heft)


@pytest.mark.parametrize("kwargs", [{}, {"pes": (2, 4), "action_mode": "assign"}])
def test_relative_reward_returns_one_minus_makespan_ratio(kwargs: dict) -> None:
    env = gym.make("socsim/RandomDAG-v0", relative_to="heft", **kwargs)
    for seed in range(3):
        total, info = _episode(env, seed)
        ratio = info["metrics"]["makespan"] / info["relative_to"]["makespan"]
        assert total == pytest.approx(1.0 - ratio, abs=1e-9)


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"tasks": (10, 5)}, "tasks"), ({"pes": 0}, "pes"), ({"ccr": -1.0}, "ccr"),
    ({"relative_to": "heft", "reward": "latency"}, "relative_to"),
    ({"relative_to": "nonesuch"}, "nonesuch"), ({"max_nodes": 4}, "max_nodes"),
])
def test_bad_parameters_are_refused(kwargs: dict, word: str) -> None:
    with pytest.raises((ValueError, KeyError)) as exc:
        gym.make("socsim/RandomDAG-v0", **kwargs)
    assert word in str(exc.value)
