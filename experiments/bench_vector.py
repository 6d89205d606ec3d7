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
- ``gymnasium sync xN``: ``vectorization_mode="sync"`` for reference.

Target (issue 13): 8 sub-environments at least 3x the steps/s of the plain env.

Usage::

    python experiments/bench_vector.py
    python experiments/bench_vector.py --env socsim/SoCStream-v0 --steps 2000
"""

from __future__ import annotations

import argparse
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


def plain_steps(env: gym.Env, steps: int, seed: int) -> float:
    """CPU seconds for ``steps`` steps of one env with the random masked policy."""
    rng = np.random.default_rng(seed)
    _, info = env.reset(seed=seed)
    episode = 0
    start = time.process_time()
    for _ in range(steps):
        action = int(np.argmax(rng.random(info["action_mask"].size) * info["action_mask"]))
        _, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            episode += 1
            _, info = env.reset(seed=seed + episode)
    return time.process_time() - start


def vector_steps(envs: Any, steps: int, seed: int) -> float:
    """CPU seconds for ``steps`` sub-environment steps of a vector env (batched policy)."""
    rng = np.random.default_rng(seed)
    _, infos = envs.reset(seed=seed)
    start = time.process_time()
    for _ in range(steps // envs.num_envs):
        masks = infos["action_mask"]
        actions = np.argmax(rng.random(masks.shape) * masks, axis=1)
        _, _, _, _, infos = envs.step(actions)
    return time.process_time() - start


def main() -> None:
    """Print steps/s of each side and its ratio to the plain env."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="socsim/DeepSoCS-v0")
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=4000, help="env steps per side and round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (at least 5)")
    parser.add_argument("--seed", type=int, default=0)
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
    times: dict[str, list[float]] = {name: [] for name in sides}
    for name, env in sides.items():  # warm up
        (plain_steps if name == "plain" else vector_steps)(env, 200, args.seed)
    for _ in range(rounds):
        for name, env in sides.items():
            run = plain_steps if name == "plain" else vector_steps
            times[name].append(run(env, args.steps, args.seed))
    steps = {name: (args.steps if name == "plain" else args.steps // n * n) for name in sides}
    rate = {name: steps[name] / statistics.median(times[name]) for name in sides}
    print(f"{args.env}; python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.processor() or platform.machine()}; one process, CPU time, median of "
          f"{rounds} interleaved rounds of {args.steps} env steps per side")
    header = f"{'side':<22} {'steps/s':>10} {'vs plain':>9}"
    print(header)
    print("-" * len(header))
    for name in sides:
        print(f"{name:<22} {rate[name]:>10,.0f} {rate[name] / rate['plain']:>8.2f}x")
    print("target: native x8 at least 3x the plain env's steps/s")


if __name__ == "__main__":
    main()
