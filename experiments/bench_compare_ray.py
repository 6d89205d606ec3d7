"""Benchmark: the DeepSoCS study's compare grid on Ray with 1 and 2 workers.

The grid is the ``deepsocs`` preset (canonical job on canonical3, 5000 us,
DS3Gym's generator) with its six schedulers (heft-rt, etf, met, eft,
eft-fifo, random), ``--seeds`` seeds and each ``--noises`` level: one
:func:`socsim.agents.compare.compare` per noise level. It runs

- serially in this process (the reference: every backend must match it),
- on the local process pool with ``--workers`` processes,
- on one local Ray instance of ``--workers`` CPUs, with 1 task in flight
  and then with ``--workers`` tasks in flight,

checks that every backend gives the serial rows exactly, and prints the
wall times and the Ray speed-up of ``--workers`` workers over 1. Ray's
start-up (a few seconds) is timed apart, not in the grid times.

Usage::

    python experiments/bench_compare_ray.py                  # 20 seeds, noise 0 and 0.3
    python experiments/bench_compare_ray.py --seeds 50 --workers 4 --address auto
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from socsim.agents.compare import compare
from socsim.agents.distributed import RayExecutor, ray_session
from socsim.agents.scenario import DEEPSOCS

#: The schedulers of the grid (``--agent`` adds the shipped learned agent, as in the study).
SCHEDULERS = list(DEEPSOCS.schedulers)


def grid(seeds: int, noises: list[float], **options: Any) -> list[dict[str, Any]]:
    """All rows of the grid (one comparison per noise level), in a fixed order."""
    rows = []
    for noise in noises:
        result = compare(DEEPSOCS.scenario.replace(noise=noise), SCHEDULERS,
                         list(range(seeds)), **options)
        rows.extend({"noise": noise, **row} for row in result.rows)
    return rows


def timed(run: Callable[[], list[dict[str, Any]]]) -> tuple[float, list[dict[str, Any]]]:
    """Wall time of ``run()`` and its result."""
    start = time.perf_counter()
    rows = run()
    return time.perf_counter() - start, rows


def main() -> None:
    """Time the grid on each backend and print the speed-ups."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--noises", type=float, nargs="+", default=[0.0, 0.3])
    parser.add_argument("--workers", type=int, default=2,
                        help="workers of the parallel runs (default 2)")
    parser.add_argument("--address", default="local",
                        help="Ray cluster (default: a new local instance of --workers CPUs)")
    parser.add_argument("--agent", action="store_true",
                        help="add learned:default to the schedulers (the study's grid; each "
                        "agent run costs about a second, so the grid is long enough to scale)")
    args = parser.parse_args()
    if args.agent:
        SCHEDULERS.append("learned:default")
    runs = len(SCHEDULERS) * args.seeds * len(args.noises)
    print(f"DeepSoCS compare grid: {len(SCHEDULERS)} schedulers x {args.seeds} seeds "
          f"x {len(args.noises)} noise levels = {runs} runs")

    serial_s, reference = timed(lambda: grid(args.seeds, args.noises, workers=1))
    pool_s, rows = timed(lambda: grid(args.seeds, args.noises, workers=args.workers))
    assert rows == reference, "the local pool differs from the serial run"

    import ray

    start = time.perf_counter()
    if args.address == "local":
        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    else:
        ray.init(address=args.address, include_dashboard=False, log_to_driver=False)
    with ray_session():  # reuses the instance started above
        grid(1, args.noises[:1], executor=RayExecutor())  # warm the worker processes
        startup_s = time.perf_counter() - start
        times = {}
        for workers in (1, args.workers):
            times[workers], rows = timed(lambda w=workers: grid(
                args.seeds, args.noises, executor=RayExecutor(workers=w)))
            assert rows == reference, f"Ray with {workers} workers differs from the serial run"
    ray.shutdown()

    print(f"{'backend':28s} {'wall s':>8s} {'runs/s':>8s}")
    lines = [("serial (this process)", serial_s),
             (f"local pool, {args.workers} processes", pool_s),
             ("ray, 1 worker", times[1]),
             (f"ray, {args.workers} workers", times[args.workers])]
    for name, wall in lines:
        print(f"{name:28s} {wall:8.2f} {runs / wall:8.1f}")
    print(f"ray start-up and warm-up: {startup_s:.2f} s (not in the times above)")
    print(f"speed-up, ray {args.workers} workers over 1: {times[1] / times[args.workers]:.2f}x")
    print(f"speed-up, local pool over serial: {serial_s / pool_s:.2f}x")
    print("all backends gave the serial rows exactly")


if __name__ == "__main__":
    main()
