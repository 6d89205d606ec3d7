"""How much of its teacher's lookahead the set policy learned, decision by decision.

The lookahead expert (``rollout:etf-live``) mostly agrees with the
earliest-finish rule its candidates' ``finish`` feature measures; what it
adds are its *departures* from that rule. This script reads a recipe run
folder (``python -m socsim.agents.learned.recipe --out DIR``): the expert's
labelled decisions of every DAgger iteration (``labels_<i>.npz``) and the
run's policies (``init.pt``, ``imitation.pt``, ``policy.pt``), and prints,
per iteration and in all:

- how often the expert departs from the earliest-finish rule;
- each policy's agreement with the expert (greedy choice = label);
- on the departures, how often the policy makes the expert's choice
  (``caught``), and on the other decisions, how often it departs anyway
  (``false``).

A policy that learned the lookahead catches departures without many false
ones; one that learned the earliest-finish rule agrees as often as the
rule does and catches none.

Usage::

    python experiments/set_agent/imitation_gap.py runs/set_default
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

from socsim.agents.learned.candidates import FEATURES
from socsim.agents.learned.dagger import Decisions
from socsim.agents.learned.set_policy import SetPolicy
from socsim.agents.learned.set_scheduler import load_set_policy

FINISH = FEATURES.index("finish")
POLICIES = ("init.pt", "imitation.pt", "policy.pt")


def earliest_finish(data: Decisions) -> np.ndarray:
    """Per decision, the row of least expected finish (first of equals)."""
    starts = np.concatenate([[0], np.cumsum(data.sizes)])
    return np.array([int(np.argmin(data.features[a:b, FINISH]))
                     for a, b in itertools.pairwise(starts)], np.int64)


def greedy_rows(policy: SetPolicy, data: Decisions, chunk: int = 4096) -> np.ndarray:
    """Per decision, the policy's greedy row."""
    out: list[int] = []
    for start in range(0, len(data), chunk):
        decisions, _ = data.select(np.arange(start, min(len(data), start + chunk)))
        out += policy.choose(decisions)
    return np.asarray(out, np.int64)


def row_of(name: str, data: Decisions, rule: np.ndarray, chosen: np.ndarray) -> str:
    """One table row: agreement overall, departures caught, false departures."""
    departs = data.labels != rule
    agree = float(np.mean(chosen == data.labels))
    caught = float(np.mean(chosen[departs] == data.labels[departs])) if departs.any() else 0.0
    false = float(np.mean(chosen[~departs] != rule[~departs])) if (~departs).any() else 0.0
    return f"| {name} | {100 * agree:.1f} % | {100 * caught:.1f} % | {100 * false:.1f} % |"


def main(argv: list[str] | None = None) -> int:
    """Print the tables for one run folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a recipe run folder")
    args = parser.parse_args(argv)
    files = sorted(args.run.glob("labels_*.npz"), key=lambda p: int(p.stem.split("_")[1]))
    if not files:
        print(f"error: {args.run}: no labels_<i>.npz; give a folder written by "
              "'python -m socsim.agents.learned.recipe --out DIR'", file=sys.stderr)
        return 2
    policies = {name: load_set_policy(args.run / name) for name in POLICIES
                if (args.run / name).exists()}
    parts = [Decisions.load(path) for path in files]
    everything = parts[0]
    for part in parts[1:]:
        everything = everything.concat(part)
    for title, data in [*((path.stem, part) for path, part in zip(files, parts, strict=True)),
                        ("all iterations", everything)]:
        rule = earliest_finish(data)
        print(f"\n{title}: {len(data)} decisions, the expert departs from the "
              f"earliest-finish rule in {100 * np.mean(data.labels != rule):.1f} %\n")
        print("| chooser | agrees with the expert | departures caught | false departures |")
        print("|---|---:|---:|---:|")
        print(row_of("earliest-finish rule", data, rule, rule))
        for name, policy in policies.items():
            print(row_of(name, data, rule, greedy_rows(policy, data)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
