"""How much of its teacher's lookahead the set policy learned, decision by decision.

The lookahead expert (``rollout:etf-live``; ``rollout:etf`` on random DAGs)
mostly agrees with the earliest-finish rule its candidates' ``finish``
feature measures; what it adds are its *departures* from that rule. (On
random DAGs part of them are its base's: ETF's plan, the ``free_finish``
rule, where it differs from the live-queue one.) This script reads a recipe run
folder (``python -m socsim.agents.learned.recipe --out DIR``): the expert's
labelled decisions of every DAgger iteration (``labels_<i>.npz``, then the
refining stage's ``refine_labels_<i>.npz``) and the run's policies
(``init.pt``, ``imitation.pt``, ``before_refine.pt``, ``policy.pt``), and
prints, per iteration and in all:

- how often the expert departs from the earliest-finish rule;
- each policy's agreement with the expert (greedy choice = label);
- on the departures, how often the policy makes the expert's choice
  (``caught``), and on the other decisions, how often it departs anyway
  (``false``).

A policy that learned the lookahead catches departures without many false
ones; one that learned the earliest-finish rule agrees as often as the
rule does and catches none.

Without a run folder (``--fresh``) it labels new decisions instead: the
expert alone runs every training case on seeds the recipe never used
(``FRESH_SEED`` on), and the committed checkpoints of each stage
(``experiments/set_agent/stages/`` and the shipped ``default.pt``) are scored
on them. The expert's own states are the first DAgger iteration's kind of
label, held out.

Usage::

    python experiments/set_agent/imitation_gap.py runs/set_default
    python experiments/set_agent/imitation_gap.py --fresh --seeds 1
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

from socsim.agents.learned.candidates import FEATURES
from socsim.agents.learned.dagger import Decisions, Episode, collect
from socsim.agents.learned.recipe import Recipe
from socsim.agents.learned.set_policy import SetPolicy
from socsim.agents.learned.set_scheduler import SHIPPED_SET, load_set_policy

FINISH = FEATURES.index("finish")
POLICIES = ("init.pt", "imitation.pt", "before_refine.pt", "policy.pt")
STAGES = Path(__file__).resolve().parent / "stages"
FRESH_SEED = 200_000  # the recipe labels seeds below 10,000 and validates at 50,000


def committed_policies() -> dict[str, Path]:
    """The committed checkpoint of each stage, by the run-folder name it had."""
    paths = {name: STAGES / name for name in POLICIES[:-1]}
    paths["policy.pt"] = SHIPPED_SET
    return paths


def fresh_labels(seeds: int, workers: int) -> list[tuple[str, Decisions]]:
    """The expert's labels on its own states, ``seeds`` new seeds per training case."""
    recipe = Recipe()
    jobs = [Episode(case, FRESH_SEED + k + 1000 * c, 1.0, None, recipe.policy,
                    recipe.dagger.expert_for(case.family))
            for c, case in enumerate(recipe.training_cases()) for k in range(seeds)]
    by_family: dict[str, Decisions] = {}
    for job, result in zip(jobs, collect(jobs, workers), strict=True):
        family = job.case.family
        by_family[family] = (by_family[family].concat(result.data) if family in by_family
                             else result.data)
    return sorted(by_family.items())


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
    parser.add_argument("run", type=Path, nargs="?", help="a recipe run folder")
    parser.add_argument("--fresh", action="store_true",
                        help="label new held-out seeds and score the committed checkpoints")
    parser.add_argument("--seeds", type=int, default=1, help="--fresh: seeds per training case")
    parser.add_argument("--workers", type=int, default=2, help="--fresh: labelling processes")
    args = parser.parse_args(argv)
    if args.fresh == (args.run is not None):
        print("error: give a recipe run folder or --fresh (not both)", file=sys.stderr)
        return 2
    if args.fresh:
        if args.seeds < 1 or args.workers < 1:
            print("error: --seeds and --workers must be at least 1", file=sys.stderr)
            return 2
        parts = fresh_labels(args.seeds, args.workers)
        policies = {name: load_set_policy(path) for name, path in committed_policies().items()}
        return report(parts, policies)
    files = [*sorted(args.run.glob("labels_*.npz"), key=lambda p: int(p.stem.split("_")[-1])),
             *sorted(args.run.glob("refine_labels_*.npz"),
                     key=lambda p: int(p.stem.split("_")[-1]))]
    if not files:
        print(f"error: {args.run}: no labels_<i>.npz; give a folder written by "
              "'python -m socsim.agents.learned.recipe --out DIR'", file=sys.stderr)
        return 2
    policies = {name: load_set_policy(args.run / name) for name in POLICIES
                if (args.run / name).exists()}
    return report([(path.stem, Decisions.load(path)) for path in files], policies)


def report(parts: list[tuple[str, Decisions]], policies: dict[str, SetPolicy]) -> int:
    """Print one table per labelled part and one for all of them."""
    everything = parts[0][1]
    for _, part in parts[1:]:
        everything = everything.concat(part)
    for title, data in [*parts, ("all labels", everything)]:
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
