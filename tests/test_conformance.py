"""Conformance with every checker: Gymnasium, SB3 and PettingZoo, on every env with defaults.

Gymnasium ids come from :data:`socsim.envs.ENV_IDS`; the PettingZoo
environments are one parallel and one AEC environment per base
(:data:`socsim.envs.pettingzoo_env.BASES`). Every checker runs with the
environments' default arguments (only ``base`` and what a checker itself
passes, such as ``max_cycles`` or ``render_mode``, are set).
"""

from __future__ import annotations

import functools
import types
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env, data_equivalence
from pettingzoo.test import (
    api_test,
    max_cycles_test,
    parallel_api_test,
    parallel_seed_test,
    render_test,
    seed_test,
)
from pettingzoo.test.state_test import state_test
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from socsim.envs import ENV_IDS, InvalidAction, env, parallel_env
from socsim.envs.pettingzoo_env import BASES

IDS = sorted(ENV_IDS)
PZ_BASES = sorted(BASES)


@pytest.fixture(autouse=True)
def _quiet() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # checkers' advice (flattening, float32 bounds...)
        yield


def _module(base: str) -> types.SimpleNamespace:
    """What PettingZoo's module-level tests expect: ``env()`` and ``parallel_env()``."""
    return types.SimpleNamespace(env=functools.partial(env, base=base),
                                 parallel_env=functools.partial(parallel_env, base=base))


# ------------------------------------------------------------------ Gymnasium, SB3
@pytest.mark.parametrize("env_id", IDS)
def test_gymnasium_check_env_with_defaults(env_id: str) -> None:
    made = gym.make(env_id)
    check_env(made.unwrapped)
    check_env(made)


@pytest.mark.parametrize("env_id", IDS)
def test_sb3_check_env_with_defaults(env_id: str) -> None:
    sb3_check_env(gym.make(env_id))


# ------------------------------------------------------------------ PettingZoo
@pytest.mark.parametrize("base", PZ_BASES)
def test_pettingzoo_api_test(base: str) -> None:
    api_test(env(base=base), num_cycles=1000)


@pytest.mark.parametrize("base", PZ_BASES)
def test_pettingzoo_parallel_api_test(base: str) -> None:
    parallel_api_test(parallel_env(base=base), num_cycles=1000)


@pytest.mark.parametrize("base", PZ_BASES)
def test_pettingzoo_seed_test(base: str) -> None:
    seed_test(_module(base).env)


@pytest.mark.parametrize("base", PZ_BASES)
def test_pettingzoo_parallel_seed_test(base: str) -> None:
    parallel_seed_test(_module(base).parallel_env)


@pytest.mark.parametrize("base", PZ_BASES)
def test_pettingzoo_max_cycles_test(base: str) -> None:
    max_cycles_test(_module(base))


@pytest.mark.parametrize("base", PZ_BASES)
def test_pettingzoo_render_test(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    render_test(_module(base).env)
    assert "t = " in capsys.readouterr().out  # "human" printed the text summary


@pytest.mark.parametrize("base", PZ_BASES)
def test_pettingzoo_state_test(base: str) -> None:
    state_test(env(base=base), parallel_env(base=base))


@pytest.mark.parametrize("base", PZ_BASES)
def test_parallel_episodes_with_unmasked_actions_are_deterministic(base: str) -> None:
    # parallel_seed_test stops after one round; this runs 200 rounds (or to the end).
    first, second = parallel_env(base=base), parallel_env(base=base)
    outputs = []
    for par in (first, second):
        par.reset(seed=3)
        for k, agent in enumerate(par.agents):
            par.action_space(agent).seed(7 + k)
        trace = []
        for _ in range(200):
            if not par.agents:
                break
            actions = {a: par.action_space(a).sample() for a in par.agents}
            trace.append(par.step(actions))
        outputs.append(trace)
    assert len(outputs[0]) == len(outputs[1]) > 1
    for one, two in zip(*outputs, strict=True):
        assert data_equivalence(one, two)


# ------------------------------------------------------------------ invalid actions
def test_parallel_remap_runs_a_valid_action_and_says_so() -> None:
    par = parallel_env(base="dag-schedule")
    obs, _ = par.reset(seed=0)
    none = par.game.none_action
    assert not obs["P1_0"]["action_mask"][none]  # idle platform: every agent must pull
    _, _, _, _, infos = par.step(dict.fromkeys(par.agents, none))
    for agent in par.possible_agents:
        assert "pulling nothing is invalid" in infos[agent]["invalid_action"]
        assert "invalid_action='remap'" in infos[agent]["invalid_action"]
    state = next(iter(par.game.engine.sim.jobs.values()))
    assert state.task_pe[0] == 2  # every pull remapped to n1 (the only valid one): P3 won it


def test_parallel_noop_changes_nothing_where_waiting_would_stall() -> None:
    par = parallel_env(base="dag-schedule", invalid_action="noop")
    obs, _ = par.reset(seed=0)
    none, now = par.game.none_action, par.game.engine.sim.now
    new_obs, rewards, terms, truncs, infos = par.step(dict.fromkeys(par.agents, none))
    assert par.game.engine.sim.now == now and set(rewards.values()) == {0.0}
    assert not any(terms.values()) and not any(truncs.values())
    assert all("invalid_action='noop'" in infos[a]["invalid_action"] for a in par.agents)
    assert data_equivalence(obs, new_obs)
    # one valid pull among invalid ones still goes ahead
    _, _, _, _, infos = par.step({"P1_0": 0, "P2_1": none, "P3_2": none})
    assert "invalid_action" not in infos["P1_0"] and "invalid_action" in infos["P2_1"]
    state = next(iter(par.game.engine.sim.jobs.values()))
    assert state.task_pe[0] == 0


def test_aec_noop_and_raise() -> None:
    aec = env(base="dag-schedule", invalid_action="noop")
    aec.reset(seed=0)
    none = aec.unwrapped.game.none_action
    first = aec.agent_selection
    aec.step(none)  # must pull (idle platform): pulls nothing, the turn moves on
    assert "invalid_action='noop'" in aec.infos[first]["invalid_action"]
    assert aec.agent_selection != first
    strict = env(base="dag-schedule", invalid_action="raise")
    strict.reset(seed=0)
    with pytest.raises(InvalidAction, match="pulling nothing is invalid"):
        strict.step(none)


@pytest.mark.parametrize("bad", [{"invalid_action": "ignore"}, {"max_cycles": 0}])
def test_bad_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        parallel_env(base="dag-schedule", **bad)


def test_out_of_range_and_non_integer_actions_always_raise() -> None:
    par = parallel_env(base="dag-schedule")
    par.reset(seed=0)
    with pytest.raises(InvalidAction, match="out of range"):
        par.step(dict.fromkeys(par.agents, 99))
    with pytest.raises(InvalidAction, match="integer"):
        par.step(dict.fromkeys(par.agents, 0.5))
    assert np.all(par.state() == par.state())
