from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from socsim.export import (
    JOB_FIELDS,
    TRACE_FIELDS,
    export_result,
    json_safe,
    write_chrome_trace,
    write_jobs_csv,
    write_metrics_json,
    write_trace_csv,
    write_trace_json,
)
from socsim.gantt import gantt_rgb_array, plot_gantt, select_records
from socsim.platform import Platform
from socsim.records import JobRecord, TaskRecord
from socsim.results import SimulationResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def platform() -> Platform:
    return Platform.from_dict({
        "name": "tiny",
        "pe_types": [
            {"name": "A7", "kind": "little", "opps": [{"mhz": 1000, "active_w": 0.1,
                                                       "idle_w": 0.01}]},
            {"name": "ACC", "kind": "acc", "opps": [{"mhz": 500, "active_w": 0.5}]},
        ],
        "clusters": [
            {"name": "little", "type": "A7", "count": 2},
            {"name": "fft", "type": "ACC", "count": 1},
        ],
        "interconnect": {"default_bandwidth": 100.0},
    })


@pytest.fixture
def trace() -> list[TaskRecord]:
    return [
        TaskRecord(0, "wifi_tx", "scrambler", 0, 0.0, 0.0, 10.5, 1.05),
        TaskRecord(0, "wifi_tx", "fft", 2, 11.0, 12.0, 14.25, 1.125),
        TaskRecord(1, "radar", "lfm", 1, 3.0, 3.0, 7.0, 0.4, "aborted"),
        TaskRecord(1, "radar", "lfm", 0, 10.5, 10.5, 14.5, 0.4),
    ]


@pytest.fixture
def jobs() -> list[JobRecord]:
    return [
        JobRecord(0, "wifi_tx", 0.0, 14.25, "completed", 2.175),
        JobRecord(1, "radar", 3.0, math.nan, "failed", 0.8, "PE little.1 failed"),
    ]


@pytest.fixture
def result(platform: Platform, trace: list[TaskRecord], jobs: list[JobRecord]
           ) -> SimulationResult:
    return SimulationResult(
        platform=platform, scheduler="etf", seed=7,
        metrics={"completed": 1, "mean_latency": 14.25, "p99_latency": math.nan,
                 "throughput": math.inf, "energy": np.float64(3.5)},
        pe_busy=[14.5, 4.0, 2.25], pe_energy=[1.6, 0.5, 1.125],
        trace=trace, jobs=jobs, end_time=20.0,
    )


def _same(text: str, value: object) -> bool:
    """A CSV cell read back equals the value written (floats compared as floats)."""
    if isinstance(value, float):
        read = float(text)
        return (math.isnan(read) and math.isnan(value)) or read == value
    return text == str(value)


def test_trace_csv_round_trips(tmp_path: Path, platform: Platform, trace: list[TaskRecord]
                               ) -> None:
    path = write_trace_csv(trace, tmp_path / "sub" / "trace.csv", platform)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(TRACE_FIELDS)
    assert len(rows) == len(trace)
    for row, record in zip(rows, trace, strict=True):
        assert row["pe_name"] == platform.pe_names[record.pe]
        for name, value in record._asdict().items():
            assert _same(row[name], value), name
    assert rows[2]["pe_name"] == "little.1" and rows[1]["pe_name"] == "fft"


def test_jobs_csv_round_trips(tmp_path: Path, jobs: list[JobRecord]) -> None:
    path = write_jobs_csv(jobs, tmp_path / "jobs.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(JOB_FIELDS)
    for row, record in zip(rows, jobs, strict=True):
        for name, value in record._asdict().items():
            assert _same(row[name], value), name
        assert _same(row["latency"], record.latency)
    assert float(rows[0]["latency"]) == 14.25
    assert math.isnan(float(rows[1]["latency"]))
    assert rows[1]["reason"] == "PE little.1 failed"


def test_trace_json_has_csv_fields(tmp_path: Path, platform: Platform,
                                   trace: list[TaskRecord]) -> None:
    path = write_trace_json(trace, tmp_path / "trace.json", platform)
    items = json.loads(path.read_text(encoding="utf-8"))
    assert len(items) == len(trace)
    assert list(items[0]) == list(TRACE_FIELDS)
    assert items[1] == {**trace[1]._asdict(), "pe_name": "fft"}


def test_chrome_trace(tmp_path: Path, platform: Platform, trace: list[TaskRecord]) -> None:
    path = write_chrome_trace(trace, tmp_path / "chrome.json", platform)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["displayTimeUnit"] == "ms"
    events = doc["traceEvents"]
    complete = [e for e in events if e["ph"] == "X"]
    assert len(complete) == len(trace)
    for event, record in zip(complete, trace, strict=True):
        assert event["ts"] == record.start
        assert event["dur"] == pytest.approx(record.finish - record.start)
        assert event["pid"] == platform.pe_cluster[record.pe]
        assert event["tid"] == record.pe
        assert event["name"] == f"{record.profile}/{record.task}"
        assert event["cat"] == record.profile
        assert event["args"] == {"job": record.job, "energy_uj": record.energy,
                                 "ready": record.ready, "status": record.status}
    meta = [e for e in events if e["ph"] == "M"]
    processes = {e["pid"]: e["args"]["name"] for e in meta if e["name"] == "process_name"}
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in meta
               if e["name"] == "thread_name"}
    assert processes == {0: "little", 1: "fft"}
    assert threads == {(0, 0): "little.0", (0, 1): "little.1", (1, 2): "fft"}


def test_metrics_json_is_strict_with_null_for_nan(tmp_path: Path,
                                                  result: SimulationResult) -> None:
    path = write_metrics_json(result, tmp_path / "metrics.json")
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text

    def reject(constant: str) -> None:
        raise ValueError(constant)

    doc = json.loads(text, parse_constant=reject)
    assert doc["platform"] == "tiny" and doc["scheduler"] == "etf" and doc["seed"] == 7
    assert doc["end_time"] == 20.0
    assert doc["metrics"] == {"completed": 1, "mean_latency": 14.25, "p99_latency": None,
                              "throughput": None, "energy": 3.5}
    assert [pe["name"] for pe in doc["pes"]] == ["little.0", "little.1", "fft"]
    assert doc["pes"][2] == {"pe": 2, "name": "fft", "type": "ACC", "cluster": "fft",
                             "busy_us": 2.25, "energy_uj": 1.125,
                             "utilisation": pytest.approx(2.25 / 20.0)}


def test_metrics_json_utilisation_null_for_empty_run(tmp_path: Path,
                                                     result: SimulationResult) -> None:
    result.end_time = 0.0
    doc = json.loads(write_metrics_json(result, tmp_path / "m.json").read_text("utf-8"))
    assert all(pe["utilisation"] is None for pe in doc["pes"])


def test_json_safe_converts_nested_values() -> None:
    data = {"a": [1.0, math.nan, (np.float32(2.5), -math.inf)], 3: np.array([1, 2]),
            "b": np.int64(4), "c": None, "d": "x", "e": True}
    assert json_safe(data) == {"a": [1.0, None, [2.5, None]], "3": [1, 2], "b": 4,
                               "c": None, "d": "x", "e": True}


def test_gantt_png(tmp_path: Path, platform: Platform, trace: list[TaskRecord]) -> None:
    path = plot_gantt(trace, platform, tmp_path / "charts" / "gantt.png", title="t")
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_gantt_png_of_empty_trace(tmp_path: Path, platform: Platform) -> None:
    path = plot_gantt([], platform, tmp_path / "empty.png")
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_gantt_rgb_array(platform: Platform, trace: list[TaskRecord]) -> None:
    image = gantt_rgb_array(trace, platform, dpi=50)
    assert image.dtype == np.uint8
    assert image.ndim == 3 and image.shape[2] == 3
    assert image.shape[1] == 600  # 12 in x 50 dpi
    assert image.min() < 255  # something was drawn


def test_gantt_height_grows_with_pes(platform: Platform, trace: list[TaskRecord]) -> None:
    big = Platform.from_dict({
        "name": "big",
        "pe_types": [{"name": "A7", "opps": [{"mhz": 1000, "active_w": 0.1}]}],
        "clusters": [{"name": "little", "type": "A7", "count": 12}],
    })
    small_h = gantt_rgb_array(trace, platform, dpi=40).shape[0]
    big_h = gantt_rgb_array(trace, big, dpi=40).shape[0]
    assert big_h > small_h


def test_select_records_limits_and_notes(trace: list[TaskRecord]) -> None:
    kept, note = select_records(trace, max_tasks=10)
    assert kept == trace and note == ""
    kept, note = select_records(trace, max_tasks=2)
    assert kept == trace[:2] and "first 2 of 4" in note
    kept, note = select_records(trace, until=5.0)
    assert kept == [trace[0], trace[2]] and "before 5 us" in note


def test_export_result_writes_all_files(tmp_path: Path, result: SimulationResult) -> None:
    out = tmp_path / "run"
    written = export_result(result, out)
    assert set(written) == {"metrics", "trace_csv", "chrome_trace", "gantt", "jobs_csv"}
    assert {p.name for p in written.values()} == {"metrics.json", "trace.csv",
                                                   "chrome_trace.json", "gantt.png",
                                                   "jobs.csv"}
    assert all(p.parent == out and p.is_file() for p in written.values())
    assert written["gantt"].read_bytes()[:8] == PNG_MAGIC


def test_export_result_skips_missing_trace_and_jobs(tmp_path: Path,
                                                    result: SimulationResult) -> None:
    result.trace = None
    written = export_result(result, tmp_path)
    assert set(written) == {"metrics", "jobs_csv"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jobs.csv", "metrics.json"]

    result.jobs = None
    written = export_result(result, tmp_path / "bare")
    assert set(written) == {"metrics"}
    assert [p.name for p in (tmp_path / "bare").iterdir()] == ["metrics.json"]
