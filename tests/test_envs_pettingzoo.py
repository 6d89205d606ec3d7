"""PettingZoo environments: API tests, the conflict rule, team rewards."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test

from socsim.envs import InvalidAction, env, parallel_env
from socsim.envs.pettingzoo_env import SoCParallelEnv


@pytest.mark.parametrize("base,kwargs", [("deepsocs", {}),
                                         ("soc-stream", {"horizon": 60_000.0}),
                                         ("dag-schedule", {"jobs": 2})])
def test_pettingzoo_api(base: str, kwargs: dict[str, float]) -> None:
    parallel_api_test(parallel_env(base=base, **kwargs), num_cycles=300)
    api_test(env(base=base, **kwargs), num_cycles=300)


def test_agents_are_clusters_and_masks_are_in_observations() -> None:
    par = parallel_env(base="soc-stream", horizon=50_000.0)
    assert par.possible_agents[:3] == ["A7_0", "A15_1", "MM_2"]
    obs, _ = par.reset(seed=0)
    assert set(obs) == set(par.possible_agents)
    nodes = par.game.env.limits.max_nodes
    for agent, observation in obs.items():
        assert observation["action_mask"].shape == (nodes + 1,)
        assert par.observation_space(agent).contains(observation)
    # the NPU cluster's agent sees only its PE
    npu = next(a for a in par.possible_agents if a.startswith("npu"))
    assert obs[npu]["agent_pes"].sum() == 1


def test_conflicting_pulls_go_to_the_earliest_finish() -> None:
    par: SoCParallelEnv = parallel_env(base="dag-schedule")
    obs, _ = par.reset(seed=0)
    # n1 (slot 0) is the only ready task; every cluster (P1, P2, P3) can pull it.
    for agent in par.agents:
        assert obs[agent]["action_mask"][0] == 1
    obs, rewards, _, _, _ = par.step(dict.fromkeys(par.agents, 0))
    # n1 costs 14 / 16 / 9 on P1 / P2 / P3: P3 wins; the others pulled nothing.
    state = next(iter(par.game.engine.sim.jobs.values()))
    assert state.task_pe[0] == 2
    assert len(set(rewards.values())) == 1  # one team reward


def test_pulling_nothing_is_refused_only_when_the_platform_would_stall() -> None:
    par = parallel_env(base="dag-schedule", invalid_action="raise")
    obs, _ = par.reset(seed=0)
    none = par.game.none_action
    for agent in par.agents:
        assert obs[agent]["action_mask"][none] == 0  # idle platform, n1 ready: must pull
    with pytest.raises(InvalidAction, match="pulling nothing is invalid"):
        par.step(dict.fromkeys(par.agents, none))


def test_parallel_episode_totals_and_yardstick() -> None:
    par = parallel_env(base="deepsocs")
    obs, _ = par.reset(seed=1)
    rng = np.random.default_rng(1)
    total = 0.0
    while par.agents:
        actions = {a: int(rng.choice(np.flatnonzero(obs[a]["action_mask"]))) for a in par.agents}
        obs, rewards, terminations, truncations, infos = par.step(actions)
        total += next(iter(rewards.values()))
    final = infos["P1_0"]
    assert truncations["P1_0"] and not terminations["P1_0"]
    assert final["episode_return"] == pytest.approx(total)
    assert final["baseline"]["scheduler"] == "heft-rt"
    assert final["metrics"]["completed"] > 50


def test_aec_turns_go_round_robin_and_agents_with_nothing_to_pull_pass() -> None:
    aec = env(base="dag-schedule")
    aec.reset(seed=0)
    rng = np.random.default_rng(0)
    order = list(aec.possible_agents)
    turn = 0
    for agent in aec.agent_iter():
        observation, _, terminated, truncated, _ = aec.last()
        if terminated or truncated:
            aec.step(None)
            continue
        assert agent == order[turn % len(order)]  # every agent once per cycle, in order
        mask = observation["action_mask"]
        if not mask[:-1].any():
            assert mask[-1] == 1  # nothing to pull: passing is the only action
        aec.step(int(rng.choice(np.flatnonzero(mask))))
        turn += 1
    assert not aec.agents
