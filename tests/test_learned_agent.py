"""Learned scheduler: encoder invariances, masking, a training smoke run, resuming."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import socsim  # noqa: F401
from socsim.agents.learned.checkpoint import load_checkpoint, load_policy
from socsim.agents.learned.encoder import obs_to_tensors
from socsim.agents.learned.policy import build_policy, decode
from socsim.agents.learned.rollout import evaluate_policy, make_env, min_finish_action, run_policy
from socsim.agents.learned.scheduler import LearnedScheduler
from socsim.agents.learned.train_bc import BCConfig, collect, train_bc
from socsim.agents.learned.train_ppo import PPOConfig, train_ppo
from socsim.agents.learned.train_reinforce import ReinforceConfig, Trainer
from socsim.envs.generator import apply_overrides, preset_scenario
from socsim.registry import make_scheduler


def _padded_obs(mode: str = "order", steps: int = 40):
    """An observation with padded node and edge slots (room for 5 jobs, at most 3 present)."""
    env = gym.make("socsim/DeepSoCS-v0", action_mode=mode, max_jobs=5, baseline=None)
    obs, _ = env.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        mask = env.unwrapped.action_masks()
        obs, *_ = env.step(int(rng.choice(np.flatnonzero(mask))))
    assert obs["node_mask"].sum() < len(obs["node_mask"])
    assert obs["edge_mask"].sum() < len(obs["edge_mask"])
    return env, obs


@pytest.mark.parametrize("mode", ["order", "assign"])
def test_padding_changes_nothing(mode):
    torch.manual_seed(0)
    env, obs = _padded_obs(mode)
    policy = build_policy(env)
    garbage = {k: v.copy() for k, v in obs.items()}
    rng = np.random.default_rng(1)
    pad_nodes = garbage["node_mask"] == 0
    garbage["node_features"][pad_nodes] = rng.normal(size=garbage["node_features"][pad_nodes].shape)
    garbage["node_pe_time"][pad_nodes] = rng.uniform(size=garbage["node_pe_time"][pad_nodes].shape)
    pad_edges = garbage["edge_mask"] == 0
    n = len(pad_nodes)
    garbage["edge_index"][:, pad_edges] = rng.integers(0, n, size=(2, int(pad_edges.sum())))
    garbage["edge_features"][pad_edges] = 7.0
    with torch.no_grad():
        a, va = policy(obs_to_tensors(obs))
        b, vb = policy(obs_to_tensors(garbage))
    assert torch.allclose(va, vb, atol=1e-5)
    finite = torch.isfinite(a)
    assert torch.equal(finite, torch.isfinite(b))
    assert torch.allclose(a[finite], b[finite], atol=1e-5)


def test_permutation_equivariance():
    torch.manual_seed(0)
    env, obs = _padded_obs("order")
    policy = build_policy(env)
    n = len(obs["node_mask"])
    perm = np.random.default_rng(2).permutation(n)  # new slot i holds old slot perm[i]
    inverse = np.argsort(perm)
    moved = {k: v.copy() for k, v in obs.items()}
    for key in ("node_features", "node_pe_time", "node_pe", "node_job", "node_mask",
                "action_mask"):
        moved[key] = obs[key][perm]
    moved["edge_index"] = inverse[obs["edge_index"]]
    edge_perm = np.random.default_rng(3).permutation(obs["edge_mask"].shape[0])
    for key in ("edge_features", "edge_mask"):
        moved[key] = moved[key][edge_perm]
    moved["edge_index"] = moved["edge_index"][:, edge_perm]
    with torch.no_grad():
        a, va = policy(obs_to_tensors(obs))
        b, vb = policy(obs_to_tensors(moved))
        ea = policy.encoder(obs_to_tensors(obs)).node[0]
        eb = policy.encoder(obs_to_tensors(moved)).node[0]
    assert torch.allclose(va, vb, atol=1e-5)
    assert torch.allclose(ea[perm], eb, atol=1e-5)
    assert torch.equal(a[0][perm], b[0]) or torch.allclose(
        a[0][perm][torch.isfinite(b[0])], b[0][torch.isfinite(b[0])], atol=1e-5)


@pytest.mark.parametrize("mode", ["order", "assign"])
def test_never_selects_a_masked_action(mode):
    torch.manual_seed(0)
    env = gym.make("socsim/DeepSoCS-v0", action_mode=mode, baseline=None, horizon=600)
    policy = build_policy(env)
    obs, _ = env.reset(seed=0)
    gen = torch.Generator().manual_seed(0)
    for _ in range(150):
        logits, _ = policy(obs_to_tensors(obs))
        assert torch.isinf(logits[0][obs["action_mask"] == 0]).all()
        for strategy in ("greedy", "sample"):
            action = int(decode(logits, strategy, gen)[0])
            assert obs["action_mask"][action] == 1
        obs, _, terminated, truncated, _ = env.step(action)  # raises on a masked action
        if terminated or truncated:
            obs, _ = env.reset(seed=1)


def test_behaviour_cloning_improves_on_random_init(tmp_path):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    env = gym.make("socsim/DeepSoCS-v0", baseline=None)
    held_out = BCConfig(episodes=1, seed=900)  # a teacher episode not trained on
    batch, actions, _ = collect(held_out)
    fresh = build_policy(env)
    with torch.no_grad():
        before = (fresh(batch)[0].argmax(-1) == actions).float().mean().item()
    config = BCConfig(episodes=3, epochs=6, eval_seeds=[], seed=0)
    policy = train_bc(config, tmp_path / "bc", show_progress=False)
    with torch.no_grad():
        after = (policy(batch)[0].argmax(-1) == actions).float().mean().item()
    assert after > before + 0.15, (before, after)  # agrees far more with ETF's order
    seeds = [50_000]
    env = make_env("socsim/DeepSoCS-v0", {"baseline": None}, finish_features=True)
    loaded = load_policy(tmp_path / "bc")
    assert run_policy(env, loaded, seed=seeds[0]).metrics["mean_latency"] == pytest.approx(
        evaluate_policy(env, policy, seeds)[0]["mean_latency"])


def test_reinforce_resumes_to_the_same_state(tmp_path):
    def config(iterations):
        return ReinforceConfig(iterations=iterations, rollouts=2, workers=1, start_decisions=40,
                               decisions_growth=10, eval_every=0, seed=5)

    straight = Trainer(config(2), tmp_path / "a")
    straight.run(show_progress=False)
    Trainer(config(1), tmp_path / "b").run(show_progress=False)
    resumed = Trainer(config(2), tmp_path / "b")
    assert resumed.iteration == 1
    resumed.run(show_progress=False)
    a, b = load_checkpoint(tmp_path / "a"), load_checkpoint(tmp_path / "b")
    assert a["step"] == b["step"] == 2
    assert a["r_bar"] == b["r_bar"]
    for key, value in a["policy"].items():
        assert torch.equal(value, b["policy"][key]), key


def test_finish_feature_matches_the_environments_placement():
    env = make_env("socsim/DeepSoCS-v0", {"baseline": None, "noise": 0.3}, finish_features=True)
    obs, _ = env.reset(seed=4)
    for _ in range(200):
        action = min_finish_action(obs)
        row = obs["node_pe_finish"][action]
        expected_pe = int(np.argmin(np.where(row > 0, row, np.inf)))
        state, task = env.unwrapped.engine.task_at(action)
        obs, _, terminated, truncated, _ = env.step(action)
        assert state.task_pe[task] == expected_pe
        if terminated or truncated:
            break


@pytest.mark.parametrize("mode", ["order", "assign"])
def test_learned_scheduler_reproduces_the_environment(mode):
    torch.manual_seed(0)
    kwargs = {"horizon": 800, "action_mode": mode}
    env = make_env("socsim/DeepSoCS-v0", {"baseline": None, **kwargs}, True)
    policy = build_policy(env)
    ep = run_policy(env, policy, sim_seed=11)
    assert ep.metrics["completed"] > 0
    scheduler = LearnedScheduler(policy, env_kwargs=kwargs)
    scenario = apply_overrides(preset_scenario("deepsocs"), {"horizon": 800})
    result = scenario.simulator(11).run(scheduler)
    assert result.metrics["mean_latency"] == pytest.approx(ep.metrics["mean_latency"])
    assert result.metrics["completed"] == ep.metrics["completed"]


def test_learned_default_is_a_registered_scheduler():
    scheduler = make_scheduler("learned:default")
    assert scheduler.name == "learned:default"
    earlier = make_scheduler("learned:deepsocs-env")  # the fixed-size agent still loads
    assert isinstance(earlier, LearnedScheduler)
    with pytest.raises(FileNotFoundError):
        make_scheduler("learned:/nonexistent/run")


def test_maskable_ppo_with_the_graph_policy(tmp_path):
    pytest.importorskip("sb3_contrib")
    torch.set_num_threads(1)
    config = PPOConfig(env_kwargs={"horizon": 600}, steps=128, n_steps=64, batch_size=32)
    policy = train_ppo(config, tmp_path / "ppo")
    loaded = load_policy(tmp_path / "ppo")
    for key, value in policy.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])
    env = make_env("socsim/DeepSoCS-v0", {"baseline": None, "horizon": 600}, True)
    assert run_policy(env, loaded, seed=1).metrics["completed"] > 0
