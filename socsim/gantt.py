"""Gantt charts of a simulation trace: one lane per PE, one bar per task execution.

Lanes are named after the PEs; bars are coloured by job (by profile when
the run mixes profiles), labelled with their task where the label fits, and
explained by a key; aborted executions and PEs' down intervals are marked.

Rendering uses :class:`matplotlib.figure.Figure` with an Agg canvas directly
rather than ``pyplot``, so it needs no display, leaves matplotlib's global
backend and figure registry untouched, and is safe to call from worker
processes or from a Gymnasium ``rgb_array`` render loop.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from socsim.platform import Platform
from socsim.records import TaskRecord

#: Qualitative colormap whose colours cycle over job ids.
JOB_COLORMAP = "tab20"
#: Colormap of job profiles when a run mixes at most ten of them.
PROFILE_COLORMAP = "tab10"
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
    return _palette_color(job)


def _palette_color(index: int, name: str = JOB_COLORMAP) -> tuple[float, float, float]:
    palette = colormaps[name].colors  # type: ignore[attr-defined]
    red, green, blue = palette[index % len(palette)][:3]
    return float(red), float(green), float(blue)


#: Fill of a down PE's lane.
DOWN_COLOR = (0.85, 0.85, 0.85)
#: Job entries in the key of a one-profile chart at most.
MAX_KEY_JOBS = 12
#: Most bar labels drawn in one chart (labelling costs time in render loops).
MAX_LABELS = 400
#: Font size of bar labels (points), and the width of one character in ems.
LABEL_POINTS = 6.5
_CHAR_EMS = 0.62


class JobColors:
    """One colour per job, the same in every chart of the same trace, and the key to them.

    Runs with several job profiles colour by profile (profiles sorted by name,
    so every scheduler's chart of the same scenario uses the same colours)
    and label bars with the job id; runs of one profile colour by job id.

    Args:
        trace: Every task execution of the run (not only those drawn), so that
            the colours do not depend on how much of the run is drawn.
    """

    def __init__(self, trace: Sequence[TaskRecord]) -> None:
        self.profiles = sorted({r.profile for r in trace})
        self.by_profile = len(self.profiles) > 1
        self._index = {name: k for k, name in enumerate(self.profiles)}
        # Up to ten profiles get ten distinct hues (tab20 pairs light and dark of one hue).
        self._profile_map = PROFILE_COLORMAP if len(self.profiles) <= 10 else JOB_COLORMAP
        self.title = "colour: job profile" if self.by_profile else "colour: job"

    def color(self, record: TaskRecord) -> tuple[float, float, float]:
        """The bar colour of ``record``'s job."""
        if self.by_profile:
            return self.profile_color(record.profile)
        return job_color(record.job)

    def profile_color(self, profile: str) -> tuple[float, float, float]:
        """The colour of ``profile``'s jobs (in a run that mixes profiles)."""
        return _palette_color(self._index[profile], self._profile_map)

    def key(self, records: Sequence[TaskRecord], room: int = MAX_KEY_JOBS) -> list[Patch]:
        """Legend entries for the jobs drawn, at most ``room`` of them.

        When the jobs do not all fit, the last entry says how many are left
        out and that job colours repeat every 20 jobs.
        """
        room = max(room, 2)
        if self.by_profile:
            drawn = {r.profile for r in records}
            return [Patch(facecolor=self.profile_color(name), label=name)
                    for name in self.profiles if name in drawn]
        jobs = sorted({(r.job, r.profile) for r in records})
        shown = jobs if len(jobs) <= room else jobs[:room - 1]
        handles = [Patch(facecolor=job_color(job), label=f"job {job} ({profile})")
                   for job, profile in shown]
        if len(shown) < len(jobs):
            cycle = len(colormaps[JOB_COLORMAP].colors)  # type: ignore[attr-defined]
            handles.append(Patch(facecolor="none", edgecolor="none",
                                 label=f"+{len(jobs) - len(shown)} jobs (colours repeat "
                                 f"every {cycle})"))
        return handles


def _bar(record: TaskRecord) -> list[tuple[float, float]]:
    """Return the rectangle of one execution; lane ``pe`` is centred on y = ``pe``."""
    low, high = record.pe - BAR_HEIGHT / 2, record.pe + BAR_HEIGHT / 2
    return [(record.start, low), (record.finish, low), (record.finish, high),
            (record.start, high)]


def _bars(records: Sequence[TaskRecord], colors: JobColors, **style: object
          ) -> PolyCollection:
    """All bars of ``records`` as one collection (far faster than one patch per bar)."""
    return PolyCollection([_bar(r) for r in records],
                          facecolors=[colors.color(r) for r in records], **style)


def _label(record: TaskRecord, by_profile: bool, chars: float) -> str:
    """The longest label of ``record`` that fits in ``chars`` characters ('' if none)."""
    task = record.task
    options = (f"j{record.job} {task}", f"j{record.job}", task) if by_profile else (
        task, f"j{record.job}:{task}")
    return next((text for text in options if len(text) <= chars), "")


def _draw_labels(ax: Axes, records: Sequence[TaskRecord], by_profile: bool) -> None:
    """Write each bar's task (and job) inside it where the text fits."""
    fig = ax.figure
    left, right = ax.get_xlim()
    width_px = ax.get_window_extent().width
    px_per_us = width_px / (right - left) if right > left else 0.0
    char_px = LABEL_POINTS * _CHAR_EMS * fig.dpi / 72.0
    drawn = 0
    for record in records:
        if drawn >= MAX_LABELS:
            break
        visible = min(record.finish, right) - max(record.start, left)
        text = _label(record, by_profile, visible * px_per_us / char_px - 1.0)
        if not text:
            continue
        middle = (max(record.start, left) + min(record.finish, right)) / 2
        ax.text(middle, record.pe, text, ha="center", va="center", fontsize=LABEL_POINTS,
                color="black", clip_on=True)
        drawn += 1


def _draw_down(ax: Axes, down: Sequence[tuple[int, float, float]], right: float) -> None:
    """Shade the lanes of PEs while they were down (behind the bars)."""
    boxes = []
    for pe, failed, recovered in down:
        end = min(recovered, right)
        if end > failed:
            boxes.append([(failed, pe - 0.5), (end, pe - 0.5), (end, pe + 0.5),
                          (failed, pe + 0.5)])
    if boxes:
        ax.add_collection(PolyCollection(boxes, facecolors=DOWN_COLOR, edgecolors="dimgray",
                                         hatch="xx", linewidths=0.0, zorder=0.5))


def _shade_clusters(ax: Axes, platform: Platform) -> None:
    """Light bands behind every other cluster's lanes, so the PE groups read at a glance."""
    first = 0
    for cluster, lanes in groupby(platform.pe_cluster):
        count = len(list(lanes))
        if cluster % 2:
            ax.axhspan(first - 0.5, first + count - 0.5, color="0.95", zorder=0)
        first += count


def build_gantt_figure(trace: Sequence[TaskRecord], platform: Platform, *,
                       title: str | None = None, max_tasks: int | None = 5000,
                       until: float | None = None, dpi: float = 100.0,
                       down: Sequence[tuple[int, float, float]] = (),
                       labels: bool = True) -> Figure:
    """Draw the Gantt chart of ``trace`` on a new figure with an Agg canvas.

    One lane per PE (named on the left; every other cluster shaded), one bar
    per task execution, coloured by job (see :class:`JobColors`), with the
    task (and job) written inside the bars wide enough for it; executions cut
    short by a PE failure are hatched in red, and PEs' down intervals shaded
    grey. The key, right of the chart, says what the colours mean.

    Args:
        trace: Task executions to draw.
        platform: The platform simulated; gives the lane labels.
        title: Chart title; defaults to "<platform name>: schedule".
        max_tasks: Draw at most this many records (see :func:`select_records`).
        until: Draw only records that start before this time (us), and end the
            time axis there.
        dpi: Resolution of the figure.
        down: When PEs were down, ``(pe, failed at, recovered at)`` in us
            (:attr:`SimulationResult.pe_down`, :meth:`Simulator.down_intervals`).
        labels: Write task labels inside the bars where they fit.

    Returns:
        The figure, attached to a :class:`FigureCanvasAgg`.

    """
    records, note = select_records(trace, max_tasks=max_tasks, until=until)
    colors = JobColors(trace)
    num_pes = max(platform.num_pes, 1)
    fig = Figure(figsize=(FIGURE_WIDTH, MARGIN_INCHES + LANE_INCHES * num_pes), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)

    left = min(0.0, min((r.start for r in records), default=0.0))
    right = until if until is not None else max((r.finish for r in records), default=1.0)
    if not records and down and until is None:
        right = max(finish for _, _, finish in down)
    right = right if right > left else left + 1.0
    _shade_clusters(ax, platform)
    _draw_down(ax, down, right)
    done = [r for r in records if r.status != "aborted"]
    aborted = [r for r in records if r.status == "aborted"]
    if done:
        # A darker rim of the bar's own colour: neighbours stay apart, thin bars keep colour.
        rims = [tuple(0.6 * c for c in colors.color(r)) for r in done]
        ax.add_collection(_bars(done, colors, edgecolors=rims, linewidths=0.6, zorder=2))
    if aborted:
        ax.add_collection(_bars(aborted, colors, edgecolors="red", linewidths=1.0,
                                hatch="///", zorder=2))

    ax.set_yticks(range(platform.num_pes), labels=platform.pe_names)
    ax.set_ylim(num_pes - 0.5, -0.5)  # first PE on top
    ax.set_xlim(left, right)
    ax.set_xlabel("time (us)")
    ax.set_ylabel("PE")
    ax.grid(axis="x", alpha=0.3)
    heading = title if title is not None else f"{platform.name}: schedule"
    ax.set_title(f"{heading}\n({note})" if note else heading)

    # Key entries that fit beside the lanes (about 0.2 in each, below the key's title).
    room = int((fig.get_figheight() - 0.9) / 0.2) - 1 - bool(aborted) - bool(down)
    key = colors.key(records, min(room, MAX_KEY_JOBS))
    if aborted:
        key.append(Patch(facecolor="white", edgecolor="red", hatch="///",
                         label="aborted (PE failed)"))
    if any(min(finish, right) > start for _, start, finish in down):
        key.append(Patch(facecolor=DOWN_COLOR, edgecolor="dimgray", hatch="xx",
                         label="PE down"))
    if key:
        legend = ax.legend(handles=key, loc="upper left", bbox_to_anchor=(1.005, 1.0),
                           fontsize="small", frameon=False, borderaxespad=0.0,
                           title=colors.title, title_fontsize="small")
        legend._legend_box.align = "left"  # title over the entries, not centred
    fig.tight_layout()
    if labels and records:
        _draw_labels(ax, records, colors.by_profile)
    return fig


def plot_gantt(trace: Sequence[TaskRecord], platform: Platform,
               path: str | os.PathLike[str], *, title: str | None = None,
               max_tasks: int | None = 5000, until: float | None = None,
               dpi: float = 100.0, down: Sequence[tuple[int, float, float]] = (),
               labels: bool = True) -> Path:
    """Write the Gantt chart of ``trace`` to an image file (PNG unless the suffix says else).

    Args:
        trace: Task executions to draw.
        platform: The platform simulated; gives the lane labels.
        path: The image file to write; missing parent folders are created.
        title: Chart title; defaults to "<platform name>: schedule".
        max_tasks: Draw at most the first this many records; the title says so.
        until: Draw only records that start before this time (us).
        dpi: Resolution of the image.
        down: When PEs were down, ``(pe, failed at, recovered at)`` (shaded grey).
        labels: Write task labels inside the bars where they fit.

    Returns:
        The path written.

    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = build_gantt_figure(trace, platform, title=title, max_tasks=max_tasks,
                             until=until, dpi=dpi, down=down, labels=labels)
    fig.savefig(path)
    return path


def gantt_rgb_array(trace: Sequence[TaskRecord], platform: Platform, *,
                    title: str | None = None, max_tasks: int | None = 5000,
                    until: float | None = None, dpi: float = 100.0,
                    down: Sequence[tuple[int, float, float]] = (),
                    labels: bool = True) -> np.ndarray:
    """Render the Gantt chart of ``trace`` to an image array, for ``rgb_array`` rendering.

    Args:
        trace: Task executions to draw.
        platform: The platform simulated; gives the lane labels.
        title: Chart title; defaults to "<platform name>: schedule".
        max_tasks: Draw at most the first this many records.
        until: Draw only records that start before this time (us).
        dpi: Resolution; the array is about ``12 * dpi`` pixels wide.
        down: When PEs were down, ``(pe, failed at, recovered at)`` (shaded grey).
        labels: Write task labels inside the bars where they fit.

    Returns:
        A ``uint8`` array of shape ``(height, width, 3)``.

    """
    fig = build_gantt_figure(trace, platform, title=title, max_tasks=max_tasks,
                             until=until, dpi=dpi, down=down, labels=labels)
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    return np.array(canvas.buffer_rgba(), dtype=np.uint8)[..., :3].copy()
