"""Benchmark: what DS3's power model, its thermal model and the ondemand governor cost.

DS3's default scenario (``--preset ds3-default``: its six-application mix on
``ds3_multiple_bal``) under MET, one process, CPU time
(``time.process_time``), interleaved rounds, median. Four variants of the
same runs:

- ``per-PE``: socsim's per-PE powers (the platform's power model removed);
- ``ds3``: DS3's cluster power model, temperatures held at ambient;
- ``ds3+thermal``: the same with DS3's hotspot model every 20 us (the
  built-in platform as shipped);
- ``ds3+thermal+ondemand``: and the ondemand governor every 10 us.

Printed per size: tasks/s and the cost relative to ``per-PE``; then how the
time grows from the smaller to the larger size (10x the jobs should take
about 10x the time).

    python experiments/bench_power.py
    python experiments/bench_power.py --jobs 1000 10000 --rounds 5
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

from socsim.agents.scenario import PRESETS
from socsim.platform import Platform
from socsim.schedulers import MinimumExecutionTime

VARIANTS = ("per-PE", "ds3", "ds3+thermal", "ds3+thermal+ondemand")


def run_once(jobs: int, variant: str, seed: int, platform: Platform) -> tuple[float, int]:
    """CPU seconds and tasks done of one run of ``variant``."""
    model = PRESETS["ds3-default"].scenario.build_platform().power_model
    shipped = platform.power_model
    platform.power_model = {"per-PE": None, "ds3": dataclasses.replace(model, thermal=None)
                            }.get(variant, shipped)
    try:
        scenario = PRESETS["ds3-default"].scenario.replace(
            jobs=jobs, dvfs="ondemand" if variant.endswith("ondemand") else "performance")
        sim = scenario.simulator(seed)
        start = time.process_time()
        sim.run(MinimumExecutionTime())
        return time.process_time() - start, sim.tasks_done
    finally:
        platform.power_model = shipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    platform = PRESETS["ds3-default"].scenario.build_platform()  # cached: the one runs use
    if platform.power_model is None:
        raise SystemExit("ds3_multiple_bal has no power model: regenerate the built-ins")
    medians: dict[tuple[int, str], float] = {}
    tasks: dict[int, int] = {}
    for jobs in args.jobs:
        samples: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for round_ in range(args.rounds):
            for variant in VARIANTS:
                cpu, done = run_once(jobs, variant, round_, platform)
                samples[variant].append(cpu)
                tasks[jobs] = done
        for variant in VARIANTS:
            medians[(jobs, variant)] = statistics.median(samples[variant])
    print(f"DS3 default scenario under MET, median CPU s of {args.rounds} interleaved rounds")
    print("| jobs | variant | CPU s | tasks/s | x per-PE |")
    print("|---:|---|---:|---:|---:|")
    for jobs in args.jobs:
        for variant in VARIANTS:
            cpu = medians[(jobs, variant)]
            rate = tasks[jobs] / cpu if cpu else float("inf")
            ratio = cpu / medians[(jobs, "per-PE")]
            print(f"| {jobs:,} | {variant} | {cpu:.3f} | {rate:,.0f} | {ratio:.2f} |")
    if len(args.jobs) >= 2:
        small, large = args.jobs[0], args.jobs[-1]
        print(f"\ngrowth from {small:,} to {large:,} jobs ({large / small:g}x):")
        for variant in VARIANTS:
            print(f"  {variant}: {medians[(large, variant)] / medians[(small, variant)]:.1f}x")


if __name__ == "__main__":
    main()
