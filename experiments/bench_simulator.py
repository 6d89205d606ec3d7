"""Benchmark: emulator throughput on DS3's default configuration with MET.

DS3's default scenario: SoC MULTIPLE_BAL, the six-application mix (WiFi TX
0.2, WiFi RX 0.2, LAG 0.2, SCT 0.1, SCR 0.1, TEMP_MIT 0.2), Poisson arrivals
with a mean gap of 500 us, at most 12 jobs in the system. Each size runs in
its own process on one core, so peak memory (max RSS) is per size.

Usage::

    python experiments/bench_simulator.py            # 1k, 10k, 100k jobs
    python experiments/bench_simulator.py --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import time


def run_one(jobs: int, seed: int) -> dict[str, float]:
    """Simulate ``jobs`` jobs in this process and measure it."""
    from socsim import JobSource, Poisson, Simulator, catalog
    from socsim.schedulers import MinimumExecutionTime

    platform = catalog.get_platform("ds3_multiple_bal")
    mix = catalog.get_mix("ds3_default")
    profiles = [catalog.get_workload(name).bind(platform) for name in mix.weights]
    source = JobSource(profiles, weights=list(mix.weights.values()),
                       arrivals=Poisson(500.0, integer=True), max_jobs=jobs, max_in_system=12)
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
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.seed)))
        return
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
