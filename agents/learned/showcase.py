"""The main job: a trained agent against HEFT_RT and ETF on held-out seeds, as a table and a plot.

``socsim evaluate`` with no run folder evaluates the checkpoint shipped
with socsim (``learned:default``) on the scenario it was trained for (the
DeepSoCS protocol) at execution-noise levels 0 and 0.5, on 20 simulator
seeds that training never used, through :func:`socsim.agents.compare.compare`
(the same runs as ``socsim compare``): every scheduler sees the same
arrivals and the same noise draws for a seed.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Seeds of the showcase (simulator seeds; training draws its seeds elsewhere).
FIRST_SEED = 100_000


@dataclass(frozen=True)
class Row:
    """One scheduler at one noise level.

    Attributes:
        noise: Relative standard deviation of execution times.
        scheduler: Scheduler name.
        mean: Mean over seeds of the mean latency of completed jobs (us).
        se: Its standard error.
        vs: Relative difference to each reference scheduler (``{"heft-rt": -0.14}``).
    """

    noise: float
    scheduler: str
    mean: float
    se: float
    vs: dict[str, float]


def agent_vs_heuristics(agent: str = "learned:default", noises: Sequence[float] = (0.0, 0.5),
                        seeds: int = 20, first_seed: int = FIRST_SEED,
                        baselines: Sequence[str] = ("heft-rt", "etf"),
                        workers: int | None = None, scenario: Any = None) -> list[Row]:
    """Mean latency of ``agent`` and ``baselines`` on the same seeds at each noise level.

    Args:
        agent: A ``learned:PATH`` scheduler name.
        noises: Execution-noise levels.
        seeds: Seeds per level (``first_seed`` upwards).
        first_seed: First simulator seed.
        baselines: Heuristics to compare with (relative differences are to each).
        workers: Worker processes (``None``: all CPUs).
        scenario: The scenario (default: the ``deepsocs`` preset).
    """
    from ..compare import compare
    from ..scenario import PRESETS

    base = scenario if scenario is not None else PRESETS["deepsocs"].scenario
    schedulers = [agent, *baselines]
    rows = []
    for noise in noises:
        result = compare(base.replace(noise=float(noise)), schedulers,
                         list(range(first_seed, first_seed + seeds)), workers=workers)
        latency = {name: result.summary[name]["mean_latency"] for name in schedulers}
        for name in schedulers:
            rows.append(Row(float(noise), name, latency[name].mean, latency[name].sem,
                            {b: latency[name].mean / latency[b].mean - 1.0 for b in baselines}))
    return rows


def format_table(rows: Sequence[Row], baselines: Sequence[str]) -> str:
    """A markdown table of ``rows``."""
    head = ["sigma", "scheduler", "mean latency (us)", "s.e."] + [f"vs {b}" for b in baselines]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"{r.noise:g}", r.scheduler, f"{r.mean:.2f}", f"{r.se:.2f}"]
        cells += [f"{100 * r.vs[b]:+.1f} %" for b in baselines]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_outputs(rows: Sequence[Row], baselines: Sequence[str], out_dir: Path) -> list[Path]:
    """``agent_vs_heft.csv``, ``.md`` and ``.png`` (bars with standard errors) in ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path, png_path = (out_dir / f"agent_vs_heft.{ext}" for ext in ("csv", "md", "png"))
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["noise", "scheduler", "mean_latency", "se",
                         *[f"vs_{b}" for b in baselines]])
        for r in rows:
            writer.writerow([r.noise, r.scheduler, round(r.mean, 4), round(r.se, 4),
                             *[round(r.vs[b], 5) for b in baselines]])
    md_path.write_text(format_table(rows, baselines) + "\n")
    noises = sorted({r.noise for r in rows})
    names = list(dict.fromkeys(r.scheduler for r in rows))
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        picked = [next(r for r in rows if r.noise == n and r.scheduler == name) for n in noises]
        ax.bar([i + k * width for i in range(len(noises))], [r.mean for r in picked], width,
               yerr=[r.se for r in picked], capsize=3, label=name)
    ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(noises))],
                  [f"sigma = {n:g}" for n in noises])
    ax.set_ylabel("mean job latency (us)")
    low = min(r.mean for r in rows)
    ax.set_ylim(0.9 * low, 1.05 * max(r.mean for r in rows))
    ax.legend(fontsize=8)
    ax.set_title("learned agent vs heuristics, held-out seeds (lower is better)", fontsize=9)
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)
    plt.close(fig)
    return [csv_path, md_path, png_path]
