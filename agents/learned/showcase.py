"""The main job: a trained agent against HEFT_RT and ETF on held-out seeds, as a table and a plot.

``socsim evaluate`` with no run folder evaluates the checkpoint shipped
with socsim (``learned:default``) on the scenario it was trained for (the
DeepSoCS protocol) at execution-noise levels 0 and 0.5, on 20 simulator
seeds that training never used, through :func:`socsim.agents.compare.compare`
(the same runs as ``socsim compare``): every scheduler sees the same
arrivals and the same noise draws for a seed.

Latency is the **censored** mean by default (jobs still in the system at
the horizon count at their age then, so that a policy cannot look good by
leaving jobs unfinished); the table also shows the mean over completed jobs
only (DS3Gym's figure), the jobs completed and the jobs left in the system.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Seeds of the showcase (simulator seeds; training draws its seeds elsewhere).
FIRST_SEED = 100_000


@dataclass(frozen=True)
class Row:
    """One scheduler at one noise level.

    Attributes:
        noise: Relative standard deviation of execution times.
        scheduler: Scheduler name.
        mean: Mean over seeds of the ranking metric, by default the censored
            mean latency (us; unfinished jobs at their age at the horizon).
        se: Its standard error.
        vs: Relative difference to each reference scheduler (``{"heft-rt": -0.14}``):
            the mean over the reference's mean, minus 1.
        vs_se: Standard error of each ``vs`` from the paired seeds (see
            :func:`socsim.agents.compare_cmd.paired_ratio`); empty when unknown.
        completed_mean: Mean latency of completed jobs only (DS3Gym's figure, us).
        completed: Mean jobs completed per episode.
        in_system: Mean jobs still in the system at the horizon.
    """

    noise: float
    scheduler: str
    mean: float
    se: float
    vs: dict[str, float]
    vs_se: dict[str, float] = field(default_factory=dict)
    completed_mean: float = math.nan
    completed: float = math.nan
    in_system: float = math.nan


def agent_vs_heuristics(agent: str = "learned:default", noises: Sequence[float] = (0.0, 0.5),
                        seeds: int = 20, first_seed: int = FIRST_SEED,
                        baselines: Sequence[str] = ("heft-rt", "etf"),
                        workers: int | None = None, scenario: Any = None,
                        metric: str = "censored_mean_latency") -> list[Row]:
    """Mean latency of ``agent`` and ``baselines`` on the same seeds at each noise level.

    Args:
        agent: A ``learned:PATH`` scheduler name.
        noises: Execution-noise levels.
        seeds: Seeds per level (``first_seed`` upwards).
        first_seed: First simulator seed.
        baselines: Heuristics to compare with (relative differences are to each).
        workers: Worker processes (``None``: all CPUs).
        scenario: The scenario (default: the ``deepsocs`` preset).
        metric: What ``mean`` and ``vs`` measure (default: the censored mean
            latency; ``"mean_latency"`` for completed jobs only).
    """
    from ..compare import compare
    from ..compare_cmd import paired_ratio
    from ..scenario import PRESETS

    base = scenario if scenario is not None else PRESETS["deepsocs"].scenario
    schedulers = [agent, *baselines]
    rows = []
    for noise in noises:
        result = compare(base.replace(noise=float(noise)), schedulers,
                         list(range(first_seed, first_seed + seeds)), workers=workers)
        latency = {name: result.summary[name][metric] for name in schedulers}
        for name in schedulers:
            paired = {b: paired_ratio(result.values(name, metric),
                                      result.values(b, metric)) for b in baselines}
            summary = result.summary[name]
            rows.append(Row(float(noise), name, latency[name].mean, latency[name].sem,
                            {b: latency[name].mean / latency[b].mean - 1.0 for b in baselines},
                            {b: 0.0 if b == name else paired[b][1] for b in baselines},
                            summary["mean_latency"].mean, summary["completed"].mean,
                            summary["in_system"].mean))
    return rows


def rows_from_results(results: dict[float, dict[str, list[dict[str, float]]]],
                      baselines: Sequence[str],
                      metric: str = "censored_mean_latency") -> list[Row]:
    """Table rows from per-seed metrics (what ``socsim evaluate RUN`` measures).

    Args:
        results: For each noise level, each scheduler's metrics, one dict per
            seed, in the same seed order for every scheduler (paired seeds).
        baselines: Reference schedulers for the relative differences.
        metric: What ``mean`` and ``vs`` measure.

    Returns:
        One :class:`Row` per noise level and scheduler, in the order given.
    """
    from ..compare_cmd import paired_ratio

    def values(rows: list[dict[str, float]], key: str) -> list[float]:
        return [float(r.get(key, math.nan)) for r in rows]

    def mean_se(xs: list[float]) -> tuple[float, float]:
        finite = [x for x in xs if math.isfinite(x)]
        if not finite:
            return math.nan, math.nan
        mean = sum(finite) / len(finite)
        if len(finite) < 2:
            return mean, math.nan
        var = sum((x - mean) ** 2 for x in finite) / (len(finite) - 1)
        return mean, math.sqrt(var / len(finite))

    out = []
    for noise, by_name in results.items():
        means = {name: mean_se(values(rows, metric))[0] for name, rows in by_name.items()}
        for name, rows in by_name.items():
            mean, se = mean_se(values(rows, metric))
            vs = {b: mean / means[b] - 1.0 if means[b] else math.nan for b in baselines}
            vs_se = {b: 0.0 if b == name else paired_ratio(values(rows, metric),
                                                          values(by_name[b], metric))[1]
                     for b in baselines}
            out.append(Row(float(noise), name, mean, se, vs, vs_se,
                           mean_se(values(rows, "mean_latency"))[0],
                           mean_se(values(rows, "completed"))[0],
                           mean_se(values(rows, "in_system"))[0]))
    return out


def format_table(rows: Sequence[Row], baselines: Sequence[str]) -> str:
    """A markdown table of ``rows``."""
    head = (["sigma", "scheduler", "censored latency (us)", "s.e."]
            + [f"vs {b}" for b in baselines]
            + ["completed-only latency (us)", "completed", "in system at end"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"{r.noise:g}", r.scheduler, f"{r.mean:.2f}", f"{r.se:.2f}"]
        cells += [f"{100 * r.vs[b]:+.1f} %" for b in baselines]
        cells += [f"{r.completed_mean:.2f}", f"{r.completed:.1f}", f"{r.in_system:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_outputs(rows: Sequence[Row], baselines: Sequence[str], out_dir: Path,
                  stem: str = "agent_vs_heft",
                  title: str = "learned agent vs heuristics, held-out seeds") -> list[Path]:
    """``STEM.csv``, ``.md`` and ``.png`` in ``out_dir`` (see :func:`plot_agent_vs_heuristics`).

    Args:
        rows: The table's rows.
        baselines: Reference schedulers of the ``vs`` columns.
        out_dir: Folder to write to (created if missing).
        stem: File name without extension (a plain name, no folder).
        title: Title of the plot.

    Returns:
        The paths written: csv, md, png.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path, png_path = (out_dir / f"{stem}.{ext}" for ext in ("csv", "md", "png"))
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["noise", "scheduler", "censored_mean_latency", "se",
                         *[f"vs_{b}" for b in baselines], *[f"vs_{b}_se" for b in baselines],
                         "mean_latency", "completed", "in_system"])
        for r in rows:
            writer.writerow([r.noise, r.scheduler, round(r.mean, 4), round(r.se, 4),
                             *[round(r.vs[b], 5) for b in baselines],
                             *[round(r.vs_se.get(b, math.nan), 5) for b in baselines],
                             round(r.completed_mean, 4), round(r.completed, 3),
                             round(r.in_system, 3)])
    md_path.write_text(format_table(rows, baselines) + "\n")
    plot_agent_vs_heuristics(rows, baselines, title).savefig(png_path)
    return [csv_path, md_path, png_path]


def plot_agent_vs_heuristics(rows: Sequence[Row], baselines: Sequence[str],
                             title: str = "learned agent vs heuristics, held-out seeds"
                             ) -> Figure:
    """Two panels: mean latency from zero, and the agent's difference to each baseline.

    Left: bars of mean job latency per noise level and scheduler, y-axis from
    0, whiskers ±1 standard error over seeds. Right: relative difference (%)
    of every non-baseline scheduler to each baseline, whiskers ±1 standard
    error from the paired seeds, a line at 0; below 0 is better.

    Returns:
        The figure (Agg canvas; no pyplot state is touched).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # matplotlib: only to draw
    from matplotlib.figure import Figure

    noises = sorted({r.noise for r in rows})
    names = list(dict.fromkeys(r.scheduler for r in rows))
    pick = {(r.noise, r.scheduler): r for r in rows}
    fig = Figure(figsize=(11.0, 4.0), dpi=120)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1.0]})
    color = {name: f"C{k}" for k, name in enumerate(names)}  # one colour per scheduler
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        picked = [pick[n, name] for n in noises]
        bars = left.bar([i + k * width for i in range(len(noises))], [r.mean for r in picked],
                        width, yerr=[r.se for r in picked], capsize=3, label=name,
                        color=color[name])
        left.bar_label(bars, labels=[f"{r.mean:.1f}" for r in picked], fontsize=7,
                       padding=2)
    left.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(noises))],
                    [f"sigma = {n:g}" for n in noises])
    left.set_ylim(0.0, 1.3 * max(r.mean + (r.se if math.isfinite(r.se) else 0.0)
                                 for r in rows))
    left.set_ylabel("mean job latency (us)")
    left.set_title("mean latency, ±1 s.e. over seeds (lower is better)", fontsize=9)
    left.legend(fontsize=8, loc="upper center", ncol=len(names), frameon=False)

    pairs = [(name, b) for b in baselines for name in names if name not in baselines]
    width = 0.8 / max(len(pairs), 1)
    for k, (name, b) in enumerate(pairs):
        picked = [pick[n, name] for n in noises]
        values = [100.0 * r.vs[b] for r in picked]
        errors = [100.0 * r.vs_se.get(b, float("nan")) for r in picked]
        bars = right.bar([i + k * width for i in range(len(noises))], values, width,
                         yerr=[e if math.isfinite(e) else 0.0 for e in errors], capsize=3,
                         label=f"{name} vs {b}", color=color[b], edgecolor=color[name],
                         linewidth=1.5)
        right.bar_label(bars, labels=[f"{v:+.1f} %" for v in values], fontsize=7, padding=2)
    right.axhline(0.0, color="black", linewidth=0.8)
    right.set_xticks([i + width * (len(pairs) - 1) / 2 for i in range(len(noises))],
                     [f"sigma = {n:g}" for n in noises])
    right.margins(y=0.2)
    right.set_ylabel("difference in mean latency (%)")
    right.set_title("difference to each heuristic, ±1 s.e. (paired seeds; below 0 is better)",
                    fontsize=9)
    if pairs:
        right.legend(fontsize=8, loc="best")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
