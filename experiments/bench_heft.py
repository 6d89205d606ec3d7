"""Benchmark: HEFT's planning time on random DAGs of 100, 1,000 and 5,000 tasks on 16 PEs.

The DAGs are layered (DAGGEN-style): tasks are spread over about sqrt(n)
layers, each task after the first layer draws 1..3 predecessors from the
two layers above it, execution times are heterogeneous (a per-task base
times a per-PE-type factor) and edge volumes are uniform. The platform has
16 PEs: four clusters of four PEs of four types, with a fast link inside a
cluster and slower, unequal links between clusters. Everything comes from
one seeded ``numpy.random.Generator``.

The time measured is :func:`socsim.agents.heft.plan_heft` alone (ranks,
ordering and insertion-based placement), the best of ``--repeat`` runs;
binding the profile to the platform is not counted.

Usage::

    python experiments/bench_heft.py                 # 100, 1000, 5000 tasks
    python experiments/bench_heft.py --sizes 1000 --repeat 5
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from socsim.agents.bounds import lower_bound
from socsim.agents.heft import plan_heft
from socsim.agents.planning import check_plan
from socsim.platform import Platform
from socsim.workload import BoundProfile, JobProfile

TYPES = ("big", "little", "gpu", "dsp")
SPEED = {"big": 1.0, "little": 2.5, "gpu": 0.6, "dsp": 1.4}


def make_platform() -> Platform:
    """16 PEs: four clusters of four, one PE type each, non-uniform links."""
    doc = {
        "name": "bench16",
        "pe_types": [{"name": t, "opps": [{"mhz": 1000, "active_w": 1.0}]} for t in TYPES],
        "clusters": [{"name": t, "type": t, "count": 4} for t in TYPES],
        "interconnect": {
            "default_bandwidth": 2.0, "intra_cluster_bandwidth": 8.0,
            "links": [{"between": ["big", "gpu"], "bandwidth": 4.0},
                      {"between": ["little", "dsp"], "bandwidth": 1.0}],
        },
    }
    return Platform.from_dict(doc, source="bench_heft")


def make_profile(n: int, rng: np.random.Generator) -> JobProfile:
    """A layered random DAG of ``n`` tasks."""
    layers = max(2, round(np.sqrt(n)))
    layer_of = np.sort(rng.integers(0, layers, size=n))
    layer_of[0] = 0
    by_layer: dict[int, list[int]] = {}
    for task, layer in enumerate(layer_of):
        by_layer.setdefault(int(layer), []).append(task)
    edges = []
    for task, layer in enumerate(layer_of):
        above = [t for lay in (layer - 1, layer - 2) for t in by_layer.get(int(lay), [])]
        if not above:
            continue
        k = min(len(above), int(rng.integers(1, 4)))
        for pred in rng.choice(above, size=k, replace=False):
            edges.append((int(pred), task, float(rng.integers(1, 50))))
    base = rng.uniform(5.0, 50.0, size=n)
    noise = rng.uniform(0.7, 1.3, size=(n, len(TYPES)))
    costs = tuple({t: float(round(base[i] * SPEED[t] * noise[i, j], 3))
                   for j, t in enumerate(TYPES)} for i in range(n))
    return JobProfile(name=f"random{n}", task_names=tuple(f"t{i}" for i in range(n)),
                      costs=costs, edges=tuple(edges))


def time_heft(profile: BoundProfile, repeat: int) -> tuple[float, float]:
    """Best wall time of ``repeat`` HEFT plans, and the makespan."""
    best, makespan = float("inf"), 0.0
    for _ in range(repeat):
        began = time.perf_counter()
        plan = plan_heft(profile)
        best = min(best, time.perf_counter() - began)
        makespan = plan.makespan
    problems = check_plan(plan)
    if problems:
        raise SystemExit(f"invalid plan: {problems[:3]}")
    return best, makespan


def main() -> None:
    """Print one row per DAG size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    platform = make_platform()
    print(f"{'tasks':>6} {'edges':>6} {'PEs':>4} {'plan_s':>8} {'tasks/s':>9} "
          f"{'makespan':>10} {'lower_bd':>10}")
    for n in args.sizes:
        profile = make_profile(n, rng).bind(platform)
        wall, makespan = time_heft(profile, args.repeat)
        edges = len(profile.profile.edges)
        print(f"{n:>6} {edges:>6} {platform.num_pes:>4} {wall:>8.3f} {n / wall:>9.0f} "
              f"{makespan:>10.1f} {lower_bound(profile):>10.1f}")


if __name__ == "__main__":
    main()
