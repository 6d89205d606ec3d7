"""Gantt charts of a simulation trace: one lane per PE, one bar per task execution.

Rendering uses :class:`matplotlib.figure.Figure` with an Agg canvas directly
rather than ``pyplot``, so it needs no display, leaves matplotlib's global
backend and figure registry untouched, and is safe to call from worker
processes or from a Gymnasium ``rgb_array`` render loop.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from socsim.platform import Platform
from socsim.records import TaskRecord

#: Qualitative colormap whose colours cycle over job ids.
JOB_COLORMAP = "tab20"
#: Height of one bar as a fraction of its lane.
BAR_HEIGHT = 0.8
#: Figure width in inches; the height grows with the number of PEs.
FIGURE_WIDTH = 12.0
#: Inches of figure height per PE lane, and the fixed part for title and axis.
LANE_INCHES = 0.35
MARGIN_INCHES = 1.5


def select_records(trace: Sequence[TaskRecord], *, max_tasks: int | None = 5000,
                   until: float | None = None) -> tuple[list[TaskRecord], str]:
    """Choose the records to draw, so that long traces stay readable and fast to plot.

    Args:
        trace: All task executions of a run, in trace order.
        max_tasks: Keep at most this many records (the first ones); ``None`` keeps all.
        until: When given, keep only records that start before this time (us).

    Returns:
        The kept records and a short note saying what was left out (empty when
        nothing was), for the chart title.

    """
    records = list(trace)
    notes = []
    if until is not None:
        records = [r for r in records if r.start < until]
        notes.append(f"tasks starting before {until:g} us")
    if max_tasks is not None and len(records) > max_tasks:
        notes.append(f"first {max_tasks} of {len(records)} task executions")
        records = records[:max_tasks]
    return records, "; ".join(notes)


def job_color(job: int) -> tuple[float, float, float]:
    """Return the bar colour of ``job``: a qualitative palette, cycled over job ids."""
    palette = colormaps[JOB_COLORMAP].colors  # type: ignore[attr-defined]
    red, green, blue = palette[job % len(palette)][:3]
    return float(red), float(green), float(blue)


def _bar(record: TaskRecord) -> list[tuple[float, float]]:
    """Return the rectangle of one execution; lane ``pe`` is centred on y = ``pe``."""
    low, high = record.pe - BAR_HEIGHT / 2, record.pe + BAR_HEIGHT / 2
    return [(record.start, low), (record.finish, low), (record.finish, high),
            (record.start, high)]


def _bars(records: Sequence[TaskRecord], **style: object) -> PolyCollection:
    """All bars of ``records`` as one collection (far faster than one patch per bar)."""
    return PolyCollection([_bar(r) for r in records],
                          facecolors=[job_color(r.job) for r in records], **style)


def build_gantt_figure(trace: Sequence[TaskRecord], platform: Platform, *,
                       title: str | None = None, max_tasks: int | None = 5000,
                       until: float | None = None, dpi: float = 100.0) -> Figure:
    """Draw the Gantt chart of ``trace`` on a new figure with an Agg canvas.

    Args:
        trace: Task executions to draw.
        platform: The platform simulated; gives the lane labels.
        title: Chart title; defaults to "<platform name>: schedule".
        max_tasks: Draw at most this many records (see :func:`select_records`).
        until: Draw only records that start before this time (us), and end the
            time axis there.
        dpi: Resolution of the figure.

    Returns:
        The figure, attached to a :class:`FigureCanvasAgg`.

    """
    records, note = select_records(trace, max_tasks=max_tasks, until=until)
    num_pes = max(platform.num_pes, 1)
    fig = Figure(figsize=(FIGURE_WIDTH, MARGIN_INCHES + LANE_INCHES * num_pes), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)

    done = [r for r in records if r.status != "aborted"]
    aborted = [r for r in records if r.status == "aborted"]
    if done:
        ax.add_collection(_bars(done, edgecolors="none"))
    if aborted:
        ax.add_collection(_bars(aborted, edgecolors="red", linewidths=1.0, hatch="///"))
        ax.legend(handles=[Patch(facecolor="white", edgecolor="red", hatch="///",
                                 label="aborted (PE failed)")],
                  loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False,
                  fontsize="small")  # above the axes, so it hides no bar

    ax.set_yticks(range(platform.num_pes), labels=platform.pe_names)
    ax.set_ylim(num_pes - 0.5, -0.5)  # first PE on top
    left = min(0.0, min((r.start for r in records), default=0.0))
    right = until if until is not None else max((r.finish for r in records), default=1.0)
    ax.set_xlim(left, right if right > left else left + 1.0)
    ax.set_xlabel("time (us)")
    ax.grid(axis="x", alpha=0.3)
    heading = title if title is not None else f"{platform.name}: schedule"
    ax.set_title(f"{heading}\n({note})" if note else heading)
    fig.tight_layout()
    return fig


def plot_gantt(trace: Sequence[TaskRecord], platform: Platform,
               path: str | os.PathLike[str], *, title: str | None = None,
               max_tasks: int | None = 5000, until: float | None = None,
               dpi: float = 100.0) -> Path:
    """Write the Gantt chart of ``trace`` to an image file (PNG unless the suffix says else).

    Args:
        trace: Task executions to draw.
        platform: The platform simulated; gives the lane labels.
        path: The image file to write; missing parent folders are created.
        title: Chart title; defaults to "<platform name>: schedule".
        max_tasks: Draw at most the first this many records; the title says so.
        until: Draw only records that start before this time (us).
        dpi: Resolution of the image.

    Returns:
        The path written.

    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = build_gantt_figure(trace, platform, title=title, max_tasks=max_tasks,
                             until=until, dpi=dpi)
    fig.savefig(path)
    return path


def gantt_rgb_array(trace: Sequence[TaskRecord], platform: Platform, *,
                    title: str | None = None, max_tasks: int | None = 5000,
                    until: float | None = None, dpi: float = 100.0) -> np.ndarray:
    """Render the Gantt chart of ``trace`` to an image array, for ``rgb_array`` rendering.

    Args:
        trace: Task executions to draw.
        platform: The platform simulated; gives the lane labels.
        title: Chart title; defaults to "<platform name>: schedule".
        max_tasks: Draw at most the first this many records.
        until: Draw only records that start before this time (us).
        dpi: Resolution; the array is about ``12 * dpi`` pixels wide.

    Returns:
        A ``uint8`` array of shape ``(height, width, 3)``.

    """
    fig = build_gantt_figure(trace, platform, title=title, max_tasks=max_tasks,
                             until=until, dpi=dpi)
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    return np.array(canvas.buffer_rgba(), dtype=np.uint8)[..., :3].copy()
