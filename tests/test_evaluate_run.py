"""``socsim evaluate RUN``: parallel seeds, the showcase's table and plot, one-line misfits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from socsim.agents.learned.cli import evaluate_run
from socsim.cli import main

TINY = '{"horizon": 300}'


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Error lines are not wrapped by the console."""
    monkeypatch.setenv("COLUMNS", "100000")
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny behaviour-cloning run on the default environment."""
    out = tmp_path_factory.mktemp("evaluate") / "bc"
    assert main(["train", "--algo", "bc", "--episodes", "1", "--epochs", "1", "--env-kwargs",
                 TINY, "--quiet", "--out", str(out)]) == 0
    return out


def test_parallel_results_equal_serial(run: Path) -> None:
    seeds = [100_000, 100_001, 100_002]
    kwargs = json.loads(TINY)
    serial = evaluate_run(run, "socsim/DeepSoCS-v0", kwargs, seeds, ["etf"], workers=1)
    parallel = evaluate_run(run, "socsim/DeepSoCS-v0", kwargs, seeds, ["etf"], workers=2)
    assert serial == parallel
    assert [r["seed"] for r in parallel["learned"]] == seeds


def test_evaluate_prints_the_table_at_each_noise_and_writes_the_plot(
        run: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["evaluate", str(run), "--seeds", "2", "--workers", "2", "--noises", "0,0.5",
                 "--baselines", "heft-rt,etf"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "| sigma | scheduler | censored latency (us) |" in out
    assert "vs heft-rt" in out and "vs etf" in out and " %" in out
    for noise in ("0", "0.5"):
        assert f"| {noise} | learned |" in out
    folder = run / "eval"
    assert (folder / "horizon-300_noise-0.0.json").exists()
    assert (folder / "horizon-300_noise-0.5.json").exists()
    pngs = list(folder.glob("*noises-0_0.5*.png"))
    assert len(pngs) == 1 and pngs[0].stat().st_size > 0
    assert "Traceback" not in out


def test_misfit_env_is_a_one_line_error(run: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["evaluate", str(run), "--seeds", "1", "--env", "socsim/SoCStream-v0"])
    captured = capsys.readouterr()
    text = (captured.err + captured.out).strip()
    assert code == 2, text
    assert "\n" not in text and "Traceback" not in text, text
    for part in (str(run), "socsim/SoCStream-v0", "num_pes 3 (agent) vs 17 (env)", "Fix:",
                 "--env socsim/DeepSoCS-v0", "socsim train --env socsim/SoCStream-v0"):
        assert part in text, (part, text)
    assert not (run / "eval").exists() or not list((run / "eval").glob("*SoCStream*"))
