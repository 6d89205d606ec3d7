"""Benchmark: the native vector environment against one plain environment, in one process.

Each side takes the same number of environment steps (sub-environment
steps for the vector environments) under the same policy, a uniformly
random valid action drawn as the argmax of uniform scores over the mask
(one draw per step for the plain environment, one batched draw per vector
step). Autoreset keeps the vector environments going; the plain one is
reset by hand. The yardstick is off on every side (``baseline=None``).
CPU time (``time.process_time``), median of interleaved rounds.

Sides:

- ``plain``: ``gym.make(env_id, baseline=None)``, the default single env;
- ``native xN``: ``gym.make_vec(env_id, num_envs=N)`` (this package's
  :class:`~socsim.envs.vector.SchedulingVectorEnv`, default ``copy=True``);
- ``native xN view``: the same with ``copy=False``;
- ``gymnasium sync xN``: ``vectorization_mode="sync"`` for reference;
- ``native xN, K workers``: ``gym.make_vec(env_id, num_envs=N, workers=K)``,
  the sub-environments stepped in K processes over shared memory. Its work
  is done outside this process, so it is timed on the wall clock only, in a
  second table beside the plain env's and the in-process env's wall-clock
  rates from the same rounds (read those ratios on an otherwise idle machine).

Target (issue 13): 8 sub-environments at least 3x the steps/s of the plain env.

Usage::

    python experiments/bench_vector.py
    python experiments/bench_vector.py --env socsim/SoCStream-v0 --steps 2000
    python experiments/bench_vector.py --workers 4
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import time
import warnings
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym
import numpy as np

import socsim  # noqa: F401  (registers the environments)


def plain_steps(env: gym.Env, steps: int, seed: int) -> tuple[float, float]:
    """CPU and wall seconds for ``steps`` steps of one env with the random masked policy."""
    rng = np.random.default_rng(seed)
    _, info = env.reset(seed=seed)
    episode = 0
    start, wall = time.process_time(), time.perf_counter()
    for _ in range(steps):
        action = int(np.argmax(rng.random(info["action_mask"].size) * info["action_mask"]))
        _, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            episode += 1
            _, info = env.reset(seed=seed + episode)
    return time.process_time() - start, time.perf_counter() - wall


def vector_steps(envs: Any, steps: int, seed: int) -> tuple[float, float]:
    """CPU and wall seconds for ``steps`` sub-environment steps of a vector env (batched policy)."""
    rng = np.random.default_rng(seed)
    _, infos = envs.reset(seed=seed)
    start, wall = time.process_time(), time.perf_counter()
    for _ in range(steps // envs.num_envs):
        masks = infos["action_mask"]
        actions = np.argmax(rng.random(masks.shape) * masks, axis=1)
        _, _, _, _, infos = envs.step(actions)
    return time.process_time() - start, time.perf_counter() - wall


def _echo(pipe: Any) -> None:
    """Send back whatever arrives, until ``None``."""
    while (message := pipe.recv()) is not None:
        pipe.send(message)


def pipe_round_trip(count: int = 2000) -> float:
    """Wall seconds of one small message to another process and back (the workers' floor)."""
    ours, theirs = mp.Pipe()
    process = mp.Process(target=_echo, args=(theirs,), daemon=True)
    process.start()
    for _ in range(100):
        ours.send(("step", [0, 0, 0, 0]))
        ours.recv()
    start = time.perf_counter()
    for _ in range(count):
        ours.send(("step", [0, 0, 0, 0]))
        ours.recv()
    seconds = (time.perf_counter() - start) / count
    ours.send(None)
    process.join()
    return seconds


def main() -> None:
    """Print steps/s of each side and its ratio to the plain env."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="socsim/DeepSoCS-v0")
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=4000, help="env steps per side and round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (at least 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of the multi-process side (0: leave it out)")
    args = parser.parse_args()
    n, rounds = args.num_envs, max(args.rounds, 5)
    warnings.filterwarnings("ignore", module="gymnasium")  # the passive checker's notes
    sides: dict[str, Any] = {
        "plain": gym.make(args.env, baseline=None),
        f"native x{n}": gym.make_vec(args.env, num_envs=n),
        f"native x{n} view": gym.make_vec(args.env, num_envs=n, copy=False),
        f"gymnasium sync x{n}": gym.make_vec(args.env, num_envs=n, vectorization_mode="sync",
                                             baseline=None),
    }
    pooled = f"native x{n}, {args.workers} workers"
    if args.workers > 1:
        sides[pooled] = gym.make_vec(args.env, num_envs=n, workers=args.workers)
    times: dict[str, list[float]] = {name: [] for name in sides}
    walls: dict[str, list[float]] = {name: [] for name in sides}
    for name, env in sides.items():  # warm up
        (plain_steps if name == "plain" else vector_steps)(env, 200, args.seed)
    for _ in range(rounds):
        for name, env in sides.items():
            run = plain_steps if name == "plain" else vector_steps
            cpu, wall = run(env, args.steps, args.seed)
            times[name].append(cpu)
            walls[name].append(wall)
    for env in sides.values():
        env.close()
    steps = {name: (args.steps if name == "plain" else args.steps // n * n) for name in sides}
    rate = {name: steps[name] / statistics.median(times[name]) for name in sides}
    wall_rate = {name: steps[name] / statistics.median(walls[name]) for name in sides}
    print(f"{args.env}; python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.processor() or platform.machine()}; CPU time of this process, median of "
          f"{rounds} interleaved rounds of {args.steps} env steps per side")
    header = f"{'side':<22} {'steps/s':>10} {'vs plain':>9}"
    print(header)
    print("-" * len(header))
    for name in sides:
        if name != pooled:
            print(f"{name:<22} {rate[name]:>10,.0f} {rate[name] / rate['plain']:>8.2f}x")
    if pooled in sides:
        print(f"wall clock, the same rounds ({os.cpu_count()} CPUs here; a pipe round trip to "
              f"another process costs {1e6 * pipe_round_trip():.0f} us):")
        header = f"{'side':<28} {'steps/s':>10} {'vs plain':>9}"
        print(header)
        print("-" * len(header))
        for name in ("plain", f"native x{n}", pooled):
            print(f"{name:<28} {wall_rate[name]:>10,.0f} "
                  f"{wall_rate[name] / wall_rate['plain']:>8.2f}x")
    print("target: native x8 at least 3x the plain env's steps/s")


if __name__ == "__main__":
    main()
