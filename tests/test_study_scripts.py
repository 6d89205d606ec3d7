"""Tiny runs of the study scripts in experiments/study/ (structure and one property each)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

STUDY = Path(__file__).resolve().parents[1] / "experiments" / "study"
sys.path.insert(0, str(STUDY))

import deepsocs_grid  # noqa: E402
import generalisation  # noqa: E402
import robustness  # noqa: E402
import static_gap  # noqa: E402
from study_common import AGENT  # noqa: E402


def _files(out: Path, name: str) -> None:
    for ext in ("md", "csv", "png"):
        path = out / f"{name}.{ext}"
        assert path.exists() and path.stat().st_size > 0, path
    text = (out / f"{name}.md").read_text()
    assert "## Reading" in text and ".venv/bin/python" in text and "±" in text
    with (out / f"{name}.csv").open() as handle:
        assert list(csv.DictReader(handle))


def test_deepsocs_grid_tiny(tmp_path: Path) -> None:
    rows = deepsocs_grid.run(seeds=2, out=tmp_path, workers=1, sigmas=(0.0, 0.5),
                             scales=(25.0,), horizon=400.0)
    _files(tmp_path, "deepsocs_grid")
    assert len(rows) == 2 * 7
    assert {r["scheduler"] for r in rows} == {*deepsocs_grid.HEURISTICS, AGENT}
    agent = [r for r in rows if r["scheduler"] == AGENT]
    assert all(isinstance(r["vs_etf_pct"], float) for r in agent)
    # the same seeds for every scheduler: the HEFT_RT cell equals a direct compare run
    heft = next(r for r in rows if r["scheduler"] == "heft-rt" and r["sigma"] == 0.0)
    from socsim.agents.compare import compare
    from socsim.agents.scenario import DEEPSOCS

    direct = compare(DEEPSOCS.scenario.replace(horizon=400.0), ["heft-rt"],
                     [100_000, 100_001], workers=1)
    assert heft["mean_latency"] == pytest.approx(direct.summary["heft-rt"]["mean_latency"].mean,
                                                 abs=1e-3)


def test_static_gap_tiny(tmp_path: Path) -> None:
    # the shipped DeepSoCS agent fits one 10-task graph on canonical3: no training here
    rows = static_gap.run(agent="learned:default", seeds=1, out=tmp_path, workers=1,
                          sizes=(10,))
    _files(tmp_path, "static_gap")
    assert len(rows) == len(static_gap.CCRS) * len(static_gap.BETAS)
    for row in rows:
        assert row["lower_bound"] <= row["optimum"] + 1e-9
        for name in (*static_gap.HEURISTICS, AGENT):
            if row["status"] == "optimal":  # nothing beats a proven optimum
                assert row[f"{name}_makespan"] >= row["optimum"] - 1e-6
                assert row[f"{name}_gap_pct"] >= -1e-6


def test_static_gap_graphs_are_disjoint() -> None:
    tests = {static_gap.spec(*g) for g in static_gap.grid(range(1, 6))}
    train = {static_gap.spec(*g) for g in static_gap.grid(
        range(static_gap.TRAIN_FIRST_SEED, static_gap.TRAIN_FIRST_SEED + static_gap.TRAIN_SEEDS))}
    assert tests and train and not tests & train


def test_robustness_tiny(tmp_path: Path) -> None:
    levels = {"none": {}, "P3 fails at 150 us": {"fail": ("P3@150",)},
              "random": {"mtbf": 300.0, "mttr": 50.0}}
    rows = robustness.run(seeds=2, out=tmp_path, workers=1, levels=levels, horizon=400.0)
    _files(tmp_path, "robustness")
    assert len(rows) == len(levels) * (1 + len(robustness.HEURISTICS))
    for row in rows:  # every injected job is accounted for
        assert row["completed"] + row["failed"] + row["in_system"] == row["injected"]
        assert row["injected"] > 0
    # no faults in this short run ever leave a job without a live PE on canonical3
    assert all(row["failed"] == 0 for row in rows)


def test_generalisation_tiny(tmp_path: Path) -> None:
    rows = generalisation.run(seeds=2, quick=True, out=tmp_path, workers=1, train=False,
                              horizon=300.0)
    _files(tmp_path, "generalisation")
    parts = {r["part"] for r in rows}
    assert parts == {"A load/noise", "B mix", "D platform"}
    agent = [r for r in rows if r["scheduler"] == AGENT]
    assert agent and all(r["completed"] > 0 for r in agent)
    # the mix part ran the agent on DAGs it was not trained on, part D on an unseen platform
    assert any(r["part"] == "B mix" and "peft" in r["condition"] for r in agent)
    assert any(r["part"] == "D platform" and "unseen" in r["condition"] for r in agent)
    # ranked by the censored mean, with the completed-jobs mean kept beside it
    assert all({"censored_latency", "completed_mean_latency", "completed"} <= set(r) for r in rows)
    assert "Censored mean latency" in (tmp_path / "generalisation.md").read_text()
