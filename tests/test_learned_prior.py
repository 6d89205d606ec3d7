"""The earliest-finish prior, log-compressed inputs and the shipped-agent showcase."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from socsim.agents.learned.encoder import EncoderConfig, obs_to_tensors, squash_inputs
from socsim.agents.learned.features import FINISH_KEY
from socsim.agents.learned.policy import PolicyConfig, build_policy, relative_finish
from socsim.agents.learned.rollout import make_env
from socsim.agents.learned.showcase import agent_vs_heuristics, write_outputs
from socsim.agents.scenario import PRESETS
from socsim.cli import main


def test_untrained_prior_policy_picks_the_earliest_finishing_pair():
    env = make_env("socsim/DeepSoCS-v0", {"action_mode": "assign", "baseline": None,
                                           "noise": 0.3}, finish_features=True)
    policy = build_policy(env, finish_prior=50.0)
    obs, _ = env.reset(seed=5)
    checked = 0
    for _ in range(150):
        mask = obs["action_mask"].astype(bool)
        scores = np.full(mask.shape, np.inf)
        scores[:-1] = obs[FINISH_KEY].reshape(-1)
        scores[~mask] = np.inf
        with torch.no_grad():
            action = int(policy(obs_to_tensors(obs))[0].argmax(-1)[0])
        if np.isfinite(scores).any():
            assert scores[action] == scores[np.isfinite(scores)].min()
            checked += 1
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    assert checked > 50


def test_relative_finish_is_zero_at_the_best_allowed_pair_and_off_the_mask():
    finish = torch.tensor([[0.5, 0.2, 0.9, 0.1]])
    allowed = torch.tensor([[True, True, True, False]])
    rel = relative_finish(finish, allowed)
    assert torch.allclose(rel, torch.tensor([[0.3, 0.0, 0.7, 0.0]]))
    nothing = relative_finish(finish, torch.zeros_like(allowed))
    assert torch.equal(nothing, torch.zeros_like(finish))


def test_prior_needs_assign_mode_with_finish_features():
    env = make_env("socsim/DeepSoCS-v0", {"baseline": None}, finish_features=True)
    with pytest.raises(ValueError, match="assign"):
        build_policy(env, finish_prior=10.0)  # DeepSoCS-v0 defaults to order mode
    with pytest.raises(ValueError, match=">= 0"):
        build_policy(env, action_mode="assign", finish_prior=-1.0)


def test_configs_round_trip_and_old_checkpoints_load_without_the_new_keys():
    env = make_env("socsim/DeepSoCS-v0", {"action_mode": "assign", "baseline": None}, True)
    config = build_policy(env, finish_prior=20.0).config
    again = PolicyConfig.from_dict(config.to_dict())
    assert again == config and again.finish_prior == 20.0 and again.encoder.log_inputs
    old = config.to_dict()
    old.pop("finish_prior")
    old["encoder"].pop("log_inputs")
    legacy = PolicyConfig.from_dict(old)
    assert legacy.finish_prior == 0.0 and not legacy.encoder.log_inputs
    assert EncoderConfig.from_dict(old["encoder"]).log_inputs is False


def test_squash_is_monotone_and_keeps_sign_and_zero_padding():
    x = torch.tensor([-1000.0, -1.0, 0.0, 0.5, 3.0, 1e4])
    out = squash_inputs({"node_features": x, "action_mask": torch.ones(6)})
    y = out["node_features"]
    assert torch.all(y[1:] > y[:-1])
    assert torch.equal(torch.sign(y), torch.sign(x))
    assert y[2] == 0.0 and y[-1] < 10.0
    assert torch.equal(out["action_mask"], torch.ones(6))  # masks are not features


def test_log_inputs_keep_a_policy_finite_on_second_long_tasks():
    env = make_env("socsim/SoCStream-v0", {"horizon": 60_000.0, "baseline": None}, True)
    obs, _ = env.reset(seed=0)
    assert obs["node_pe_time"].max() > 50  # some task runs 50x the time scale on a slow PE
    torch.manual_seed(0)
    policy = build_policy(env)
    assert policy.config.encoder.log_inputs
    with torch.no_grad():
        logits, value = policy(obs_to_tensors(obs))
    allowed = torch.as_tensor(obs["action_mask"]).bool()
    assert torch.isfinite(logits[0][allowed]).all() and torch.isfinite(value).all()
    assert logits[0][allowed].abs().max() < 100


def test_showcase_table_and_files(tmp_path):
    scenario = PRESETS["deepsocs"].scenario.replace(horizon=600.0)
    rows = agent_vs_heuristics(noises=(0.0,), seeds=2, baselines=("heft-rt", "etf"),
                               workers=1, scenario=scenario)
    assert [r.scheduler for r in rows] == ["learned:default", "heft-rt", "etf"]
    by_name = {r.scheduler: r for r in rows}
    etf = by_name["etf"].mean
    assert by_name["learned:default"].vs["etf"] == pytest.approx(
        by_name["learned:default"].mean / etf - 1)
    assert by_name["etf"].vs["etf"] == 0.0
    paths = write_outputs(rows, ["heft-rt", "etf"], tmp_path)
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    with paths[0].open() as f:
        assert len(list(csv.DictReader(f))) == 3


def test_evaluate_without_a_run_prints_the_showcase(tmp_path, capsys):
    code = main(["evaluate", "--seeds", "2", "--noises", "0", "--workers", "1",
                 "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "learned:default" in out and "heft-rt" in out and "etf" in out
    assert (tmp_path / "agent_vs_heft.png").exists()
