"""Write a run's results to files: CSV and JSON tables, Chrome traces, Gantt charts.

Every JSON file written here is strict JSON: ``nan`` and infinities (an
uncompleted job's finish time, a metric with no data) become ``null``, so the
files load in any JSON reader, not only Python's. CSV files keep Python's
``nan`` spelling, which ``float()``, numpy and pandas all read back.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from socsim.platform import Platform
from socsim.records import JobRecord, TaskRecord
from socsim.results import SimulationResult

#: Columns of a trace table, in order (``TaskRecord`` fields plus the PE's name).
TRACE_FIELDS = ("job", "profile", "task", "pe", "pe_name", "ready", "start", "finish",
                "energy", "status")
#: Columns of a job table, in order (``JobRecord`` fields plus the latency).
JOB_FIELDS = ("job", "profile", "arrival", "finish", "latency", "status", "energy", "reason")


def json_safe(value: Any) -> Any:
    """Turn ``value`` into plain JSON data, with non-finite floats as ``None``.

    Args:
        value: Nested mappings, sequences, numpy scalars or arrays, and scalars.

    Returns:
        The same data built from dicts, lists, ``str``, ``int``, ``float``,
        ``bool`` and ``None`` only, ready for ``json.dump(..., allow_nan=False)``.

    """
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def _prepare(path: str | os.PathLike[str]) -> Path:
    """``path`` as a :class:`Path`, with its parent folders created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write_json(data: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` as strict JSON (non-finite floats as ``null``)."""
    path = _prepare(path)
    with path.open("w", encoding="utf-8") as handle:
        json.dump(json_safe(data), handle, indent=1, allow_nan=False)
        handle.write("\n")
    return path


def _write_csv(rows: Iterable[Sequence[Any]], header: Sequence[str],
               path: str | os.PathLike[str]) -> Path:
    """Write a header and rows as CSV; floats are written with ``repr`` precision."""
    path = _prepare(path)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def trace_row(record: TaskRecord, platform: Platform) -> tuple[Any, ...]:
    """One trace record as a row in :data:`TRACE_FIELDS` order."""
    return (record.job, record.profile, record.task, record.pe,
            platform.pe_names[record.pe], record.ready, record.start, record.finish,
            record.energy, record.status)


def job_row(record: JobRecord) -> tuple[Any, ...]:
    """One job record as a row in :data:`JOB_FIELDS` order."""
    return (record.job, record.profile, record.arrival, record.finish, record.latency,
            record.status, record.energy, record.reason)


def write_trace_csv(trace: Sequence[TaskRecord], path: str | os.PathLike[str],
                    platform: Platform) -> Path:
    """Write the trace as CSV, one row per task execution.

    Args:
        trace: Task executions of a run.
        path: The file to write; missing parent folders are created.
        platform: The platform simulated; gives each PE's name.

    Returns:
        The path written.

    """
    return _write_csv((trace_row(r, platform) for r in trace), TRACE_FIELDS, path)


def write_jobs_csv(jobs: Sequence[JobRecord], path: str | os.PathLike[str]) -> Path:
    """Write the job records as CSV, one row per job, with the latency column added.

    Args:
        jobs: Job records of a run.
        path: The file to write; missing parent folders are created.

    Returns:
        The path written.

    """
    return _write_csv((job_row(r) for r in jobs), JOB_FIELDS, path)


def write_trace_json(trace: Sequence[TaskRecord], path: str | os.PathLike[str],
                     platform: Platform) -> Path:
    """Write the trace as a JSON list of objects with the CSV's fields.

    Args:
        trace: Task executions of a run.
        path: The file to write; missing parent folders are created.
        platform: The platform simulated; gives each PE's name.

    Returns:
        The path written.

    """
    return _write_json([dict(zip(TRACE_FIELDS, trace_row(r, platform), strict=True))
                        for r in trace], path)


def pe_summary(result: SimulationResult) -> list[dict[str, Any]]:
    """Per-PE figures of a run: name, type, cluster, busy time, energy, utilisation.

    Utilisation is busy time over the run's end time, ``nan`` for a run that
    ended at time 0.
    """
    platform = result.platform
    rows = []
    for pe in range(platform.num_pes):
        busy = float(result.pe_busy[pe])
        rows.append({
            "pe": pe,
            "name": platform.pe_names[pe],
            "type": platform.types[platform.pe_type[pe]].name,
            "cluster": platform.clusters[platform.pe_cluster[pe]].name,
            "busy_us": busy,
            "energy_uj": float(result.pe_energy[pe]),
            "utilisation": busy / result.end_time if result.end_time > 0 else math.nan,
        })
    return rows


def write_metrics_json(result: SimulationResult, path: str | os.PathLike[str]) -> Path:
    """Write the run's metrics and per-PE figures as strict JSON (``nan`` as ``null``).

    Args:
        result: The run.
        path: The file to write; missing parent folders are created.

    Returns:
        The path written.

    """
    return _write_json({
        "platform": result.platform.name,
        "scheduler": result.scheduler,
        "seed": result.seed,
        "end_time": result.end_time,
        "metrics": dict(result.metrics),
        "pes": pe_summary(result),
    }, path)


def chrome_trace_events(trace: Sequence[TaskRecord], platform: Platform
                        ) -> list[dict[str, Any]]:
    """Trace-event list for ``trace``: lane labels first, then one complete event per record.

    Clusters map to processes and PEs to threads, so Perfetto groups the PE
    lanes of a cluster together. Times are already in microseconds, the
    trace-event format's unit.
    """
    events: list[dict[str, Any]] = []
    for index, cluster in enumerate(platform.clusters):
        events.append({"ph": "M", "name": "process_name", "pid": index, "tid": 0,
                       "args": {"name": cluster.name}})
        events.append({"ph": "M", "name": "process_sort_index", "pid": index, "tid": 0,
                       "args": {"sort_index": index}})
    for pe, name in enumerate(platform.pe_names):
        cluster = platform.pe_cluster[pe]
        events.append({"ph": "M", "name": "thread_name", "pid": cluster, "tid": pe,
                       "args": {"name": name}})
        events.append({"ph": "M", "name": "thread_sort_index", "pid": cluster, "tid": pe,
                       "args": {"sort_index": pe}})
    for record in trace:
        events.append({
            "ph": "X",
            "name": f"{record.profile}/{record.task}",
            "cat": record.profile,
            "ts": record.start,
            "dur": record.finish - record.start,
            "pid": platform.pe_cluster[record.pe],
            "tid": record.pe,
            "args": {"job": record.job, "energy_uj": record.energy, "ready": record.ready,
                     "status": record.status},
        })
    return events


def counter_events(series: Sequence[tuple[float, str, float]]) -> list[dict[str, Any]]:
    """Trace-event counters (``"C"``) of a run's power series: frequencies, temperature, power.

    They go in their own process lane, after the clusters', as Perfetto draws
    counters as tracks of their own.
    """
    return [{"ph": "C", "name": name, "ts": time, "pid": -1, "args": {"value": value}}
            for time, name, value in series]


def write_power_series_csv(series: Sequence[tuple[float, str, float]],
                           path: str | os.PathLike[str]) -> Path:
    """Write ``time_us, series, value`` rows (see ``Simulator.power_series``)."""
    return _write_csv(series, ("time_us", "series", "value"), path)


def write_chrome_trace(trace: Sequence[TaskRecord], path: str | os.PathLike[str],
                       platform: Platform,
                       series: Sequence[tuple[float, str, float]] = ()) -> Path:
    """Write the trace in Chrome trace-event format, for Perfetto or chrome://tracing.

    Args:
        trace: Task executions of a run.
        path: The file to write; missing parent folders are created.
        platform: The platform simulated; its clusters and PEs label the lanes.
        series: Power series samples to add as counters (frequency, temperature, power).

    Returns:
        The path written.

    """
    return _write_json({"traceEvents": chrome_trace_events(trace, platform)
                        + counter_events(series), "displayTimeUnit": "ms"}, path)


def export_result(result: SimulationResult, out_dir: str | os.PathLike[str]
                  ) -> dict[str, Path]:
    """Write every file a run supports into ``out_dir`` (created if missing).

    Always writes ``metrics.json``; with a trace, also ``trace.csv``,
    ``chrome_trace.json`` and ``gantt.png``, and ``power_series.csv`` when a
    governor or thermal model ran; with job records, ``jobs.csv``.

    Args:
        result: The run.
        out_dir: Folder to write into.

    Returns:
        The paths written, keyed by kind: ``metrics``, ``trace_csv``,
        ``chrome_trace``, ``gantt``, ``power_series``, ``jobs_csv``.

    """
    from socsim.gantt import plot_gantt  # matplotlib is only imported when a chart is drawn

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"metrics": write_metrics_json(result, out / "metrics.json")}
    if result.trace is not None:
        written["trace_csv"] = write_trace_csv(result.trace, out / "trace.csv",
                                               result.platform)
        series = result.extra.get("power_series", ())
        written["chrome_trace"] = write_chrome_trace(result.trace, out / "chrome_trace.json",
                                                     result.platform, series)
        if series:
            written["power_series"] = write_power_series_csv(series, out / "power_series.csv")
        written["gantt"] = plot_gantt(result.trace, result.platform, out / "gantt.png",
                                      title=f"{result.platform.name}: {result.scheduler}, "
                                            f"seed {result.seed}", down=result.pe_down)
    if result.jobs is not None:
        written["jobs_csv"] = write_jobs_csv(result.jobs, out / "jobs.csv")
    return written
