"""Scalar metrics of a run, from the counters the simulator keeps.

Conventions: times in us, energy in uJ (``energy_j`` in joules), EDP in
joule-seconds as total energy times makespan. Latency statistics cover
completed jobs; ``censored_mean_latency`` also counts each job still in
the system at the end with its age then, so that a scheduler cannot look
good by leaving hard jobs unfinished.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

METRIC_DOCS = {
    "makespan": "time of the last job completion (us)",
    "mean_latency": "mean completion - arrival over completed jobs (us)",
    "p50_latency": "median job latency (us)",
    "p95_latency": "95th percentile job latency (us)",
    "p99_latency": "99th percentile job latency (us)",
    "censored_mean_latency": "mean latency counting unfinished jobs at their age at the end (us)",
    "injected": "jobs injected",
    "completed": "jobs completed",
    "failed": "jobs given up (no live eligible PE left)",
    "in_system": "jobs still in the system at the end",
    "throughput": "completed jobs per second of simulated time",
    "energy_uj": "total energy: PE active + idle + data movement (uJ)",
    "energy_j": "total energy (J)",
    "data_energy_uj": "data-movement energy: transfers between PEs and DRAM weight streaming (uJ)",
    "base_energy_uj": "energy of the always-on rails (memory, GPU) under DS3's power model (uJ)",
    "avg_power_w": "energy over simulated time (W)",
    "edp": "energy x makespan (J s)",
    "utilisation": "mean PE busy fraction",
    "end_time": "simulated time covered by the run (us)",
}


def percentiles(values: Sequence[float], qs: Sequence[float]) -> list[float]:
    """Percentiles of ``values`` with linear interpolation, bit for bit ``np.percentile``'s.

    NumPy's default method, computed on a sorted copy: ``np.percentile``
    itself imports ``numpy.ma`` on first use, which costs more CPU than a
    short run of the whole command line.

    Args:
        values: At least one number.
        qs: Percentiles in [0, 100].
    """
    ordered = sorted(values)
    last = len(ordered) - 1
    out = []
    for q in qs:
        position = q / 100 * last
        below = math.floor(position)
        gamma = position - below
        a = ordered[below]
        b = ordered[min(below + 1, last)]
        diff = b - a
        out.append(float(b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma))
    return out


def compute_metrics(*, latencies: np.ndarray, unfinished_ages: Sequence[float], injected: int,
                    completed: int, failed: int, end_time: float, makespan: float,
                    pe_busy: Sequence[float], pe_energy: Sequence[float],
                    data_energy: float, base_energy: float = 0.0,
                    start_time: float = 0.0) -> dict[str, float]:
    """Compute the metrics listed in :data:`METRIC_DOCS`.

    Args:
        latencies: Latency of each completed job (us).
        unfinished_ages: Age at the end of each job still in the system (us).
        injected: Jobs injected.
        completed: Jobs completed.
        failed: Jobs given up.
        end_time: Simulated time covered (us).
        makespan: Time of the last completion (us).
        pe_busy: Busy time per PE (us).
        pe_energy: Active plus idle energy per PE (uJ).
        data_energy: Data-movement energy (uJ).
        base_energy: Energy of the always-on rails (uJ; DS3's power model only).
        start_time: Where the measured window starts (a warm-up; default 0):
            throughput, power and utilisation are over ``end_time - start_time``.

    Returns:
        Metric name to value; statistics of an empty set are ``nan``.
    """
    if completed:
        mean = float(latencies.mean())
        p50, p95, p99 = percentiles(latencies, (50, 95, 99))
    else:
        mean = p50 = p95 = p99 = math.nan
    censored_count = completed + len(unfinished_ages)
    censored = ((float(latencies.sum()) + float(sum(unfinished_ages))) / censored_count
                if censored_count else math.nan)
    energy = float(sum(pe_energy)) + data_energy + base_energy
    span = end_time - start_time
    busy_fraction = [b / span for b in pe_busy] if span > 0 else [0.0 for _ in pe_busy]
    return {
        "makespan": makespan,
        "mean_latency": mean,
        "p50_latency": p50,
        "p95_latency": p95,
        "p99_latency": p99,
        "censored_mean_latency": censored,
        "injected": float(injected),
        "completed": float(completed),
        "failed": float(failed),
        "in_system": float(injected - completed - failed),
        "throughput": completed / span * 1e6 if span > 0 else math.nan,
        "energy_uj": energy,
        "energy_j": energy * 1e-6,
        "data_energy_uj": data_energy,
        "base_energy_uj": base_energy,
        "avg_power_w": energy / span if span > 0 else math.nan,
        "edp": energy * 1e-6 * makespan * 1e-6,
        "utilisation": float(np.mean(busy_fraction)) if busy_fraction else 0.0,
        "end_time": end_time,
    }
