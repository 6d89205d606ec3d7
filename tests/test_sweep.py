"""``socsim sweep``: the file format's checks, and small sweeps on the local backend."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from socsim.agents.compare import compare
from socsim.agents.scenario import DEEPSOCS
from socsim.agents.sweep import load_sweep, parse_sweep, run_sweep, write_table
from socsim.cli import main
from socsim.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
TINY = {"preset": "deepsocs", "scenario": {"horizon": 500}, "schedulers": ["heft-rt", "etf"],
        "seeds": 2, "grid": {"noise": [0.0, 0.3]}}


@pytest.mark.parametrize(("data", "field", "fix"), [
    ([1, 2], "<file>", "key: value"),
    ({**TINY, "grids": {}}, "grids", "did you mean 'grid'"),
    ({**TINY, "kind": "tune"}, "kind", "compare, train"),
    ({**TINY, "preset": "deepsoc"}, "preset", "did you mean 'deepsocs'"),
    ({**TINY, "scenario": {"nosie": 0.1}}, "scenario.nosie", "did you mean 'noise'"),
    ({**TINY, "schedulers": ["heft-rt", "etff"]}, "schedulers[1]", "registered name"),
    ({**TINY, "schedulers": ["etf", "etf"]}, "schedulers", "once"),
    ({**TINY, "seeds": 0}, "seeds", "at least 1"),
    ({**TINY, "seeds": [1, 1]}, "seeds", "distinct"),
    ({**TINY, "seeds": True}, "seeds", "whole numbers"),
    ({k: v for k, v in TINY.items() if k != "grid"}, "grid", "fields to vary"),
    ({**TINY, "grid": {"noise": []}}, "grid.noise", "non-empty list"),
    ({**TINY, "grid": {"speed": [1]}}, "grid.speed", "use one of"),
    ({**TINY, "grid": {"platform": ["canonical3", "nope"]}}, "grid (platform=nope)",
     "change that value"),
    ({**TINY, "train": {"lr": 0.1}}, "train", "kind: train"),
    ({"kind": "train", "seeds": 1, "grid": {"lr": [0.1]}, "train": {"seed": 3}},
     "train.seed", "top-level 'seeds:'"),
    ({"kind": "train", "seeds": 1, "grid": {"learning_rate": [0.1]}}, "grid.learning_rate",
     "use one of"),
    ({"kind": "train", "seeds": 1, "grid": {"lr": [0.1]}, "schedulers": ["etf"]},
     "schedulers", "env_kwargs"),
    ({"grid": {"noise": [0]}, "seeds": 1}, "schedulers", "name a preset"),
])
def test_bad_files_name_the_field_and_the_fix(data, field, fix) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_sweep(data, "s.yaml")
    assert caught.value.source == "s.yaml"
    assert caught.value.field == field
    assert fix in caught.value.fix


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_sweep(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("grid: [noise\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_sweep(bad)


def test_defaults_from_the_preset_and_grid_order() -> None:
    sweep = parse_sweep({"preset": "deepsocs", "grid": {"noise": [0, 1], "prefill": [1, 2]}})
    assert sweep.schedulers == list(DEEPSOCS.schedulers)
    assert sweep.seeds == list(range(DEEPSOCS.seeds))
    assert sweep.points() == [{"noise": 0, "prefill": 1}, {"noise": 0, "prefill": 2},
                              {"noise": 1, "prefill": 1}, {"noise": 1, "prefill": 2}]
    assert parse_sweep({**TINY, "seeds": [7, 3]}).seeds == [7, 3]
    assert parse_sweep({**TINY, "first_seed": 5}).seeds == [5, 6]


def test_compare_sweep_rows_equal_separate_comparisons() -> None:
    sweep = parse_sweep(TINY)
    rows = run_sweep(sweep, workers=2)
    assert [(r["noise"], r["scheduler"]) for r in rows] == [
        (0.0, "heft-rt"), (0.0, "etf"), (0.3, "heft-rt"), (0.3, "etf")]
    for noise in (0.0, 0.3):
        alone = compare(sweep.scenario.replace(noise=noise), ["heft-rt", "etf"], [0, 1],
                        workers=1).summary_rows()
        assert [{k: v for k, v in r.items() if k != "noise"}
                for r in rows if r["noise"] == noise] == alone


def test_cli_writes_one_table(tmp_path: Path) -> None:
    config = tmp_path / "s.yaml"
    config.write_text("preset: deepsocs\nscenario: {horizon: 500}\nschedulers: [etf, met]\n"
                      "seeds: 2\ngrid:\n  interarrival: [25, 50]\n")
    out = tmp_path / "out" / "table.csv"
    assert main(["sweep", str(config), "--out", str(out), "--workers", "1"]) == 0
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["interarrival"], r["scheduler"]) for r in rows] == [
        ("25", "etf"), ("25", "met"), ("50", "etf"), ("50", "met")]
    assert out.with_suffix(".md").read_text().startswith("| interarrival | scheduler |")


def test_cli_errors_are_one_line(tmp_path: Path, capsys) -> None:
    config = tmp_path / "s.yaml"
    config.write_text("grid: {noise: [0]}\nseeds: 1\npreset: deepsocs\nschedulerz: [etf]\n")
    assert main(["sweep", str(config), "--out", str(tmp_path / "t.csv")]) == 2
    assert "field 'schedulerz'" in capsys.readouterr().err
    assert main(["sweep", str(config), "--out", str(tmp_path / "t.txt")]) == 2
    assert main(["sweep", str(config), "--address", "auto"]) == 2


def test_train_sweep_runs_one_row_per_point_and_seed(tmp_path: Path) -> None:
    sweep = parse_sweep({"kind": "train", "seeds": [0], "grid": {"lr": [1e-3, 1e-2]},
                         "train": {"iterations": 1, "rollouts": 2, "start_decisions": 20,
                                   "embed_dim": 8, "depth": 1, "eval_every": 0,
                                   "eval_seeds": [10_000],
                                   "env_kwargs": {"horizon": 300}}})
    rows = run_sweep(sweep, workers=1, run_root=tmp_path / "runs")
    assert [(r["lr"], r["seed"]) for r in rows] == [(1e-3, 0), (1e-2, 0)]
    assert all(r["eval_mean_latency"] > 0 and "train_loss" in r for r in rows)
    assert (tmp_path / "runs" / "point1_seed0" / "log.jsonl").exists()
    paths = write_table(rows, tmp_path / "train.csv")
    assert paths["markdown"].read_text().count("\n") == 4


def test_example_sweep_file_is_valid() -> None:
    for path in (ROOT / "experiments" / "sweeps").glob("*.yaml"):
        assert load_sweep(path).points()
