"""API conformance of the registered environments: Gymnasium, SB3, vector envs, registration."""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import socsim
from socsim.envs import ENV_IDS, InvalidAction

IDS = sorted(ENV_IDS)
MODES = ("order", "assign")


def test_importing_socsim_registers_every_id() -> None:
    assert set(IDS) == {"socsim/DAGSchedule-v0", "socsim/SoCStream-v0", "socsim/DeepSoCS-v0",
                        "socsim/RandomDAG-v0"}
    for env_id in IDS:
        assert env_id in gym.registry
    gym.register_envs(socsim)  # the "used import" idiom works


def test_socsim_imports_without_gymnasium() -> None:
    code = ("import sys; sys.modules['gymnasium'] = None\n"
            "import socsim\n"
            "assert 'socsim.envs.registration' not in sys.modules\n"
            "print(socsim.Simulator.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Simulator"


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("mode", MODES)
def test_gymnasium_check_env(env_id: str, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    # Default arguments. Gymnasium's step-determinism check samples its action *before*
    # resetting, from the previous episode's state; the default invalid_action="remap"
    # runs a stale action as a valid one, the same way every time.
    env = gym.make(env_id, action_mode=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env.unwrapped)
        check_env(env)  # through the wrappers gym.make adds, too


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("mode", MODES)
def test_sb3_check_env_with_default_settings(env_id: str, mode: str) -> None:
    env = gym.make(env_id, action_mode=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SB3 suggests flattening the 2-D observation arrays
        sb3_check_env(env)


def test_gymnasium_check_env_passes_with_raise_where_the_first_step_cannot_go_stale() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(gym.make("socsim/DeepSoCS-v0", invalid_action="raise").unwrapped,
                  skip_render_check=True)


def test_action_space_sample_draws_valid_actions() -> None:
    env = gym.make("socsim/DeepSoCS-v0", action_mode="assign", baseline=None)
    env.reset(seed=3)
    for _ in range(200):
        action = env.action_space.sample()
        assert env.unwrapped.action_masks()[action]
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    # with an explicit mask it is Gymnasium's Discrete.sample
    mask = np.zeros(env.action_space.n, np.int8)
    mask[5] = 1
    assert env.action_space.sample(mask=mask) == 5


def test_async_vector_env_runs_with_masks_from_info() -> None:
    envs = gym.make_vec("socsim/DeepSoCS-v0", num_envs=2, vectorization_mode="async",
                        horizon=300.0, baseline=None)
    try:
        _, infos = envs.reset(seed=[1, 2])
        rng = np.random.default_rng(0)
        finished = 0
        for _ in range(150):
            actions = []
            for mask in infos["action_mask"]:
                valid = np.flatnonzero(mask)
                actions.append(rng.choice(valid) if valid.size else 0)  # 0: ignored at reset
            _, rewards, terminated, truncated, infos = envs.step(np.array(actions))
            assert rewards.shape == (2,)
            finished += int(np.sum(terminated | truncated))
        assert finished >= 2
    finally:
        envs.close()


def test_masked_action_raises_a_clear_error() -> None:
    env = gym.make("socsim/DAGSchedule-v0", invalid_action="raise")
    env.reset(seed=0)
    with pytest.raises(InvalidAction, match=r"action 3 is invalid: task n4 of job 0 is not "
                                            r"ready: 1 predecessor\(s\) not finished; 1 of 10 "
                                            r"actions are valid"):
        env.step(3)
    with pytest.raises(ValueError, match=r"out of range 0\.\.9"):
        env.step(10)
    env = gym.make("socsim/DAGSchedule-v0", action_mode="assign", invalid_action="raise")
    env.reset(seed=0)
    with pytest.raises(InvalidAction, match=r"\(wait\) is invalid: nothing would happen"):
        env.step(30)


def test_default_remaps_a_masked_action_to_a_valid_one_and_says_so() -> None:
    env = gym.make("socsim/DAGSchedule-v0", action_mode="assign")
    env.reset(seed=0)
    valid = np.flatnonzero(env.unwrapped.action_masks())
    assert valid.tolist() == [0, 1, 2]  # n1 on one of the 3 PEs
    _, _, _, _, info = env.step(30)  # wait: masked
    assert "(wait) is invalid" in info["invalid_action"]
    assert f"ran action {valid[30 % 3]} instead" in info["invalid_action"]
    assert env.unwrapped.simulator.view.job(0).task_pe[0] == valid[30 % 3]  # n1 on P1
    _, _, _, _, info = env.step(int(np.flatnonzero(info["action_mask"])[0]))
    assert "invalid_action" not in info  # a valid action is reported as nothing
    with pytest.raises(ValueError, match=r"out of range"):
        env.step(10_000)  # out of range: always an error, never remapped


def test_noop_policy_leaves_the_state_unchanged() -> None:
    env = gym.make("socsim/DAGSchedule-v0", invalid_action="noop")
    obs, _ = env.reset(seed=0)
    again, reward, terminated, truncated, info = env.step(4)
    assert reward == 0.0 and not terminated and not truncated
    assert "not ready" in info["invalid_action"]
    for key in obs:
        np.testing.assert_array_equal(obs[key], again[key])


def test_step_after_the_end_and_before_reset_raise() -> None:
    env = gym.make("socsim/DAGSchedule-v0").unwrapped
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    done = False
    while not done:
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        done = terminated or truncated
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step(0)


def test_unknown_keyword_names_the_scenario_fields() -> None:
    with pytest.raises(TypeError, match=r"unknown environment argument\(s\) \['interarival'\]"):
        gym.make("socsim/SoCStream-v0", interarival=100.0)


def test_keywords_reach_the_scenario_and_the_simulator() -> None:
    from socsim.jobs import FixedRate

    env = gym.make("socsim/SoCStream-v0", platform="ds3_multiple_bal", mix="ds3_default",
                   interarrival=700.0, horizon=20_000.0, noise=0.1, max_in_system=4,
                   arrivals=FixedRate(900.0), reward={"latency": 1.0, "energy": 0.1},
                   action_mode="order", max_nodes=200).unwrapped
    assert env.generator.scenario.noise == 0.1
    assert env.generator.source.arrivals == FixedRate(900.0)
    assert env.limits.max_jobs == 4 and env.limits.max_nodes == 200
    assert env.reward_spec.weights == {"latency": 1.0, "energy": 0.1}
    env.reset(seed=0)
    assert env.simulator.source.noise_sigma == 0.1
