"""The native vector environment and the observation fast paths (issue 13).

The vector environment must be indistinguishable from N independent
environments stepped by the same actions (observations, rewards, ends,
autoreset), and from Gymnasium's own ``SyncVectorEnv`` over them (infos
too). The observation builder's in-place, incremental updates must give
the arrays a full rewrite gives.
"""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import socsim  # noqa: F401  (registers the ids)
from socsim.envs.vector import DeepSoCSVectorEnv, SchedulingVectorEnv

CASES = [
    ("socsim/DeepSoCS-v0", {"horizon": 600.0}),
    ("socsim/DeepSoCS-v0", {"horizon": 600.0, "action_mode": "assign"}),
    ("socsim/SoCStream-v0", {"horizon": 30000.0}),
    ("socsim/DAGSchedule-v0", {}),
]


def pick(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random valid action per row (0 where nothing is valid)."""
    out = []
    for mask in masks:
        valid = np.flatnonzero(mask)
        out.append(int(rng.choice(valid)) if valid.size else 0)
    return np.array(out, np.int64)


def stacked(observations: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.stack([obs[key] for obs in observations]) for key in observations[0]}


@pytest.mark.parametrize(("env_id", "kwargs"), CASES)
def test_vector_env_equals_independent_envs_with_next_step_autoreset(
        env_id: str, kwargs: dict[str, Any]) -> None:
    n, seed = 3, 11
    vec = gym.make_vec(env_id, num_envs=n, **kwargs)
    assert isinstance(vec.unwrapped, SchedulingVectorEnv)
    singles = [gym.make(env_id, baseline=None, **kwargs).unwrapped for _ in range(n)]
    obs, infos = vec.reset(seed=seed)
    reference = [env.reset(seed=seed + i) for i, env in enumerate(singles)]
    assert data_equivalence(obs, stacked([o for o, _ in reference]), exact=True)
    masks = infos["action_mask"]
    done = np.zeros(n, bool)
    rng = np.random.default_rng(0)
    episodes = 0
    for _ in range(400):
        actions = pick(masks, rng)
        obs, rewards, terminated, truncated, infos = vec.step(actions)
        expected = []
        for i, env in enumerate(singles):
            if done[i]:  # next-step autoreset: the action is ignored
                o, _ = env.reset()
                expected.append((o, 0.0, False, False))
            else:
                o, r, te, tr, _ = env.step(int(actions[i]))
                expected.append((o, r, te, tr))
        assert data_equivalence(obs, stacked([e[0] for e in expected]), exact=True)
        assert rewards.tolist() == [e[1] for e in expected]
        assert terminated.tolist() == [e[2] for e in expected]
        assert truncated.tolist() == [e[3] for e in expected]
        np.testing.assert_array_equal(infos["action_mask"], obs["action_mask"])
        np.testing.assert_array_equal(vec.unwrapped.action_masks(), obs["action_mask"] == 1)
        done = terminated | truncated
        episodes += int(done.sum())
        masks = infos["action_mask"]
    assert episodes >= n  # autoreset was exercised


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_vector_env_equals_gymnasium_sync_vector_env(mode: AutoresetMode) -> None:
    n, kwargs = 2, {"horizon": 400.0, "baseline": None}
    ours = gym.make_vec("socsim/DeepSoCS-v0", num_envs=n, autoreset_mode=mode, **kwargs)
    theirs = SyncVectorEnv([lambda: gym.make("socsim/DeepSoCS-v0", **kwargs)] * n,
                           autoreset_mode=mode)
    assert ours.metadata["autoreset_mode"] == mode
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the passive checker's notes on the first steps
        a, infos_a = ours.reset(seed=[3, 4])
        b, infos_b = theirs.reset(seed=[3, 4])
        assert data_equivalence((a, infos_a), (b, infos_b), exact=True)
        rng = np.random.default_rng(1)
        ends = finals = 0
        for _ in range(250):
            actions = pick(infos_a["action_mask"], rng)
            out_a = ours.step(actions)
            out_b = theirs.step(actions)
            assert data_equivalence(out_a, out_b, exact=True)
            infos_a = out_a[4]
            ends += int(np.sum(out_a[2] | out_a[3]))
            finals += int(np.sum(infos_a.get("_final_obs", 0)))
    assert ends >= n
    assert finals == (ends if mode == AutoresetMode.SAME_STEP else 0)


def test_make_vec_modes_and_registration() -> None:
    spec = gym.spec("socsim/DeepSoCS-v0")
    assert spec.vector_entry_point == "socsim.envs.vector:DeepSoCSVectorEnv"
    native = gym.make_vec("socsim/DeepSoCS-v0", num_envs=2)
    assert isinstance(native.unwrapped, DeepSoCSVectorEnv)
    assert native.num_envs == 2 and native.single_action_space.n == 30
    assert native.observation_space["node_features"].shape == (2, 30, 9)
    sync = gym.make_vec("socsim/DeepSoCS-v0", num_envs=2, vectorization_mode="sync")
    assert isinstance(sync.unwrapped, SyncVectorEnv)
    with pytest.raises(ValueError, match="num_envs"):
        gym.make_vec("socsim/DeepSoCS-v0", num_envs=0)


def test_vector_env_copy_semantics() -> None:
    copied = gym.make_vec("socsim/DeepSoCS-v0", num_envs=2)
    first, infos = copied.reset(seed=0)
    second, *_ = copied.step(pick(infos["action_mask"], np.random.default_rng(0)))
    for key in first:
        assert not np.shares_memory(first[key], second[key])
    live = gym.make_vec("socsim/DeepSoCS-v0", num_envs=2, copy=False)
    first, infos = live.reset(seed=0)
    second, *_ = live.step(pick(infos["action_mask"], np.random.default_rng(0)))
    assert all(first[key] is second[key] for key in first)  # the stacked arrays themselves


def test_vector_env_observations_are_in_the_batched_space() -> None:
    vec = gym.make_vec("socsim/SoCStream-v0", num_envs=2, horizon=20000.0)
    obs, infos = vec.reset(seed=5)
    assert vec.observation_space.contains(obs)
    rng = np.random.default_rng(2)
    for _ in range(30):
        obs, *_, infos = vec.step(pick(infos["action_mask"], rng))
        assert vec.observation_space.contains(obs)


def test_vector_env_yardstick_is_off_unless_asked_and_records_statistics() -> None:
    kwargs = {"horizon": 300.0}
    for baseline, present in ((None, False), ("heft-rt", True)):
        extra = {} if baseline is None else {"baseline": baseline}
        vec = gym.wrappers.vector.RecordEpisodeStatistics(
            gym.make_vec("socsim/DeepSoCS-v0", num_envs=2, **kwargs, **extra))
        _, infos = vec.reset(seed=1)
        rng = np.random.default_rng(3)
        for _ in range(200):
            _, _, terminated, truncated, infos = vec.step(pick(infos["action_mask"], rng))
            if np.any(terminated | truncated):
                break
        assert "episode_return" in infos and "episode" in infos
        assert ("baseline" in infos) is present


def test_disabled_autoreset_refuses_to_step_a_finished_env() -> None:
    vec = gym.make_vec("socsim/DAGSchedule-v0", num_envs=2, autoreset_mode="Disabled")
    _, infos = vec.reset(seed=0)
    rng = np.random.default_rng(0)
    with pytest.raises(RuntimeError, match="autoreset_mode is disabled"):
        for _ in range(100):
            _, _, terminated, truncated, infos = vec.step(pick(infos["action_mask"], rng))
    done = terminated | truncated
    _, infos = vec.reset(options={"reset_mask": done})
    assert infos["_sim_seed"].tolist() == done.tolist()


# ------------------------------------------------------ observation fast paths
@pytest.mark.parametrize(("env_id", "kwargs"), [
    *CASES[:3],
    ("socsim/DeepSoCS-v0", {"horizon": 600.0, "noise": 0.5}),  # tasks end before expected
    ("socsim/RandomDAG-v0", {"pes": 48, "tasks": 40, "action_mode": "assign"}),  # column path
])
def test_views_and_incremental_rows_equal_copies_and_full_rewrites(
        env_id: str, kwargs: dict[str, Any]) -> None:
    copying = gym.make(env_id, baseline=None, **kwargs).unwrapped
    viewing = gym.make(env_id, baseline=None, copy=False, **kwargs).unwrapped
    obs_c, info_c = copying.reset(seed=2)
    obs_v, info_v = viewing.reset(seed=2)
    rng = np.random.default_rng(4)
    for _ in range(300):
        assert data_equivalence(obs_c, obs_v, exact=True)
        assert data_equivalence(info_c, info_v, exact=True)
        assert obs_v["action_mask"] is info_v["action_mask"]  # both the live mask
        builder = viewing.engine.obs
        incremental = builder.pe_features.copy(), builder.global_features.copy()
        builder.invalidate()  # a full rewrite of every PE row must agree
        builder.refresh(viewing.engine.sim)
        np.testing.assert_array_equal(builder.pe_features, incremental[0])
        np.testing.assert_array_equal(builder.global_features, incremental[1])
        action = int(rng.choice(np.flatnonzero(info_c["action_mask"])))
        obs_c, _, te, tr, info_c = copying.step(action)
        obs_v, _, _, _, info_v = viewing.step(action)
        if te or tr:
            break


def test_builder_refuses_a_buffer_of_the_wrong_shape() -> None:
    env = gym.make("socsim/DeepSoCS-v0", baseline=None).unwrapped
    with pytest.raises(ValueError, match="node_features"):
        env.engine.obs.bind({"node_features": np.zeros((2, 2), np.float32)})
    with pytest.raises(ValueError, match="mask buffer"):
        env.bind_mask(np.zeros(3, np.int8))


# ------------------------------------------------------------ incremental mask
@pytest.mark.parametrize(("env_id", "kwargs"), [
    ("socsim/DeepSoCS-v0", {"horizon": 800.0}),  # jobs leave out of order: slots compacted
    ("socsim/DeepSoCS-v0", {"horizon": 800.0, "action_mode": "assign"}),
    ("socsim/SoCStream-v0", {"horizon": 40000.0, "max_in_system": 3}),
    ("socsim/SoCStream-v0", {"horizon": 40000.0, "action_mode": "order", "max_in_system": 3}),
])
def test_incremental_action_mask_equals_the_full_recomputation(
        env_id: str, kwargs: dict[str, Any]) -> None:
    env = gym.make(env_id, baseline=None, copy=False, **kwargs).unwrapped
    _, info = env.reset(seed=7)
    rng = np.random.default_rng(5)
    builder = env.engine.obs
    steps = 0
    for _ in range(2):
        while True:
            mask = info["action_mask"].copy()
            full = builder.ready[:, None] * builder.eligible
            if env.action_mode == "order":
                np.testing.assert_array_equal(mask, builder.ready.astype(np.int8))
            else:
                np.testing.assert_array_equal(mask[:-1], full.reshape(-1).astype(np.int8))
            _, _, terminated, truncated, info = env.step(int(rng.choice(np.flatnonzero(mask))))
            steps += 1
            if terminated or truncated:
                break
        _, info = env.reset(seed=8)
    assert steps > 50


# ------------------------------------------------------------- worker processes
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("action_mode", ["order", "assign"])
def test_worker_processes_give_what_one_process_gives(mode: AutoresetMode,
                                                      action_mode: str) -> None:
    kwargs = {"horizon": 500.0, "action_mode": action_mode, "autoreset_mode": mode}
    here = gym.make_vec("socsim/DeepSoCS-v0", num_envs=5, **kwargs)
    pooled = gym.make_vec("socsim/DeepSoCS-v0", num_envs=5, workers=2, **kwargs)
    try:
        assert pooled.unwrapped.workers == 2 and not pooled.unwrapped.envs
        a, infos = here.reset(seed=9)
        b, infos_b = pooled.reset(seed=9)
        assert data_equivalence((a, infos), (b, infos_b), exact=True)
        rng = np.random.default_rng(6)
        ends = 0
        for _ in range(300):
            actions = pick(infos["action_mask"], rng)
            out_here, out_pooled = here.step(actions), pooled.step(actions)
            assert data_equivalence(out_here, out_pooled, exact=True)
            infos = out_here[4]
            ends += int(np.sum(out_here[2] | out_here[3]))
        assert ends >= 5  # episode ends and their infos crossed the process boundary
        done = np.array([True, False, False, True, False])
        assert data_equivalence(here.reset(options={"reset_mask": done}),
                                pooled.reset(options={"reset_mask": done}), exact=True)
        assert pooled.get_attr("action_mode") == (action_mode,) * 5
        pooled.set_attr("invalid_action", "raise")
        assert pooled.get_attr("invalid_action") == ("raise",) * 5
    finally:
        pooled.close()


def test_a_worker_error_is_raised_in_the_caller_and_close_frees_the_shared_memory() -> None:
    from multiprocessing.shared_memory import SharedMemory

    from socsim.envs.core import InvalidAction

    pooled = gym.make_vec("socsim/DeepSoCS-v0", num_envs=2, workers=2, horizon=300.0,
                          invalid_action="raise").unwrapped
    names = list(pooled._pool._shared.names.values())
    _, infos = pooled.reset(seed=0)
    bad = np.argmin(infos["action_mask"], axis=1)  # a masked-out slot in each row
    with pytest.raises(InvalidAction, match="invalid") as caught:
        pooled.step(bad)
    assert any("worker process" in note for note in caught.value.__notes__)
    pooled.close()
    for name in names:
        with pytest.raises(FileNotFoundError):
            SharedMemory(name=name)
    with pytest.raises(ValueError, match="workers must be an integer"):
        gym.make_vec("socsim/DeepSoCS-v0", num_envs=2, workers=-1)
