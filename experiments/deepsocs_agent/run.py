"""Reproduce the DeepSoCS-v0 learned agent: BC from ETF, short REINFORCE, 20-seed evaluation.

Usage: .venv/bin/python experiments/deepsocs_agent/run.py [--out DIR]
Writes results.csv, results.md and latency.png beside this script.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from socsim.agents.learned.checkpoint import read_config
from socsim.agents.learned.cli import evaluate_run, summarize

HERE = Path(__file__).parent
SOCSIM = [sys.executable, "-m", "socsim"]
SEEDS = list(range(100_000, 100_020))  # training uses reset seeds 0..99 and iteration seeds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=HERE / "runs")
    parser.add_argument("--iterations", type=int, default=0,
                        help="REINFORCE iterations after BC (0: BC only)")
    parser.add_argument("--rl-lr", type=float, default=1e-4, help="REINFORCE learning rate")
    parser.add_argument("--mode", default="assign", choices=["order", "assign"])
    parser.add_argument("--teacher", default="etf")
    parser.add_argument("--episodes", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--evaluate-only", nargs=2, type=Path, metavar=("BC", "RF"),
                        help="skip training: evaluate these two run folders")
    args = parser.parse_args()
    t0 = time.time()
    bc, rf = args.out / "bc", args.out / "reinforce"
    if args.evaluate_only:
        bc, rf = args.evaluate_only
    else:
        train(bc, rf, args)
    t_train = time.time() - t0
    evaluate(bc, rf, t_train)


def train(bc: Path, rf: Path, args: argparse.Namespace) -> None:
    """BC from a teacher, then (optionally) REINFORCE from the BC policy."""
    kwargs = json.dumps({"action_mode": args.mode})
    subprocess.run([*SOCSIM, "train", "--algo", "bc", "--out", str(bc), "--noises", "0,0.5",
                    "--env-kwargs", kwargs, "--teacher", args.teacher,
                    "--episodes", str(args.episodes), "--epochs", str(args.epochs), "--quiet"],
                   check=True)
    if args.iterations:
        subprocess.run([*SOCSIM, "train", "--algo", "reinforce", "--init", str(bc), "--out",
                        str(rf), "--noises", "0,0.5", "--env-kwargs", kwargs, "--iterations",
                        str(args.iterations), "--workers", "2", "--lr", str(args.rl_lr),
                        "--quiet"], check=True)


def evaluate(bc: Path, rf: Path, t_train: float) -> None:
    """20 held-out seeds at sigma 0 and 0.5; results table, CSV and plot."""
    agents = [(label, run) for label, run in (("bc", bc), ("bc+reinforce", rf))
              if (run / "policy.pt").exists()]
    rows = []
    for noise in (0.0, 0.5):
        for k, (agent, run) in enumerate(agents):
            kwargs = {**read_config(run).get("env_kwargs", {}), "noise": noise}
            res = evaluate_run(run, "socsim/DeepSoCS-v0", kwargs, SEEDS,
                               ["heft-rt", "etf"] if k == 0 else [])
            for name, (mean, se) in summarize(res).items():
                label = agent if name == "learned" else name
                rows.append({"noise": noise, "scheduler": label, "mean_latency": round(mean, 2),
                             "se": round(se, 2), "seeds": len(SEEDS),
                             "action_mode": kwargs.get("action_mode", "order")
                             if name == "learned" else "own"})
    with (HERE / "results.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [f"Training wall time (run.py, 2 cores): {t_train:.0f} s.", "",
             "| sigma | scheduler | mean latency (us) | s.e. | vs HEFT_RT | vs ETF |",
             "|---|---|---|---|---|---|"]
    for noise in (0.0, 0.5):
        sub = {r["scheduler"]: r for r in rows if r["noise"] == noise}
        heft, etf = sub["heft-rt"]["mean_latency"], sub["etf"]["mean_latency"]
        for r in sub.values():
            lines.append(f"| {noise} | {r['scheduler']} | {r['mean_latency']:.2f} | {r['se']:.2f}"
                         f" | {100 * (r['mean_latency'] / heft - 1):+.1f} %"
                         f" | {100 * (r['mean_latency'] / etf - 1):+.1f} % |")
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    names = ["heft-rt", "etf"] + [label for label, _ in agents]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for k, noise in enumerate((0.0, 0.5)):
        sub = {r["scheduler"]: r for r in rows if r["noise"] == noise}
        xs = [i + 0.38 * k for i in range(len(names))]
        ax.bar(xs, [sub[n]["mean_latency"] for n in names], 0.36,
               yerr=[sub[n]["se"] for n in names], label=f"sigma {noise}")
    ax.set_xticks([i + 0.19 for i in range(len(names))], names)
    ax.set_ylabel("mean latency (us)")
    ax.set_ylim(90, None)
    ax.legend()
    ax.set_title("DeepSoCS-v0, 20 held-out seeds")
    fig.tight_layout()
    fig.savefig(HERE / "latency.png", dpi=120)


if __name__ == "__main__":
    main()
