"""The papers' workloads on the mobile SoC: a learned agent vs HEFT and energy-aware heuristics.

Scenario: ``socsim/SoCStream-v0``'s default (platform ``mobile_soc``, mix
``edge_ai`` of the five papers' workloads, Poisson arrivals every 8 ms, at
most 12 jobs in the system, 1 s). The agent (``assign`` mode, finish-time
features, log-compressed inputs) is trained by behaviour cloning of a
heuristic teacher's decisions (``min-edp`` by default: the energy-delay
product objective) on 300 ms episodes with reset seeds 0..episodes-1, then,
with ``--iterations``, fine-tuned by REINFORCE on a reward (``--reward``,
default ``edp``). Evaluation: 10 held-out simulator seeds (100000...), full
1 s runs through ``socsim compare`` (every scheduler sees the same arrivals,
mix and per-job activity), latency, energy and EDP.

Usage::

    .venv/bin/python experiments/papers_mix/run.py            # train + evaluate (~15 min)
    .venv/bin/python experiments/papers_mix/run.py --evaluate-only runs/bc

Writes ``results.md``, ``results.csv`` and ``results.png`` beside this script;
run folders go to ``runs/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from socsim.agents.compare import compare
from socsim.agents.learned.train_bc import BCConfig, train_bc
from socsim.agents.learned.train_reinforce import ReinforceConfig, train_reinforce
from socsim.envs.soc_stream import STREAM_DEFAULTS
from socsim.scenario import Scenario

HERE = Path(__file__).resolve().parent
ENV_ID = "socsim/SoCStream-v0"
HEURISTICS = ["heft-rt", "heft", "etf", "min-edp", "eft-energy", "min-energy"]
METRICS = [("mean_latency", "latency (us)"), ("energy_j", "energy (J)"), ("edp", "EDP (J s)"),
           ("completed", "completed jobs")]


def main() -> None:
    """Train (unless ``--evaluate-only``), evaluate, write the tables and the plot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "runs")
    parser.add_argument("--teacher", default="min-edp")
    parser.add_argument("--episodes", type=int, default=8, help="BC teacher episodes")
    parser.add_argument("--epochs", type=int, default=10, help="BC epochs")
    parser.add_argument("--train-horizon", type=float, default=300_000.0,
                        help="length of training episodes (us)")
    parser.add_argument("--iterations", type=int, default=0,
                        help="REINFORCE iterations after BC (0: BC only)")
    parser.add_argument("--reward", default="edp", help="REINFORCE reward")
    parser.add_argument("--seeds", type=int, default=10, help="evaluation seeds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--evaluate-only", type=Path, default=None, metavar="RUN",
                        help="skip training: evaluate this run folder")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    run = args.evaluate_only or train(args)
    if args.evaluate_only is None:  # kept with the run, for later --evaluate-only tables
        (run / "train_seconds.txt").write_text(f"{time.perf_counter() - start:.0f}\n")
    stamp = run / "train_seconds.txt"
    evaluate(run, args, float(stamp.read_text()) if stamp.exists() else None)


def train(args: argparse.Namespace) -> Path:
    """BC from the teacher, then optional REINFORCE; returns the final run folder."""
    kwargs = {"horizon": args.train_horizon}
    bc = args.out / "bc"
    train_bc(BCConfig(env_id=ENV_ID, env_kwargs=kwargs, teacher=args.teacher,
                      episodes=args.episodes, epochs=args.epochs, batch_size=64,
                      eval_seeds=[]), bc, vars_of(args))
    if not args.iterations:
        return bc
    rf = args.out / "reinforce"
    train_reinforce(ReinforceConfig(env_id=ENV_ID, env_kwargs={**kwargs, "reward": args.reward},
                                    iterations=args.iterations, rollouts=4, workers=args.workers,
                                    lr=1e-4, init=str(bc), start_decisions=400,
                                    eval_every=0), rf, vars_of(args))
    return rf


def vars_of(args: argparse.Namespace) -> dict:
    """The arguments as JSON-friendly values (saved in the run folder)."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}


def evaluate(run: Path, args: argparse.Namespace, train_s: float | None) -> None:
    """Agent and heuristics on the held-out seeds; results.{md,csv,png}."""
    agent = f"learned:{run}"
    seeds = list(range(100_000, 100_000 + args.seeds))
    t0 = time.perf_counter()
    result = compare(Scenario(**STREAM_DEFAULTS), [agent, *HEURISTICS], seeds,
                     workers=args.workers)
    eval_s = time.perf_counter() - t0
    names = [agent, *HEURISTICS]
    stats = {}
    for name in names:
        for metric, _ in METRICS:
            values = np.asarray(result.values(name, metric), dtype=float)
            stats[name, metric] = (values.mean(), values.std(ddof=1) / np.sqrt(len(values)))
    label = {agent: "agent"}
    rows = [{"scheduler": label.get(n, n),
             **{m: round(stats[n, m][0], 6) for m, _ in METRICS},
             **{f"{m}_se": round(stats[n, m][1], 6) for m, _ in METRICS}} for n in names]
    with (HERE / "results.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    heft = {m: stats["heft-rt", m][0] for m, _ in METRICS}
    paired = {}  # the agent minus HEFT_RT on the same seeds
    for metric in ("mean_latency", "edp"):
        d = (np.asarray(result.values(agent, metric), dtype=float)
             - np.asarray(result.values("heft-rt", metric), dtype=float))
        paired[metric] = (d.mean(), d.std(ddof=1) / np.sqrt(len(d)))
    lines = [f"Scenario: SoCStream-v0 default (mobile_soc, edge_ai, 8 ms Poisson, <= 12 jobs, "
             f"1 s); {len(seeds)} held-out seeds ({seeds[0]}..{seeds[-1]}); mean +- s.e. "
             f"Agent: {run.name} (teacher {args.teacher}).",
             "",
             "| scheduler | " + " | ".join(t for _, t in METRICS[:3])
             + " | latency vs HEFT_RT | EDP vs HEFT_RT | completed |",
             "|---|---|---|---|---|---|---|"]
    for n in names:
        cells = [f"{stats[n, m][0]:.4g} +- {stats[n, m][1]:.2g}" for m, _ in METRICS[:3]]
        lines.append(f"| {label.get(n, n)} | " + " | ".join(cells)
                     + f" | {100 * (stats[n, 'mean_latency'][0] / heft['mean_latency'] - 1):+.1f} %"
                     f" | {100 * (stats[n, 'edp'][0] / heft['edp'] - 1):+.1f} %"
                     f" | {stats[n, 'completed'][0]:.1f} |")
    lines += ["", "Agent minus HEFT_RT on the same seeds (mean +- s.e.): latency "
              f"{paired['mean_latency'][0]:+.0f} +- {paired['mean_latency'][1]:.0f} us, EDP "
              f"{paired['edp'][0]:+.3f} +- {paired['edp'][1]:.3f} J s."]
    timing = f"Evaluation {eval_s:.0f} s"
    if train_s is not None:
        timing = f"Training {train_s:.0f} s, evaluation {eval_s:.0f} s"
    lines += ["", f"{timing} on 2 cores."]
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for n in names:
        (lat, lat_se), (edp, edp_se) = stats[n, "mean_latency"], stats[n, "edp"]
        ax.errorbar(lat / 1000, edp, xerr=lat_se / 1000, yerr=edp_se, fmt="o", capsize=3,
                    label=label.get(n, n))
    ax.set_xlabel("mean job latency (ms)")
    ax.set_ylabel("EDP (J s)")
    ax.set_title("papers' mix on mobile_soc (lower left is better)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(HERE / "results.png", dpi=120)


if __name__ == "__main__":
    main()
