"""Robustness: PE failures during the episode, the agent against the DS3 heuristics.

The ``deepsocs`` preset (scale 25 us, sigma 0: the agent's training
conditions) with PE faults the agent never saw in training: random faults
at two rates (per-PE mean time between failures and mean time to repair,
``mtbf``/``mttr``) and scheduled failures (one PE down for good at mid-run;
one PE down for 2000 us). A failure aborts the running task and returns
the PE's queue to the scheduler; the job fails only if some task has no
live PE left. Schedulers: the agent, HEFT_RT, ETF, EFT, MET.

Usage::

    .venv/bin/python experiments/study/robustness.py [--agent PATH] [--seeds N] [--quick]

Writes ``results/robustness.{md,csv,png}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from study_common import (
    AGENT,
    FIRST_EVAL_SEED,
    RESULTS,
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

from socsim.agents.scenario import DEEPSOCS

NAME = "robustness"
HEURISTICS = ("heft-rt", "etf", "eft", "met")

#: Fault levels: label -> scenario fields.
LEVELS: dict[str, dict[str, Any]] = {
    "none": {},
    "random, MTBF 10 ms, MTTR 0.5 ms": {"mtbf": 10_000.0, "mttr": 500.0},
    "random, MTBF 2 ms, MTTR 0.5 ms": {"mtbf": 2_000.0, "mttr": 500.0},
    "P1 down 1000-3000 us": {"fail": ("P1@1000-3000",)},
    "P3 fails for good at 2500 us": {"fail": ("P3@2500",)},
}


def run(agent: str = "learned:default", seeds: int = 20, quick: bool = False,
        out: Path = RESULTS, workers: int | None = None,
        levels: dict[str, dict[str, Any]] | None = None,
        horizon: float | None = None) -> list[dict[str, Any]]:
    """Run every fault level and write ``robustness.{md,csv,png}`` into ``out``.

    Args:
        agent: The learned agent (``learned:deepsocs-env``, ``learned:default``, ``learned:PATH``
            or PATH).
        seeds: Evaluation seeds per level (from 100000).
        quick: 3 seeds.
        out: Folder of the result files.
        workers: Processes (``None``: all CPUs).
        levels: Fault levels (default :data:`LEVELS`).
        horizon: Override the preset's 5000 us run length (tests).

    Returns:
        One CSV row per (level, scheduler), with ``injected``, ``completed``,
        ``failed`` and ``in_system`` summed over seeds.
    """
    timer = Timer()
    if quick:
        seeds = min(seeds, 3)
    levels = LEVELS if levels is None else levels
    agent_name = agent_scheduler(agent)
    schedulers = [agent_name, *HEURISTICS]
    seed_list = list(range(FIRST_EVAL_SEED, FIRST_EVAL_SEED + seeds))
    base = DEEPSOCS.scenario
    if horizon is not None:
        base = base.replace(horizon=horizon)
    results = run_cells([(name, base.replace(**fields)) for name, fields in levels.items()],
                        schedulers, seed_list, workers)

    rows: list[dict[str, Any]] = []
    table, jobs_table = [], []
    for level, res in results:
        # Ranks, paired differences and the table use the censored mean.
        lat = {n: res.values(n, "censored_mean_latency") for n in schedulers}
        for name in schedulers:
            m, s = mean_sem(res.values(name, "mean_latency"))
            cm, cs = mean_sem(lat[name])
            counts = {k: int(np.sum(res.values(name, k)))
                      for k in ("injected", "completed", "failed", "in_system")}
            row = {"faults": level, "scheduler": label(name, agent_name),
                   "mean_latency": round(m, 3), "sem": round(s, 3),
                   "censored_latency": round(cm, 3), "censored_sem": round(cs, 3),
                   **counts, "seeds": len(seed_list)}
            pct, diff, dsem = paired(lat[agent_name], lat[name])
            row.update({"agent_vs_pct": round(pct, 2), "agent_minus_us": round(diff, 3),
                        "agent_minus_sem": round(dsem, 3)})
            rows.append(row)
        best = min(HEURISTICS, key=lambda n: mean_sem(lat[n])[0])
        pct_b, d_b, s_b = paired(lat[agent_name], lat[best])
        table.append([level, *[fmt(*mean_sem(lat[n])) for n in schedulers],
                      f"{best}: {pct_b:+.1f} % ({d_b:+.1f} ± {s_b:.1f} us)"])
        jobs_table.append([level, *[
            "{completed}/{failed}/{in_system} of {injected}".format(
                **next(r for r in rows if r["faults"] == level
                       and r["scheduler"] == label(n, agent_name)))
            for n in schedulers]])
    out = Path(out)
    write_csv(out / f"{NAME}.csv", rows)
    _plot(rows, list(levels), schedulers, agent_name, out / f"{NAME}.png", len(seed_list))
    names = [label(n, agent_name) for n in schedulers]
    header = ["faults", *names, "agent vs best heuristic (paired diff)"]
    body = ["## Censored mean latency (us), mean ± s.e. over seeds", "",
            "Unfinished jobs count at their age at the horizon. The table, the paired "
            "differences and the reading below all use this figure; the completed-jobs "
            "mean, DS3Gym's figure, is `mean_latency` in the CSV.", "",
            f"Agent: `{agent_name}`. Scenario: the `deepsocs` preset (scale 25 us, sigma 0) "
            f"plus the faults of each row; seeds {seed_list[0]}..{seed_list[-1]} "
            "(the same jobs and the same fault times for every scheduler of a row). "
            "PE names of canonical3: P1, P2, P3 (one PE each).", "",
            *md_table(header, table), "",
            "## Jobs: completed / failed / still in system, of injected (sums over seeds)", "",
            "For every row and scheduler completed + failed + in system = injected.", "",
            *md_table(["faults", *names], jobs_table)]
    write_markdown(out / f"{NAME}.md", "Robustness: PE failures during the episode",
                   command_line(), timer.seconds, body, _reading(rows, list(levels)))
    print("\n".join(md_table(header, table)))
    print("\n".join(md_table(["faults", *names], jobs_table)))
    print(f"wall time {timer.seconds:.0f} s")
    return rows


def _reading(rows: list[dict[str, Any]], levels: list[str]) -> list[str]:
    out = []
    for level in levels:
        sub = {r["scheduler"]: r for r in rows if r["faults"] == level}
        agent = sub[AGENT]
        ranked = sorted(sub.values(), key=lambda r: r["censored_latency"])  # censored ranks
        rank = [r["scheduler"] for r in ranked].index(AGENT) + 1
        etf = sub.get("etf")
        vs = (f"; vs ETF {etf['agent_vs_pct']:+.1f} % ({etf['agent_minus_us']:+.1f} ± "
              f"{etf['agent_minus_sem']:.1f} us paired)" if etf else "")
        out.append(f"{level}: by censored latency the agent ranks {rank} of {len(ranked)} "
                   f"({agent['censored_latency']:.1f} us censored, "
                   f"{agent['mean_latency']:.1f} us completed-only{vs}); lowest is "
                   f"{ranked[0]['scheduler']} ({ranked[0]['censored_latency']:.1f} us).")
    failed = sum(r["failed"] for r in rows)
    out.append(f"Failed jobs over all runs: {failed}. On canonical3 every task can run on "
               "every PE, so a failure costs time (aborted tasks re-run elsewhere, a PE "
               "fewer) but never a job; failed jobs would need a platform where some task "
               "type has a single PE.")
    out.append("The agent was trained without faults; it sees a failed PE only through "
               "the observation (PE alive flag, masks) and the finish-time features.")
    return out


def _plot(rows: list[dict[str, Any]], levels: list[str], schedulers: list[str],
          agent_name: str, path: Path, n_seeds: int) -> None:
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(schedulers)
    for k, name in enumerate(schedulers):
        lab = label(name, agent_name)
        pts = [next(r for r in rows if r["faults"] == lv and r["scheduler"] == lab)
               for lv in levels]
        ax.bar([i + k * width for i in range(len(levels))],
               [p["censored_latency"] for p in pts],
               width, yerr=[p["censored_sem"] for p in pts], label=lab, capsize=2,
               color="black" if lab == AGENT else None)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(levels))],
                  [lv.replace(", ", "\n") for lv in levels], fontsize=8)
    ax.set_ylabel("censored mean latency (us)")
    top = max(r["censored_latency"] + r["censored_sem"] for r in rows)
    ax.set_ylim(0, 1.25 * top)  # bars from zero (no exaggerated gaps), room for the legend
    ax.legend(fontsize=8, ncol=len(schedulers))
    ax.set_title(f"DeepSoCS scenario with PE faults, {n_seeds} seeds (± s.e.)")
    fig.tight_layout()
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = study_parser(__doc__, "learned:default", 20, "evaluation seeds per level")
    args = parser.parse_args(argv)
    run(args.agent, args.seeds, args.quick, args.out, args.workers)


if __name__ == "__main__":
    main()
