"""The shipped learned agent (``learned:default``) against the heuristics, its teacher and itself.

Held-out seeds 100000.. (training used seeds below 50000, validation
50000..), censored mean latency (unfinished jobs counted at their age when
the run stops) and jobs completed in every table, paired differences with
their standard errors:

- the 12 DeepSoCS cells against the best heuristic of each cell (ETF,
  MET, EFT, EFT-FIFO, HEFT_RT), ``etf-live`` (ETF on the live queues, the
  rule the agent's ``finish`` feature measures), the teacher
  ``rollout:etf-live`` (``rollout:etf`` on random DAGs), and at sigma 0
  the lower bound of ``socsim.agents.stream_bounds`` (computed on ETF's run);
- the papers' mix on ``mobile_soc``, DS3's default scenario and random
  DAGs on random platforms (2-32 PEs);
- static random DAGs (DAGGEN, 10-16 tasks on canonical3, the 24 test
  graphs of ``experiments/study/static_gap.py``) against CP-SAT's optimum,
  with HEFT, PEFT, runtime PEFT (``peft-rt``) and the three experts of the
  recipe (the ``daggen`` training family, whose teacher is
  ``rollout:peft-rt``, uses other DAGGEN seeds);
- learning is real: the same network untrained (its initialisation),
  after imitation, before refining (the best step of imitation and RL by
  validation, where the refining stage starts) and shipped (after refining).

    python experiments/set_agent/run.py              # 20 seeds; about 35 min on 2 cores
    python experiments/set_agent/run.py --seeds 3 --no-teacher   # a few minutes
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import torch

from socsim.agents.learned.recipe import Recipe
from socsim.agents.learned.set_policy import SetPolicy
from socsim.agents.learned.set_scheduler import SHIPPED_EDP, SHIPPED_SET, load_set_policy
from socsim.agents.learned.suite_eval import (
    METRIC,
    greedy_metrics,
    heuristic_metrics,
    policy_metrics,
)
from socsim.agents.learned.task_suite import Case, deepsocs_cells
from socsim.agents.stream_bounds import bound_row

OUT = Path(__file__).resolve().parent
STAGES = OUT / "stages"
HEURISTICS = ("etf", "met", "eft", "eft-fifo", "heft-rt")
TEACHER = "teacher"  # the rows of the family's expert in the recipe (see teacher_of)
#: The static DAGs' lookahead rows: the three experts the recipe uses.
STATIC_TEACHERS = ("rollout:etf-live", "rollout:etf", "rollout:peft-rt")
LIVE = "etf-live"  # the live-queue ETF rule the agent's features measure (not in the five)
FIRST_SEED = 100_000
#: The "learning is real" table's columns: the recipe's stages, shipped, the teacher.
STAGE_COLUMNS = ("init", "imitation", "before_refine", "agent", TEACHER)


def teacher_of(case: Case) -> str:
    """The expert that labels ``case``'s family in the shipped recipe."""
    return Recipe().dagger.expert_for(case.family)


def sem(values: list[float]) -> float:
    """Standard error of the mean (0 for fewer than two values)."""
    return statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0


def cell(values: list[float]) -> str:
    """``mean ± s.e.`` with three significant digits."""
    mean = statistics.mean(values)
    digits = max(0, 2 - math.floor(math.log10(abs(mean)))) if mean else 2
    return f"{mean:.{digits}f} ± {sem(values):.{digits}f}"


def paired(a: list[float], b: list[float]) -> tuple[float, float, float]:
    """Mean and s.e. of ``a - b`` run by run, and the mean as a % of ``b``'s mean."""
    diff = [x - y for x, y in zip(a, b, strict=True)]
    return statistics.mean(diff), sem(diff), 100 * statistics.mean(diff) / statistics.mean(b)


def agents() -> dict[str, SetPolicy]:
    """The shipped policy, its earlier stages, its untrained initialisation, the EDP variant."""
    out = {"agent": load_set_policy(SHIPPED_SET), "edp": load_set_policy(SHIPPED_EDP)}
    for stage in ("imitation", "before_refine", "init"):
        path = STAGES / f"{stage}.pt"
        if path.exists():
            out[stage] = load_set_policy(path)
    if "init" not in out:  # the recipe's initialisation: seed 0
        torch.manual_seed(0)
        out["init"] = SetPolicy().eval()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-teacher", action="store_true", help="skip rollout:etf (slow)")
    parser.add_argument("--out", type=Path, default=OUT / "results.md")
    args = parser.parse_args()
    wall = time.perf_counter()
    seeds = list(range(FIRST_SEED, FIRST_SEED + args.seeds))
    policies = agents()
    cases = [*deepsocs_cells(), Case("papers-mix"), Case("ds3-default"), Case("random-dag")]
    raw: dict[str, dict[str, list[dict[str, float]]]] = {}
    for case in cases:
        runs = [(case, s) for s in seeds] if case.name != "random-dag" else \
            [(case, s) for s in range(FIRST_SEED, FIRST_SEED + 5 * args.seeds)]
        names = [*HEURISTICS, LIVE]
        if case.name == "papers-mix":
            names += ["min-edp", "eft-energy"]
        rows = {name: heuristic_metrics(name, runs, args.workers) for name in names}
        if not args.no_teacher:
            rows[TEACHER] = heuristic_metrics(teacher_of(case), runs, args.workers)
        for name, policy in policies.items():
            if name != "edp" or case.name == "papers-mix":
                rows[name] = policy_metrics(policy, runs)
        if case.name.startswith("deepsocs") and case.name.endswith("/0"):
            rows["bound"] = [{METRIC: bound_row(c.simulator(s), "etf")["lower_bound"]}
                             for c, s in runs]
        raw[case.name] = rows
        print(case.name, {k: round(statistics.mean(r[METRIC] for r in v), 2)
                          for k, v in rows.items()}, flush=True)
    raw["static"] = static_gaps(policies, args.no_teacher)
    print("static", {k: round(statistics.mean(v), 2) for k, v in raw["static"].items()},
          flush=True)
    (OUT / "results.json").write_text(json.dumps(raw))
    args.out.write_text(report(raw, args, time.perf_counter() - wall))
    print(f"wrote {args.out}")


STATIC_GRAPHS = [(n, c, b, seed) for seed in (1, 2) for n in (10, 13, 16)
                 for c in (0.5, 2.0) for b in (0.5, 1.5)]
STATIC = ("heft", "peft", "peft-rt", "etf", LIVE)


def static_gaps(policies: dict[str, SetPolicy], no_teacher: bool) -> dict[str, list[float]]:
    """Per scheduler, each static graph's makespan over the CP-SAT optimum, minus one (%)."""
    from socsim import catalog
    from socsim.agents.exact import plan_optimal
    from socsim.registry import make_scheduler
    from socsim.scenario import Scenario

    platform = catalog.get_platform("canonical3")
    names = [*STATIC, *([] if no_teacher else STATIC_TEACHERS)]
    gaps: dict[str, list[float]] = {name: [] for name in [*names, "agent", "init"]}
    for n, ccr, beta, seed in STATIC_GRAPHS:
        workload = f"daggen/n={n}/ccr={ccr:g}/beta={beta:g}/seed={seed}"
        optimum = plan_optimal(catalog.get_workload(workload).bind(platform), time_limit=30.0,
                               workers=1).makespan
        scenario = Scenario(platform="canonical3", workload=workload, arrival="batch", jobs=1,
                            max_in_system=0)
        for name in names:
            makespan = scenario.simulator(0).run(make_scheduler(name)).metrics["makespan"]
            gaps[name].append(100 * (makespan / optimum - 1))
        for who in ("agent", "init"):
            makespan = greedy_metrics(policies[who], [scenario.simulator(0)])[0]["makespan"]
            gaps[who].append(100 * (makespan / optimum - 1))
    return gaps


def values(rows: list[dict[str, float]], metric: str = METRIC) -> list[float]:
    """One metric over the runs."""
    return [r[metric] for r in rows]


def report(raw: dict[str, dict[str, list[dict[str, float]]]], args: argparse.Namespace,
           wall: float) -> str:
    """The results file."""
    command = "python experiments/set_agent/run.py" + (
        f" --seeds {args.seeds}" if args.seeds != 20 else "") + (
        " --no-teacher" if args.no_teacher else "")
    lines = ["# learned:default on held-out seeds", "",
             f"Command: `{command}`; seeds {FIRST_SEED}.. ({args.seeds} per cell, "
             f"{5 * args.seeds} random DAGs); wall time {wall / 60:.0f} min on 2 cores.",
             "Censored mean latency (us) mean ± s.e.; `done`: jobs completed "
             "(mean); paired: agent minus the other, mean ± s.e. of per-seed differences.", ""]
    lines += ["## DeepSoCS cells: agent vs the best heuristic of the cell", "",
              "| cell | best heuristic | its latency | agent | paired vs best | % | never worse "
              "(<= 1 s.e.) | vs etf-live % | done best / agent | teacher | agent vs teacher | "
              "gap to bound agent / teacher |", "|" + "---|" * 12]
    for name, rows in raw.items():
        if not name.startswith("deepsocs"):
            continue
        lines.append(_cell_row(name, rows))
    lines += ["", "## Other scenarios", "",
              "| scenario | best heuristic | its latency | agent | paired vs best | % | "
              "vs ETF % | vs etf-live % | done best / agent | teacher |", "|" + "---|" * 10]
    for name, rows in raw.items():
        if name.startswith("deepsocs") or name == "static":
            continue
        best = _best(rows)
        agent = values(rows["agent"])
        mean, se, pct = paired(agent, values(rows[best]))
        etf_pct = paired(agent, values(rows["etf"]))[2]
        live_pct = paired(agent, values(rows[LIVE]))[2]
        teacher = f"{cell(values(rows[TEACHER]))} ({teacher_of(Case(name))})" \
            if TEACHER in rows else "-"
        lines.append(f"| {name} | {best} | {cell(values(rows[best]))} | {cell(agent)} | "
                     f"{mean:+.3g} ± {se:.2g} | {pct:+.1f} | {etf_pct:+.1f} | {live_pct:+.1f} | "
                     f"{_done(rows[best])} / {_done(rows['agent'])} | {teacher} |")
    static = raw.get("static")
    if static is not None:
        lines += ["", "## Static random DAGs: gap to the CP-SAT optimum", "",
                  f"{len(STATIC_GRAPHS)} DAGGEN graphs (n 10, 13, 16; ccr 0.5, 2; beta 0.5, "
                  "1.5; DAGGEN seeds 1, 2) on canonical3, one at t = 0; makespan over the "
                  "optimum (30 s CP-SAT limit each), minus one.", "",
                  "| scheduler | mean gap % ± s.e. | median % | optimal |", "|---|---|---|---|"]
        for who, gap in static.items():
            hits = sum(abs(g) < 1e-6 for g in gap)
            lines.append(f"| {who} | {statistics.mean(gap):.1f} ± {sem(gap):.1f} | "
                         f"{statistics.median(gap):.1f} | {hits}/{len(gap)} |")
    papers = raw.get("papers-mix")
    if papers is not None:
        lines += ["", "## Papers' mix: energy-delay product (J s)", "",
                  "| scheduler | EDP | latency (us) | paired EDP vs eft-energy |",
                  "|---|---|---|---|"]
        reference = values(papers["eft-energy"], "edp")
        for who in ("eft-energy", "min-edp", "etf", "agent", "edp"):
            if who in papers:
                edp = values(papers[who], "edp")
                m, e, p = paired(edp, reference)
                lines.append(f"| {who} | {cell(edp)} | {cell(values(papers[who]))} | "
                             f"{m:+.4f} ± {e:.4f} ({p:+.1f} %) |")
    lines += ["", "## Learning is real: the same network untrained, after imitation, before "
              "refining, shipped", "", "Geometric mean over all runs above of latency / ETF's "
              "latency (lower is better). 'imitation': the last DAgger step; 'before "
              "refining': the best step of imitation and RL by validation, where refining "
              "starts; 'shipped': the recipe's shipped step, the best by validation "
              "(refining steps included). Completed jobs are in the tables above.", "",
              "| family | init | imitation | before refining | shipped | teacher |",
              "|---|---|---|---|---|---|"]
    families: dict[str, dict[str, list[float]]] = {}
    for name, rows in raw.items():
        if name == "static":
            continue
        family = name.split("/")[0]
        for who in STAGE_COLUMNS:
            if who in rows:
                ratios = [math.log(a / e) for a, e in zip(values(rows[who]),
                                                           values(rows["etf"]), strict=True)
                          if a > 0 and e > 0]
                families.setdefault(family, {}).setdefault(who, []).extend(ratios)
    every: dict[str, list[float]] = {}
    for by in families.values():
        for who, ratios in by.items():
            every.setdefault(who, []).extend(ratios)
    count = len(next(iter(every.values()), []))
    for family, by in [*families.items(), (f"all {count} runs", every)]:
        row = [f"{math.exp(statistics.mean(by[w])):.3f}" if w in by else "-"
               for w in STAGE_COLUMNS]
        lines.append(f"| {family} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def _best(rows: dict[str, list[dict[str, float]]]) -> str:
    names = [n for n in HEURISTICS if n in rows]
    return min(names, key=lambda n: statistics.mean(values(rows[n])))


def _done(rows: list[dict[str, float]]) -> str:
    return f"{statistics.mean(values(rows, 'completed')):.1f}"


def _cell_row(name: str, rows: dict[str, list[dict[str, float]]]) -> str:
    best = _best(rows)
    agent = values(rows["agent"])
    mean, se, pct = paired(agent, values(rows[best]))
    ok = "yes" if mean <= se else "NO"
    teacher = vs_teacher = "-"
    if TEACHER in rows:
        teacher = cell(values(rows[TEACHER]))
        t_mean, t_se, t_pct = paired(agent, values(rows[TEACHER]))
        vs_teacher = f"{t_mean:+.2f} ± {t_se:.2f} ({t_pct:+.1f} %)"
    gap = "-"
    if "bound" in rows:
        bound = statistics.mean(values(rows["bound"]))
        gap = f"{100 * (statistics.mean(agent) / bound - 1):.0f} %"
        if TEACHER in rows:
            gap += f" / {100 * (statistics.mean(values(rows[TEACHER])) / bound - 1):.0f} %"
    live = f"{paired(agent, values(rows[LIVE]))[2]:+.1f}" if LIVE in rows else "-"
    return (f"| {name.removeprefix('deepsocs/')} | {best} | {cell(values(rows[best]))} | "
            f"{cell(agent)} | {mean:+.2f} ± {se:.2f} | {pct:+.1f} | {ok} | {live} | "
            f"{_done(rows[best])} / {_done(rows['agent'])} | {teacher} | {vs_teacher} | "
            f"{gap} |")


if __name__ == "__main__":
    sys.exit(main())
