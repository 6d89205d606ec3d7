"""``socsim schedule FILE``: schedule one DAG instance and print the schedule.

The instance format is described in :mod:`socsim.agents.instance` and
``docs/scheduling.md``. Static methods (``heft``, ``cpop``, ``peft``,
``optimal``) print their plan, which is what the simulator executes; any
other registered scheduler (runtime heuristics) runs the job in the
simulator as a batch of one, and the trace is printed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from socsim.jobs import Batch, JobSource
from socsim.registry import make_scheduler, scheduler_names
from socsim.simulator import Simulator

from .cpop import plan_cpop
from .exact import plan_optimal
from .heft import plan_heft
from .instance import Instance, load_instance
from .peft import plan_peft
from .planning import Plan

STATIC_PLANNERS: dict[str, Callable[[Instance, argparse.Namespace], Plan]] = {
    "heft": lambda inst, args: plan_heft(inst.bound),
    "cpop": lambda inst, args: plan_cpop(inst.bound),
    "peft": lambda inst, args: plan_peft(inst.bound),
    "optimal": lambda inst, args: plan_optimal(inst.bound, time_limit=args.time_limit),
}


def add_schedule_command(sub: argparse._SubParsersAction) -> None:
    """Add the ``schedule`` subcommand to the ``socsim`` command line."""
    cmd = sub.add_parser(
        "schedule", help="schedule one DAG instance (JSON) and print the schedule",
        description="Schedule a single-DAG instance file (see docs/scheduling.md for the "
        "format) and print its makespan and schedule. Processors are numbered from 0.")
    cmd.add_argument("file", metavar="FILE", help="instance file (JSON)")
    cmd.add_argument("--scheduler", default="heft", metavar="NAME",
                     help="heft (default), cpop, peft, optimal (CP-SAT), or any scheduler of "
                     f"the simulator: {', '.join(scheduler_names())}")
    cmd.add_argument("--json", action="store_true",
                     help='print one JSON object {"makespan": x, "schedule": [{"task", '
                     '"processor", "start", "finish"}...]} instead of a table')
    cmd.add_argument("--time-limit", type=float, default=10.0, metavar="S",
                     help="seconds the optimal solver may search (default 10)")
    cmd.set_defaults(handler=cmd_schedule)


def cmd_schedule(args: argparse.Namespace, console: Console) -> int:
    """Schedule the instance and print the result."""
    if not args.time_limit > 0:
        raise ValueError(f"--time-limit must be a positive number of seconds, "
                         f"got {args.time_limit}")
    instance = load_instance(args.file)
    result = schedule_instance(instance, args.scheduler, args)
    if args.json:
        print(json.dumps(result))
    else:
        console.print(schedule_table(result, f"{args.scheduler} on {instance.name}"))
        console.print(f"makespan: {_text(result['makespan'])}", highlight=False)
        if "status" in result:
            console.print(f"status: {result['status']}, lower bound: "
                          f"{_text(result['lower_bound'])}", highlight=False)
    return 0


def schedule_instance(instance: Instance, scheduler: str,
                      args: argparse.Namespace | None = None) -> dict[str, Any]:
    """The schedule of ``instance`` by ``scheduler``, as the ``--json`` document.

    Static methods return their plan; other schedulers run the job in the
    simulator (a batch of one job, no noise) and report the trace. The
    optimal method adds ``status`` and ``lower_bound``.
    """
    args = args or argparse.Namespace(time_limit=10.0)
    if scheduler in STATIC_PLANNERS:
        plan = STATIC_PLANNERS[scheduler](instance, args)
        rows = [(r.name, r.pe, r.start, r.finish) for r in plan.rows()]
        doc = _document(plan.makespan, rows)
        if scheduler == "optimal":
            doc["status"] = plan.status
            doc["lower_bound"] = _number(plan.lower_bound or 0.0)
        return doc
    source = JobSource([instance.bound], arrivals=Batch(), max_jobs=1)
    sim = Simulator(instance.platform, source, keep_trace=True)
    result = sim.run(make_scheduler(scheduler))
    trace = [r for r in result.trace or [] if r.status == "done"]
    rows = [(r.task, r.pe, r.start, r.finish) for r in trace]
    rows.sort(key=lambda r: (r[2], r[1]))
    return _document(max((r[3] for r in rows), default=0.0), rows)


def _document(makespan: float, rows: list[tuple[str, int, float, float]]) -> dict[str, Any]:
    return {"makespan": _number(makespan),
            "schedule": [{"task": task, "processor": pe, "start": _number(start),
                          "finish": _number(finish)} for task, pe, start, finish in rows]}


def _number(value: float) -> float | int:
    """Whole numbers as ``int`` (``80`` rather than ``80.0``), others unchanged."""
    return int(value) if float(value).is_integer() else value


def _text(value: float) -> str:
    return f"{value:.10g}"


def schedule_table(doc: dict[str, Any], title: str) -> Table:
    """A rich table of a schedule document (one row per task, by start time)."""
    table = Table(title=title)
    for column in ("task", "processor", "start", "finish"):
        table.add_column(column, justify="left" if column == "task" else "right")
    for row in doc["schedule"]:
        table.add_row(row["task"], str(row["processor"]), _text(row["start"]),
                      _text(row["finish"]))
    return table
