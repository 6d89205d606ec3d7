"""The energy-aware learned variant on the papers' mix: EDP against the energy-aware heuristics.

The variant (``learned:edp``, ``agents/learned/checkpoints/edp.pt``) is
the first ``learned:default`` (kept as ``experiments/set_agent/stages/edp_start.pt``)
further trained by DAgger on the papers' mix, labelled
by the EDP lookahead expert ``rollout:eft-energy,objective=edp``; the
recipe keeps its best validation step (``policy.pt``)::

    python -m socsim.agents.learned.recipe --objective edp \\
        --expert "rollout:eft-energy,objective=edp" --cases papers-mix \\
        --init experiments/set_agent/stages/edp_start.pt --dagger-iterations 4 \\
        --rl-iterations 0 --refine-iterations 0 --out runs/edp_dagger

This script runs it, the network it started from (``edp_start.pt``), the
same network untrained, the heuristics (``eft-energy``, ``min-edp``, ETF,
HEFT_RT) and, unless ``--no-teacher``, the expert itself on held-out seeds
100000.. of the papers' mix (``mobile_soc``, ``edge_ai``, 30 jobs): EDP
(J s), censored mean latency (us) and jobs completed, with paired per-seed
differences against ``eft-energy`` (the best energy-aware heuristic) and
against the variant's own starting point.

    python experiments/set_agent/edp.py                 # 20 seeds
    python experiments/set_agent/edp.py --seeds 4 --no-teacher
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

import torch

from socsim.agents.learned.set_policy import SetPolicy
from socsim.agents.learned.set_scheduler import SHIPPED_EDP, load_set_policy
from socsim.agents.learned.suite_eval import METRIC, heuristic_metrics, policy_metrics
from socsim.agents.learned.task_suite import Case

OUT = Path(__file__).resolve().parent
TEACHER = "rollout:eft-energy,objective=edp"
HEURISTICS = ("eft-energy", "min-edp", "etf", "heft-rt")
FIRST_SEED = 100_000
#: The row of the network the variant started from (the first learned:default).
START = "its start (edp_start.pt)"


def sem(values: list[float]) -> float:
    """Standard error of the mean (0 for fewer than two values)."""
    return statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0


def paired(a: list[float], b: list[float]) -> str:
    """``a - b`` per seed: mean ± s.e., and the mean as a % of ``b``'s mean."""
    diff = [x - y for x, y in zip(a, b, strict=True)]
    return (f"{statistics.mean(diff):+.4g} ± {sem(diff):.2g} "
            f"({100 * statistics.mean(diff) / statistics.mean(b):+.3g} %)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-teacher", action="store_true", help=f"skip {TEACHER} (slow)")
    parser.add_argument("--out", type=Path, default=OUT / "edp.md")
    args = parser.parse_args(argv)
    wall = time.perf_counter()
    runs = [(Case("papers-mix"), seed) for seed in range(FIRST_SEED, FIRST_SEED + args.seeds)]
    torch.manual_seed(0)  # the recipe's initialisation
    policies: dict[str, SetPolicy] = {"learned:edp": load_set_policy(SHIPPED_EDP),
                                      START: load_set_policy(OUT / "stages" / "edp_start.pt"),
                                      "untrained": SetPolicy().eval()}
    rows = {name: heuristic_metrics(name, runs, args.workers) for name in HEURISTICS}
    if not args.no_teacher:
        rows[f"{TEACHER} (expert)"] = heuristic_metrics(TEACHER, runs, args.workers)
    for name, policy in policies.items():
        rows[name] = policy_metrics(policy, runs)
    edp = {name: [r["edp"] for r in found] for name, found in rows.items()}
    reference, start = edp["eft-energy"], edp[START]
    command = "python experiments/set_agent/edp.py" + (
        f" --seeds {args.seeds}" if args.seeds != 20 else "") + (
        " --no-teacher" if args.no_teacher else "")
    lines = ["# The energy-aware learned variant on the papers' mix", "",
             f"Command: `{command}`; held-out seeds {FIRST_SEED}..{FIRST_SEED + args.seeds - 1}"
             f" of the papers' mix (mobile_soc, edge_ai, 30 jobs); wall time "
             f"{time.perf_counter() - wall:.0f} s on 2 cores. EDP in J s and censored mean "
             "latency in us, mean ± s.e. over the seeds; `done`: jobs completed (mean); "
             "paired: the row minus the reference, per seed, mean ± s.e.", "",
             "| scheduler | EDP | latency (us) | done | EDP vs eft-energy | EDP vs its start |",
             "|---|---|---|---|---|---|"]
    for name, found in rows.items():
        latency = [r[METRIC] for r in found]
        done = statistics.mean(r["completed"] for r in found)
        lines.append(f"| {name} | {statistics.mean(edp[name]):.4g} ± {sem(edp[name]):.2g} | "
                     f"{statistics.mean(latency):.0f} ± {sem(latency):.0f} | {done:.1f} | "
                     f"{paired(edp[name], reference)} | {paired(edp[name], start)} |")
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
