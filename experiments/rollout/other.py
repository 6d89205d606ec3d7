"""``rollout:etf`` on the papers' mix (``mobile_soc``, ``edge_ai``) and DS3's default scenario.

Latency and EDP: ``rollout:etf`` (latency objective),
``rollout:etf,objective=edp`` and ``rollout:eft-energy,objective=edp`` (the
lookahead over the best energy-aware heuristic) against ETF, EFT, HEFT_RT and
the energy-aware heuristics, on the same seeds. Censored mean latency (unfinished jobs at
their age at the end), EDP (energy x makespan, J s) and jobs completed, mean ±
s.e. over seeds; paired differences to ETF with their standard errors, and
EDP relative to ETF's.

    python experiments/rollout/other.py             # 10 seeds, about 40 min on 2 cores
    python experiments/rollout/other.py --seeds 2
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

from socsim.agents.compare import compare
from socsim.scenario import SCENARIOS, Scenario

OUT = Path(__file__).resolve().parent
SCHEDULERS = ("etf", "eft", "heft-rt", "min-edp", "eft-energy", "rollout:etf",
              "rollout:etf,objective=edp", "rollout:eft-energy,objective=edp")
CASES = {
    # SoCStream-v0's default scenario: 8 ms Poisson arrivals, at most 12 jobs; 30 jobs.
    "papers' mix (mobile_soc, edge_ai), 30 jobs": Scenario(
        platform="mobile_soc", mix="edge_ai", interarrival=8000.0, max_in_system=12, jobs=30),
    "DS3 default (MULTIPLE_BAL, 16 PEs), 100 jobs": SCENARIOS["ds3-default"],
}


def sem(values: list[float]) -> float:
    """Standard error of the mean (0 for fewer than two values)."""
    return statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0


def cell(values: list[float], digits: int) -> str:
    """``mean ± s.e.``."""
    return f"{statistics.mean(values):.{digits}f} ± {sem(values):.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT / "other.md")
    args = parser.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    lines = ["# rollout:etf on the papers' mix and DS3's default scenario", "",
             f"Command: `python experiments/rollout/other.py --seeds {args.seeds}`; seeds "
             f"{seeds[0]}..{seeds[-1]}. Mean ± s.e. over seeds; `paired` columns are the "
             "scheduler minus ETF, mean ± s.e. of the per-seed differences.", ""]
    wall = time.perf_counter()
    for title, scenario in CASES.items():
        result = compare(scenario, SCHEDULERS, seeds, workers=args.workers)
        unit, scale = ("ms", 1e-3) if scenario.platform == "mobile_soc" else ("us", 1.0)
        lines += [f"## {title}", "", f"Scenario: {scenario.describe()}.", "",
                  f"| scheduler | censored latency ({unit}) | paired vs ETF | EDP (mJ s) | "
                  "paired EDP vs ETF | EDP vs ETF | completed |",
                  "|---|---|---|---|---|---|---|"]
        etf_lat = result.values("etf", "censored_mean_latency")
        etf_edp = result.values("etf", "edp")
        for name in SCHEDULERS:
            lat = [v * scale for v in result.values(name, "censored_mean_latency")]
            edp = [1000.0 * v for v in result.values(name, "edp")]
            d_lat = [(a - b) * scale for a, b in
                     zip(result.values(name, "censored_mean_latency"), etf_lat, strict=True)]
            d_edp = [a - 1000.0 * b for a, b in zip(edp, etf_edp, strict=True)]
            ratio = 100.0 * (statistics.mean(edp) / (1000.0 * statistics.mean(etf_edp)) - 1.0)
            done = statistics.mean(result.values(name, "completed"))
            digits = 2 if statistics.mean(edp) < 100 else 1
            lines.append(f"| {name} | {cell(lat, 2)} | {cell(d_lat, 2)} | {cell(edp, digits)} | "
                         f"{cell(d_edp, digits)} | {ratio:+.1f} % | {done:.1f} |")
            print(lines[-1], flush=True)
        lines.append("")
    lines.append(f"Wall time: {time.perf_counter() - wall:.0f} s.")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
