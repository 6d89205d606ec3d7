"""Train and evaluate the fixed-size DeepSoCS-v0 agent shipped as ``learned:deepsocs-env``.

Recipe (default, ``--recipe prior``): a fresh ``assign``-mode graph policy
whose pair scores carry the earliest-finish prior (scale 200; the score
layers start at zero, so the untrained policy places the pair that finishes
first by the real-time finish feature), trained by Decima-style REINFORCE
for 25 iterations (8 rollouts sharing a seed, noise alternating 0 / 0.5,
lr 3e-4, 2 worker processes). ``--recipe bc`` is the earlier recipe:
behaviour cloning of ETF, then REINFORCE from it.

Evaluation: 20 simulator seeds (100000-100019) that training never drew, at
sigma 0 and 0.5, through ``socsim compare`` runs (every scheduler sees the
same arrivals and noise draws): the trained agent, the untrained prior
policy (what training started from), HEFT_RT and ETF; mean latency of
completed jobs with standard errors, and the paired difference to ETF.

Usage::

    .venv/bin/python experiments/deepsocs_agent/run.py                 # train + evaluate
    .venv/bin/python experiments/deepsocs_agent/run.py --evaluate-only RUN

Writes results.md, results.csv and latency.png beside this script; run folders
go to runs/ (git-ignored).
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
import numpy as np
import torch

from socsim.agents.compare import compare
from socsim.agents.learned.checkpoint import read_config
from socsim.agents.learned.policy import build_policy
from socsim.agents.learned.rollout import make_env
from socsim.agents.scenario import PRESETS

HERE = Path(__file__).resolve().parent
SOCSIM = [sys.executable, "-m", "socsim"]
FIRST_SEED, SEEDS = 100_000, 20
NOISES = (0.0, 0.5)
ENV_KWARGS = {"action_mode": "assign"}


def main() -> None:
    """Train (unless ``--evaluate-only``) and evaluate."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "runs")
    parser.add_argument("--recipe", choices=["prior", "bc"], default="prior")
    parser.add_argument("--iterations", type=int, default=25, help="REINFORCE iterations")
    parser.add_argument("--finish-prior", type=float, default=200.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--evaluate-only", type=Path, default=None, metavar="RUN")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    run = args.evaluate_only or train(args)
    train_s = None if args.evaluate_only else time.perf_counter() - start
    evaluate(run, args, train_s)


def train(args: argparse.Namespace) -> Path:
    """Run ``socsim train`` for the chosen recipe; returns the trained run folder."""
    common = ["--noises", "0,0.5", "--env-kwargs", json.dumps(ENV_KWARGS), "--quiet"]
    rf = args.out / f"{args.recipe}_rf"
    init: list[str] = ["--finish-prior", str(args.finish_prior)]
    if args.recipe == "bc":
        bc = args.out / "bc"
        subprocess.run([*SOCSIM, "train", "--algo", "bc", "--out", str(bc), "--teacher", "etf",
                        "--episodes", "16", "--epochs", "25", *common], check=True)
        init = ["--init", str(bc)]
    subprocess.run([*SOCSIM, "train", "--algo", "reinforce", "--out", str(rf), *init,
                    "--iterations", str(args.iterations), "--rollouts", "8", "--workers",
                    str(args.workers), "--lr", "3e-4", *common], check=True)
    return rf


def untrained_prior(run: Path, out: Path) -> Path | None:
    """The policy the run started from (rebuilt from its config), saved as ``out/policy.pt``."""
    config = read_config(run)
    if not config.get("finish_prior") or config.get("init"):
        return None
    torch.manual_seed(config["seed"])  # the trainer seeds torch, then builds the policy
    env = make_env(config["env_id"], {"baseline": None, **config["env_kwargs"]},
                   config["finish_features"])
    policy = build_policy(env, embed_dim=config["embed_dim"], depth=config["depth"],
                          finish_prior=config["finish_prior"])
    out.mkdir(parents=True, exist_ok=True)
    torch.save({"policy": policy.state_dict(), "policy_config": policy.config.to_dict()},
               out / "policy.pt")
    (out / "config.json").write_text(json.dumps({**config, "iterations": 0}))
    return out


def evaluate(run: Path, args: argparse.Namespace, train_s: float | None) -> None:
    """Agent, untrained prior, HEFT_RT and ETF on the held-out seeds; tables and plot."""
    agents = {"agent": f"learned:{run}"}
    prior = untrained_prior(run, args.out / "untrained_prior")
    if prior is not None:
        agents["untrained prior"] = f"learned:{prior}"
    names = [*agents.values(), "heft-rt", "etf"]
    label = {v: k for k, v in agents.items()}
    seeds = list(range(FIRST_SEED, FIRST_SEED + SEEDS))
    rows, t0 = [], time.perf_counter()
    for noise in NOISES:
        scenario = PRESETS["deepsocs"].scenario.replace(noise=noise)
        result = compare(scenario, names, seeds, workers=args.workers)
        etf = np.asarray(result.values("etf", "mean_latency"))
        heft = np.asarray(result.values("heft-rt", "mean_latency"))
        for name in names:
            v = np.asarray(result.values(name, "mean_latency"))
            d = v - etf
            rows.append({"noise": noise, "scheduler": label.get(name, name),
                         "mean_latency": round(float(v.mean()), 3),
                         "se": round(float(v.std(ddof=1) / np.sqrt(len(v))), 3),
                         "vs_heft_rt_pct": round(100 * (v.mean() / heft.mean() - 1), 2),
                         "vs_etf_pct": round(100 * (v.mean() / etf.mean() - 1), 2),
                         "paired_diff_to_etf": round(float(d.mean()), 3),
                         "paired_diff_se": round(float(d.std(ddof=1) / np.sqrt(len(d))), 3)})
    eval_s = time.perf_counter() - t0
    with (HERE / "results.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    timing = (f"training {train_s:.0f} s (recipe {args.recipe}), " if train_s is not None
              else "")
    lines = [f"`{' '.join(sys.argv)}`: {timing}evaluation {eval_s:.0f} s, 2 cores.",
             f"{SEEDS} held-out simulator seeds ({seeds[0]}..{seeds[-1]}); mean latency of "
             "completed jobs (us) +- s.e.; paired difference to ETF on the same seeds.", "",
             "| sigma | scheduler | mean latency | s.e. | vs HEFT_RT | vs ETF "
             "| paired diff to ETF |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['noise']:g} | {r['scheduler']} | {r['mean_latency']:.2f} | "
                     f"{r['se']:.2f} | {r['vs_heft_rt_pct']:+.1f} % | {r['vs_etf_pct']:+.1f} % | "
                     f"{r['paired_diff_to_etf']:+.2f} +- {r['paired_diff_se']:.2f} |")
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    plot(rows)


def plot(rows: list[dict]) -> None:
    """Bars of mean latency per scheduler, one group per noise level."""
    names = list(dict.fromkeys(r["scheduler"] for r in rows))
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        sub = [next(r for r in rows if r["noise"] == n and r["scheduler"] == name)
               for n in NOISES]
        ax.bar([i + k * width for i in range(len(NOISES))], [r["mean_latency"] for r in sub],
               width, yerr=[r["se"] for r in sub], capsize=3, label=name)
    ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(NOISES))],
                  [f"sigma = {n:g}" for n in NOISES])
    ax.set_ylim(90, None)
    ax.set_ylabel("mean latency (us)")
    ax.legend(fontsize=8)
    ax.set_title("DeepSoCS-v0 protocol, 20 held-out seeds", fontsize=9)
    fig.tight_layout()
    fig.savefig(HERE / "latency.png", dpi=120)


if __name__ == "__main__":
    main()
