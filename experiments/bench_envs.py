"""Benchmark: environment steps per second under a random masked policy, vs the bare emulator.

For each environment the script times whole episodes of a uniformly random
policy over the valid actions (``info["action_mask"]``), records every
assignment the environment made, then replays exactly those assignments
into a bare :class:`socsim.Simulator` (same scenario, same seed, no
observation, no mask, no reward) and times that: the difference is what
the environment layer costs. The yardstick scheduler the environments run
at the end of each episode is off for the main figure (``baseline=None``)
and timed separately. Everything runs in this one process, on one core.

For scale: DS3Gym steps about 5,000 decisions per second without
building any observation.

Usage::

    python experiments/bench_envs.py                     # both environments
    python experiments/bench_envs.py --episodes 40 --stream-episodes 4 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym
import numpy as np

import socsim  # noqa: F401  (registers the environments)


def random_episodes(env: gym.Env, episodes: int, seed: int) -> tuple[int, float]:
    """Run ``episodes`` episodes of the random masked policy; return (steps, seconds)."""
    rng = np.random.default_rng(seed)
    steps = 0
    start = time.perf_counter()
    for episode in range(episodes):
        _, info = env.reset(seed=seed + episode)
        while True:
            valid = np.flatnonzero(info["action_mask"])
            _, _, terminated, truncated, info = env.step(valid[rng.integers(valid.size)])
            steps += 1
            if terminated or truncated:
                break
    return steps, time.perf_counter() - start


class Replay:
    """A scheduler that makes, at each decision point, the assignments recorded there."""

    name = "replay"

    def __init__(self, decisions: dict[int, list[tuple[int, int, int]]],
                 in_order_queues: bool) -> None:
        self.decisions = decisions
        self.in_order_queues = in_order_queues
        self.index = 0

    def reset(self, view: Any, rng: np.random.Generator) -> None:
        self.index = 0

    def decide(self, view: Any) -> list[tuple[int, int, int]]:
        self.index += 1
        return self.decisions.get(self.index, [])


def record_episodes(env: gym.Env, episodes: int, seed: int) -> list[dict[str, Any]]:
    """Replay the timed episodes once more, recording every assignment per decision point."""
    base = env.unwrapped
    rng = np.random.default_rng(seed)
    records = []
    for episode in range(episodes):
        _, info = env.reset(seed=seed + episode)
        sim = base.simulator
        decisions: dict[int, list[tuple[int, int, int]]] = {}
        assign = sim.assign

        def recording(job: int, task: int, pe: int, _assign: Any = assign,
                      _decisions: dict[int, list[tuple[int, int, int]]] = decisions) -> None:
            _decisions.setdefault(base.decision_index, []).append((job, task, pe))
            _assign(job, task, pe)

        sim.assign = recording  # the engine calls self.sim.assign
        while True:
            valid = np.flatnonzero(info["action_mask"])
            _, _, terminated, truncated, info = env.step(valid[rng.integers(valid.size)])
            if terminated or truncated:
                break
        records.append({"seed": info_seed(base), "decisions": decisions,
                        "in_order": base.simulator.queue_discipline == "fifo"
                        and base.generator.scenario.queue_discipline == "first-ready",
                        "metrics": info["metrics"]})
    return records


def info_seed(base: Any) -> int:
    """The simulator seed of the environment's current episode."""
    return base.engine.seed


def bare_cost(env: gym.Env, records: list[dict[str, Any]]) -> tuple[int, float, bool]:
    """Time the bare emulator on the recorded episodes; return (decisions, seconds, identical)."""
    generator = env.unwrapped.generator
    total, same, decisions = 0.0, True, 0
    for record in records:
        sim = generator.simulator(record["seed"], keep_trace=False)
        replay = Replay(record["decisions"], record["in_order"])
        start = time.perf_counter()
        result = sim.run(replay)
        total += time.perf_counter() - start
        decisions += sum(len(v) for v in record["decisions"].values())
        same &= all(result.metrics[k] == record["metrics"][k] for k in ("makespan", "completed",
                                                                          "energy_uj"))
    return decisions, total, same


def timed_with_yardstick(env_id: str, episodes: int, seed: int, **kwargs: Any) -> float:
    """Seconds for the episodes with the default yardstick (a fresh env: an empty seed cache)."""
    env = gym.make(env_id, **kwargs)
    random_episodes(env, 1, seed + 10_000)
    return random_episodes(env, episodes, seed)[1]


def bench(env_id: str, episodes: int, seed: int, repeats: int, **kwargs: Any
          ) -> dict[str, Any]:
    """Every figure for one environment; each timing is the best of ``repeats`` runs."""
    env = gym.make(env_id, baseline=None, **kwargs)
    random_episodes(env, 1, seed + 10_000)  # warm up caches and imports
    runs = [random_episodes(env, episodes, seed) for _ in range(repeats)]
    steps = runs[0][0]
    seconds = min(t for _, t in runs)
    median = float(np.median([t for _, t in runs]))
    records = record_episodes(env, episodes, seed)
    bare = [bare_cost(env, records) for _ in range(repeats)]
    assignments, bare_seconds, same = min(bare, key=lambda row: row[1])
    seconds_b = min(timed_with_yardstick(env_id, episodes, seed, **kwargs)
                    for _ in range(repeats))
    mode = env.unwrapped.action_mode
    return {"env": env_id, "mode": mode, "episodes": episodes, "steps": steps,
            "steps_per_s": steps / seconds, "median_steps_per_s": steps / median,
            "us_per_step": 1e6 * seconds / steps,
            "assignments": assignments, "bare_s": bare_seconds, "env_s": seconds,
            "bare_us_per_step": 1e6 * bare_seconds / steps, "replay_identical": same,
            "steps_per_s_with_baseline": steps / seconds_b}


def main() -> None:
    """Benchmark DeepSoCS-v0 (both modes) and SoCStream-v0 and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20, help="DeepSoCS-v0 episodes")
    parser.add_argument("--stream-episodes", type=int, default=2, help="SoCStream-v0 episodes")
    parser.add_argument("--seed", type=int, default=0, help="first episode seed")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs per figure; the best is reported (the median too)")
    args = parser.parse_args()
    common = (args.seed, args.repeats)
    rows = [bench("socsim/DeepSoCS-v0", args.episodes, *common),
            bench("socsim/DeepSoCS-v0", args.episodes, *common, action_mode="assign"),
            bench("socsim/SoCStream-v0", args.stream_episodes, *common),
            bench("socsim/SoCStream-v0", args.stream_episodes, *common, action_mode="order")]
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.processor() or platform.machine()}; one process, random masked policy, "
          f"best of {args.repeats} runs")
    header = (f"{'environment':<22} {'mode':<7} {'steps':>7} {'steps/s':>9} {'(median)':>9} "
              f"{'us/step':>8} {'bare us/step':>13} {'env share':>9} "
              f"{'steps/s +yardstick':>19}")
    print(header)
    print("-" * len(header))
    for row in rows:
        share = 1.0 - row["bare_s"] / row["env_s"]
        print(f"{row['env']:<22} {row['mode']:<7} {row['steps']:>7} {row['steps_per_s']:>9,.0f} "
              f"{row['median_steps_per_s']:>9,.0f} {row['us_per_step']:>8.1f} "
              f"{row['bare_us_per_step']:>13.1f} {share:>9.0%} "
              f"{row['steps_per_s_with_baseline']:>19,.0f}")
        if not row["replay_identical"]:
            print(f"  warning: the bare replay of {row['env']} did not reproduce the episodes")
    print("bare us/step: the emulator alone (advance + assign) replaying the same assignments; "
          "env share: the part of the time spent in the environment layer "
          "(mask, observation, reward, policy).")


if __name__ == "__main__":
    main()
