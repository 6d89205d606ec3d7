"""Sweeps: a grid of scenario settings or training hyper-parameters, run as one table.

A sweep file (YAML) names a base and a ``grid`` of fields to vary; every
combination of the grid's values is a *point*. Two kinds:

``kind: compare`` (the default): each point is a scenario, and every
scheduler runs on every seed of it, as in ``socsim compare``::

    preset: deepsocs            # base scenario, schedulers and seed count (optional)
    scenario: {horizon: 2000}   # Scenario fields over the base (optional)
    schedulers: [heft-rt, etf]  # default: the preset's
    seeds: 5                    # a count (first_seed, first_seed + 1, ...) or a list
    first_seed: 0
    grid:                       # Scenario fields, each a list of values
      noise: [0.0, 0.3]
      interarrival: [25, 50]

One row per (point, scheduler): the grid values, the scheduler, and the
mean, standard error and ratio to HEFT of each summary metric.

``kind: train``: each point is a REINFORCE configuration, trained once per
seed (the seed of the run), then evaluated greedily on its ``eval_seeds``::

    kind: train
    train: {iterations: 20, rollouts: 4, env_kwargs: {horizon: 2000}}
    seeds: [0, 1]
    grid:
      lr: [0.0003, 0.001]

One row per (point, seed): the grid values, the seed, the last update's
training statistics and the evaluation's mean latency. Run folders go under
``<table stem>_runs/`` next to the table.

All runs of all points are mapped at once over the backend (a local process
pool or Ray tasks), so a grid keeps every worker busy; the table does not
depend on the backend or the number of workers.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socsim.documents import parse_document, read_text
from socsim.errors import ConfigError
from socsim.registry import make_scheduler

from .compare import Executor, RunSpec, assemble, map_runs
from .scenario import PRESETS, Scenario

KINDS = ("compare", "train")
#: Most runs (points x seeds x schedulers) one sweep may have; each is checked
#: before anything runs, so a typo in a grid must not make that check endless.
MAX_RUNS = 100_000
KEYS = ("kind", "preset", "scenario", "schedulers", "seeds", "first_seed", "grid", "train")
_SCENARIO_FIELDS = [f.name for f in dataclasses.fields(Scenario)]


@dataclass(frozen=True)
class Sweep:
    """A validated sweep file.

    Attributes:
        source: The file it was read from.
        kind: ``compare`` or ``train``.
        scenario: Base scenario (``compare``).
        schedulers: Schedulers run at every point (``compare``).
        seeds: Simulation seeds (``compare``) or training seeds (``train``).
        grid: Field name to the values it takes, in file order.
        train: Base :class:`ReinforceConfig` keywords (``train``).
    """

    source: str
    kind: str
    scenario: Scenario
    schedulers: list[str]
    seeds: list[int]
    grid: dict[str, list[Any]]
    train: dict[str, Any] = field(default_factory=dict)

    def points(self) -> list[dict[str, Any]]:
        """Every combination of the grid's values, the last field varying fastest."""
        names = list(self.grid)
        return [dict(zip(names, values, strict=True))
                for values in itertools.product(*self.grid.values())]


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file.

    Raises:
        ConfigError: The file cannot be read, or a field is wrong; the message
            names the file, the field and the fix.
    """
    source = str(path)
    return parse_sweep(parse_document(read_text(path), source), source)


def parse_sweep(data: Any, source: str = "<dict>") -> Sweep:
    """Check a sweep given as plain data (what :func:`load_sweep` parsed).

    Raises:
        ConfigError: A missing, unknown or invalid field.
    """
    def error(where: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(source, where, problem, fix)

    if not isinstance(data, dict):
        raise error("<file>", "is not a mapping of keys to values",
                    "write 'key: value' lines, at least 'grid:'")
    for key in data:
        if key not in KEYS:
            raise error(str(key), "is not a sweep key", _choose(str(key), KEYS))
    kind = data.get("kind", "compare")
    if kind not in KINDS:
        raise error("kind", f"is {kind!r}", f"use one of {', '.join(KINDS)}")
    preset = None
    if "preset" in data:
        preset = PRESETS.get(data["preset"]) if isinstance(data["preset"], str) else None
        if preset is None:
            raise error("preset", f"{data['preset']!r} is not a preset",
                        _choose(str(data["preset"]), list(PRESETS)))
    scenario = _scenario(data.get("scenario", {}), preset.scenario if preset else Scenario(),
                         error)
    seeds = _seeds(data, preset.seeds if preset else None, error)
    if kind == "compare":
        if "train" in data:
            raise error("train", "is only for 'kind: train'",
                        "add 'kind: train', or remove 'train:'")
        schedulers = _schedulers(data.get("schedulers"), preset, error)
        grid = _grid(data.get("grid"), _SCENARIO_FIELDS, error)
        sweep = Sweep(source, kind, scenario, schedulers, seeds, grid)
        _check_size(sweep, len(schedulers), error)
        for point in sweep.points():  # bad values fail here, before anything runs
            try:
                scenario.replace(**point).simulator(seeds[0])
            except (ConfigError, ValueError, TypeError, KeyError) as exc:
                raise error(f"grid ({_describe(point)})", f"gives a scenario that cannot run: "
                            f"{exc}", "change that value in 'grid:'") from None
        return sweep
    for key in ("preset", "scenario", "schedulers"):
        if key in data:
            raise error(key, "is only for 'kind: compare'",
                        "put environment settings in 'train: {env_kwargs: ...}'")
    fields = _train_fields()
    train = data.get("train", {})
    if not isinstance(train, dict):
        raise error("train", "is not a mapping", "write REINFORCE settings as 'name: value'")
    for key in train:
        if key not in fields or key == "seed":
            fix = ("give training seeds with the top-level 'seeds:'" if key == "seed"
                   else _choose(str(key), fields))
            raise error(f"train.{key}", "is not a REINFORCE setting", fix)
    grid = _grid(data.get("grid"), [f for f in fields if f != "seed"], error)
    sweep = Sweep(source, kind, Scenario(), [], seeds, grid, dict(train))
    _check_size(sweep, 1, error)
    return sweep


def _check_size(sweep: Sweep, runs_per_seed: int, error: Any) -> None:
    """Refuse a sweep of more than :data:`MAX_RUNS` runs before listing its points."""
    points = math.prod(len(values) for values in sweep.grid.values())
    runs = points * len(sweep.seeds) * runs_per_seed
    if runs > MAX_RUNS:
        raise error("grid", f"gives {points:,} points x {len(sweep.seeds):,} seeds"
                    + (f" x {runs_per_seed} schedulers" if runs_per_seed > 1 else "")
                    + f" = {runs:,} runs, more than the {MAX_RUNS:,} a sweep may have",
                    "vary fewer fields or values at once, or use fewer seeds")


def _scenario(changes: Any, base: Scenario, error: Any) -> Scenario:
    if not isinstance(changes, dict):
        raise error("scenario", "is not a mapping", "write scenario fields as 'name: value'")
    for key in changes:
        if key not in _SCENARIO_FIELDS:
            raise error(f"scenario.{key}", "is not a scenario field",
                        _choose(str(key), _SCENARIO_FIELDS))
    if "workload" in changes:
        changes = {"mix": None, **changes}
    elif "mix" in changes:
        changes = {"workload": None, **changes}
    return base.replace(**changes)


def _seeds(data: dict[str, Any], default: int | None, error: Any) -> list[int]:
    first = data.get("first_seed", 0)
    if not _is_int(first):
        raise error("first_seed", f"is {first!r}", "give a whole number")
    seeds = data.get("seeds", default)
    if seeds is None:
        raise error("seeds", "is missing", "give a count (e.g. 'seeds: 5') or a list")
    if _is_int(seeds):
        if seeds < 1:
            raise error("seeds", f"is {seeds}", "give a count of at least 1")
        if seeds > MAX_RUNS:
            raise error("seeds", f"is {seeds}", f"give a count of at most {MAX_RUNS:,}")
        return list(range(first, first + seeds))
    if (not isinstance(seeds, list) or not seeds or not all(_is_int(s) for s in seeds)
            or len(set(seeds)) != len(seeds)):
        raise error("seeds", f"is {seeds!r}",
                    "give a count (e.g. 'seeds: 5') or a list of distinct whole numbers")
    return list(seeds)


def _schedulers(names: Any, preset: Any, error: Any) -> list[str]:
    if names is None:
        if preset is None:
            raise error("schedulers", "is missing",
                        "list the schedulers, e.g. 'schedulers: [heft-rt, etf]', or name a "
                        "preset")
        return list(preset.schedulers)
    if (not isinstance(names, list) or not names
            or not all(isinstance(n, str) for n in names)):
        raise error("schedulers", f"is {names!r}", "give a list of scheduler names")
    if len(set(names)) != len(names):
        raise error("schedulers", "names a scheduler twice", "list each scheduler once")
    for k, name in enumerate(names):
        try:
            make_scheduler(name)
        except ValueError as exc:
            raise error(f"schedulers[{k}]", str(exc), "use a registered name") from None
    return list(names)


def _grid(grid: Any, allowed: Sequence[str], error: Any) -> dict[str, list[Any]]:
    if grid is None:
        raise error("grid", "is missing", "give the fields to vary, e.g. 'grid: {noise: [0, "
                    "0.3]}'")
    if not isinstance(grid, dict) or not grid:
        raise error("grid", f"is {grid!r}",
                    "give a mapping of fields to lists of values, e.g. 'noise: [0, 0.3]'")
    for key, values in grid.items():
        if key not in allowed:
            raise error(f"grid.{key}", "cannot be varied", _choose(str(key), allowed))
        if not isinstance(values, list) or not values:
            raise error(f"grid.{key}", f"is {values!r}",
                        f"give a non-empty list of values, e.g. '{key}: [a, b]'")
    return {key: list(values) for key, values in grid.items()}


def _train_fields() -> list[str]:
    from .learned.train_reinforce import ReinforceConfig

    return [f.name for f in dataclasses.fields(ReinforceConfig)]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choose(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}use one of: {', '.join(options)}"


def _describe(point: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in point.items())


def run_sweep(sweep: Sweep, backend: str = "local", address: str | None = None,
              workers: int | None = None, run_root: Path | None = None,
              executor: Executor | None = None) -> list[dict[str, Any]]:
    """Run every point of ``sweep``; the rows of its table.

    Args:
        sweep: What to run.
        backend: ``local`` or ``ray``.
        address: Ray cluster for ``backend="ray"``.
        workers: Local processes, or Ray tasks in flight (``None``: all CPUs).
        run_root: Folder of the training runs (``kind: train``; default ``sweep_runs``).
        executor: An ordered ``map`` to use instead of the backend.

    Returns:
        One row per (point, scheduler) or (point, seed).
    """
    if sweep.kind == "train":
        return _run_train(sweep, backend, address, workers, run_root or Path("sweep_runs"),
                          executor)
    points = sweep.points()
    scenarios = [sweep.scenario.replace(**point) for point in points]
    specs = [RunSpec(scenario, name, seed) for scenario in scenarios
             for name in sweep.schedulers for seed in sweep.seeds]
    rows = map_runs(specs, workers, executor, backend, address)
    size = len(sweep.schedulers) * len(sweep.seeds)
    table = []
    for k, (point, scenario) in enumerate(zip(points, scenarios, strict=True)):
        result = assemble(scenario, sweep.schedulers, sweep.seeds,
                          rows[k * size:(k + 1) * size])
        table.extend({**point, **row} for row in result.summary_rows())
    return table


def train_point(job: tuple[dict[str, Any], dict[str, Any], str]) -> dict[str, Any]:
    """Train one REINFORCE configuration in one process, then evaluate it greedily.

    Args:
        job: ``(point, ReinforceConfig keywords, run folder)``.

    Returns:
        The point, the seed, the last update's statistics and ``eval_mean_latency``.
    """
    import numpy as np
    import torch

    from .learned.rollout import evaluate_policy
    from .learned.train_reinforce import ReinforceConfig, Trainer

    point, keywords, run_dir = job
    torch.set_num_threads(1)
    config = ReinforceConfig(**{**keywords, "workers": 1})
    trainer = Trainer(config, run_dir)
    policy = trainer.run(show_progress=False)
    lines = (Path(run_dir) / "log.jsonl").read_text().splitlines()
    last = json.loads(lines[-1]) if lines else {}
    results = evaluate_policy(trainer.eval_env, policy, config.eval_seeds)
    latency = float(np.mean([r["mean_latency"] for r in results])) if results else math.nan
    return {**point, "seed": config.seed,
            **{key.replace("/", "_"): value for key, value in last.items() if key != "step"},
            "eval_mean_latency": latency}


def _run_train(sweep: Sweep, backend: str, address: str | None, workers: int | None,
               run_root: Path, executor: Executor | None) -> list[dict[str, Any]]:
    jobs = []
    for k, point in enumerate(sweep.points()):
        for seed in sweep.seeds:
            keywords = {**sweep.train, **point, "seed": seed}
            jobs.append((point, keywords, str((run_root / f"point{k}_seed{seed}").resolve())))
    if executor is not None:
        return list(executor.map(train_point, jobs))
    if backend == "ray":
        from .distributed import ray_executor

        with ray_executor(address, workers, chunksize=1) as ray_pool:
            return list(ray_pool.map(train_point, jobs))
    if workers == 1 or len(jobs) == 1:
        return [train_point(job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor  # only for parallel runs

    with ProcessPoolExecutor(max_workers=min(workers or 1_000, len(jobs))) as pool:
        return list(pool.map(train_point, jobs))


def write_table(rows: list[dict[str, Any]], path: str | Path) -> dict[str, Path]:
    """Write the rows as CSV at ``path`` and as a markdown table beside it (``.md``).

    Returns:
        ``{"csv": ..., "markdown": ...}``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    markdown = path.with_suffix(".md")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"csv": path, "markdown": markdown}


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "-"
    return str(value)

