"""``socsim schedule FILE``: table and JSON output, every kind of scheduler, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from socsim.agents.instance import load_instance
from socsim.cli import main
from socsim.jobs import Batch, JobSource
from socsim.registry import make_scheduler
from socsim.simulator import Simulator

DATA = Path(__file__).parent / "data"
CANONICAL = str(DATA / "canonical.json")


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    assert main([*argv, "--json"]) == 0
    out = capsys.readouterr().out
    return json.loads(out)  # exactly one JSON document, nothing else


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", CANONICAL]) == 0
    out = capsys.readouterr().out
    assert "heft on canonical" in out
    assert "makespan: 80" in out
    for task in ("n1", "n10"):
        assert task in out


def test_json_document_shape(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(["schedule", CANONICAL, "--scheduler", "peft"], capsys)
    assert set(doc) == {"makespan", "schedule"}
    assert doc["makespan"] == 85
    rows = doc["schedule"]
    assert sorted(r["task"] for r in rows) == sorted(f"n{i}" for i in range(1, 11))
    for row in rows:
        assert set(row) == {"task", "processor", "start", "finish"}
        assert 0 <= row["processor"] < 3
        assert row["finish"] >= row["start"]
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)


def test_optimal_reports_status_and_bound(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(["schedule", CANONICAL, "--scheduler", "optimal", "--time-limit", "20"],
                   capsys)
    assert doc["makespan"] == 73
    assert doc["status"] == "optimal"
    assert doc["lower_bound"] == 73
    assert main(["schedule", CANONICAL, "--scheduler", "optimal"]) == 0
    assert "status: optimal, lower bound: 73" in capsys.readouterr().out


def test_runtime_scheduler_runs_in_the_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(["schedule", CANONICAL, "--scheduler", "met"], capsys)
    instance = load_instance(CANONICAL)
    sim = Simulator(instance.platform, JobSource([instance.bound], arrivals=Batch(), max_jobs=1),
                    keep_trace=True)
    result = sim.run(make_scheduler("met"))
    assert doc["makespan"] == result.metrics["makespan"]
    assert {(r["task"], r["processor"], r["start"], r["finish"]) for r in doc["schedule"]} == \
        {(r.task, r.pe, r.start, r.finish) for r in result.trace}


def test_console_script_prints_one_json_object() -> None:
    out = subprocess.run([sys.executable, "-m", "socsim", "schedule", CANONICAL,
                          "--scheduler", "heft", "--json"],
                         capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    assert doc["makespan"] == 80


@pytest.mark.parametrize(("argv", "message"), [
    (["schedule", "nope.json"], "cannot be read"),
    (["schedule", CANONICAL, "--scheduler", "hefft"], "did you mean 'heft'"),
    (["schedule", CANONICAL, "--scheduler", "optimal", "--time-limit", "0"], "--time-limit"),
])
def test_errors_are_one_line(argv: list[str], message: str,
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    out = capsys.readouterr().err
    assert "error:" in out and message in out
    assert "Traceback" not in out


def test_invalid_instance_names_file_and_field(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"processors": 2, "tasks": {"a": [1, 2, 3]}, "edges": []}))
    assert main(["schedule", str(path), "--json"]) == 2
    out = capsys.readouterr().err
    assert "error:" in out and "bad.json" in out and "tasks.a" in out
