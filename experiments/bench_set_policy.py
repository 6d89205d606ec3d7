"""Decisions per second of the shipped set policy: the network alone, and whole runs.

- *network*: one forward pass over B decisions recorded from real runs
  (DeepSoCS top5/25/0.5 and the papers' mix), B = 1, 8, 64, 256;
- *runs*: DeepSoCS episodes end to end (candidate features, forward pass,
  emulator), one at a time (batch 1) and 64 in lock step
  (:func:`socsim.agents.learned.set_scheduler.run_batched`, what
  ``socsim compare`` does with ``learned:``).

CPU time (``time.process_time``), one thread, median of 5 rounds.

    python experiments/bench_set_policy.py
"""

from __future__ import annotations

import statistics
import time

import torch

from socsim.agents.learned.candidates import Candidates
from socsim.agents.learned.set_policy import Batch
from socsim.agents.learned.set_scheduler import (
    SHIPPED_SET,
    SetPolicyScheduler,
    greedy,
    load_set_policy,
    run_batched,
)
from socsim.agents.learned.task_suite import Case

ROUNDS = 5


def recorded(policy, cases: list[Case], count: int) -> list[Candidates]:
    """Decisions met while the policy runs ``cases``."""
    out: list[Candidates] = []
    for seed, case in enumerate(cases * 50):
        run_batched([case.simulator(seed)], greedy(policy),
                    lambda i, found, row: out.append(found))
        if len(out) >= count:
            break
    return out[:count]


def median_time(fn, rounds: int = ROUNDS) -> float:
    """Median CPU seconds of ``fn()``."""
    times = []
    for _ in range(rounds):
        clock = time.process_time()
        fn()
        times.append(time.process_time() - clock)
    return statistics.median(times)


def main() -> None:
    torch.set_num_threads(1)
    policy = load_set_policy(SHIPPED_SET)
    decisions = recorded(policy, [Case("deepsocs/top5/25/0.5", horizon=1000.0),
                                  Case("papers-mix", jobs=6)], 256)
    rows = sum(len(d) for d in decisions) / len(decisions)
    print(f"network only ({rows:.1f} candidates per decision on average):")
    for size in (1, 8, 64, 256):
        part = decisions[:size]

        repeats = max(1, 256 // size)

        def forwards(part: list[Candidates] = part, repeats: int = repeats) -> None:
            with torch.no_grad():
                for _ in range(repeats):
                    policy(Batch.of(part))
        seconds = median_time(forwards)
        per = seconds / (repeats * size)
        print(f"  batch {size:4d}: {1 / per:9.0f} decisions/s ({1e6 * per:.1f} us each)")
    case = Case("deepsocs/top5/25/0.5")
    print("whole runs (DeepSoCS top5, scale 25, sigma 0.5, 5000 us; features + network + "
          "emulator):")
    scheduler = SetPolicyScheduler(policy)

    def serial() -> None:
        for seed in range(8):
            case.simulator(seed).run(scheduler)
    clock = time.process_time()
    serial()
    seconds = time.process_time() - clock
    decisions = scheduler.decisions * 8  # about the same per run
    print(f"  one run at a time: {decisions / seconds:9.0f} decisions/s")
    counted: list[int] = []

    def batched() -> None:
        run_batched([case.simulator(seed) for seed in range(64)], greedy(policy),
                    lambda i, f, r: counted.append(1))
    seconds = median_time(batched, 3)
    print(f"  64 runs in lock step: {len(counted) / 3 / seconds:9.0f} decisions/s")


if __name__ == "__main__":
    main()
