"""Benchmark: an environment step against the bare emulator making the same assignments.

For each case the script first plays whole episodes with a uniformly
random policy over the valid actions, recording every action and every
assignment the environment made at each decision point. Then, in
interleaved rounds (CPU time, ``time.process_time``), it times:

- ``env``: the same actions replayed through ``env.step`` (default
  ``copy=True`` observations: fresh arrays every step);
- ``env view``: the same with ``copy=False`` (the observation arrays
  themselves, what the vector environment uses);
- ``bare``: the assignments replayed into a bare :class:`socsim.Simulator`
  (same scenario and seed; no observation, mask or reward) through a
  scheduler that returns the recorded assignments at each decision point.

No policy runs in the timed parts, so both sides make the same
assignments and nothing else; the replays are checked to reproduce the
recorded episodes. The yardstick scheduler (``info["baseline"]``) is off
in these figures (``baseline=None``, what training uses); the last column
is the env's steps/s with it on, in a fresh environment (empty seed
cache). The figure reported is the median over the rounds. One process,
one core.

Targets (issue 13): ``socsim/DeepSoCS-v0`` at most 3x the bare emulator,
``socsim/SoCStream-v0`` at most 4x, at 256 PEs at most 10x.

Usage::

    python experiments/bench_envs.py
    python experiments/bench_envs.py --rounds 7 --episodes 10
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym
import numpy as np

import socsim  # noqa: F401  (registers the environments)
from socsim import catalog


class Replay:
    """A scheduler that makes, at each decision point, the assignments recorded there."""

    name = "replay"

    def __init__(self, decisions: dict[int, list[tuple[int, int, int]]],
                 in_order_queues: bool) -> None:
        self.decisions = decisions
        self.in_order_queues = in_order_queues
        self.index = 0

    def reset(self, view: Any, rng: np.random.Generator) -> None:
        """Start from the first decision point."""
        self.index = 0

    def decide(self, view: Any) -> list[tuple[int, int, int]]:
        """The assignments recorded at this decision point."""
        self.index += 1
        return self.decisions.get(self.index, [])


def record(env: gym.Env, episodes: int, seed: int) -> list[dict[str, Any]]:
    """Play random masked episodes; record actions, assignments per decision, final metrics."""
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
        actions = []
        while True:
            valid = np.flatnonzero(info["action_mask"])
            action = int(valid[rng.integers(valid.size)])
            actions.append(action)
            _, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break
        records.append({"seed": seed + episode, "sim_seed": base.engine.seed,
                        "actions": actions, "decisions": decisions,
                        "in_order": sim.queue_discipline == "fifo"
                        and base.generator.scenario.queue_discipline == "first-ready",
                        "metrics": info["metrics"]})
    return records


def time_env(env: gym.Env, records: list[dict[str, Any]]) -> tuple[float, bool]:
    """CPU seconds replaying the recorded actions through ``env``; whether it reproduced them."""
    same = True
    start = time.process_time()
    for rec in records:
        env.reset(seed=rec["seed"])
        info: dict[str, Any] = {}
        for action in rec["actions"]:
            _, _, _, _, info = env.step(action)
        same &= info.get("metrics", {}).get("makespan") == rec["metrics"]["makespan"]
    return time.process_time() - start, same


def time_bare(generator: Any, records: list[dict[str, Any]]) -> tuple[float, bool]:
    """CPU seconds replaying the recorded assignments into bare simulators."""
    total, same = 0.0, True
    for rec in records:
        sim = generator.simulator(rec["sim_seed"], keep_trace=False)
        replay = Replay(rec["decisions"], rec["in_order"])
        start = time.process_time()
        result = sim.run(replay)
        total += time.process_time() - start
        same &= all(result.metrics[k] == rec["metrics"][k]
                    for k in ("makespan", "completed", "energy_uj"))
    return total, same


def time_with_yardstick(env_id: str, records: list[dict[str, Any]], **kwargs: Any) -> float:
    """CPU seconds for the same replay in a fresh env with the default yardstick on."""
    env = gym.make(env_id, **kwargs)
    return time_env(env, records)[0]


def big_platform(pes: int, folder: Path) -> str:
    """``mobile_soc`` with every cluster scaled up to ``pes`` PEs in all (a platform file)."""
    source = Path(catalog.__file__).parent / "data" / "platforms" / "mobile_soc.yaml"
    text = source.read_text(encoding="utf-8")
    head, clusters = text.split("\nclusters:", 1)
    counts = [int(c) for c in re.findall(r"count: (\d+)", clusters)]
    factor = pes // sum(counts)
    extra = pes - factor * sum(counts)
    seen = iter(range(len(counts)))

    def scale(match: re.Match[str]) -> str:
        index = next(seen)
        return f"count: {int(match.group(1)) * factor + (extra if index == 0 else 0)}"

    clusters = re.sub(r"count: (\d+)", scale, clusters)
    head = re.sub(r"^name: .*$", f"name: mobile_soc_x{pes}", head, count=1, flags=re.M)
    path = folder / f"mobile_soc_{pes}.yaml"
    path.write_text(head + "\nclusters:" + clusters, encoding="utf-8")
    return str(path)


def bench(label: str, env_id: str, episodes: int, seed: int, rounds: int,
          yardstick: bool, **kwargs: Any) -> dict[str, Any]:
    """Every figure of one case (medians over interleaved rounds)."""
    env = gym.make(env_id, baseline=None, **kwargs)
    view = gym.make(env_id, baseline=None, copy=False, **kwargs)
    records = record(env, episodes, seed)
    steps = sum(len(r["actions"]) for r in records)
    generator = env.unwrapped.generator
    time_env(env, records[:1])  # warm caches
    time_env(view, records[:1])
    t_env, t_view, t_bare, t_yard = [], [], [], []
    same = True
    for _ in range(rounds):
        seconds, ok = time_env(env, records)
        t_env.append(seconds)
        same &= ok
        seconds, ok = time_env(view, records)
        t_view.append(seconds)
        same &= ok
        seconds, ok = time_bare(generator, records)
        t_bare.append(seconds)
        same &= ok
        if yardstick:
            t_yard.append(time_with_yardstick(env_id, records, **kwargs))
    med = statistics.median
    return {"label": label, "mode": env.unwrapped.action_mode,
            "pes": generator.platform.num_pes, "steps": steps,
            "env_us": 1e6 * med(t_env) / steps, "view_us": 1e6 * med(t_view) / steps,
            "bare_us": 1e6 * med(t_bare) / steps,
            "ratio": med(t_env) / med(t_bare), "view_ratio": med(t_view) / med(t_bare),
            "yard_steps_s": steps / med(t_yard) if t_yard else None, "identical": same}


def main() -> None:
    """Benchmark DeepSoCS-v0, SoCStream-v0 (both modes) and a 256-PE SoCStream-v0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=8, help="DeepSoCS-v0 episodes")
    parser.add_argument("--stream-episodes", type=int, default=1, help="SoCStream-v0 episodes")
    parser.add_argument("--seed", type=int, default=0, help="first episode seed")
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved timed rounds (the median is reported; at least 5)")
    parser.add_argument("--pes", type=int, default=256, help="PEs of the scaled-up platform")
    args = parser.parse_args()
    rounds = max(args.rounds, 5)
    common = (args.seed, rounds)
    # The copy=False side shares its arrays between steps by design (documented); the
    # passive checker's notes about it are not news here.
    warnings.filterwarnings("ignore", module="gymnasium")
    with tempfile.TemporaryDirectory() as folder:
        big = big_platform(args.pes, Path(folder))
        rows = [
            bench("DeepSoCS-v0", "socsim/DeepSoCS-v0", args.episodes, *common, True),
            bench("DeepSoCS-v0", "socsim/DeepSoCS-v0", args.episodes, *common, True,
                  action_mode="assign"),
            bench("SoCStream-v0", "socsim/SoCStream-v0", args.stream_episodes, *common, True),
            bench("SoCStream-v0", "socsim/SoCStream-v0", args.stream_episodes, *common, True,
                  action_mode="order"),
            bench(f"SoCStream-v0 {args.pes} PEs", "socsim/SoCStream-v0", args.stream_episodes,
                  *common, False, platform=big, horizon=200000.0),
            bench(f"SoCStream-v0 {args.pes} PEs", "socsim/SoCStream-v0", args.stream_episodes,
                  *common, False, platform=big, horizon=200000.0, action_mode="order"),
        ]
    targets = {"DeepSoCS-v0": 3.0, "SoCStream-v0": 4.0}
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.processor() or platform.machine()}; one process, CPU time, median of "
          f"{rounds} interleaved rounds; the same recorded actions/assignments on both sides")
    header = (f"{'environment':<22} {'mode':<7} {'PEs':>4} {'steps':>6} {'env us':>7} "
              f"{'view us':>8} {'bare us':>8} {'env/bare':>9} {'view/bare':>10} {'target':>7} "
              f"{'steps/s +yardstick':>19}")
    print(header)
    print("-" * len(header))
    for row in rows:
        target = targets.get(row["label"], 10.0)
        yard = f"{row['yard_steps_s']:>19,.0f}" if row["yard_steps_s"] else f"{'-':>19}"
        print(f"{row['label']:<22} {row['mode']:<7} {row['pes']:>4} {row['steps']:>6} "
              f"{row['env_us']:>7.1f} {row['view_us']:>8.1f} {row['bare_us']:>8.1f} "
              f"{row['ratio']:>8.2f}x {row['view_ratio']:>9.2f}x {target:>6.0f}x {yard}")
        if not row["identical"]:
            print(f"  warning: a replay of {row['label']} did not reproduce the episodes")
    print("env: default observations (copies); view: copy=False; bare: the emulator alone "
          "(advance + assign) replaying the same assignments; us per env step.")


if __name__ == "__main__":
    main()
