"""Gap of heuristics and rollouts to the streaming lower bounds and the clairvoyant CP-SAT schedule.

Short DeepSoCS episodes (the ``deepsocs`` preset cut to ``--horizon`` us,
noise 0 and 0.5): each (scheduler, seed) run is recorded, its censored mean
latency compared with the lower bounds of
:mod:`socsim.agents.stream_bounds` (critical path, work/capacity, their
pointwise combination) and with a clairvoyant CP-SAT schedule of the same
jobs (release times = the run's realised arrivals, execution times = the
run's realised draws, hinted with the run's own schedule), with CP-SAT's
proven bound and status. Under the preset's cap of three jobs, arrivals
depend on the scheduler, so every run is measured against the bounds of
its own jobs. Writes ``results.md`` (and ``results.json``) next to this file.

The schedulers (``--schedulers``, comma-separated names): ETF, HEFT_RT, EFT
and the lookahead ``rollout:etf`` and ``rollout:etf-live`` by default.

Usage: ``python experiments/bounds/run.py [--seeds 5] [--time-limit 15] [--horizon 500]``
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from pathlib import Path

import numpy as np

from socsim.agents.compare_cmd import split_scheduler_list
from socsim.agents.scenario import DEEPSOCS
from socsim.agents.stream_bounds import clairvoyant, record_episode, stream_bound

HERE = Path(__file__).parent
SCHEDULERS = ("etf", "heft-rt", "eft", "rollout:etf", "rollout:etf-live")
NOISE = (0.0, 0.5)


def run_cell(noise: float, scheduler: str, seeds: range, horizon: float, time_limit: float,
             workers: int) -> list[dict[str, float | str]]:
    """Every seed of one (noise, scheduler) cell: the run's figures, bounds and CP-SAT result."""
    scenario = DEEPSOCS.scenario.replace(horizon=horizon, noise=noise)
    rows = []
    for seed in seeds:
        episode = record_episode(scenario.simulator(seed, keep_trace=True), scheduler)
        metrics = episode.result.metrics
        cheap = stream_bound(episode)
        plan = clairvoyant(episode, time_limit=time_limit, workers=workers, cheap=cheap)
        best = max(cheap.bound, plan.bound) if math.isfinite(plan.bound) else cheap.bound
        rows.append({"noise": noise, "scheduler": scheduler, "seed": seed,
                     "censored": metrics["censored_mean_latency"],
                     "completed_mean": metrics["mean_latency"],
                     "completed": metrics["completed"], "in_system": metrics["in_system"],
                     "cp": cheap.cp, "work": cheap.work, "combined": cheap.bound,
                     "cpsat_bound": plan.bound, "lower_bound": best,
                     "clairvoyant": plan.objective, "status": plan.status,
                     "cpsat_s": plan.wall_s, "tasks": plan.tasks})
    return rows


def _mean(rows: list[dict], key: str) -> tuple[float, float]:
    values = np.array([r[key] for r in rows], dtype=float)
    sem = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return float(values.mean()), float(sem)


def _gap(rows: list[dict], reference: str) -> tuple[float, float]:
    gaps = np.array([r["censored"] / r[reference] - 1.0 for r in rows], dtype=float)
    sem = gaps.std(ddof=1) / math.sqrt(len(gaps)) if len(gaps) > 1 else math.nan
    return float(gaps.mean()), float(sem)


def write_markdown(rows: list[dict], args: argparse.Namespace, wall: float) -> str:
    """The results table as Markdown."""
    lines = [
        "# Streaming bounds: gap to the lower bound and to a clairvoyant CP-SAT schedule",
        "",
        f"DeepSoCS preset (canonical job on canonical3, Poisson gaps of 25 us, 3 pre-filled, "
        f"at most 3 in the system with DS3Gym's retrying generator, first-ready queues) cut to "
        f"**{args.horizon:g} us**; seeds {args.first_seed}..{args.first_seed + args.seeds - 1}; "
        f"CP-SAT {args.time_limit:g} s and {args.workers} workers per run. Produced by "
        f"`python experiments/bounds/run.py --seeds {args.seeds} --time-limit "
        f"{args.time_limit:g} --horizon {args.horizon:g} --workers {args.workers}"
        f"{_schedulers_flag(args.schedulers)}` "
        f"({wall:.0f} s).",
        "",
        "All latencies are **censored means** (us): completed jobs at their latency, jobs "
        "still in the system at the horizon at their age then. The figure DS3Gym reports "
        "(completed jobs only) is in the `completed-only` column for reference. Each run is "
        "compared with the bounds of its *own* jobs: under the cap, which jobs arrive and "
        "when depends on the scheduler.",
        "",
        "- `cp`: critical-path bound, mean of min(CP_j, T - a_j) (least realised times, no "
        "transfers, no contention);",
        "- `work`: best work/capacity bound (SRPT on one machine of speed |S| per PE class "
        "S, pointwise fewest jobs in the system);",
        "- `bound`: the pointwise maximum of the two job counts, integrated (>= both);",
        "- `CP-SAT LB`: CP-SAT's proven bound on the clairvoyant model (a relaxation of "
        "every scheduler on those jobs);",
        "- `clairvoyant`: best schedule CP-SAT found, release times = the run's arrivals, "
        "execution times = the run's realised draws (noise included), hinted with the run's "
        "own schedule (`HINT`: nothing better found);",
        "- gaps: censored / reference - 1, mean over seeds ± s.e.; the lower-bound gap uses "
        "max(bound, CP-SAT LB).",
        "",
        "| sigma | scheduler | censored | completed-only | completed / in system | cp | work "
        "| bound | CP-SAT LB | gap to lower bound | clairvoyant | gap to clairvoyant "
        "| CP-SAT status |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for noise in NOISE:
        for scheduler in args.schedulers:
            cell = [r for r in rows if r["noise"] == noise and r["scheduler"] == scheduler]
            if not cell:
                continue
            censored, completed_mean = _mean(cell, "censored"), _mean(cell, "completed_mean")
            done, left = _mean(cell, "completed")[0], _mean(cell, "in_system")[0]
            gap_lb, gap_cv = _gap(cell, "lower_bound"), _gap(cell, "clairvoyant")
            status = ", ".join(f"{k} {v}" for k, v in sorted(Counter(
                r["status"] for r in cell).items()))
            lines.append(
                f"| {noise:g} | {scheduler} | {censored[0]:.1f} ± {censored[1]:.1f} "
                f"| {completed_mean[0]:.1f} | {done:.1f} / {left:.1f} "
                f"| {_mean(cell, 'cp')[0]:.1f} | {_mean(cell, 'work')[0]:.1f} "
                f"| {_mean(cell, 'combined')[0]:.1f} | {_mean(cell, 'cpsat_bound')[0]:.1f} "
                f"| {gap_lb[0]:+.1%} ± {gap_lb[1]:.1%} "
                f"| {_mean(cell, 'clairvoyant')[0]:.1f} | {gap_cv[0]:+.1%} ± {gap_cv[1]:.1%} "
                f"| {status} |")
    lines += ["", "Reading: the true room for improvement on a run lies between its gap to "
              "the clairvoyant schedule (what full knowledge of the future reaches in the "
              "clairvoyant model, which leaves out the cap of three jobs and the timing of "
              "decision points; a lower estimate of the room while CP-SAT is not proven "
              "optimal) and its gap to the lower bound (no schedule can do better).", ""]
    return "\n".join(lines)


def _schedulers_flag(names: tuple[str, ...]) -> str:
    """The ``--schedulers`` flag that gives ``names`` (empty for the default)."""
    return "" if names == SCHEDULERS else f" --schedulers {','.join(names)}"


def main() -> None:
    """Run every cell and write the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=15.0)
    parser.add_argument("--horizon", type=float, default=500.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--schedulers", default=",".join(SCHEDULERS),
                        help="comma-separated scheduler names (default: %(default)s)")
    args = parser.parse_args()
    args.schedulers = tuple(name for name in split_scheduler_list(args.schedulers) if name)
    began = time.perf_counter()
    rows = []
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    for noise in NOISE:
        for scheduler in args.schedulers:
            rows += run_cell(noise, scheduler, seeds, args.horizon, args.time_limit,
                             args.workers)
            print(f"sigma {noise:g} {scheduler}: done", flush=True)
    wall = time.perf_counter() - began
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    (args.out / "results.md").write_text(write_markdown(rows, args, wall), encoding="utf-8")
    print((args.out / "results.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
