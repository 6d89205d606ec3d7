"""Static DAGs beyond the 24 test graphs: the shipped agent against HEFT and PEFT on fresh ones.

``run.py`` scores the agent on 24 DAGGEN graphs (DAGGEN seeds 1 and 2) that
every earlier checkpoint was also compared on. This script draws the same
grid (n 10, 13, 16; CCR 0.5, 2; beta 0.5, 1.5; canonical3, one job at
t = 0) on other DAGGEN seeds (default 3-10: 96 graphs no training or
earlier comparison used; training graphs have seeds from 1,000,000) and
reports each scheduler's gap to the CP-SAT optimum (30 s limit per graph;
graphs whose optimum is not proven are left out and counted), and the
agent's paired difference to each heuristic, graph by graph, with its
standard error and win/loss counts.

    python experiments/set_agent/static_heldout.py                 # under a minute on 2 cores
    python experiments/set_agent/static_heldout.py --teacher       # and rollout:peft-rt
    python experiments/set_agent/static_heldout.py --seeds 3-6 --markdown out.md
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from socsim import catalog
from socsim.agents.exact import plan_optimal
from socsim.agents.learned.set_scheduler import SHIPPED_SET, load_set_policy
from socsim.agents.learned.suite_eval import greedy_metrics
from socsim.registry import make_scheduler
from socsim.scenario import Scenario

HEURISTICS = ("heft", "peft", "peft-rt", "etf")
#: The agent's teacher on DAGGEN graphs (``--teacher``; several ms per placement).
TEACHER = "rollout:peft-rt"
OUT = Path(__file__).resolve().parent / "static_heldout.md"


def graphs(first: int, last: int) -> list[str]:
    """The DAGGEN specs of the grid on DAGGEN seeds ``first..last``."""
    return [f"daggen/n={n}/ccr={ccr:g}/beta={beta:g}/seed={seed}"
            for seed in range(first, last + 1) for n in (10, 13, 16)
            for ccr in (0.5, 2.0) for beta in (0.5, 1.5)]


def optimum(workload: str) -> tuple[float, bool]:
    """CP-SAT's makespan on ``workload`` (canonical3) and whether it is proven optimal."""
    plan = plan_optimal(catalog.get_workload(workload).bind(catalog.get_platform("canonical3")),
                        time_limit=30.0, workers=1)
    return plan.makespan, plan.status == "optimal"


def makespans(workload: str, teacher: bool = False) -> dict[str, float]:
    """Each heuristic's, the shipped agent's (and the teacher's) makespan on ``workload``."""
    scenario = Scenario(platform="canonical3", workload=workload, arrival="batch", jobs=1,
                        max_in_system=0)
    out = {name: scenario.simulator(0).run(make_scheduler(name)).metrics["makespan"]
           for name in (*HEURISTICS, *((TEACHER,) if teacher else ()))}
    out["agent"] = greedy_metrics(load_set_policy(SHIPPED_SET),
                                  [scenario.simulator(0)])[0]["makespan"]
    return out


def seed_range(text: str) -> tuple[int, int]:
    """``"3-10"`` as ``(3, 10)``; ``ValueError`` if it is not FIRST-LAST with 1 <= FIRST <= LAST."""
    first, sep, last = text.partition("-")
    a, b = int(first), int(last if sep else first)
    if not 1 <= a <= b:
        raise ValueError(text)
    return a, b


def table(gaps: dict[str, list[float]], left_out: int, seeds: str, wall: float) -> str:
    """The markdown report."""
    agent = gaps["agent"]
    lines = ["# Static DAGs on fresh DAGGEN seeds: the shipped agent against the heuristics", "",
             f"Command: `python experiments/set_agent/static_heldout.py --seeds {seeds}`; "
             f"{len(agent)} graphs with a proven optimum ({left_out} left out, not proven in "
             f"30 s); wall time {wall:.0f} s on 2 cores. Gap: makespan over the CP-SAT "
             "optimum, minus one (%); paired: the agent's gap minus the heuristic's, per "
             "graph, mean ± s.e.", "",
             "| scheduler | mean gap % ± s.e. | median % | optimal | agent minus it (points) "
             "| agent better / worse / equal |", "|---|---|---|---|---|---|"]
    for name, values in gaps.items():
        se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
        optimal = sum(v < 1e-9 for v in values)
        paired = "-"
        counts = "-"
        if name != "agent":
            diff = [a - v for a, v in zip(agent, values, strict=True)]
            dse = statistics.stdev(diff) / math.sqrt(len(diff)) if len(diff) > 1 else 0.0
            paired = f"{statistics.mean(diff):+.2f} ± {dse:.2f}"
            counts = (f"{sum(d < -1e-9 for d in diff)} / {sum(d > 1e-9 for d in diff)} / "
                      f"{sum(abs(d) <= 1e-9 for d in diff)}")
        lines.append(f"| {name} | {statistics.mean(values):.1f} ± {se:.1f} | "
                     f"{statistics.median(values):.1f} | {optimal}/{len(values)} | {paired} | "
                     f"{counts} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="3-10",
                        help="DAGGEN seeds FIRST-LAST (default 3-10; 1 and 2 are run.py's)")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument("--teacher", action="store_true",
                        help=f"also score the agent's DAGGEN teacher {TEACHER} (slower)")
    parser.add_argument("--markdown", type=Path, default=OUT,
                        help=f"where to write the table (default {OUT.name} beside this script)")
    args = parser.parse_args(argv)
    try:
        first, last = seed_range(args.seeds)
    except ValueError:
        print(f"error: --seeds {args.seeds!r}: give FIRST-LAST with 1 <= FIRST <= LAST, "
              "e.g. 3-10", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    clock = time.perf_counter()
    specs = graphs(first, last)
    teacher = [args.teacher] * len(specs)
    if args.workers == 1:  # in this process
        optima = list(map(optimum, specs))
        results = list(map(makespans, specs, teacher))
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            optima = list(pool.map(optimum, specs))
            results = list(pool.map(makespans, specs, teacher))
    names = ("agent", *HEURISTICS, *((TEACHER,) if args.teacher else ()))
    gaps: dict[str, list[float]] = {name: [] for name in names}
    left_out = 0
    for (best, proven), found in zip(optima, results, strict=True):
        if not proven:
            left_out += 1
            continue
        for name in gaps:
            gaps[name].append(100 * (found[name] / best - 1))
    if not gaps["agent"]:
        print("error: no graph's optimum was proven in 30 s", file=sys.stderr)
        return 1
    flags = f"{first}-{last}" + (" --teacher" if args.teacher else "")
    text = table(gaps, left_out, flags, time.perf_counter() - clock)
    args.markdown.write_text(text, encoding="utf-8")
    print(text, end="")
    print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
