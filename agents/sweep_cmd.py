"""``socsim sweep CONFIG.yaml``: a grid of scenarios or training settings, as one table.

See :mod:`socsim.agents.sweep` for the file format. The runs go to local
processes or, with ``--backend ray``, to Ray tasks; the table is written as
CSV (``--out``) and markdown (same name, ``.md``), and its main columns are
printed.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from socsim.errors import UsageError

from .compare_cmd import add_backend_flags, check_backend_args
from .sweep import Sweep, load_sweep, run_sweep, write_table

DEFAULT_OUT = Path("sweep.csv")


def add_sweep_command(sub: argparse._SubParsersAction) -> None:
    """Add ``socsim sweep`` to the ``socsim`` subcommands."""
    parser = sub.add_parser(
        "sweep", help="run a grid of scenarios (or REINFORCE settings) as one table",
        description="Run every combination of the 'grid:' values of a sweep file: for "
        "'kind: compare' (default), every scheduler on every seed of each scenario; for "
        "'kind: train', a REINFORCE run per seed of each configuration. Writes one table "
        "(CSV and markdown). File format: docs/ray.md; example: "
        "experiments/sweeps/deepsocs_noise.yaml.")
    parser.add_argument("config", type=Path, help="sweep file (YAML)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"table (CSV; a .md copy goes beside it; default {DEFAULT_OUT}). "
                        "Training runs go to <stem>_runs/ beside it")
    parser.add_argument("--workers", type=int, help="local processes, or Ray tasks in flight "
                        "(default: all CPUs)")
    add_backend_flags(parser, "runs")
    parser.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace, console: Console) -> int:
    """Load the sweep, run it, print and write its table."""
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    if args.out.suffix.lower() != ".csv":
        raise UsageError(f"--out must name a .csv file, got {args.out}")
    check_backend_args(args)
    sweep = load_sweep(args.config)
    runs = len(sweep.points()) * len(sweep.seeds) * max(1, len(sweep.schedulers))
    run_root = args.out.with_name(f"{args.out.stem}_runs")
    where = " on Ray" if args.backend == "ray" else ""
    with console.status(f"running {len(sweep.points())} points, {runs} runs{where}"):
        rows = run_sweep(sweep, args.backend, args.address, args.workers, run_root)
    console.print(sweep_table(sweep, rows))
    for kind, path in write_table(rows, args.out).items():
        console.print(f"  {kind}: {path}", highlight=False)
    return 0


def sweep_table(sweep: Sweep, rows: list[dict[str, Any]]) -> Table:
    """The main columns of the table: the grid values, then latency (and more)."""
    table = Table(title=f"{sweep.source}: {len(sweep.points())} points x "
                  f"{len(sweep.seeds)} seeds")
    if sweep.kind == "compare":
        shown = {"scheduler": "scheduler", "mean_latency_mean": "latency us",
                 "mean_latency_sem": "±", "mean_latency_ratio": "ratio",
                 "completed_mean": "completed", "energy_uj_mean": "energy uJ"}
    else:
        shown = {"seed": "seed", "rollout_mean_latency": "rollout latency us",
                 "eval_mean_latency": "eval latency us", "train_loss": "loss"}
    columns = {**{key: key for key in sweep.grid}, **shown}
    for heading in columns.values():
        table.add_column(heading, justify="right")
    for row in rows:
        table.add_row(*(_cell(row.get(key)) for key in columns))
    return table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "-"
    return "-" if value is None else str(value)
