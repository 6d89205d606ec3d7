"""Dynamics of the Gymnasium environments on small hand-checked instances."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import socsim  # noqa: F401
from socsim.envs import ObservationLimitError
from socsim.envs.observation import ObservationBuilder
from socsim.envs.spaces import NODE_FEATURES


def same(a: Any, b: Any) -> bool:
    """Exact equality of nested observations/infos, NaN equal to NaN."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (np.ndarray, float, np.floating)):
        return np.asarray(a).dtype == np.asarray(b).dtype and np.array_equal(a, b, equal_nan=True)
    return type(a) is type(b) and a == b


def random_rollout(env: gym.Env, seed: int, policy_seed: int = 0, max_steps: int = 100_000
                   ) -> list[tuple[Any, ...]]:
    """Transitions of one episode under a seeded random masked policy."""
    rng = np.random.default_rng(policy_seed)
    obs, info = env.reset(seed=seed)
    out: list[tuple[Any, ...]] = [(obs, info)]
    for _ in range(max_steps):
        valid = np.flatnonzero(info["action_mask"])
        obs, reward, terminated, truncated, info = env.step(valid[rng.integers(valid.size)])
        out.append((obs, reward, terminated, truncated, info))
        if terminated or truncated:
            break
    return out


# ------------------------------------------------------------------ masks
def test_first_decision_of_the_canonical_example() -> None:
    env = gym.make("socsim/DAGSchedule-v0")
    obs, info = env.reset(seed=0)
    # Only n1 (slot 0) is ready; the mask is the same in all three places.
    expected = np.zeros(10, np.int8)
    expected[0] = 1
    np.testing.assert_array_equal(info["action_mask"], expected)
    np.testing.assert_array_equal(obs["action_mask"], expected)
    np.testing.assert_array_equal(env.unwrapped.action_masks(), expected.astype(bool))
    ready = obs["node_features"][:, NODE_FEATURES.index("ready")]
    np.testing.assert_array_equal(ready, expected)
    np.testing.assert_array_equal(obs["node_mask"], np.ones(10, np.int8))
    # n1 costs 14, 16, 9 on P1..P3: mean 13, min 9, over the time scale (91 us).
    row = obs["node_features"][0]
    assert row[NODE_FEATURES.index("mean_time")] == pytest.approx(13 / 91)
    assert row[NODE_FEATURES.index("min_time")] == pytest.approx(9 / 91)
    np.testing.assert_allclose(obs["node_pe_time"][0], np.array([14, 16, 9]) / 91, rtol=1e-6)
    # the 15 edges of the DAG, all present, parent -> child slots
    assert obs["edge_mask"].sum() == 15
    assert (0, 1) in set(zip(*obs["edge_index"].tolist(), strict=True))


def test_assign_mode_mask_and_wait() -> None:
    env = gym.make("socsim/DAGSchedule-v0", action_mode="assign")
    _, info = env.reset(seed=0)
    # n1 on any of the 3 PEs; waiting would stall the idle platform.
    assert np.flatnonzero(info["action_mask"]).tolist() == [0, 1, 2]
    _, _, _, _, info = env.step(2)  # n1 on P3: it finishes at 9 and n2..n6 become ready
    assert env.unwrapped.simulator.now == 9.0
    valid = np.flatnonzero(info["action_mask"]).tolist()
    assert valid == list(range(3, 18))  # slots 1..5 x PEs 0..2; wait masked (all idle)
    _, _, _, _, info = env.step(3 * 1 + 2)  # n2 on P3
    assert info["action_mask"][30] == 1  # now something runs: waiting is allowed
    _, _, _, _, info = env.step(30)
    assert env.unwrapped.simulator.now == 27.0  # n2 (18 us on P3) finished


def test_order_mode_steps_from_decision_to_decision() -> None:
    env = gym.make("socsim/DAGSchedule-v0")
    env.reset(seed=0)
    _, reward, _, _, info = env.step(0)  # n1 -> P3 (earliest finish, 9)
    assert env.unwrapped.simulator.now == 9.0
    assert reward == pytest.approx(-9 / 91)
    assert np.flatnonzero(info["action_mask"]).tolist() == [1, 2, 3, 4, 5]
    _, reward, _, _, info = env.step(2)  # n3: placing it leaves a choice at the same time
    assert reward == 0.0 and env.unwrapped.simulator.now == 9.0
    assert np.flatnonzero(info["action_mask"]).tolist() == [1, 3, 4, 5]


def test_decision_index_changes_exactly_when_the_emulator_advances() -> None:
    env = gym.make("socsim/DeepSoCS-v0", baseline=None).unwrapped
    env.reset(seed=0)
    for _ in range(100):
        before_index, before_time = env.decision_index, env.simulator.now
        env.step(env.action_space.sample())
        if env.simulator.now != before_time:
            assert env.decision_index > before_index


# ------------------------------------------------------------ determinism
@pytest.mark.parametrize("env_id,kwargs", [
    ("socsim/DeepSoCS-v0", {"action_mode": "assign"}),
    ("socsim/SoCStream-v0", {"horizon": 100_000.0}),
    ("socsim/DAGSchedule-v0", {"jobs": 3, "noise": 0.2}),
])
def test_same_seed_same_trajectory(env_id: str, kwargs: dict[str, Any]) -> None:
    first = random_rollout(gym.make(env_id, **kwargs), seed=11)
    second = random_rollout(gym.make(env_id, **kwargs), seed=11)
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        assert same(a, b)
    other = random_rollout(gym.make(env_id, **kwargs), seed=12)
    assert other[0][1]["sim_seed"] != first[0][1]["sim_seed"]


def test_reset_seed_draws_the_simulator_seed_from_np_random() -> None:
    env = gym.make("socsim/DeepSoCS-v0")
    _, info_a = env.reset(seed=5)
    _, info_b = env.reset(seed=5)
    assert info_a["sim_seed"] == info_b["sim_seed"]
    _, info_c = env.reset(seed=5, options={"sim_seed": 77})
    assert info_c["sim_seed"] == 77


# -------------------------------------------------------------- rewards
def test_makespan_return_and_heft_yardstick_on_the_canonical_example() -> None:
    env = gym.make("socsim/DAGSchedule-v0")
    steps = random_rollout(env, seed=0)
    info = steps[-1][4]
    total = sum(step[1] for step in steps[1:])
    makespan = info["metrics"]["makespan"]
    assert total == pytest.approx(-makespan / 91)
    assert info["episode_return"] == pytest.approx(total)
    assert info["reward_totals"]["makespan"] == makespan
    assert info["baseline"]["scheduler"] == "heft"
    assert info["baseline"]["makespan"] == 80.0  # Topcuoglu et al.'s HEFT schedule
    assert info["vs_baseline"]["makespan"] == pytest.approx(makespan / 80.0)
    assert steps[-1][2] is True and steps[-1][3] is False  # terminated, not truncated


@pytest.mark.parametrize("reward", ["latency", "energy", "edp"])
def test_returns_equal_the_run_metrics(reward: str) -> None:
    env = gym.make("socsim/DeepSoCS-v0", reward=reward, horizon=600.0, baseline=None)
    steps = random_rollout(env, seed=4)
    info = steps[-1][4]
    base = env.unwrapped
    total = sum(step[1] for step in steps[1:])
    metrics = info["metrics"]
    if reward == "latency":  # completed latencies + ages of the jobs left at the horizon
        cost = metrics["censored_mean_latency"] * (metrics["completed"] + metrics["in_system"])
        scale = base.time_scale
    elif reward == "energy":
        cost, scale = metrics["energy_uj"], base.energy_scale
    else:
        cost, scale = metrics["edp"], base.energy_scale * base.time_scale * 1e-12
    assert total == pytest.approx(-cost / scale, rel=1e-9)
    assert info["reward_totals"][reward] == pytest.approx(cost, rel=1e-9)
    assert steps[-1][3] is True  # the horizon truncates a stream


def test_weighted_reward_is_the_weighted_sum() -> None:
    kwargs = {"horizon": 400.0, "baseline": None}
    weights = {"latency": 1.0, "energy": 0.5}
    mixed = random_rollout(gym.make("socsim/DeepSoCS-v0", reward=weights, **kwargs), seed=2)
    latency = random_rollout(gym.make("socsim/DeepSoCS-v0", reward="latency", **kwargs), seed=2)
    energy = random_rollout(gym.make("socsim/DeepSoCS-v0", reward="energy", **kwargs), seed=2)
    for m, lat, en in zip(mixed[1:], latency[1:], energy[1:], strict=True):
        assert m[1] == pytest.approx(lat[1] + 0.5 * en[1])
    with pytest.raises(ValueError, match="unknown reward"):
        gym.make("socsim/DeepSoCS-v0", reward="throughput")


# ---------------------------------------------------------- observations
def rebuilt_graph(env: Any) -> Any:
    """The graph view of an observation built from scratch for the current state."""
    sim = env.simulator
    fresh = ObservationBuilder(env.limits, env.time_scale, env.generator.horizon)
    fresh.reset(sim)
    for state in sim.jobs.values():
        fresh.add_job(state)
    fresh.refresh(sim)
    return fresh.graph(env.unwrapped._mask, sim.platform.num_pes)


@pytest.mark.parametrize("env_id,kwargs", [
    ("socsim/DeepSoCS-v0", {}),
    ("socsim/SoCStream-v0", {"action_mode": "order", "horizon": 300_000.0, "max_in_system": 2,
                             "max_nodes": 60}),
    ("socsim/DeepSoCS-v0", {"action_mode": "assign", "fail": ["P2@200-700"]}),
])
def test_incremental_observation_equals_a_fresh_build(env_id: str, kwargs: dict[str, Any]
                                                      ) -> None:
    # The SoCStream case forces slot packing: 2 jobs of 10 to 30 tasks in 60 slots.
    env = gym.make(env_id, baseline=None, **kwargs)
    base = env.unwrapped
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=3)
    for _ in range(400):
        ours, fresh = base.graph_observation(), rebuilt_graph(base)
        for field in ("node_features", "node_pe_time", "node_pe", "node_job", "job_ids",
                      "task_ids", "edge_index", "edge_features", "pe_features",
                      "global_features"):
            np.testing.assert_allclose(getattr(ours, field), getattr(fresh, field),
                                       rtol=1e-6, err_msg=field)
        assert env.observation_space.contains(obs)
        valid = np.flatnonzero(info["action_mask"])
        obs, _, terminated, truncated, info = env.step(valid[rng.integers(valid.size)])
        if terminated or truncated:
            break


def test_graph_observation_maps_nodes_to_actions() -> None:
    env = gym.make("socsim/DeepSoCS-v0", action_mode="assign").unwrapped
    env.reset(seed=0)
    graph = env.graph_observation()
    assert graph.node_features.shape == (30, len(NODE_FEATURES))
    assert graph.edge_index.shape == (2, 45)
    ready = np.flatnonzero(graph.node_features[:, 0])
    for node in ready:
        job = graph.job_ids[graph.node_job[node]]
        action = env.action_for(int(job), int(graph.task_ids[node]), 1)
        assert action == graph.node_slot[node] * env.limits.max_pes + 1
        assert graph.action_mask[action]


def test_limits_errors_name_the_limit_to_raise() -> None:
    with pytest.raises(ValueError, match="raise max_pes to at least 3"):
        gym.make("socsim/DeepSoCS-v0", max_pes=2)
    env = gym.make("socsim/DAGSchedule-v0", jobs=3, max_jobs=2)
    with pytest.raises(ObservationLimitError, match="raise max_jobs"):
        env.reset(seed=0)
    env = gym.make("socsim/DAGSchedule-v0", jobs=3, max_nodes=25)
    with pytest.raises(ObservationLimitError, match="need 30 task slots but max_nodes=25; "
                                                    "raise max_nodes"):
        env.reset(seed=0)
    env = gym.make("socsim/DAGSchedule-v0", max_edges=10)
    with pytest.raises(ObservationLimitError, match="has 15 edges but max_edges=10"):
        env.reset(seed=0)


def test_padding_to_a_larger_platform() -> None:
    env = gym.make("socsim/DeepSoCS-v0", max_pes=8)
    obs, _ = env.reset(seed=0)
    assert env.action_space.n == 30
    np.testing.assert_array_equal(obs["pe_mask"], [1, 1, 1, 0, 0, 0, 0, 0])
    assert (obs["node_pe_time"][:, 3:] == -1).all()
    assign = gym.make("socsim/DeepSoCS-v0", max_pes=8, action_mode="assign")
    assert assign.action_space.n == 30 * 8 + 1


def test_faults_never_offer_a_down_pe() -> None:
    env = gym.make("socsim/DeepSoCS-v0", action_mode="assign", fail=["P1@100-2000"],
                   horizon=2500.0, baseline=None)
    steps = random_rollout(env, seed=1)
    assert steps[-1][3] is True
    # PE 0 (P1) is down from 100 to 2000 us: no decision in that span offers it
    env.reset(seed=1)
    base = env.unwrapped
    rng = np.random.default_rng(1)
    while True:
        mask = base.action_masks()
        if 100 <= base.simulator.now < 2000:
            assert not mask[:-1].reshape(30, 3)[:, 0].any()
        valid = np.flatnonzero(mask)
        _, _, terminated, truncated, _ = env.step(valid[rng.integers(valid.size)])
        if terminated or truncated:
            break


# -------------------------------------------------------------- rendering
def test_ansi_rendering_lists_pes_and_queues() -> None:
    env = gym.make("socsim/DeepSoCS-v0", render_mode="ansi")
    env.reset(seed=0)
    for _ in range(3):
        env.step(env.action_space.sample())
    text = env.render()
    assert text.startswith("t = ")
    for name in ("P1", "P2", "P3", "queue [", "ready:"):
        assert name in text


def test_rgb_array_rendering_is_the_gantt_chart_so_far() -> None:
    env = gym.make("socsim/DeepSoCS-v0", render_mode="rgb_array", horizon=200.0)
    random_rollout(env, seed=0)
    image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert env.unwrapped.simulator.trace  # the trace was kept
    plain = gym.make("socsim/DeepSoCS-v0", render_mode="ansi")
    plain.reset(seed=0)
    with pytest.raises(RuntimeError, match="keep_trace"):
        from socsim.envs.render import render_gantt
        render_gantt(plain.unwrapped.simulator)


def test_human_rendering_prints_where_no_display_exists(
        capsys: pytest.CaptureFixture[str]) -> None:
    env = gym.make("socsim/DAGSchedule-v0", render_mode="human")  # matplotlib: agg here
    env.reset(seed=0)
    env.step(0)
    out = capsys.readouterr()
    assert "P3" in out.out
    assert out.err.count("found no display") == 1  # said once, not at every step


def test_human_rendering_draws_the_gantt_chart_in_a_window_where_a_display_exists(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.pyplot as plt

    from socsim.envs import render

    pauses: list[float] = []
    monkeypatch.setattr(render, "display_backend", lambda: "tkagg")  # pretend a screen
    monkeypatch.setattr(plt, "pause", pauses.append)  # the agg canvas stands in for it
    env = gym.make("socsim/DAGSchedule-v0", render_mode="human")
    env.reset(seed=0)
    window = env.unwrapped._window
    assert window is not None and not window.text_only
    first = window._image.get_array().copy()
    for action in range(3):
        mask = env.unwrapped.action_masks()
        env.step(int(np.flatnonzero(mask)[0]) if mask.any() else action)
    figure = window._figure
    assert plt.fignum_exists(figure.number)
    assert not np.array_equal(window._image.get_array(), first)  # bars were added
    assert "t = " in figure._suptitle.get_text()
    assert pauses and all(p == pytest.approx(1 / env.metadata["render_fps"]) for p in pauses)
    env.close()
    assert not plt.fignum_exists(figure.number)


def test_human_rendering_falls_back_to_text_if_the_window_fails(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from socsim.envs import render

    def broken(*_: object) -> None:
        raise RuntimeError("no $DISPLAY")

    monkeypatch.setattr(render, "display_backend", lambda: "tkagg")
    monkeypatch.setattr(render.HumanWindow, "_draw", broken)
    env = gym.make("socsim/DAGSchedule-v0", render_mode="human")
    env.reset(seed=0)
    env.step(0)
    out = capsys.readouterr()
    assert out.err.count("could not open a window (no $DISPLAY)") == 1
    assert out.out.count("t = ") == 2


def test_streaming_defaults() -> None:
    env = gym.make("socsim/SoCStream-v0").unwrapped
    scenario = env.generator.scenario
    assert (scenario.platform, scenario.mix) == ("mobile_soc", "edge_ai")
    assert env.action_space.n == 360 * 17 + 1
    assert env.limits.max_edges == 468
    deepsocs = gym.make("socsim/DeepSoCS-v0").unwrapped
    from socsim.agents.scenario import DEEPSOCS
    assert deepsocs.generator.scenario == DEEPSOCS.scenario


def test_waiting_into_a_dead_end_is_masked() -> None:
    # n1 on P1; P1 fails at 5 (n1 returns) and recovers at 10; the aborted run's finish
    # event (14) is stale. At 10 nothing runs and nothing is due but that stale event:
    # waiting would idle the platform to 14 for nothing, so it is masked.
    env = gym.make("socsim/DAGSchedule-v0", action_mode="assign", fail=["P1@5-10"]).unwrapped
    env.reset(seed=0)
    _, _, _, _, info = env.step(0)
    assert env.simulator.now == 5.0 and np.flatnonzero(info["action_mask"]).tolist() == [1, 2, 30]
    _, _, _, _, info = env.step(30)
    assert env.simulator.now == 10.0
    assert np.flatnonzero(info["action_mask"]).tolist() == [0, 1, 2]
