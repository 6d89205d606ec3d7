"""The ``socsim`` command line: simulate a scenario, list built-in platforms and workloads.

Every flag has help text (``socsim simulate --help``); bad input ends with a
one-line message that says what to change, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from socsim import __version__, catalog, dag_generator
from socsim.dvfs import POLICY_NAMES
from socsim.errors import ConfigError, ScenarioError, SchedulingError, UsageError
from socsim.metrics import METRIC_DOCS
from socsim.platform import describe_platform
from socsim.registry import make_scheduler, scheduler_names
from socsim.results import SimulationResult
from socsim.scenario import DEFAULT_MIX, DEFAULT_PLATFORM, Scenario
from socsim.scheduler import Scheduler
from socsim.simulator import Simulator

DEFAULT_SCHEDULER = "etf"  # DS3's shipped default; it lives in socsim.agents
PROGRESS_THRESHOLD_JOBS = 5000
UNWRAPPED_WIDTH = 10_000  # console width when output is not a terminal: no wrapping


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``socsim`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    console = output_console()
    try:
        return args.handler(args, console)
    except ScenarioError as exc:  # a Scenario field: name the flag that sets it
        print_error(exc.as_flag_error())
        return 2
    except (ConfigError, UsageError, SchedulingError, ValueError) as exc:
        reword = getattr(exc, "for_command", None)  # an observation limit: this command's flags
        print_error(reword(args.command) if callable(reword) else exc)
        return 2


def output_console(stderr: bool = False) -> Console:
    """A console for tables and messages that never wraps lines when output is not a terminal.

    On a terminal, rich fits tables to its width; piped or redirected output
    (a file, ``grep``, a test's capture) gets whole lines, so that no message
    or table row is broken mid-field whatever ``COLUMNS`` says.
    """
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=UNWRAPPED_WIDTH, soft_wrap=True)


def print_error(exc: BaseException | str) -> None:
    """Print ``error: MESSAGE`` as one line on standard error (never wrapped)."""
    message = " ".join(str(exc).split())  # one line, whatever the message holds
    output_console(stderr=True).print(f"[bold red]error:[/] {escape(message)}",
                                      highlight=False, soft_wrap=True)


#: Subcommands of the emulator itself: running one of them needs no extension's parsers.
CORE_COMMANDS = ("simulate", "platforms", "workloads")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser for all subcommands.

    Args:
        argv: The arguments it will parse, if known. When they name one of
            :data:`CORE_COMMANDS`, the extensions' subcommands (``compare``,
            ``train``...) are left out: building their parsers imports their
            modules, which costs more than a short simulation. Otherwise
            (``--help``, another command, a typo, ``None``) every subcommand is
            there.
    """
    parser = argparse.ArgumentParser(
        prog="socsim", description="Discrete-event emulator of heterogeneous SoCs for "
        "scheduling DAG jobs, with RL environments and baselines.")
    parser.add_argument("--version", action="version", version=f"socsim {__version__}",
                        help="print socsim's version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", help="run a scenario and print its metrics",
                         description="Run jobs on a platform under a scheduler. With no "
                         "options: DS3's default scenario (SoC MULTIPLE_BAL, its six-"
                         "application mix, 100 jobs, Poisson arrivals every 500 us on "
                         "average, at most 12 jobs in the system) under ETF.")
    _add_simulate_args(sim)
    sim.set_defaults(handler=cmd_simulate)
    platforms = sub.add_parser("platforms", help="list built-in platforms")
    platforms.set_defaults(handler=cmd_platforms)
    _add_workloads_command(sub)
    words = [a for a in (argv if argv is not None else ()) if not a.startswith("-")]
    if argv is None or not words or words[0] not in CORE_COMMANDS:
        for add_subcommands in _plugin_subcommands():
            add_subcommands(sub)
    return parser


def _plugin_subcommands() -> list[Callable[[Any], None]]:
    """``add_subcommands(subparsers)`` hooks of installed extensions (``socsim.agents.cli``).

    The emulator does not depend on the agents; when they are installed, their
    commands (``schedule``, ``compare``...) join this command line.
    """
    try:
        module = importlib.import_module("socsim.agents.cli")
    except ModuleNotFoundError as exc:
        if exc.name in ("socsim.agents", "socsim.agents.cli"):
            return []
        raise
    return [module.add_subcommands]


def _add_simulate_args(sim: argparse.ArgumentParser) -> None:
    sim.add_argument("--platform", default=DEFAULT_PLATFORM,
                     help=f"built-in platform name or platform file, or a DS3 SoC file "
                     f"(SoC.*.txt) (default {DEFAULT_PLATFORM})")
    group = sim.add_mutually_exclusive_group()
    group.add_argument("--workload", help="workload name or file, or a DS3 job file "
                       "(job_*.txt, with its SoC file as --platform); several as 'a:w,b:w' "
                       "with weights")
    group.add_argument("--mix", help=f"named workload mix or mix file (default {DEFAULT_MIX} "
                       "when --workload is not given)")
    sim.add_argument("--scheduler", default=DEFAULT_SCHEDULER, metavar="NAME",
                     help=f"scheduler, one of {', '.join(scheduler_names())} (default "
                     f"{DEFAULT_SCHEDULER}, DS3's default scheduler)")
    sim.add_argument("--jobs", type=int, help="number of jobs to inject (default 100 unless "
                     "--horizon is given)")
    sim.add_argument("--horizon", type=float, help="stop at this time (us)")
    sim.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    sim.add_argument("--arrival", choices=["poisson", "fixed", "batch", "trace"],
                     default="poisson", help="arrival process (default poisson)")
    sim.add_argument("--interarrival", type=float, default=500.0,
                     help="mean (poisson) or exact (fixed) gap between arrivals, us (default 500)")
    sim.add_argument("--trace-file", help="arrival trace (CSV with time[,profile] or JSON) for "
                     "--arrival trace")
    sim.add_argument("--max-in-system", type=int, default=12,
                     help="cap on jobs in the system; 0 for none (default 12, as DS3)")
    sim.add_argument("--prefill", type=int, default=0,
                     help="jobs injected at t=0 before arrivals start (pseudo steady state)")
    sim.add_argument("--noise", type=float, default=0.0,
                     help="relative std. dev. of execution times (default 0)")
    sim.add_argument("--dvfs", default="performance", metavar="POLICY",
                     help=f"DVFS policy or governor: {', '.join(POLICY_NAMES)} (default "
                     "performance; ondemand and constant-MHZ as in DS3)")
    sim.add_argument("--fail", action="append", default=[], metavar="PE@T[-R]",
                     help="PE (index or name) fails at T us, recovering at R if given; "
                     "repeatable")
    sim.add_argument("--mtbf", type=float, help="random faults: mean time between failures "
                     "per PE (us)")
    sim.add_argument("--mttr", type=float, default=1000.0,
                     help="random faults: mean time to repair (us, default 1000)")
    sim.add_argument("--warmup", type=float, default=0.0, metavar="US",
                     help="measure from US on: jobs arriving earlier are left out of the "
                     "metrics (DS3's warmup_period; default 0)")
    sim.add_argument("--inject-asap", action="store_true",
                     help="also inject the next job as soon as one completes (DS3's "
                     "inject_jobs_ASAP)")
    sim.add_argument("--throttling", action="store_true",
                     help="DS3's thermal trips cap cluster frequencies (DS3 platforms; off "
                     "by default, as in DS3)")
    sim.add_argument("--power-gating", action="store_true",
                     help="DS3's power model gates idle cores and charges busy ones from the "
                     "PG_profile rows (DS3 platforms; off by default)")
    sim.add_argument("--out", type=Path, help="write metrics, trace, jobs, Chrome trace and "
                   "Gantt chart into this folder")
    sim.add_argument("--no-trace", action="store_true",
                     help="with --out, skip the per-task trace and Gantt chart (long runs)")


def cmd_simulate(args: argparse.Namespace, console: Console) -> int:
    """Run one simulation and print its metrics table."""
    scenario = scenario_from_args(args)
    keep = args.out is not None
    sim = scenario.simulator(args.seed, keep_trace=keep and not args.no_trace, keep_jobs=keep)
    platform = sim.platform
    scheduler = _simulate_scheduler(args.scheduler)
    total = sim.source.max_jobs
    if (total or 0) >= PROGRESS_THRESHOLD_JOBS or (total is None and args.horizon):
        result = _run_with_progress(sim, scheduler, total, args.horizon, console)
    else:
        result = sim.run(scheduler)
    console.print(metrics_table(result, title=f"{args.scheduler} on {platform.name}"))
    if keep:
        from socsim.export import export_result  # only when files are asked for

        written = export_result(result, args.out)
        for kind, path in written.items():
            console.print(f"  {kind}: {path}", highlight=False)
    return 0


def _simulate_scheduler(name: str) -> Scheduler:
    """The ``--scheduler``; a clear error if the default's package (socsim.agents) is missing."""
    if name == DEFAULT_SCHEDULER and name not in scheduler_names():
        raise UsageError(f"the default scheduler {name} (DS3's) comes with socsim.agents, "
                         "which is not installed; reinstall socsim, or pass --scheduler met "
                         "(the emulator's own)")
    return make_scheduler(name)


def _run_with_progress(sim: Simulator, scheduler: object, total: int | None,
                       horizon: float | None, console: Console) -> SimulationResult:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # long runs only

    columns = [TextColumn("simulating"), BarColumn(), TextColumn("{task.description}"),
               TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=float(total) if total else float(horizon or 1))

        def update(_: SimulationResult | None, s: Simulator) -> None:
            done = s.completed + s.failed
            bar.update(task, completed=float(done) if total else s.now,
                       description=f"{done} jobs done, t={s.now:.0f} us")

        return sim.run(scheduler, progress=update)


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The :class:`~socsim.scenario.Scenario` that the ``simulate`` flags describe."""
    return Scenario(platform=args.platform, workload=args.workload, mix=args.mix,
                    jobs=args.jobs, horizon=args.horizon, arrival=args.arrival,
                    interarrival=args.interarrival, trace_file=args.trace_file,
                    max_in_system=args.max_in_system, prefill=args.prefill, noise=args.noise,
                    dvfs=args.dvfs, fail=tuple(args.fail), mtbf=args.mtbf, mttr=args.mttr,
                    warmup=args.warmup, inject_asap=args.inject_asap,
                    throttling=True if args.throttling else None,
                    power_gating=args.power_gating)


def metrics_table(result: SimulationResult, title: str) -> Table:
    """A two-column table of a run's metrics."""
    table = Table(title=title, show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("meaning", style="dim")
    for name, value in result.metrics.items():
        table.add_row(name, _format(value), METRIC_DOCS.get(name, ""))
    return table


def _format(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1e-2 else f"{value:,.2f}"


def cmd_platforms(args: argparse.Namespace, console: Console) -> int:
    """List built-in platforms."""
    table = Table(title="built-in platforms")
    for column in ("name", "pes", "types", "timing"):
        table.add_column(column)
    for name in catalog.platform_names():
        row = describe_platform(catalog.get_platform(name))
        table.add_row(*(str(row[c]) for c in ("name", "pes", "types", "timing")))
    console.print(table)
    return 0


def _add_workloads_command(sub: Any) -> None:
    """``socsim workloads [show|draw NAME]``: list, or look at one workload."""
    workloads = sub.add_parser(
        "workloads", help="list built-in workloads and mixes; show or draw one",
        description="With no action: list the built-in workloads and mixes. A workload is a "
        "built-in name, a workload file, or a random DAG spec such as "
        f"'{dag_generator.EXAMPLE_SPEC}'.")
    workloads.set_defaults(handler=cmd_workloads)
    actions = workloads.add_subparsers(dest="action", metavar="{show,draw}")
    platform_help = ("built-in platform name or platform file for the costs (default: the "
                     "platform of a built-in mix using the workload, else the first built-in "
                     "platform it runs on)")
    show = actions.add_parser("show", help="print a workload's DAG and its cost table",
                              description="Print each task with its predecessors and "
                              "successors (edge volumes in brackets), then its latency (us, at "
                              "the reference OPP) and energy (uJ = latency x active power at "
                              "that OPP) on every PE type of the platform.")
    show.add_argument("name", help="workload: built-in name, file, or daggen/... spec")
    show.add_argument("--platform", help=platform_help)
    show.set_defaults(handler=cmd_workloads_show)
    draw = actions.add_parser("draw", help="save a PNG drawing of a workload's DAG",
                              description="Draw the DAG, one row per topological generation; "
                              "small graphs get edge volumes and mean task latencies.")
    draw.add_argument("name", help="workload: built-in name, file, or daggen/... spec")
    draw.add_argument("--out", type=Path, help="PNG file to write (default: NAME.png in the "
                      "current folder)")
    draw.add_argument("--platform", help=platform_help)
    draw.set_defaults(handler=cmd_workloads_draw)


def cmd_workloads(args: argparse.Namespace, console: Console) -> int:
    """List built-in workloads and mixes."""
    from socsim import dag_draw  # matplotlib and networkx: only for workload views

    table = Table(title="built-in workloads")
    for column in ("name", "tasks", "edges", "PE types"):
        table.add_column(column)
    for name in catalog.workload_names():
        profile = catalog.get_workload(name)
        table.add_row(name, str(profile.num_tasks), str(len(profile.edges)),
                      dag_draw.listed_types(profile))
    console.print(table)
    mixes = Table(title="built-in mixes")
    mixes.add_column("name")
    mixes.add_column("workloads (weight)")
    mixes.add_column("platform")
    for name in catalog.mix_names():
        mix = catalog.get_mix(name)
        mixes.add_row(name, ", ".join(f"{w} ({v:g})" for w, v in mix.weights.items()),
                      mix.platform or "")
    console.print(mixes)
    console.print(f"Random DAGs: any spec like '{dag_generator.EXAMPLE_SPEC}' (see "
                  "docs/formats.md). Look at one with 'socsim workloads show NAME' or "
                  "'socsim workloads draw NAME'.", highlight=False)
    return 0


def cmd_workloads_show(args: argparse.Namespace, console: Console) -> int:
    """Print one workload's DAG and its latency and energy per PE type of a platform."""
    from socsim import dag_draw  # matplotlib and networkx: only for workload views

    profile = catalog.get_workload(args.name)
    bound = profile.bind(dag_draw.choose_platform(profile, args.platform))
    facts = dag_draw.summary(bound)
    console.print(f"[bold]{profile.name}[/] ({profile.source})", highlight=False)
    if profile.description:
        console.print(profile.description, highlight=False)
    console.print(f"{facts['tasks']} tasks, {facts['edges']} edges, {facts['levels']} levels, "
                  f"widest level {facts['width']}; CCR on {bound.platform.name} "
                  f"{_format(facts['ccr'])}", highlight=False)
    dag = Table(title="DAG (edge volumes in brackets)")
    for column in ("task", "predecessors", "successors"):
        dag.add_column(column)
    for row in dag_draw.structure_rows(profile):
        dag.add_row(*row)
    console.print(dag)
    costs = dag_draw.cost_table(bound)
    powers = ", ".join(f"{n} {w:g} W" for n, w in zip(costs.type_names, costs.active_w,
                                                       strict=True))
    console.print(f"Costs on {bound.platform.name} at each PE type's reference OPP; energy = "
                  f"latency x active power ({powers}); '-': the type cannot run the task.",
                  highlight=False)
    console.print(_operating_point_line(bound), highlight=False)
    tables = [("latency (us)", costs.latency), ("energy (uJ)", costs.energy)]
    dram = dag_draw.dram_energy_rows(bound)
    if dram:
        tables.append(("DRAM streaming energy (uJ) of the cost model, booked on top of "
                       "active energy", dram))
    for title, values in tables:
        _print_type_table(console, title, profile.task_names, costs.type_names, values)
    return 0


def _operating_point_line(bound: Any) -> str:
    """The operating point the cost tables are for: MHz per PE type, and the activity.

    Args:
        bound: The :class:`~socsim.workload.BoundProfile` whose tables are printed.
    """
    points = []
    for pe_type in bound.platform.types:
        opp = pe_type.opps[pe_type.reference_opp]
        top = pe_type.opps[pe_type.max_opp].mhz
        points.append(f"{pe_type.name} {opp.mhz:g} MHz" + ("" if top == opp.mhz
                                                            else f" (fastest {top:g})"))
    activity = "" if bound.activity is None else (
        f"; activity {bound.activity:g} (the profile's nominal; jobs draw theirs per job)"
        if bound.variants else f"; activity {bound.activity:g}")
    return (f"Operating point (as --dvfs fixed): {', '.join(points)}{activity}. The default "
            "--dvfs performance runs every PE at its fastest point.")


def _print_type_table(console: Console, title: str, tasks: Sequence[str],
                      type_names: Sequence[str], values: Sequence[Sequence[float]]) -> None:
    """A task x PE type table, split into several when the types do not fit the console."""
    from socsim import dag_draw  # matplotlib and networkx: only for workload views

    cells = [[dag_draw.format_cost(v) for v in row] for row in values]
    task_width = max(len("task"), *map(len, tasks))
    widths = [max(len(name), *(len(row[k]) for row in cells)) for k, name in
              enumerate(type_names)]
    chunks = dag_draw.column_chunks(widths, console.width - task_width - 4)
    for number, chunk in enumerate(chunks, start=1):
        part = f" ({number}/{len(chunks)})" if len(chunks) > 1 else ""
        table = Table(title=title + part)
        table.add_column("task", no_wrap=True)
        for k in chunk:
            table.add_column(type_names[k], justify="right", no_wrap=True)
        for task, row in zip(tasks, cells, strict=True):
            table.add_row(task, *(row[k] for k in chunk))
        console.print(table)


def cmd_workloads_draw(args: argparse.Namespace, console: Console) -> int:
    """Save a PNG drawing of one workload's DAG."""
    from socsim import dag_draw  # matplotlib and networkx: only for workload views

    profile = catalog.get_workload(args.name)
    bound = None
    try:
        bound = profile.bind(dag_draw.choose_platform(profile, args.platform))
    except ConfigError:
        if args.platform is not None:
            raise  # a platform the user named must fit; the default is only a nicety
    out = args.out if args.out is not None else Path(dag_draw.default_png_name(profile))
    path = dag_draw.draw_dag(profile, out, bound)
    console.print(f"wrote {path}", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
