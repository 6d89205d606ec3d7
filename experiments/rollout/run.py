"""``rollout:etf`` (or ``--rollout NAME``) against ETF, HEFT_RT and EFT on the 12 DeepSoCS cells.

Cells: the ``deepsocs`` preset (canonical job on canonical3, 3 jobs in the
system, DS3Gym's retrying arrivals, 5000 us) with the canonical profile or
the five-profile mix ``top..top5``, Poisson scales 25, 50, 100 us, noise
sigma 0 and 0.5. Every scheduler runs the same seeds; the table gives the
censored mean latency (unfinished jobs counted at their age at the horizon)
with its standard error, the paired difference of the rollout scheduler to
ETF with the standard error of the paired differences, jobs completed, and
the rollout's CPU time per placement.

    python experiments/rollout/run.py                 # 20 seeds, about 25 min on 2 cores
    python experiments/rollout/run.py --rollout rollout:etf-live \
        --out experiments/rollout/etf_live.md
    python experiments/rollout/run.py --seeds 3 --quick
    python experiments/rollout/run.py --rollout rollout:etf,depth=2 --versus rollout:etf \
        --sigmas 0 --seeds 10 --out experiments/rollout/depth2_sigma0.md

``--versus NAME`` adds a scheduler and the rollout's paired difference to
it (a deeper search against the plain rollout); ``--sigmas`` picks noise levels.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

from socsim.agents.compare import compare
from socsim.agents.scenario import PRESETS
from socsim.registry import make_scheduler

OUT = Path(__file__).resolve().parent
HEURISTICS = ("etf", "heft-rt", "eft")
MIXES = {"canonical": "canonical", "top..top5": ",".join(f"top{k}:1" if k > 1 else "top:1"
                                                          for k in range(1, 6))}
METRIC = "censored_mean_latency"


def sem(values: list[float]) -> float:
    """Standard error of the mean (0 for fewer than two values)."""
    return statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0


def decision_cost(scenario, seed: int, name: str) -> float:
    """CPU ms per placement of rollout scheduler ``name`` on one seed (in this process)."""
    scheduler = make_scheduler(name)
    scenario.simulator(seed).run(scheduler)
    return 1000.0 * scheduler.seconds / max(scheduler.decisions, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="scales 25 and 100 only")
    parser.add_argument("--rollout", default="rollout:etf", help="the rollout scheduler's name")
    parser.add_argument("--out", type=Path, default=OUT / "results.md")
    parser.add_argument("--versus", help="another scheduler to pair the rollout with")
    parser.add_argument("--sigmas", default="0,0.5", help="noise levels (default 0,0.5)")
    args = parser.parse_args()
    rollout = args.rollout
    versus = args.versus
    schedulers = (*HEURISTICS, rollout) + ((versus,) if versus else ())
    sigmas = tuple(float(x) for x in args.sigmas.split(","))
    flags = "" if rollout == "rollout:etf" else f" --rollout {rollout}"
    flags += f" --versus {versus}" if versus else ""
    flags += f" --sigmas {args.sigmas}" if sigmas != (0.0, 0.5) else ""
    flags += f" --out {args.out}" if flags else ""
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    scales = (25.0, 100.0) if args.quick else (25.0, 50.0, 100.0)
    base = PRESETS["deepsocs"].scenario
    lines = [
        f"# {rollout} on the DeepSoCS cells",
        "",
        f"Command: `python experiments/rollout/run.py --seeds {args.seeds}{flags}`"
        + (" --quick" if args.quick else "") + f"; seeds {seeds[0]}..{seeds[-1]}.",
        "Censored mean latency in us (mean ± s.e. over seeds; unfinished jobs counted at",
        f"their age at the 5000 us horizon); `paired` is {rollout} minus ETF, mean ± s.e.",
        "of the per-seed differences; `done` the mean jobs completed; `ms/placement` the",
        f"CPU time {rollout} spends per placement (one seed, this machine, under load).",
        "",
        f"| job mix | scale (us) | sigma | ETF | HEFT_RT | EFT | {rollout} | paired vs ETF |"
        " vs ETF | done (ETF / rollout) | ms/placement |"
        + (f" {versus} | paired vs it | vs it |" if versus else ""),
        "|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|---|" if versus else ""),
    ]
    wall = time.perf_counter()
    for mix_name, workload in MIXES.items():
        for scale in scales:
            for sigma in sigmas:
                scenario = base.replace(workload=workload, interarrival=scale, noise=sigma)
                result = compare(scenario, schedulers, seeds, workers=args.workers)
                cells = {name: result.values(name, METRIC) for name in schedulers}
                done = {name: result.values(name, "completed") for name in schedulers}
                diff = [r - e for r, e in zip(cells[rollout], cells["etf"], strict=True)]
                etf_mean = statistics.mean(cells["etf"])
                cost = decision_cost(scenario, seeds[0], rollout)
                row = [mix_name, f"{scale:g}", f"{sigma:g}"] + [
                    f"{statistics.mean(cells[n]):.2f} ± {sem(cells[n]):.2f}"
                    for n in (*HEURISTICS, rollout)] + [
                    f"{statistics.mean(diff):+.2f} ± {sem(diff):.2f}",
                    f"{100 * statistics.mean(diff) / etf_mean:+.1f} %",
                    f"{statistics.mean(done['etf']):.1f} / "
                    f"{statistics.mean(done[rollout]):.1f}",
                    f"{cost:.1f}"]
                if versus:
                    other = [r - o for r, o in zip(cells[rollout], cells[versus], strict=True)]
                    base_mean = statistics.mean(cells[versus])
                    row += [f"{base_mean:.2f} ± {sem(cells[versus]):.2f}",
                            f"{statistics.mean(other):+.2f} ± {sem(other):.2f}",
                            f"{100 * statistics.mean(other) / base_mean:+.1f} %"]
                lines.append("| " + " | ".join(row) + " |")
                print(lines[-1], flush=True)
    lines += ["", f"Wall time: {time.perf_counter() - wall:.0f} s."]
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
