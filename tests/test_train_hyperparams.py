"""``socsim train``: --version, --hyperparams, auto-numbered run folders, REINFORCE best."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from socsim import __version__
from socsim.cli import main

pytest.importorskip("torch")

FAST = {"algo": "reinforce", "env": "socsim/DAGSchedule-v0", "iterations": 2, "rollouts": 2,
        "workers": 1}


@pytest.mark.parametrize("argv", [["--version"], ["train", "--version"]])
def test_version(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"socsim {__version__}"


def test_hyperparams_file_flags_override_and_saved_beside_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    hp = tmp_path / "hp.yaml"
    hp.write_text(yaml.safe_dump({**FAST, "eval-freq": 1, "seed": 3}))
    # the command line wins, even when it gives the flag's default value (seed 0)
    assert main(["train", "--hyperparams", str(hp), "--seed", "0", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "overrides seed" in out
    run = Path("runs/DAGSchedule-v0_reinforce_1")
    assert f"run folder {run}" in out
    saved = yaml.safe_load((run / "hyperparams.yaml").read_text())
    assert saved["seed"] == 0 and saved["iterations"] == 2 and saved["eval_freq"] == 1
    assert json.loads((run / "args.json").read_text())["seed"] == 0
    # REINFORCE evaluates every --eval-freq iterations and keeps the best
    evals = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    evals = [line for line in evals if "eval/censored_latency" in line]
    assert [line["step"] for line in evals] == [1, 2]
    best = json.loads((run / "best.json").read_text())
    assert best["censored_latency"] == min(line["eval/censored_latency"] for line in evals)
    assert best["censored_latency"] == evals[-1]["eval/best_censored_latency"]
    assert "heft_rt_censored_latency" in best and (run / "best_policy.pt").exists()
    # the saved file reads back; the next run without --out gets the next number
    assert main(["train", "--hyperparams", str(run / "hyperparams.yaml"), "--quiet",
                 "--eval-freq", "0", "--save-freq", "0"]) == 0
    second = Path("runs/DAGSchedule-v0_reinforce_2")
    assert (second / "policy.pt").exists() and (second / "checkpoints/latest.pt").exists()
    assert not (second / "best.json").exists()
    assert yaml.safe_load((second / "hyperparams.yaml").read_text())["seed"] == 0


def test_run_folder_numbering(tmp_path: Path) -> None:
    from socsim.agents.learned.hyperparams import next_run_dir, run_name

    assert run_name("socsim/DeepSoCS-v0", "ppo") == "DeepSoCS-v0_ppo"
    assert next_run_dir("socsim/DeepSoCS-v0", "ppo", tmp_path) == \
        tmp_path / "DeepSoCS-v0_ppo_1"
    for name in ("DeepSoCS-v0_ppo_2", "DeepSoCS-v0_ppo_10", "DeepSoCS-v0_bc_40", "x_ppo_99"):
        (tmp_path / name).mkdir()
    assert next_run_dir("socsim/DeepSoCS-v0", "ppo", tmp_path).name == "DeepSoCS-v0_ppo_11"


@pytest.mark.parametrize(("doc", "field", "fix"), [
    ("steps: many\n", "steps", "give an integer"),
    ("algo: sarsa\n", "algo", "use one of bc, reinforce, ppo"),
    ("learning_rate: 0.1\n", "learning_rate", "use one of"),
    ("out: runs/x\n", "out", "command line only"),
    ("eval_freq: 1\neval-freq: 2\n", "eval-freq", "keep one of them"),
    ("lr: -1\n", "lr", "at least 0"),
    ("- 1\n", "(top level)", "key: value"),
    ("steps: !!python/object/apply:os.system [echo]\n", "", ""),
])
def test_bad_hyperparams_name_file_field_and_fix(tmp_path: Path, doc: str, field: str, fix: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    hp = tmp_path / "hp.yaml"
    hp.write_text(doc)
    assert main(["train", "--hyperparams", str(hp), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(hp) in err
    if field:
        assert f"field '{field}'" in err and fix in err and "Fix:" in err
    assert not (tmp_path / "r").exists()


def test_help_says_flags_override_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "flags given on the command line override the file's values" in out
    assert "runs/<env>_<algo>_<n>" in out and "--version" in out
