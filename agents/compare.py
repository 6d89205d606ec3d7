"""Compare schedulers on one scenario over shared seeds: a pure function and its result.

:func:`compare` runs every (scheduler, seed) pair of a :class:`Scenario` and
summarises each metric per scheduler (mean, standard error, ratio to the
HEFT baseline of the run), and ranks the schedulers by the censored mean
latency (:data:`RANK_METRIC`: unfinished jobs counted at their age at the
end, so that leaving jobs unfinished does not pay). With ``bound=True``
every run also gets the lower bounds of
:mod:`socsim.agents.stream_bounds` (and, with ``clairvoyant_s``, the
clairvoyant CP-SAT schedule of its jobs). Every scheduler sees the same seeds, hence the
same arrivals, job mix and noise draws (the simulator derives each from the
seed on its own stream), so differences come from the schedulers alone.

Runs are independent, so :func:`compare` maps them over an executor: a local
process pool by default, Ray tasks with ``backend="ray"`` (see
:mod:`socsim.agents.distributed`); any object with ``map(fn, *iterables)``
(a Dask adapter, a thread pool) can take its place. The result does not
depend on the executor or on the number of workers.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from socsim.export import json_safe
from socsim.registry import make_scheduler

from .scenario import Scenario

#: Metrics summarised, in table order, with their table headings.
SUMMARY_METRICS: dict[str, str] = {
    "mean_latency": "latency (us)",
    "censored_mean_latency": "censored latency (us)",
    "makespan": "makespan (us)",
    "energy_uj": "energy (uJ)",
    "edp": "EDP (J s)",
    "completed": "completed jobs",
    "in_system": "jobs in system at the end",
}

#: Summarised too when the runs carry bounds (``bound=True``), with their headings.
BOUND_METRICS: dict[str, str] = {
    "lower_bound": "lower bound on censored latency (us)",
    "bound_gap": "censored latency / lower bound - 1",
    "clairvoyant": "clairvoyant CP-SAT censored latency (us)",
    "clairvoyant_gap": "censored latency / clairvoyant - 1",
    "clairvoyant_optimal": "fraction of runs where CP-SAT proved its schedule optimal",
}

#: Fault metrics, summarised when the runs carry them and shown when any run had a fault.
FAULT_METRICS: dict[str, str] = {
    "failed": "failed jobs",
    "pe_down_us": "PE down time (us, summed over PEs)",
}

#: The metric schedulers are ranked by (less is better): the censored mean latency.
RANK_METRIC = "censored_mean_latency"

#: Baselines for the "ratio to HEFT" columns, in order of preference.
BASELINES = ("heft", "heft-rt")


class Executor(Protocol):
    """What :func:`compare` needs from an executor: an ordered ``map``."""

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        """Apply ``fn`` to the zipped iterables; results in input order."""
        ...


@dataclass(frozen=True)
class RunSpec:
    """One run: a scenario, a scheduler name and a seed."""

    scenario: Scenario
    scheduler: str
    seed: int
    bound: bool = False
    clairvoyant_s: float = 0.0


def run_one(spec: RunSpec) -> dict[str, Any]:
    """Simulate one (scheduler, seed) pair; a module-level function so it pickles.

    Returns:
        ``{"scheduler", "seed", **metrics}`` with every metric of the run, and
        with ``spec.bound`` the run's bounds
        (:func:`socsim.agents.stream_bounds.bound_row`).
    """
    if spec.bound:
        from .stream_bounds import bound_row  # OR-Tools loads only for the CP-SAT part

        row = bound_row(spec.scenario.simulator(spec.seed), spec.scheduler, spec.clairvoyant_s)
        return {"scheduler": spec.scheduler, "seed": spec.seed, **row}
    return _row(spec, spec.scenario.simulator(spec.seed).run(make_scheduler(spec.scheduler)))


def _row(spec: RunSpec, result: Any) -> dict[str, Any]:
    down = sum(end - start for _, start, end in result.pe_down)
    return {"scheduler": spec.scheduler, "seed": spec.seed, **result.metrics,
            "pe_down_us": float(down)}


def run_group(specs: tuple[RunSpec, ...]) -> list[dict[str, Any]]:
    """Rows of a group of runs: one run, or runs of one batched scheduler in lock step.

    A scheduler with a ``run_batch(simulators)`` method (the learned set
    policy) runs the group's simulators together, one forward pass per
    step for all of them; the rows equal those of one run at a time.
    """
    if len(specs) == 1:
        return [run_one(specs[0])]
    scheduler = make_scheduler(specs[0].scheduler)
    results = scheduler.run_batch([spec.scenario.simulator(spec.seed) for spec in specs])
    return [_row(spec, result) for spec, result in zip(specs, results, strict=True)]


def group_runs(specs: list[RunSpec], parts: int) -> list[tuple[RunSpec, ...]]:
    """Specs in groups for :func:`run_group`, in order: batched schedulers' runs in ``parts``."""
    batched: dict[str, bool] = {}
    groups: list[tuple[RunSpec, ...]] = []
    index = 0
    while index < len(specs):
        spec = specs[index]
        name = spec.scheduler
        if name not in batched:
            batched[name] = callable(getattr(make_scheduler(name), "run_batch", None))
        if spec.bound or not batched[name]:
            groups.append((spec,))
            index += 1
            continue
        end = index
        while end < len(specs) and specs[end].scheduler == name and not specs[end].bound:
            end += 1
        run = specs[index:end]
        size = max(1, -(-len(run) // max(parts, 1)))
        groups += [tuple(run[k:k + size]) for k in range(0, len(run), size)]
        index = end
    return groups


@dataclass(frozen=True)
class Summary:
    """One metric of one scheduler over the seeds.

    Attributes:
        mean: Mean over seeds with a value (``nan`` if none).
        sem: Standard error of that mean (``nan`` with fewer than two values).
        n: Number of seeds with a value.
        ratio: ``mean`` over the baseline's mean (``nan`` without baseline).
    """

    mean: float
    sem: float
    n: int
    ratio: float = math.nan


@dataclass
class CompareResult:
    """Per-seed rows and per-scheduler summaries of a comparison.

    Attributes:
        scenario: The scenario run.
        schedulers: Scheduler names, in the order asked.
        seeds: The seeds, shared by all schedulers.
        rows: One dict per (scheduler, seed): ``scheduler``, ``seed`` and metrics.
        baseline: The scheduler the ratios divide by (``heft`` or ``heft-rt``),
            or ``None`` if neither ran.
        summary: ``summary[scheduler][metric]`` for :data:`SUMMARY_METRICS`.
    """

    scenario: Scenario
    schedulers: list[str]
    seeds: list[int]
    rows: list[dict[str, Any]]
    baseline: str | None = None
    summary: dict[str, dict[str, Summary]] = field(default_factory=dict)

    def values(self, scheduler: str, metric: str) -> list[float]:
        """The per-seed values of ``metric`` for ``scheduler``, in seed order."""
        return [row[metric] for row in self.rows if row["scheduler"] == scheduler]

    def ranking(self, metric: str = RANK_METRIC) -> list[str]:
        """Scheduler names from best to worst by mean ``metric`` (less is better).

        The default is the censored mean latency; schedulers without a value
        come last, ties keep the order asked.
        """
        def key(name: str) -> float:
            value = self.summary[name][metric].mean
            return value if math.isfinite(value) else math.inf

        return sorted(self.schedulers, key=key)

    def to_json(self) -> dict[str, Any]:
        """Everything as plain JSON data (``nan`` as ``null``)."""
        return json_safe({
            "scenario": self.scenario.as_dict(),
            "schedulers": self.schedulers,
            "seeds": self.seeds,
            "baseline": self.baseline,
            "summary": {s: {m: vars(v) for m, v in metrics.items()}
                        for s, metrics in self.summary.items()},
            "rows": self.rows,
        })

    def write(self, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
        """Write ``runs.csv`` (per seed), ``summary.csv`` and ``compare.json``.

        Returns:
            Kind of file to its path.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"runs": out / "runs.csv", "summary": out / "summary.csv",
                 "json": out / "compare.json"}
        _write_rows(paths["runs"], self.rows)
        _write_rows(paths["summary"], self.summary_rows())
        paths["json"].write_text(json.dumps(self.to_json(), indent=2, allow_nan=False) + "\n",
                                 encoding="utf-8")
        return paths

    def had_faults(self) -> bool:
        """Whether any run had a PE down or a failed job."""
        return any(r.get("failed", 0) or r.get("pe_down_us", 0) for r in self.rows)

    def summary_rows(self) -> list[dict[str, Any]]:
        """One flat row per scheduler: ``<metric>_mean``, ``_sem``, ``_ratio``."""
        rows = []
        for scheduler in self.schedulers:
            row: dict[str, Any] = {"scheduler": scheduler}
            for metric, value in self.summary[scheduler].items():
                row[f"{metric}_mean"] = value.mean
                row[f"{metric}_sem"] = value.sem
                row[f"{metric}_ratio"] = value.ratio
            rows.append(row)
        return rows


def _write_rows(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else [])
        writer.writeheader()
        writer.writerows(rows)


def summarise(values: Sequence[float]) -> Summary:
    """Mean and standard error of the finite values."""
    finite = np.array([v for v in values if math.isfinite(v)], dtype=float)
    if finite.size == 0:
        return Summary(math.nan, math.nan, 0)
    sem = float(finite.std(ddof=1) / math.sqrt(finite.size)) if finite.size > 1 else math.nan
    return Summary(float(finite.mean()), sem, int(finite.size))


def pick_baseline(schedulers: Sequence[str]) -> str | None:
    """``heft`` if it ran, else ``heft-rt``, else ``None``."""
    return next((name for name in BASELINES if name in schedulers), None)


#: Where runs execute: ``local`` (this machine's process pool) or ``ray`` (Ray tasks).
BACKENDS = ("local", "ray")


def compare(scenario: Scenario, schedulers: Sequence[str], seeds: Sequence[int],
            workers: int | None = None, executor: Executor | None = None,
            backend: str = "local", address: str | None = None, bound: bool = False,
            clairvoyant_s: float = 0.0) -> CompareResult:
    """Run every scheduler on every seed of ``scenario`` and summarise.

    Args:
        scenario: What to simulate.
        schedulers: Registered scheduler names (checked before anything runs).
        seeds: Seeds, shared by all schedulers.
        workers: Processes of the default pool (``None``: ``os.cpu_count()``;
            ``1``: run here, serially), or Ray tasks in flight at once
            (``None``: the cluster's CPUs). Ignored when ``executor`` is given.
        executor: Any object with an ordered ``map``, used instead of the pool.
        backend: ``local`` or ``ray`` (needs ``pip install socsim[ray]``).
        address: Ray cluster to use (see :func:`socsim.agents.distributed.ray_session`).
        bound: Also compute each run's lower bounds (:data:`BOUND_METRICS`).
        clairvoyant_s: With ``bound``: CP-SAT seconds per run for the
            clairvoyant schedule (0: none; meant for short episodes).

    Returns:
        Rows ordered by scheduler then seed, and the summaries.

    Raises:
        ValueError: An unknown scheduler or backend, a repeated name, or no seeds.
    """
    schedulers, seeds = check_grid(schedulers, seeds)
    specs = [RunSpec(scenario, name, seed, bound or clairvoyant_s > 0, clairvoyant_s)
             for name in schedulers for seed in seeds]
    rows = map_runs(specs, workers, executor, backend, address)
    return assemble(scenario, schedulers, seeds, rows)


def check_grid(schedulers: Sequence[str], seeds: Sequence[int]) -> tuple[list[str], list[int]]:
    """The schedulers and seeds as lists, checked before anything runs.

    Raises:
        ValueError: An unknown scheduler, a repeated name, or no scheduler or seed.
    """
    schedulers, seeds = list(schedulers), list(seeds)
    if not schedulers or not seeds:
        raise ValueError("compare needs at least one scheduler and one seed")
    if len(set(schedulers)) != len(schedulers):
        raise ValueError(f"a scheduler is named twice in {schedulers}")
    for name in schedulers:
        make_scheduler(name)  # fail early, with the registry's "did you mean"
    return schedulers, seeds


def assemble(scenario: Scenario, schedulers: list[str], seeds: list[int],
             rows: list[dict[str, Any]]) -> CompareResult:
    """The result of a comparison from its rows (ordered by scheduler, then seed)."""
    result = CompareResult(scenario, schedulers, seeds, rows, pick_baseline(schedulers))
    result.summary = _summaries(result)
    return result


def map_runs(specs: list[RunSpec], workers: int | None = None,
             executor: Executor | None = None, backend: str = "local",
             address: str | None = None) -> list[dict[str, Any]]:
    """:func:`run_one` over ``specs`` on the chosen backend; rows in ``specs`` order.

    Raises:
        ValueError: An unknown backend, or an ``address`` without Ray.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if address is not None and backend != "ray":
        raise ValueError("a Ray address needs backend='ray'")
    parts = workers or os.cpu_count() or 1
    groups = group_runs(specs, parts)
    if executor is not None:
        return _flat(executor.map(run_group, groups))
    if backend == "ray":
        from .distributed import ray_executor  # Ray is optional: imported on use only

        with ray_executor(address, workers) as ray_pool:
            return _flat(ray_pool.map(run_group, groups))
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(groups) == 1:
        return _flat(run_group(group) for group in groups)
    from concurrent.futures import ProcessPoolExecutor  # only for parallel runs

    with ProcessPoolExecutor(max_workers=min(workers, len(groups))) as pool:
        chunk = max(1, len(groups) // (4 * workers))
        return _flat(pool.map(run_group, groups, chunksize=chunk))


def _flat(parts: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [row for part in parts for row in part]


def _summaries(result: CompareResult) -> dict[str, dict[str, Summary]]:
    extra = [m for m in [*FAULT_METRICS, *BOUND_METRICS]
             if m not in SUMMARY_METRICS and result.rows and all(m in r for r in result.rows)]
    table = {name: {metric: summarise(result.values(name, metric))
                    for metric in [*SUMMARY_METRICS, *extra]} for name in result.schedulers}
    if result.baseline is None:
        return table
    base = table[result.baseline]
    for metrics in table.values():
        for metric, value in metrics.items():
            reference = base[metric].mean
            ratio = value.mean / reference if reference else math.nan
            metrics[metric] = Summary(value.mean, value.sem, value.n, ratio)
    return table
