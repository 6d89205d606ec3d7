"""Benchmark: emulator throughput on DS3's default configuration with MET.

DS3's default scenario: SoC MULTIPLE_BAL, the six-application mix (WiFi TX
0.2, WiFi RX 0.2, LAG 0.2, SCT 0.1, SCR 0.1, TEMP_MIT 0.2), Poisson arrivals
with a mean gap of 500 us, at most 12 jobs in the system, socsim's per-PE
powers (DS3's power and thermal model and their cost are timed by
``experiments/bench_power.py``). Each size runs in
its own process on one core, so peak memory (max RSS) is per size.

It first measures, in this process and in interleaved rounds (CPU time,
``time.process_time``, the median reported), three runs of the same
scenario: the simulator under MET, the simulator under ETF, and a bare
pure-Python heap loop that simulates the same jobs (same DAGs, arrival
process and cap, each task on its MET PE, FIFO PE queues, transfers
counted) with none of the simulator's bookkeeping: the limit an
event loop in Python can reach on this scenario. It prints MET's share of
that limit and ETF's cost per task over MET's.

Targets (issue 13): MET at least 0.35 of the bare-loop limit; ETF at most
2x MET per task.

Usage::

    python experiments/bench_simulator.py            # ratios, then 1k, 10k, 100k jobs
    python experiments/bench_simulator.py --sizes 1000 10000 --ratio-jobs 2000
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import resource
import statistics
import subprocess
import sys
import time
from collections import deque
from typing import Any


def ds3_default(jobs: int) -> tuple[Any, Any]:
    """DS3's default platform and job source for ``jobs`` jobs, with per-PE powers.

    The built-in platform charges energy with DS3's cluster and thermal model;
    it is dropped here so that the simulator is timed on what the bare loop
    does too (the model's own cost: ``experiments/bench_power.py``).
    """
    import dataclasses

    from socsim import JobSource, Poisson, catalog

    platform = dataclasses.replace(catalog.get_platform("ds3_multiple_bal"), power_model=None)
    mix = catalog.get_mix("ds3_default")
    profiles = [catalog.get_workload(name).bind(platform) for name in mix.weights]
    source = JobSource(profiles, weights=list(mix.weights.values()),
                       arrivals=Poisson(500.0, integer=True), max_jobs=jobs, max_in_system=12)
    return platform, source


def bare_loop(platform: Any, source: Any, jobs: int, seed: int) -> int:
    """Simulate ``jobs`` jobs of ``source`` with a bare heap loop under MET; return tasks run.

    Same DAGs, arrival process (Poisson, integer gaps, mean 500 us), cap of
    jobs in the system (arrivals wait), each task on the first PE of its
    fastest type, FIFO PE queues, a task starting when it heads its queue
    and its inputs are there (predecessor finish plus transfer time).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    profiles = source.profiles
    weights = np.asarray(source.weights, float)
    kinds = rng.choice(len(profiles), size=jobs, p=weights / weights.sum()).tolist()
    gaps = np.floor(rng.exponential(500.0, size=jobs)).tolist()
    transfer = platform.transfer_time
    tables = []
    for profile in profiles:
        pe_type = platform.pe_type
        met = []
        for task in range(profile.num_tasks):
            row = profile.cost[task]
            met.append(min(profile.eligible_pes[task], key=lambda pe, r=row: r[pe_type[pe]]))
        cost = [profile.cost[t][pe_type[met[t]]] for t in range(profile.num_tasks)]
        tables.append((met, cost, profile.succs, profile.num_preds, profile.sources))
    num_pes = platform.num_pes
    queues: list[deque[tuple[list[Any], int, float]]] = [deque() for _ in range(num_pes)]
    busy = [False] * num_pes
    events: list[tuple[float, int, int, Any, int]] = []
    seq = 0
    cap, in_system, waiting_arrivals, injected, done = source.max_in_system, 0, 0, 0, 0

    def inject(now: float, kind: int) -> None:
        nonlocal in_system
        met, _, _, num_preds, sources = tables[kind]
        job = [kind, list(num_preds), [0.0] * len(met), len(met)]  # kind, waiting, finish, left
        in_system += 1
        for task in sources:
            enqueue(now, job, task, now)

    def enqueue(now: float, job: list[Any], task: int, ready: float) -> None:
        pe = tables[job[0]][0][task]
        queues[pe].append((job, task, ready))
        if not busy[pe]:
            start_next(now, pe)

    def start_next(now: float, pe: int) -> None:
        nonlocal seq
        queue = queues[pe]
        if not queue:
            busy[pe] = False
            return
        job, task, ready = queue.popleft()
        busy[pe] = True
        seq += 1
        start = ready if ready > now else now
        heapq.heappush(events, (start + tables[job[0]][1][task], seq, pe, job, task))

    arrival = gaps[0]
    next_job = 0
    while next_job < jobs or events:
        if next_job < jobs and (not events or arrival <= events[0][0]):
            now = arrival
            if cap and in_system >= cap:
                waiting_arrivals += 1
            else:
                inject(now, kinds[next_job])
                injected += 1
            next_job += 1
            if next_job < jobs:
                arrival = now + gaps[next_job]
            continue
        now, _, pe, job, task = heapq.heappop(events)
        done += 1
        met, _, succs, _, _ = tables[job[0]]
        preds = profiles[job[0]].preds
        job[2][task] = now
        job[3] -= 1
        for succ, _ in succs[task]:
            job[1][succ] -= 1
            if job[1][succ] == 0:
                finish, dst = job[2], met[succ]
                ready = now
                for pred, size in preds[succ]:
                    at = finish[pred] + transfer(met[pred], dst, size)
                    if at > ready:
                        ready = at
                enqueue(now, job, succ, ready)
        start_next(now, pe)
        if job[3] == 0:
            in_system -= 1
            if waiting_arrivals:
                waiting_arrivals -= 1
                inject(now, kinds[injected])
                injected += 1
    return done


def ratios(jobs: int, seed: int, rounds: int) -> dict[str, float]:
    """MET, ETF and the bare loop on ``jobs`` jobs, interleaved; medians of CPU seconds."""
    from socsim import Simulator
    from socsim.registry import make_scheduler
    from socsim.schedulers import MinimumExecutionTime

    platform, source = ds3_default(jobs)
    times: dict[str, list[float]] = {"bare": [], "met": [], "etf": []}
    tasks: dict[str, int] = {}
    for _ in range(rounds):
        start = time.process_time()
        tasks["bare"] = bare_loop(platform, source, jobs, seed)
        times["bare"].append(time.process_time() - start)
        for name, scheduler in (("met", MinimumExecutionTime()), ("etf", make_scheduler("etf"))):
            sim = Simulator(platform, source, seed=seed)
            start = time.process_time()
            sim.run(scheduler)
            times[name].append(time.process_time() - start)
            tasks[name] = sim.tasks_done
    per_task = {name: statistics.median(times[name]) / tasks[name] for name in times}
    return {"jobs": jobs, **{f"{k}_tasks": v for k, v in tasks.items()},
            **{f"{k}_us_per_task": 1e6 * v for k, v in per_task.items()},
            "met_share_of_bare": per_task["bare"] / per_task["met"],
            "etf_over_met": per_task["etf"] / per_task["met"]}


def run_one(jobs: int, seed: int) -> dict[str, float]:
    """Simulate ``jobs`` jobs in this process and measure it."""
    from socsim import Simulator
    from socsim.schedulers import MinimumExecutionTime

    platform, source = ds3_default(jobs)
    sim = Simulator(platform, source, seed=seed)
    start = time.perf_counter()
    result = sim.run(MinimumExecutionTime())
    wall = time.perf_counter() - start
    tasks = sim.tasks_done
    return {"jobs": jobs, "completed": result.metrics["completed"], "tasks": tasks,
            "wall_s": wall, "tasks_per_s": tasks / wall,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "mean_latency_us": result.metrics["mean_latency"]}


def main() -> None:
    """Run each size in a fresh process and print a table with the linearity ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ratio-jobs", type=int, default=2000,
                        help="jobs of the interleaved MET / ETF / bare-loop comparison")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (at least 5)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.seed)))
        return
    rounds = max(args.rounds, 5)
    row = ratios(args.ratio_jobs, args.seed, rounds)
    print(f"DS3 default scenario, {args.ratio_jobs} jobs; CPU time, median of {rounds} "
          "interleaved rounds, in this process")
    for name, label in (("bare", "bare heap loop (MET)"), ("met", "simulator, MET"),
                        ("etf", "simulator, ETF")):
        print(f"  {label:<22} {row[name + '_tasks']:>8} tasks {row[name + '_us_per_task']:>7.2f} "
              f"us/task {1 / row[name + '_us_per_task'] * 1e6:>10,.0f} tasks/s")
    print(f"  MET share of the bare-loop limit: {row['met_share_of_bare']:.2f} (target >= 0.35)")
    print(f"  ETF per task over MET per task:   {row['etf_over_met']:.2f}x (target <= 2x)")
    print()
    rows = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size), "--seed",
                              str(args.seed)], check=True, capture_output=True, text=True)
        rows.append(json.loads(out.stdout))
    print(f"{'jobs':>8} {'tasks':>10} {'wall s':>8} {'tasks/s':>10} {'peak RSS MB':>12}")
    for row in rows:
        print(f"{row['jobs']:>8} {row['tasks']:>10} {row['wall_s']:>8.2f} "
              f"{row['tasks_per_s']:>10,.0f} {row['peak_rss_mb']:>12.1f}")
    for small, big in itertools.pairwise(rows):
        print(f"time ratio {big['jobs']}/{small['jobs']} jobs: "
              f"{big['wall_s'] / small['wall_s']:.2f} (linear: "
              f"{big['jobs'] / small['jobs']:.0f})")


if __name__ == "__main__":
    main()
