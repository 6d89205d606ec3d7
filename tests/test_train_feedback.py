"""``socsim train --algo ppo``: progress, log.jsonl, evaluations keeping the best, checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socsim.cli import main

pytest.importorskip("sb3_contrib")


def _lines(path: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_ppo_run_logs_evaluates_keeps_the_best_and_resumes(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    run = tmp_path / "ppo"
    flags = ["train", "--algo", "ppo", "--env", "socsim/DAGSchedule-v0", "--out", str(run),
             "--eval-freq", "512", "--eval-episodes", "2", "--save-freq", "512"]
    assert main([*flags, "--steps", "1024"]) == 0
    out = capsys.readouterr().out
    assert "eval censored latency" in out and "HEFT_RT" in out
    assert "log.jsonl" in out  # where the scalars go (TensorBoard or not)
    for name in ("config.json", "args.json", "log.jsonl", "policy.pt", "ppo_state.pt",
                 "best_policy.pt", "best.json"):
        assert (run / name).exists(), name
    lines = _lines(run / "log.jsonl")
    evals = [line for line in lines if "eval/censored_latency" in line]
    rollouts = [line for line in lines if "rollout/return" in line]
    assert [line["step"] for line in evals] == [512, 1024]
    assert rollouts and all(line["rollout/episodes"] > 0 for line in rollouts)
    best = json.loads((run / "best.json").read_text())
    # selected by the censored mean; the completed-jobs mean and job counts logged beside it
    assert best["censored_latency"] == min(line["eval/censored_latency"] for line in evals)
    assert best["censored_latency"] == evals[-1]["eval/best_censored_latency"]
    for key in ("eval/mean_latency", "eval/completed", "eval/in_system"):
        assert all(key in line for line in evals)
    assert all("rollout/censored_latency" in line and "rollout/completed" in line
               for line in rollouts)
    args = json.loads((run / "args.json").read_text())
    assert args["eval_freq"] == 512 and args["save_freq"] == 512
    # resuming for longer continues from the checkpoint and keeps the best so far
    assert main([*flags, "--steps", "2048"]) == 0
    later = _lines(run / "log.jsonl")[len(lines):]
    assert min(line["step"] for line in later) > 1024
    assert json.loads((run / "best.json").read_text())["censored_latency"] <= \
        best["censored_latency"]


@pytest.mark.parametrize("flag", ["--eval-freq", "--save-freq"])
def test_negative_frequencies_are_refused(tmp_path: Path, flag: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--algo", "ppo", "--out", str(tmp_path / "r"), flag, "-1"])
    assert code != 0
    assert f"{flag} must be >= 0" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_train_help_shows_defaults_without_markup(capsys: pytest.CaptureFixture[str]) -> None:
    from socsim.agents.learned.cli import DEFAULT_LR
    from socsim.agents.learned.train_bc import BCConfig
    from socsim.agents.learned.train_ppo import PPOConfig
    from socsim.agents.learned.train_reinforce import ReinforceConfig

    configs = {"bc": BCConfig.lr, "reinforce": ReinforceConfig.lr, "ppo": PPOConfig.lr}
    assert configs == DEFAULT_LR
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "``" not in out and "::" not in out
    assert "(default: socsim/DeepSoCS-v0)" in out and "(default: 20000)" in out
    assert "(default: 0)" in out  # --seed: a zero default is still shown
    assert "--eval-freq" in out and "--save-freq" in out
