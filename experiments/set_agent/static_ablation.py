"""Ablation: what lets the set policy beat HEFT on static DAGs, the teacher or the OCT columns?

Three short imitation runs, each only on the ``daggen`` training family
(20 cases x 3 DAGGEN graphs per DAgger iteration, 5 iterations, no RL or
refining; the recipe ships its best validation step), from the same seed:

- ``rollout:etf-live`` as the expert, all 31 feature columns;
- ``rollout:peft-rt`` as the expert, all 31 columns;
- ``rollout:peft-rt`` as the expert, the first 29 columns only (no
  ``oct`` / ``oct_finish_gap``: PEFT's optimistic cost table unseen).

Each trained policy, and the heuristics, are scored on the 24 static test
graphs of ``run.py`` (DAGGEN seeds 1, 2; the training graphs use seeds from
1,000,000) by their mean gap to the CP-SAT optimum.

    python experiments/set_agent/static_ablation.py          # about 3 min on 2 cores
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from run import STATIC_GRAPHS

from socsim import catalog
from socsim.agents.exact import plan_optimal
from socsim.agents.learned.candidates import FEATURES
from socsim.agents.learned.recipe import Recipe, Trainer
from socsim.agents.learned.set_policy import SetPolicy, SetPolicyConfig
from socsim.agents.learned.set_scheduler import load_set_policy
from socsim.agents.learned.suite_eval import greedy_metrics
from socsim.agents.learned.task_suite import Case
from socsim.registry import make_scheduler
from socsim.scenario import Scenario

VARIANTS = (("teacher rollout:etf-live, 31 columns", "rollout:etf-live", len(FEATURES)),
            ("teacher rollout:peft-rt, 31 columns", "rollout:peft-rt", len(FEATURES)),
            ("teacher rollout:peft-rt, 29 columns (no OCT)", "rollout:peft-rt",
             FEATURES.index("oct")))
HEURISTICS = ("heft", "peft", "peft-rt", "etf")


def train(expert: str, features: int, out: Path, workers: int) -> SetPolicy:
    """A DAgger-only run on the daggen family; its shipped (best validation) policy."""
    base = Recipe()
    dagger = replace(base.dagger, iterations=5, workers=workers, expert=expert,
                     family_experts=())
    recipe = replace(base, dagger=dagger, rl=replace(base.rl, iterations=0),
                     refine=replace(base.refine, iterations=0),
                     policy=SetPolicyConfig(features=features),
                     cases=tuple(Case("daggen") for _ in range(20)))
    return load_set_policy(Trainer(recipe, out, echo=False).run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="collecting processes")
    args = parser.parse_args()
    clock = time.perf_counter()
    platform = catalog.get_platform("canonical3")
    scenarios, optima = [], []
    for n, ccr, beta, seed in STATIC_GRAPHS:
        workload = f"daggen/n={n}/ccr={ccr:g}/beta={beta:g}/seed={seed}"
        optima.append(plan_optimal(catalog.get_workload(workload).bind(platform),
                                   time_limit=30.0, workers=1).makespan)
        scenarios.append(Scenario(platform="canonical3", workload=workload, arrival="batch",
                                  jobs=1, max_in_system=0))
    gaps: dict[str, list[float]] = {}
    for name in HEURISTICS:
        gaps[name] = [100 * (s.simulator(0).run(make_scheduler(name)).metrics["makespan"]
                             / opt - 1) for s, opt in zip(scenarios, optima, strict=True)]
    with tempfile.TemporaryDirectory() as folder:
        for k, (label, expert, features) in enumerate(VARIANTS):
            policy = train(expert, features, Path(folder) / f"run{k}", args.workers)
            gaps[label] = [100 * (greedy_metrics(policy, [s.simulator(0)])[0]["makespan"]
                                  / opt - 1) for s, opt in zip(scenarios, optima, strict=True)]
    print(f"{len(STATIC_GRAPHS)} static DAGGEN test graphs on canonical3, mean gap to the "
          "CP-SAT optimum (%):")
    for name, values in gaps.items():
        print(f"  {name:<46} {statistics.mean(values):5.1f}")
    print(f"{time.perf_counter() - clock:.0f} s wall")


if __name__ == "__main__":
    main()
