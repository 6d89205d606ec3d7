"""Generalisation: the agent away from its training conditions.

The agent (default: ``learned:default``, the size-agnostic set policy,
trained on the 12 DeepSoCS cells at scales 25, 50 and 100 us and sigma 0
and 0.5, random DAGs on 2-32 PEs, DAGGEN graphs of 10-24 tasks on canonical3,
the papers' mix on mobile_soc and DS3's default scenario) is evaluated,
against heuristics on the same seeds, on

A. other loads and noise levels of the DeepSoCS setting: scale 10, 25, 100,
   200 us x sigma 0, 0.5, 1.0;
B. other job mixes on canonical3: DS3Gym's nine other Topcuoglu-task graphs
   ``top2``..``top10`` (same tasks and costs, other edges; top2..top5 are in
   the training mix), Arabnejad & Barbosa's PEFT example (other costs), and
   ten random DAGGEN graphs of 10 tasks (other shapes, about twice the work
   per job; the agent trained on other DAGGEN graphs, one at t = 0, never as
   a stream);
D. other platforms and loads (for an agent that runs on any platform): DS3's
   radio/radar mix on SoC.MULTIPLE_BAL with DS3's network-on-chip, which the
   agent never saw, and on the big.LITTLE-only SoC; DS3's default scenario
   and the papers' mix (mobile_soc, edge_ai) at twice their training load;
C. a cross-train check: two BC agents trained here with identical settings
   (ETF teacher, ``assign`` mode, finish-time features, 16 teacher episodes at
   sigma 0/0.5, 25 epochs), one at scale 25 and one at scale 100, each
   evaluated at both scales (skip with ``--no-train``).

Usage::

    .venv/bin/python experiments/study/generalisation.py [--agent PATH] [--seeds N] [--quick]

Every comparison and ranking uses the censored mean latency (jobs still in
the system at the end count at their age then), so that a scheduler cannot
look faster by leaving jobs unfinished; the CSV keeps the completed-jobs mean
and the completed counts beside it.

Writes ``results/generalisation.{md,csv,png}``; the cross-train agents go to
``runs/bc_scale25`` and ``runs/bc_scale100`` (git-ignored).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from study_common import (
    AGENT,
    FIRST_EVAL_SEED,
    RESULTS,
    RUNS,
    Timer,
    agent_scheduler,
    command_line,
    fmt,
    label,
    md_table,
    mean_sem,
    paired,
    run_cells,
    save_figure,
    study_parser,
    write_csv,
    write_markdown,
)

from socsim.agents.learned.task_suite import PAPERS_MIX
from socsim.agents.scenario import DEEPSOCS
from socsim.scenario import SCENARIOS

NAME = "generalisation"
SCALES = (10.0, 25.0, 100.0, 200.0)
SIGMAS = (0.0, 0.5, 1.0)
MIXES: dict[str, str] = {
    "canonical (training mix)": "canonical",
    "top2..top10": ",".join(f"top{k}:1" for k in range(2, 11)),
    "peft_example": "peft_example",
    "daggen n=10, seeds 1..10": ",".join(f"daggen/n=10/seed={k}:1" for k in range(1, 11)),
}
MIX_SIGMAS = (0.0, 0.5)
MIX_HEURISTICS = ("heft-rt", "etf", "met", "eft")
CROSS_SCALES = (25.0, 100.0)
#: The ranking metric: unfinished jobs count at their age at the end.
METRIC = "censored_mean_latency"
#: Part D: platforms the agent never saw, and its training scenarios at twice the load.
PLATFORMS = {
    "DS3 mix on SoC.MULTIPLE_BAL with NoC (unseen platform)":
        SCENARIOS["ds3-default"].replace(platform="ds3_multiple_bal_noc"),
    "DS3 mix on the big.LITTLE-only SoC (unseen platform)":
        SCENARIOS["ds3-default"].replace(platform="ds3_bal_only",
                                         mix=None, workload="wifi_tx,wifi_rx"),
    "DS3 default at interarrival 250 us (2x load)":
        SCENARIOS["ds3-default"].replace(interarrival=250.0),
    "papers' mix at interarrival 4000 us (2x load)": PAPERS_MIX.replace(interarrival=4000.0),
}
PLATFORM_HEURISTICS = ("heft-rt", "etf", "eft", "met")


def _train_pair(episodes: int, epochs: int) -> dict[str, Path]:
    """BC agents at scale 25 and 100 with identical settings, trained concurrently."""
    runs = {f"BC@{scale:g}": RUNS / f"bc_scale{scale:g}" for scale in CROSS_SCALES}
    procs = []
    for scale, run_dir in zip(CROSS_SCALES, runs.values(), strict=True):
        shutil.rmtree(run_dir, ignore_errors=True)  # fresh: the same numbers on every run
        kwargs = json.dumps({"action_mode": "assign", "interarrival": scale})
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "socsim", "train", "--env", "socsim/DeepSoCS-v0", "--algo",
             "bc", "--env-kwargs", kwargs, "--noises", "0,0.5", "--teacher", "etf",
             "--episodes", str(episodes), "--epochs", str(epochs), "--out", str(run_dir),
             "--quiet"], stdout=subprocess.DEVNULL))
    for proc in procs:
        if proc.wait() != 0:
            raise RuntimeError(f"training failed: {proc.args}")
    return runs


def run(agent: str = "learned:default", seeds: int = 20, quick: bool = False,
        out: Path = RESULTS, workers: int | None = None, train: bool = True,
        episodes: int = 16, epochs: int = 25, horizon: float | None = None
        ) -> list[dict[str, Any]]:
    """Run parts A, B (and C) and write ``generalisation.{md,csv,png}`` into ``out``.

    Args:
        agent: The learned agent (``learned:default``, ``learned:deepsocs-env``, ``learned:PATH``
            or PATH).
        seeds: Evaluation seeds per cell (from 100000).
        quick: 3 seeds, fewer cells, 2 BC episodes and 2 epochs.
        out: Folder of the result files.
        workers: Processes (``None``: all CPUs).
        train: Run part C (trains two BC agents).
        episodes: BC teacher episodes (part C).
        epochs: BC epochs (part C).
        horizon: Override every scenario's run length (us; tests).

    Returns:
        One CSV row per (part, condition, scheduler).
    """
    timer = Timer()
    scales, sigmas, mixes, platforms = SCALES, SIGMAS, MIXES, PLATFORMS
    fixed_size = agent in ("learned:deepsocs-env", "deepsocs-env")
    if fixed_size:  # its observation fits canonical3 and at most 3 x 10 tasks only
        platforms = {}
    if quick:
        seeds, scales, sigmas = min(seeds, 3), (10.0, 200.0), (0.0, 1.0)
        mixes = {k: v for k, v in MIXES.items() if k.startswith(("top", "peft"))}
        platforms = dict(list(PLATFORMS.items())[:1])
        episodes, epochs = min(episodes, 2), min(epochs, 2)
    agent_name = agent_scheduler(agent)
    seed_list = list(range(FIRST_EVAL_SEED, FIRST_EVAL_SEED + seeds))
    base = DEEPSOCS.scenario
    if horizon is not None:
        base = base.replace(horizon=horizon)
        platforms = {k: v.replace(horizon=horizon) for k, v in platforms.items()}
    rows: list[dict[str, Any]] = []
    body: list[str] = [f"Agent: `{agent_name}`. Seeds {seed_list[0]}..{seed_list[-1]} "
                       f"({len(seed_list)} per cell, shared by the schedulers of a cell). "
                       "Censored mean latency (us; jobs unfinished at the end count at their "
                       "age then), mean ± s.e.; every comparison and verdict below uses it. "
                       "'vs' columns: relative difference of the means, with the paired "
                       "difference (us ± s.e.) in brackets. The CSV adds the completed-jobs "
                       "mean and the completed counts.", ""]

    # A. load and noise
    schedulers = [agent_name, "heft-rt", "etf"]
    cells = [((scale, sigma), base.replace(interarrival=scale, noise=sigma))
             for scale in scales for sigma in sigmas]
    table = []
    for (scale, sigma), res in run_cells(cells, schedulers, seed_list, workers):
        table.append(_cell(rows, res, "A load/noise", f"scale {scale:g}, sigma {sigma:g}",
                           schedulers, agent_name, agent_name,
                           trained=sigma in (0.0, 0.5) and (
                               scale == 25.0 if fixed_size else scale in (25.0, 50.0, 100.0))))
    names = [label(n, agent_name) for n in schedulers]
    trained_at = ("scale 25, sigma 0 and 0.5" if fixed_size
                  else "scales 25, 50, 100, sigma 0 and 0.5")
    body += [f"## A. Load and noise shift (trained: {trained_at})", "",
             *md_table(["condition", *names, "agent vs HEFT_RT", "agent vs ETF"], table), ""]

    # B. job mixes
    schedulers = [agent_name, *MIX_HEURISTICS]
    cells = [((mix, sigma), base.replace(workload=workload, noise=sigma))
             for mix, workload in mixes.items() for sigma in MIX_SIGMAS]
    table = []
    for (mix, sigma), res in run_cells(cells, schedulers, seed_list, workers):
        table.append(_cell(rows, res, "B mix", f"{mix}, sigma {sigma:g}", schedulers,
                           agent_name, agent_name, trained=mix.startswith("canonical")))
    names = [label(n, agent_name) for n in schedulers]
    body += ["## B. Job-mix shift on canonical3 (scale 25)", "",
             *md_table(["condition", *names, "agent vs HEFT_RT", "agent vs ETF"], table), ""]
    if fixed_size:
        body += ["Mixes that do not fit this agent's observation: every DS3 radio/radar job "
                 "needs PE types (A7, A15, FFT, Viterbi, MM) that canonical3 lacks, other "
                 "platforms have more than 3 PEs, and the paper workloads have up to 30 tasks "
                 "per job (the checkpoint holds 3 x 10); part D is skipped.", ""]

    # D. platforms and loads
    if platforms:
        schedulers = [agent_name, *PLATFORM_HEURISTICS]
        table = []
        for cond, res in run_cells(list(platforms.items()), schedulers, seed_list, workers):
            table.append(_cell(rows, res, "D platform", cond, schedulers, agent_name,
                               agent_name, trained=False))
        names = [label(n, agent_name) for n in schedulers]
        body += ["## D. Platform and load shift", "",
                 *md_table(["condition", *names, "agent vs HEFT_RT", "agent vs ETF"], table),
                 ""]

    # C. cross-train
    t_train = 0.0
    if train:
        t0 = Timer()
        runs = _train_pair(episodes, epochs)
        t_train = t0.seconds
        agents = {f"learned:{path}": name for name, path in runs.items()}
        schedulers = [*agents, "heft-rt", "etf"]
        cells = [((scale, sigma), base.replace(interarrival=scale, noise=sigma))
                 for scale in CROSS_SCALES for sigma in MIX_SIGMAS]
        table = []
        for (scale, sigma), res in run_cells(cells, schedulers, seed_list, workers):
            lat = {n: res.values(n, METRIC) for n in schedulers}
            line = [f"scale {scale:g}, sigma {sigma:g}"]
            for name in schedulers:
                lab = agents.get(name, name)
                m, s = mean_sem(lat[name])
                rows.append(_row("C cross-train", f"scale {scale:g}, sigma {sigma:g}", lab, res,
                                 name, lat, trained=lab == f"BC@{scale:g}"))
                line.append(fmt(m, s))
            pct, diff, sem = paired(lat[schedulers[0]], lat[schedulers[1]])
            line.append(f"{pct:+.1f} % ({diff:+.1f} ± {sem:.1f})")
            table.append(line)
        body += [f"## C. Cross-train check: BC agents trained at scale 25 and at scale 100 "
                 f"(trained here, {t_train:.0f} s for both, in parallel)", "",
                 *md_table(["condition", *[agents.get(n, n) for n in schedulers],
                            "BC@25 vs BC@100"], table), ""]
    out = Path(out)
    write_csv(out / f"{NAME}.csv", rows)
    _plot(rows, out / f"{NAME}.png", len(seed_list))
    write_markdown(out / f"{NAME}.md", "Generalisation: loads, noise, job mixes, cross-training",
                   command_line(), timer.seconds, body, _reading(rows))
    print("\n".join(body))
    print(f"wall time {timer.seconds:.0f} s (training {t_train:.0f} s)")
    return rows


def _row(part: str, condition: str, lab: str, res: Any, name: str,
         lat: dict[str, list[float]], trained: bool) -> dict[str, Any]:
    m, s = mean_sem(lat[name])
    row = {"part": part, "condition": condition, "scheduler": lab,
           "censored_latency": round(m, 3), "sem": round(s, 3),
           "completed_mean_latency": round(mean_sem(res.values(name, "mean_latency"))[0], 3),
           "completed": round(mean_sem(res.values(name, "completed"))[0], 2),
           "in_training_distribution": trained if lab.startswith(("agent", "BC@")) else "",
           "seeds": len(lat[name])}
    for ref in ("heft-rt", "etf"):
        pct, diff, sem = paired(lat[name], lat[ref])
        row[f"vs_{ref}_pct"] = round(pct, 2)
        row[f"minus_{ref}_us"] = round(diff, 3)
        row[f"minus_{ref}_sem"] = round(sem, 3)
    return row


def _cell(rows: list[dict[str, Any]], res: Any, part: str, condition: str,
          schedulers: list[str], agent_name: str, focus: str, trained: bool) -> list[str]:
    lat = {n: res.values(n, METRIC) for n in schedulers}
    for name in schedulers:
        rows.append(_row(part, condition, label(name, agent_name), res, name, lat,
                         trained and name == focus))
    line = [condition + (" (trained)" if trained else ""),
            *[fmt(*mean_sem(lat[n])) for n in schedulers]]
    for ref in ("heft-rt", "etf"):
        pct, diff, sem = paired(lat[focus], lat[ref])
        line.append(f"{pct:+.1f} % ({diff:+.1f} ± {sem:.1f})")
    return line


def _verdict(row: dict[str, Any], ref: str) -> str:
    diff, sem = row[f"minus_{ref}_us"], row[f"minus_{ref}_sem"]
    if diff + 2 * sem < 0:
        return "better"
    if diff - 2 * sem > 0:
        return "worse"
    return "tied"


def _reading(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for part, what in (("A load/noise", "load/noise conditions"), ("B mix", "job mixes"),
                       ("D platform", "platform/load conditions")):
        agent = [r for r in rows if r["part"] == part and r["scheduler"] == AGENT]
        if not agent:
            continue
        for ref in ("heft-rt", "etf"):
            verdicts = [(_verdict(r, ref), r) for r in agent]
            worse = [r["condition"] for v, r in verdicts if v == "worse"]
            better = sum(v == "better" for v, _ in verdicts)
            out.append(f"{part[2:]}: against {ref} the agent is better (beyond 2 paired s.e.) "
                       f"in {better} of {len(agent)} {what}, worse in {len(worse)}"
                       + (f" ({'; '.join(worse)})" if worse else "") + ".")
    cross = [r for r in rows if r["part"] == "C cross-train"]
    if cross:
        for cond in dict.fromkeys(r["condition"] for r in cross):
            sub = {r["scheduler"]: r for r in cross if r["condition"] == cond}
            out.append(f"Cross-train, {cond}: BC@25 {sub['BC@25']['censored_latency']:.1f} us, "
                       f"BC@100 {sub['BC@100']['censored_latency']:.1f} us, ETF "
                       f"{sub['etf']['censored_latency']:.1f} us.")
    if cross:
        gaps = [r["censored_latency"] - s["censored_latency"]
                for r in cross if r["scheduler"] == "BC@25"
                for s in cross if s["scheduler"] == "BC@100" and s["condition"] == r["condition"]]
        out.append("The two BC agents differ by "
                   f"{min(gaps):+.1f} to {max(gaps):+.1f} us (BC@25 minus BC@100) across the "
                   "four conditions, including at each one's own training scale.")
    out.append("Verdicts use the censored mean latency; the CSV also has the completed-jobs "
               "mean and counts (by the completed-jobs mean alone, a scheduler that completes "
               "fewer jobs can look faster).")
    return out


def _plot(rows: list[dict[str, Any]], path: Path, n_seeds: int) -> None:
    parts = [p for p in ("A load/noise", "B mix", "C cross-train", "D platform")
             if any(r["part"] == p for r in rows)]
    fig, axes = plt.subplots(1, len(parts), figsize=(5.5 * len(parts), 4.2), squeeze=False)
    for ax, part in zip(axes[0], parts, strict=True):
        sub = [r for r in rows if r["part"] == part]
        conditions = list(dict.fromkeys(r["condition"] for r in sub))
        names = list(dict.fromkeys(r["scheduler"] for r in sub))
        width = 0.8 / len(names)
        for k, name in enumerate(names):
            pts = [next(r for r in sub if r["condition"] == c and r["scheduler"] == name)
                   for c in conditions]
            # latency relative to ETF on the same condition: 1 = as good as ETF
            ax.bar([i + k * width for i in range(len(conditions))],
                   [p["vs_etf_pct"] for p in pts], width, label=name,
                   color="black" if name == AGENT else None)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(conditions))],
                      [c.replace(", ", "\n") for c in conditions], fontsize=7)
        ax.set_ylabel("censored mean latency vs ETF (%)")
        ax.set_title(part)
        ax.legend(fontsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"Generalisation, {n_seeds} seeds per condition (below 0: better than ETF)")
    fig.tight_layout()
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = study_parser(__doc__, "learned:default", 20, "evaluation seeds per cell")
    parser.add_argument("--no-train", action="store_true",
                        help="skip part C (the cross-train check trains two BC agents)")
    parser.add_argument("--episodes", type=int, default=16, help="part C: BC teacher episodes")
    parser.add_argument("--epochs", type=int, default=25, help="part C: BC epochs")
    args = parser.parse_args(argv)
    run(args.agent, args.seeds, args.quick, args.out, args.workers, not args.no_train,
        args.episodes, args.epochs)


if __name__ == "__main__":
    main()
