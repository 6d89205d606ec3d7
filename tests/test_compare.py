"""``compare``: shared seeds, executor-independent results, and the ``socsim compare`` command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from socsim.agents.compare import compare, pick_baseline, summarise
from socsim.agents.compare_cmd import scenario_from_args
from socsim.agents.scenario import DEEPSOCS, PRESETS, Scenario
from socsim.cli import build_parser, main

SMALL = DEEPSOCS.scenario.replace(horizon=800.0)


def test_parallel_equals_serial() -> None:
    names, seeds = ["heft-rt", "etf", "random"], [0, 1, 2]
    serial = compare(SMALL, names, seeds, workers=1)
    parallel = compare(SMALL, names, seeds, workers=2)
    assert parallel.rows == serial.rows
    assert parallel.summary == serial.summary


def test_any_executor_with_map() -> None:
    class Inline:
        def map(self, fn, *iterables):
            return map(fn, *iterables)

    names, seeds = ["etf", "met"], [5, 6]
    assert compare(SMALL, names, seeds, executor=Inline()).rows == \
        compare(SMALL, names, seeds, workers=1).rows


def test_rows_summary_and_baseline() -> None:
    result = compare(SMALL, ["etf", "heft-rt"], [0, 1], workers=1)
    assert [(r["scheduler"], r["seed"]) for r in result.rows] == [
        ("etf", 0), ("etf", 1), ("heft-rt", 0), ("heft-rt", 1)]
    assert result.baseline == "heft-rt"
    assert result.summary["heft-rt"]["mean_latency"].ratio == pytest.approx(1.0)
    latencies = result.values("etf", "mean_latency")
    assert result.summary["etf"]["mean_latency"].mean == pytest.approx(sum(latencies) / 2)
    # The same seed gives every scheduler the same arrivals: same first injections.
    assert pick_baseline(["heft", "heft-rt"]) == "heft" and pick_baseline(["etf"]) is None


def test_summarise_ignores_nan() -> None:
    value = summarise([1.0, math.nan, 3.0])
    assert (value.mean, value.n) == (2.0, 2) and value.sem == pytest.approx(1.0)
    assert summarise([math.nan]).n == 0


def test_bad_requests() -> None:
    with pytest.raises(ValueError, match="did you mean"):
        compare(SMALL, ["etff"], [0], workers=1)
    with pytest.raises(ValueError, match="twice"):
        compare(SMALL, ["etf", "etf"], [0], workers=1)
    with pytest.raises(ValueError, match="at least one"):
        compare(SMALL, ["etf"], [], workers=1)


def test_flags_override_the_preset() -> None:
    args = build_parser().parse_args(["compare", "--preset", "deepsocs", "--horizon", "100",
                                      "--workload", "top2", "--queue-discipline", "fifo"])
    scenario = scenario_from_args(args, PRESETS["deepsocs"])
    assert scenario == DEEPSOCS.scenario.replace(horizon=100.0, workload="top2",
                                                 queue_discipline="fifo")
    args = build_parser().parse_args(["compare", "--mix", "ds3_default", "--jobs", "5"])
    assert scenario_from_args(args, None) == Scenario(mix="ds3_default", jobs=5)


def test_cli_writes_its_files(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    code = main(["compare", "--preset", "deepsocs", "--horizon", "600", "--seeds", "2",
                 "--schedulers", "heft-rt,etf", "--workers", "2", "--out", str(out)])
    assert code == 0
    for name in ("runs.csv", "summary.csv", "compare.json", "bars.png", "gantt_heft-rt.png",
                 "gantt_etf.png"):
        assert (out / name).stat().st_size > 0, name
    data = json.loads((out / "compare.json").read_text())
    assert data["baseline"] == "heft-rt" and data["seeds"] == [0, 1]
    assert len(data["rows"]) == 4
    assert (out / "runs.csv").read_text().splitlines()[0].startswith("scheduler,seed,")


def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["compare", "--schedulers", "nope", "--out", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["compare", "--seeds", "0", "--out", str(tmp_path)]) == 2
