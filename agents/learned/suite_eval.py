"""Censored latency of the set policy and of heuristics over (case, seed) runs.

The policy's runs go through :func:`~.set_scheduler.run_batched`: all runs
in lock step, one forward pass per step for all of them. Heuristics run
one simulator each, in worker processes. Both report each run's censored
mean latency (unfinished jobs counted at their age when the run stops, so
starving jobs is never rewarded) and jobs completed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from socsim.registry import make_scheduler
from socsim.simulator import Simulator

from .set_policy import SetPolicy
from .set_scheduler import greedy, run_batched
from .task_suite import Case

Run = tuple[Case, int]
METRIC = "censored_mean_latency"


def policy_metrics(policy: SetPolicy, runs: Sequence[Run], chunk: int = 64
                   ) -> list[dict[str, float]]:
    """Each run's metrics under the policy's greedy choices."""
    out: list[dict[str, float]] = []
    for start in range(0, len(runs), chunk):
        part = runs[start:start + chunk]
        out += greedy_metrics(policy, [case.simulator(seed) for case, seed in part])
    return out


def greedy_metrics(policy: SetPolicy, sims: Sequence[Simulator]) -> list[dict[str, float]]:
    """Each fresh simulator's metrics under the policy's greedy choices, in lock step."""
    return [dict(r.metrics) for r in run_batched(sims, greedy(policy))]


def _heuristic(job: tuple[str, Case, int]) -> dict[str, float]:
    name, case, seed = job
    return dict(case.simulator(seed).run(make_scheduler(name)).metrics)


def heuristic_metrics(name: str, runs: Sequence[Run], workers: int = 2
                      ) -> list[dict[str, float]]:
    """Each run's metrics under the scheduler ``name``."""
    jobs = [(name, case, seed) for case, seed in runs]
    if workers <= 1 or len(jobs) <= 1:
        return [_heuristic(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_heuristic, jobs, chunksize=max(1, len(jobs) // (4 * workers))))


def mean_log_ratio(values: Sequence[float], reference: Sequence[float]) -> float:
    """Geometric-mean ratio of ``values`` to ``reference`` (run by run), as a ratio."""
    logs = [math.log(v / r) for v, r in zip(values, reference, strict=True) if v > 0 and r > 0]
    return math.exp(sum(logs) / len(logs)) if logs else math.nan
