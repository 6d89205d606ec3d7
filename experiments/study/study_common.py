"""Shared helpers of the study scripts: agent names, a torch-friendly pool, tables, files.

Every script of ``experiments/study/`` runs its simulations through
``socsim.agents.compare`` (:func:`map_runs` + :func:`assemble`), so a
learned agent is just the scheduler ``learned:PATH`` and every scheduler of
a cell sees the same seeds (same arrivals, mix and noise draws).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np

from socsim.agents.compare import CompareResult, RunSpec, assemble, map_runs
from socsim.agents.scenario import Scenario

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
RUNS = HERE / "runs"  # trained agents (git-ignored: ``runs/``)

#: Evaluation seeds start here: training used reset seeds 0..99 and seeds derived
#: from (0, iteration), and the BC evaluations 10000-10001.
FIRST_EVAL_SEED = 100_000

#: Label of the learned agent in tables and plots.
AGENT = "agent"


def agent_scheduler(agent: str) -> str:
    """The registry name of ``--agent``: ``learned:default``, ``learned:PATH`` or a bare PATH."""
    if agent.startswith("learned:"):
        return agent
    return f"learned:{agent}"


def label(name: str, agent_name: str) -> str:
    """Table label of a scheduler (``agent`` for the learned one)."""
    return AGENT if name == agent_name else name


def _single_thread() -> None:
    """Pool initializer: one torch thread per process (2 shared cores; 10x faster)."""
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - the heuristics need no torch
        pass


@contextmanager
def pool(workers: int | None):
    """A process pool whose workers use one torch thread each (``None``: all CPUs)."""
    _single_thread()
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_single_thread) as executor:
        yield executor


class _Serial:
    def map(self, fn, *iterables):
        return map(fn, *iterables)


def run_cells(cells: Sequence[tuple[Any, Scenario]], schedulers: Sequence[str],
              seeds: Sequence[int], workers: int | None = None
              ) -> list[tuple[Any, CompareResult]]:
    """Every (cell, scheduler, seed) run in one pool; one compare result per cell.

    Args:
        cells: ``(key, scenario)`` pairs.
        schedulers: Scheduler registry names, run in every cell.
        seeds: Simulator seeds, shared by every scheduler of a cell.
        workers: Processes (``None``: all CPUs; 1: serial).

    Returns:
        ``(key, CompareResult)`` per cell, in the order given.
    """
    specs = [RunSpec(scenario, name, seed) for _, scenario in cells
             for name in schedulers for seed in seeds]
    with pool(workers) as executor:
        rows = map_runs(specs, executor=executor or _Serial())
    per_cell = len(schedulers) * len(seeds)
    out = []
    for k, (key, scenario) in enumerate(cells):
        chunk = rows[k * per_cell:(k + 1) * per_cell]
        out.append((key, assemble(scenario, list(schedulers), list(seeds), chunk)))
    return out


def mean_sem(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the finite values (``nan`` when undefined)."""
    finite = np.array([v for v in values if math.isfinite(v)], dtype=float)
    if finite.size == 0:
        return math.nan, math.nan
    sem = float(finite.std(ddof=1) / math.sqrt(finite.size)) if finite.size > 1 else math.nan
    return float(finite.mean()), sem


def paired(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """Relative difference of means ``mean(a) / mean(b) - 1`` (%), and the paired mean
    difference ``a - b`` with its standard error (same seeds)."""
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = a_arr - b_arr
    sem = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else math.nan
    return 100.0 * (a_arr.mean() / b_arr.mean() - 1.0), float(diff.mean()), sem


def fmt(mean: float, sem: float, digits: int = 1) -> str:
    """``mean ± sem`` for tables."""
    if not math.isfinite(mean):
        return "n/a"
    if not math.isfinite(sem):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {sem:.{digits}f}"


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A markdown table as lines."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of dicts to CSV (columns of the first row)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def command_line() -> str:
    """The command that ran this script, as typed from the repository root."""
    script = Path(sys.argv[0])
    with suppress(ValueError):
        script = script.resolve().relative_to(HERE.parent.parent)
    return " ".join([".venv/bin/python", str(script), *sys.argv[1:]])


class Timer:
    """Wall time since creation."""

    def __init__(self) -> None:
        self.t0 = time.time()

    @property
    def seconds(self) -> float:
        """Seconds elapsed."""
        return time.time() - self.t0


def write_markdown(path: Path, title: str, command: str, wall_s: float, body: Sequence[str],
                   reading: Sequence[str], note: str = "") -> None:
    """The ``<name>.md`` result file: title, command, wall time, tables, reading."""
    lines = [f"# {title}", "", "Reproduce (from the repository root):", "", "```",
             command, "```", "",
             f"Wall time: {wall_s:.0f} s on this machine (2 CPU cores shared with other "
             f"jobs, no GPU; load average at the end {os.getloadavg()[0]:.1f}).", ""]
    if note:
        lines += [note, ""]
    lines += [*body, "", "## Reading", ""]
    lines += [f"- {r}" for r in reading]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def study_parser(doc: str | None, agent_default: str | None = "learned:default",
                 seeds_default: int = 20, seeds_help: str = "evaluation seeds per cell"
                 ) -> argparse.ArgumentParser:
    """The flags every study script shares: --agent, --seeds, --quick, --out, --workers."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", default=agent_default,
                        help="learned agent: learned:default, learned:PATH or a run folder"
                        + ("" if agent_default else " (default: train one)"))
    parser.add_argument("--seeds", type=int, default=seeds_default, help=seeds_help)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="result folder")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: CPUs)")
    return parser


def save_figure(fig: Any, path: Path) -> None:
    """Write a matplotlib figure (creating its folder) and close it."""
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
