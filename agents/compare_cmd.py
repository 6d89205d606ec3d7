"""``socsim compare``: run several schedulers on one scenario over shared seeds.

The command is a thin shell around :func:`socsim.agents.compare.compare`:
it builds a :class:`Scenario` from a preset and the flags given, runs the
comparison in a process pool (or as Ray tasks, ``--backend ray``), prints a
table, and writes per-seed and summary tables (CSV, JSON), a bar chart and a
Gantt chart per scheduler of one seed into the output folder.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from socsim.dvfs import POLICY_NAMES
from socsim.errors import UsageError
from socsim.registry import make_scheduler, scheduler_names, scheduler_prefixes
from socsim.simulator import QUEUE_DISCIPLINES

from .compare import (
    BACKENDS,
    BOUND_METRICS,
    FAULT_METRICS,
    SUMMARY_METRICS,
    CompareResult,
    compare,
)
from .scenario import PRESETS, Preset, Scenario

DEFAULT_SCHEDULERS = ("heft-rt", "etf", "eft", "met", "random")
DEFAULT_SEEDS = 10
DEFAULT_OUT = Path("compare_results")
GANTT_TASKS = 300

#: Scenario flags: (flag, keyword arguments for ``add_argument``). Defaults are
#: suppressed so that only the flags given override the preset or the defaults.
_SCENARIO_FLAGS: list[tuple[str, dict[str, Any]]] = [
    ("--platform", {"help": "built-in platform name or platform file (default "
                    "ds3_multiple_bal)"}),
    ("--workload", {"help": "workload name or file; several as 'a:w,b:w' with weights"}),
    ("--mix", {"help": "named workload mix or mix file (default ds3_default when no "
               "--workload)"}),
    ("--jobs", {"type": int, "help": "jobs to inject (default 100 unless --horizon)"}),
    ("--horizon", {"type": float, "help": "stop at this time (us)"}),
    ("--arrival", {"choices": ["poisson", "fixed", "batch", "trace"],
                   "help": "arrival process (default poisson)"}),
    ("--interarrival", {"type": float, "help": "mean (poisson) or exact (fixed) gap between "
                        "arrivals, us (default 500)"}),
    ("--trace-file", {"help": "arrival trace (CSV time[,profile] or JSON) for --arrival trace"}),
    ("--max-in-system", {"type": int, "help": "cap on jobs in the system; 0 for none "
                         "(default 12)"}),
    ("--prefill", {"type": int, "help": "jobs injected at t=0 (pseudo steady state)"}),
    ("--retry-when-full", {"type": float, "metavar": "US", "help": "poisson: an arrival that "
                           "finds the system full is dropped and retried after US plus a "
                           "fresh gap (DS3Gym: 1); default: it waits for a free slot"}),
    ("--noise", {"type": float, "help": "relative std. dev. of execution times (default 0)"}),
    ("--dvfs", {"metavar": "POLICY", "help": f"DVFS policy or governor: "
                f"{', '.join(POLICY_NAMES)} (default performance)"}),
    ("--fail", {"action": "append", "metavar": "PE@T[-R]",
                "help": "PE fails at T us, recovering at R if given; repeatable"}),
    ("--mtbf", {"type": float, "help": "random faults: mean time between failures per PE (us)"}),
    ("--mttr", {"type": float, "help": "random faults: mean time to repair (us, default 1000)"}),
    ("--warmup", {"type": float, "metavar": "US", "help": "measure from US on: earlier "
                  "arrivals are left out of the metrics (DS3's warmup_period)"}),
    ("--inject-asap", {"action": "store_true", "help": "also inject the next job as soon as "
                       "one completes (DS3's inject_jobs_ASAP)"}),
    ("--throttling", {"action": "store_const", "const": True, "help": "DS3's thermal trips "
                      "cap cluster frequencies (DS3 platforms; off by default, as in DS3)"}),
    ("--power-gating", {"action": "store_const", "const": True, "help": "DS3's power model "
                        "gates idle cores and charges busy ones from the PG_profile rows (DS3 "
                        "platforms; off by default)"}),
    ("--queue-discipline", {"choices": list(QUEUE_DISCIPLINES),
                            "help": "how a free PE picks from its queue: fifo (default) or "
                            "first-ready (DS3: first queued task whose inputs are there)"}),
]


def add_compare_command(sub: argparse._SubParsersAction) -> None:
    """Add ``socsim compare`` to the ``socsim`` subcommands."""
    parser = sub.add_parser(
        "compare", help="compare schedulers on one scenario over shared seeds",
        description="Run each scheduler on the same seeds of one scenario (same arrivals, "
        "job mix and noise), in parallel processes, and report mean, standard error and "
        "ratio to HEFT (heft, else heft-rt) of latency, censored latency, makespan, energy, "
        "EDP and completed jobs. Writes runs.csv, summary.csv, compare.json, bars.png (each "
        "scheduler's ratio to that baseline, ±1 s.e. over the paired seeds) and a Gantt "
        "chart per scheduler of the first seed (PE down intervals shaded) into --out, "
        "overwriting those files and removing the gantt_*.png of schedulers an earlier run "
        "compared there; nothing else in the folder is touched. Presets: "
        + " ".join(f"{p.name}: {p.description}" for p in PRESETS.values()))
    parser.add_argument("--preset", choices=sorted(PRESETS),
                        help="start from a named protocol; other flags override it")
    parser.add_argument("--schedulers", metavar="A,B,...",
                        help="schedulers to compare (default: the preset's, else "
                        f"{','.join(DEFAULT_SCHEDULERS)}); available: "
                        f"{', '.join(scheduler_names())}; and by prefix: "
                        f"{'; '.join(scheduler_prefixes().values())}")
    parser.add_argument("--seeds", type=int, help=f"number of seeds (default: the preset's, "
                        f"else {DEFAULT_SEEDS})")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds run from this one up (default 0)")
    parser.add_argument("--workers", type=int, help="worker processes (default: all CPUs; "
                        "1 runs serially); with --backend ray: tasks in flight at once "
                        "(default: the cluster's CPUs)")
    add_backend_flags(parser, "runs")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--no-gantt", action="store_true",
                        help="skip the per-scheduler Gantt charts")
    parser.add_argument("--gantt-tasks", type=int, default=GANTT_TASKS, metavar="N",
                        help=f"draw the first N task executions in each Gantt chart "
                        f"(default {GANTT_TASKS}, readable at any run length)")
    parser.add_argument("--bound", action="store_true",
                        help="add each run's lower bound on the censored mean latency (from "
                        "the jobs it admitted and their realised arrivals and execution "
                        "times: critical path and work/capacity; see "
                        "socsim.agents.stream_bounds) and each scheduler's gap to it")
    parser.add_argument("--clairvoyant", type=float, default=0.0, metavar="SECONDS",
                        help="with --bound: also solve each run's jobs offline with CP-SAT "
                        "for up to SECONDS (short episodes only, e.g. --horizon 500) and "
                        "report its censored mean, the gap to it and how often it was "
                        "proven optimal (default 0: off)")
    group = parser.add_argument_group("scenario (override the preset or the defaults)")
    for flag, options in _SCENARIO_FLAGS:
        group.add_argument(flag, default=argparse.SUPPRESS, **options)
    parser.set_defaults(handler=cmd_compare)


def add_backend_flags(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--backend`` and ``--address`` (shared by ``compare``, ``train`` and ``sweep``)."""
    parser.add_argument("--backend", choices=BACKENDS, default="local",
                        help=f"where the {what} execute: local processes (default) or Ray "
                        "(pip install 'socsim[ray]'; see docs/ray.md)")
    parser.add_argument("--address", default=None,
                        help="with --backend ray: the cluster, e.g. auto (started with 'ray "
                        "start' here), HOST:6379 or ray://HOST:10001 (default: RAY_ADDRESS, "
                        "else a new local Ray instance)")


def check_backend_args(args: argparse.Namespace) -> None:
    """Refuse ``--address`` without ``--backend ray``, and Ray when it is missing.

    Raises:
        UsageError: Either mistake, saying what to change.
    """
    if args.address is not None and args.backend != "ray":
        raise UsageError("--address needs --backend ray")
    if args.backend == "ray":
        from .distributed import RayUnavailableError, import_ray

        try:
            import_ray()
        except RayUnavailableError as exc:
            raise UsageError(str(exc)) from None


def scenario_from_args(args: argparse.Namespace, preset: Preset | None) -> Scenario:
    """The preset's scenario (or the defaults) with the scenario flags given applied."""
    scenario = preset.scenario if preset else Scenario()
    changes = {flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"))
               for flag, _ in _SCENARIO_FLAGS if hasattr(args, flag[2:].replace("-", "_"))}
    if "workload" in changes:
        changes.setdefault("mix", None)
    elif "mix" in changes:
        changes["workload"] = None
    return scenario.replace(**changes)


def cmd_compare(args: argparse.Namespace, console: Console) -> int:
    """Run the comparison, print its table and write its files."""
    preset = PRESETS[args.preset] if args.preset else None
    scenario = scenario_from_args(args, preset)
    schedulers = _scheduler_list(args, preset)
    count = args.seeds if args.seeds is not None else (preset.seeds if preset
                                                       else DEFAULT_SEEDS)
    if count < 1:
        raise UsageError(f"--seeds must be >= 1, got {count}")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    check_backend_args(args)
    if args.clairvoyant < 0 or (args.clairvoyant and not args.bound):
        raise UsageError("--clairvoyant SECONDS needs --bound and SECONDS >= 0")
    seeds = list(range(args.first_seed, args.first_seed + count))
    scenario.simulator(seeds[0])  # bad scenario input fails here, before the pool starts
    with console.status(f"running {len(schedulers)} schedulers x {count} seeds"
                        f"{' on Ray' if args.backend == 'ray' else ''}"):
        result = compare(scenario, schedulers, seeds, workers=args.workers,
                         backend=args.backend, address=args.address, bound=args.bound,
                         clairvoyant_s=args.clairvoyant)
    # Reference numbers hold for the preset's own scenario only.
    reference = preset if preset and scenario == preset.scenario else None
    console.print(summary_table(result, reference))
    written = result.write(args.out)
    written["bars"] = plot_bars(result, args.out / "bars.png")
    if not args.no_gantt:
        for name in schedulers:
            written[f"gantt {name}"] = _gantt(scenario, name, seeds[0], args.out,
                                              args.gantt_tasks)
    for kind, path in written.items():
        console.print(f"  {kind}: {path}", highlight=False)
    stale = remove_stale_gantts(args.out, written.values())
    if stale:
        console.print(f"  removed {len(stale)} Gantt chart(s) of an earlier run from "
                      f"{args.out}: {', '.join(p.name for p in stale)}", highlight=False)
    return 0


def remove_stale_gantts(out: Path, written: Iterable[Path]) -> list[Path]:
    """Delete the ``gantt_*.png`` files in ``out`` that this run did not write.

    ``socsim compare`` overwrites its tables and ``bars.png`` on every run, but
    Gantt charts are named after schedulers, so those of schedulers an
    earlier run compared (or all of them, with ``--no-gantt``) would stay
    beside results they do not belong to. Nothing else is touched.

    Returns:
        The files removed, sorted.
    """
    keep = {Path(p).resolve() for p in written}
    stale = sorted(p for p in out.glob("gantt_*.png") if p.resolve() not in keep)
    for path in stale:
        path.unlink()
    return stale


def split_scheduler_list(text: str) -> list[str]:
    """``a,b,...`` into names; ``key=value`` items belong to the name before them.

    So ``etf,rollout:etf,k=4,samples=2,heft-rt`` is ``etf``,
    ``rollout:etf,k=4,samples=2`` and ``heft-rt``.
    """
    names: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if names and "=" in item and ":" not in item and names[-1]:
            names[-1] += "," + item
        else:
            names.append(item)
    return names


def _scheduler_list(args: argparse.Namespace, preset: Preset | None) -> list[str]:
    if args.schedulers is not None:
        names = split_scheduler_list(args.schedulers)
        if not any(names) or "" in names:
            raise UsageError(f"--schedulers {args.schedulers!r} has an empty name; give a "
                             "comma-separated list such as 'etf,heft-rt', or leave the flag "
                             "out for the preset's schedulers")
    else:
        names = list(preset.schedulers if preset else DEFAULT_SCHEDULERS)
    for name in names:
        make_scheduler(name)  # unknown names: the registry's "did you mean" message
    if len(set(names)) != len(names):
        raise UsageError(f"--schedulers names a scheduler twice: {','.join(names)}")
    return names


def summary_table(result: CompareResult, preset: Preset | None = None) -> Table:
    """The comparison as a rich table: mean ± s.e. and ratio to the baseline per metric.

    Rows are ranked by the censored mean latency (best first; unfinished
    jobs count at their age at the end), which the title says; with bounds,
    the bound and gap columns follow.
    """
    base = result.baseline
    ratio_note = f"ratio = mean / {base}'s mean" if base else "no HEFT baseline in this run"
    bounds = [m for m in BOUND_METRICS if m in result.summary[result.schedulers[0]]]
    fault_note = ("; failed jobs and PE down time (summed over PEs) per run"
                  if result.had_faults() else "")
    bound_note = ("; bound: per run, from its own admitted jobs and arrivals; gap = censored "
                  "/ bound - 1" if bounds else "")
    table = Table(title=f"{result.scenario.describe()}; {len(result.seeds)} seeds "
                  f"({result.seeds[0]}..{result.seeds[-1]}); ranked by censored latency "
                  f"(unfinished jobs at their age at the end; 'latency' = completed jobs "
                  f"only); {ratio_note}{fault_note}{bound_note}")
    table.add_column("scheduler")
    reference = preset.reference if preset else {}
    if reference:
        table.add_column(f"published\n{preset.reference_metric}", justify="right")
    for metric, heading in SUMMARY_METRICS.items():
        table.add_column(_TABLE_HEADINGS.get(metric, heading), justify="right")
    faults = [m for m in FAULT_METRICS if result.had_faults()
              and m in result.summary[result.schedulers[0]]]
    for metric in faults:
        table.add_column(_FAULT_HEADINGS[metric], justify="right")
    for metric in bounds:
        table.add_column(_BOUND_HEADINGS[metric], justify="right")
    for name in result.ranking():
        cells = [name]
        if reference:
            cells.append(_reference_cell(result, preset, name))
        for metric in SUMMARY_METRICS:
            value = result.summary[name][metric]
            scale = _TABLE_SCALE.get(metric, 1.0)
            cell = f"{_num(value.mean * scale)} ±{_num(value.sem * scale)}"
            if base and name != base and math.isfinite(value.ratio):
                cell += f"\n{value.ratio:.3f}x"
            cells.append(cell)
        for metric in faults:
            value = result.summary[name][metric]
            cells.append(f"{_num(value.mean)} ±{_num(value.sem)}")
        for metric in bounds:
            value = result.summary[name][metric]
            if metric.endswith("_gap"):
                cells.append(f"{value.mean:+.1%} ±{_num(value.sem * 100)}%"
                             if math.isfinite(value.mean) else "-")
            elif metric == "clairvoyant_optimal":
                cells.append(f"{value.mean:.0%}" if math.isfinite(value.mean) else "-")
            else:
                cells.append(f"{_num(value.mean)} ±{_num(value.sem)}")
        table.add_row(*cells)
    return table


#: Headings of the fault columns (shown when any run had a PE down or a failed job).
_FAULT_HEADINGS = {"failed": "failed\njobs", "pe_down_us": "PE down\nus"}

#: Headings of the bound columns (``--bound``, ``--clairvoyant``).
_BOUND_HEADINGS = {"lower_bound": "bound us", "bound_gap": "gap to\nbound",
                   "clairvoyant": "clairvoyant\nus", "clairvoyant_gap": "gap to\nclairvoyant",
                   "clairvoyant_optimal": "CP-SAT\noptimal"}


def _reference_cell(result: CompareResult, preset: Preset, name: str) -> str:
    published = preset.reference.get(name)
    if published is None:
        return "-"
    ours = result.summary[name].get(preset.reference_metric)
    if ours is None or not math.isfinite(ours.mean):
        return f"{published:g}"
    gap = ours.mean / published - 1.0
    mark = "[green]ok[/]" if abs(gap) <= preset.tolerance else "[red]off[/]"
    return f"{published:g}\n{gap:+.1%} {mark}"


#: Short table headings, and display scales (EDP shown in uJ s rather than J s).
_TABLE_HEADINGS = {"mean_latency": "latency us", "censored_mean_latency": "censored us",
                   "makespan": "makespan us", "energy_uj": "energy uJ", "edp": "EDP uJ s",
                   "completed": "completed", "in_system": "in system\nat end"}
_TABLE_SCALE = {"edp": 1e6}


def _num(value: float) -> str:
    """A number in at most about five characters of precision."""
    if not math.isfinite(value):
        return "-"
    if value != 0 and (abs(value) < 0.01 or abs(value) >= 1e6):
        return f"{value:.2e}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"


def paired_ratio(values: Sequence[float], reference: Sequence[float]) -> tuple[float, float]:
    """Ratio of means of paired samples (same seeds) and its standard error.

    The ratio is ``mean(values) / mean(reference)`` over the pairs where both
    are finite; its standard error is the ratio estimator's (delta method),
    ``sd(values - ratio * reference) / sqrt(n) / |mean(reference)|``, which
    counts the pairing: schedulers that move together on the same seeds get
    a small error even when the seeds differ a lot.

    Returns:
        ``(ratio, sem)``; ``nan`` where undefined (no pairs, zero reference
        mean; the error also with fewer than two pairs).
    """
    pairs = np.array([(x, y) for x, y in zip(values, reference, strict=True)
                      if math.isfinite(x) and math.isfinite(y)], dtype=float).reshape(-1, 2)
    if not len(pairs) or pairs[:, 1].mean() == 0.0:
        return math.nan, math.nan
    x, y = pairs[:, 0], pairs[:, 1]
    ratio = float(x.mean() / y.mean())
    if len(pairs) < 2:
        return ratio, math.nan
    sem = float((x - ratio * y).std(ddof=1) / math.sqrt(len(pairs)) / abs(y.mean()))
    return ratio, sem


#: Metrics where more is better (the others: less is better).
_HIGHER_IS_BETTER = {"completed"}


def plot_bars(result: CompareResult, path: Path) -> Path:
    """A panel per summary metric: each scheduler's ratio to the baseline, ±1 standard error.

    Bars start at 1 (the baseline, drawn as a line), so a bar's length is the
    difference to the baseline and close schedulers stay apart; each bar is
    labelled with its ratio. The ratio is the table's (mean over the
    baseline's mean, same seeds); whiskers are its standard error from the
    paired seeds (:func:`paired_ratio`). Without a baseline in the run the
    panels show means with standard-error whiskers instead.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # matplotlib: only to draw
    from matplotlib.figure import Figure

    metrics = list(SUMMARY_METRICS.items())
    columns = 3
    rows = math.ceil(len(metrics) / columns)
    fig = Figure(figsize=(4.4 * columns, 3.4 * rows), dpi=100)
    FigureCanvasAgg(fig)
    names, base = result.schedulers, result.baseline
    for k, (metric, heading) in enumerate(metrics):
        ax = fig.add_subplot(rows, columns, k + 1)
        better = "higher" if metric in _HIGHER_IS_BETTER else "lower"
        colors = ["tab:orange" if n == base else "tab:blue" for n in names]
        if base is None:
            means = [result.summary[n][metric].mean for n in names]
            errors = [result.summary[n][metric].sem for n in names]
            ax.bar(range(len(names)), _finite(means), yerr=_finite(errors), capsize=3,
                   color=colors)
            ax.set_title(f"{heading} ({better} is better)", fontsize="medium")
        else:
            pairs = [paired_ratio(result.values(n, metric), result.values(base, metric))
                     for n in names]
            ratios = [1.0 if n == base else r for n, (r, _) in zip(names, pairs, strict=True)]
            errors = [0.0 if n == base else e for n, (_, e) in zip(names, pairs, strict=True)]
            heights = [r - 1.0 if math.isfinite(r) else 0.0 for r in ratios]
            bars = ax.bar(range(len(names)), heights, bottom=1.0, yerr=_finite(errors),
                          capsize=3, color=colors)
            ax.axhline(1.0, color="tab:orange", linewidth=1.0, zorder=0.5)
            ax.bar_label(bars, labels=[f"{r:.3f}x" if math.isfinite(r) else "-"
                                       for r in ratios], fontsize="x-small", padding=2)
            ax.margins(y=0.15)
            ax.set_title(f"{heading}: ratio to {base} ({better} is better)",
                         fontsize="medium")
        ax.set_xticks(range(len(names)), labels=names, rotation=45, ha="right",
                      fontsize="small")
        ax.grid(axis="y", alpha=0.3)
    note = (f"bars: mean / {base}'s mean on the same seeds, whiskers ±1 s.e. (paired); "
            f"{len(result.seeds)} seeds" if base else
            f"bars: mean, whiskers ±1 s.e.; {len(result.seeds)} seeds")
    fig.suptitle(f"{result.scenario.describe()}\n{note}", fontsize="medium")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def _finite(values: Sequence[float]) -> list[float]:
    """``values`` with ``nan`` and infinities drawn as 0."""
    return [v if math.isfinite(v) else 0.0 for v in values]


def _gantt(scenario: Scenario, scheduler: str, seed: int, out: Path, tasks: int) -> Path:
    """Re-run one seed with a trace and draw the start of its Gantt chart."""
    from socsim.gantt import plot_gantt  # matplotlib: only to draw

    result = scenario.simulator(seed, keep_trace=True).run(make_scheduler(scheduler))
    path = out / f"gantt_{_file_safe(scheduler)}.png"
    return plot_gantt(result.trace or [], result.platform, path,
                      title=f"{scheduler}, seed {seed}: {scenario.describe()}",
                      max_tasks=max(tasks, 1), down=result.pe_down)


def _file_safe(name: str) -> str:
    """A scheduler name usable in a file name (``learned:runs/a`` -> ``learned_runs_a``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)
