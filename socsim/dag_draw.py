"""Views of one workload for people: its DAG, its cost table on a platform, a PNG drawing.

``socsim workloads show`` and ``socsim workloads draw`` are thin wrappers
around these functions. Costs are always read from a :class:`BoundProfile`
(``profile.bind(platform).cost``), never from ``profile.costs``, because a
profile's costs may be derived per platform at bind time.

The drawing uses :class:`matplotlib.figure.Figure` with an Agg canvas, like
:mod:`socsim.gantt`, so it needs no display and leaves pyplot's state alone.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from socsim import catalog
from socsim.errors import ConfigError
from socsim.platform import Platform
from socsim.workload import BoundProfile, JobProfile

#: Graphs with at most this many edges get their edge volumes written on the drawing.
MAX_LABELLED_EDGES = 40
#: Graphs with at most this many tasks get each task's mean latency under its name.
MAX_ANNOTATED_TASKS = 60
#: Inches per task across a level and per level down the page, and the size limits.
INCHES_PER_TASK = 1.1
INCHES_PER_LEVEL = 1.0
MIN_INCHES = (6.0, 4.0)
MAX_INCHES = 40.0
DPI = 100
#: Title characters per inch of figure width (9-point text), for line wrapping.
CHARACTERS_PER_INCH = 12


# --------------------------------------------------------------------------- platform


def choose_platform(profile: JobProfile, platform: str | None = None) -> Platform:
    """The platform to show ``profile`` on.

    Args:
        profile: The workload.
        platform: A built-in platform name or a platform file; ``None`` picks
            the platform of a built-in mix that uses the profile, else the
            first built-in platform (by name) the profile binds to.

    Raises:
        ConfigError: The named platform does not exist, or none was named
            and no built-in platform can run every task of the profile.
    """
    if platform is not None:
        return catalog.get_platform(platform)
    for candidate in _candidate_platforms(profile):
        try:
            profile.bind(candidate)
        except ConfigError:
            continue
        return candidate
    raise ConfigError(profile.source, "platform", f"workload '{profile.name}' binds to no "
                      "built-in platform", "name a platform that has its PE types "
                      "(--platform NAME or FILE)")


def _candidate_platforms(profile: JobProfile) -> list[Platform]:
    """Platforms of the built-in mixes using ``profile``, then every built-in platform."""
    names = [mix.platform for mix in map(catalog.get_mix, catalog.mix_names())
             if mix.platform is not None and profile.name in mix.weights]
    names += catalog.platform_names()
    return [catalog.get_platform(name) for name in dict.fromkeys(names)]


# --------------------------------------------------------------------------- tables


def structure_rows(profile: JobProfile) -> list[tuple[str, str, str]]:
    """Per task: its name, its predecessors and its successors as ``name (volume)`` lists."""
    names = profile.task_names

    def listing(pairs: list[tuple[int, float]]) -> str:
        return ", ".join(f"{names[other]} ({volume:g})" for other, volume in pairs)

    return [(names[t], listing(profile.preds[t]), listing(profile.succs[t]))
            for t in range(profile.num_tasks)]


@dataclass(frozen=True)
class CostTable:
    """Latency and energy of every task on every PE type of a platform.

    Attributes:
        type_names: PE type names, in the platform's order.
        active_w: Active power of one PE of each type at its reference OPP (W).
        latency: ``latency[task][type]`` in us at the reference OPP; ``inf``
            where the type cannot run the task.
        energy: ``energy[task][type] = latency x active_w`` in uJ; ``inf``
            where the type cannot run the task.
    """

    type_names: list[str]
    active_w: list[float]
    latency: list[list[float]]
    energy: list[list[float]]


def cost_table(bound: BoundProfile) -> CostTable:
    """The cost table of a bound profile (costs as the simulator will use them)."""
    types = bound.platform.types
    power = [t.opps[t.reference_opp].active_w for t in types]
    latency = [list(row) for row in bound.cost]
    energy = [[value * watts if math.isfinite(value) else math.inf
               for value, watts in zip(row, power, strict=True)] for row in latency]
    return CostTable([t.name for t in types], power, latency, energy)


def format_cost(value: float) -> str:
    """A latency or energy for tables: 4 significant digits (whole from 1000), "-" for inf."""
    if not math.isfinite(value):
        return "-"
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def column_chunks(widths: list[int], available: int, padding: int = 3) -> list[list[int]]:
    """Split column indices, in order, into groups whose total width fits ``available``.

    Each column takes its width plus ``padding`` (rich's borders and spaces);
    every group holds at least one column, so a console too narrow for even
    one still gets every column.
    """
    chunks: list[list[int]] = [[]]
    used = 0
    for index, width in enumerate(widths):
        if chunks[-1] and used + width + padding > available:
            chunks.append([])
            used = 0
        chunks[-1].append(index)
        used += width + padding
    return chunks


def dram_energy_rows(bound: BoundProfile) -> list[list[float]] | None:
    """Per task and PE type, the cost model's DRAM energy (uJ), if any task has some.

    Op-based tasks may carry it (``BoundProfile.dram_energy``); the emulator
    books it on top of active energy; it is shown apart from the energy table. ``inf``
    where the type cannot run the task; ``None`` when there is none at all.
    """
    dram = getattr(bound, "dram_energy", None)  # absent on profiles without a cost model
    if not dram or not any(value for row in dram for value in row):
        return None
    return [[value if math.isfinite(cost) else math.inf
             for value, cost in zip(row, costs, strict=True)]
            for row, costs in zip(dram, bound.cost, strict=True)]


def listed_types(profile: JobProfile) -> str:
    """The PE types a profile's cost tables name, for listings; op-based tasks say so."""
    types = sorted({name for cost in profile.costs for name in cost})
    if any(not cost for cost in profile.costs):
        types.append("(derived from ops)")
    return ", ".join(types)


def summary(bound: BoundProfile) -> dict[str, float | int]:
    """Shape and CCR of a bound profile, for a header line.

    The CCR uses HEFT's means on this platform: mean edge volume over the
    platform's mean bandwidth, divided by the mean over tasks of the mean
    latency over eligible PEs (``nan`` without edges).
    """
    profile = bound.profile
    generations = list(nx.topological_generations(profile.graph()))
    volumes = [volume for _, _, volume in profile.edges]
    comm = sum(volumes) / len(volumes) / bound.platform.mean_bandwidth() if volumes else math.nan
    comp = sum(bound.mean_cost) / bound.num_tasks
    return {"tasks": profile.num_tasks, "edges": len(volumes), "levels": len(generations),
            "width": max(len(g) for g in generations), "ccr": comm / comp if comp else math.nan}


# --------------------------------------------------------------------------- drawing


def layered_positions(graph: nx.DiGraph) -> dict[int, tuple[float, float]]:
    """Node positions: one row per topological generation, sources on top, rows centred."""
    positions: dict[int, tuple[float, float]] = {}
    for depth, generation in enumerate(nx.topological_generations(graph)):
        row = sorted(generation)
        for k, node in enumerate(row):
            positions[node] = (k - (len(row) - 1) / 2, -float(depth))
    return positions


def draw_dag(profile: JobProfile, out: str | Path, bound: BoundProfile | None = None) -> Path:
    """Save a PNG of the DAG of ``profile``, laid out by topological generations.

    Nodes carry the task names; on small graphs, edges carry their volumes
    and, when ``bound`` is given, nodes their mean latency on its platform.

    Args:
        profile: The workload.
        out: The PNG file to write (parent folders are created).
        bound: The profile bound to a platform, for latency annotations.

    Returns:
        The path written.
    """
    graph = profile.graph()
    positions = layered_positions(graph)
    width = max(len(list(g)) for g in nx.topological_generations(graph))
    depth = 1 - min(y for _, y in positions.values())
    size = (min(MAX_INCHES, max(MIN_INCHES[0], INCHES_PER_TASK * width)),
            min(MAX_INCHES, max(MIN_INCHES[1], INCHES_PER_LEVEL * depth)))
    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_axis_off()
    small = profile.num_tasks <= MAX_ANNOTATED_TASKS
    font = 8 if small else 6
    nx.draw_networkx_edges(graph, positions, ax=axes, edge_color="0.55", arrows=True,
                           arrowsize=10 if small else 6, node_size=600 if small else 150)
    nx.draw_networkx_nodes(graph, positions, ax=axes, node_color="#cfe2f3",
                           edgecolors="#3d6e99", node_size=600 if small else 150)
    nx.draw_networkx_labels(graph, positions, labels=_node_labels(profile, bound, small),
                            ax=axes, font_size=font)
    if len(profile.edges) <= MAX_LABELLED_EDGES:
        labels = {(src, dst): f"{volume:g}" for src, dst, volume in profile.edges}
        nx.draw_networkx_edge_labels(graph, positions, edge_labels=labels, ax=axes,
                                     font_size=7, font_color="#8b2d2d", rotate=False)
    characters_per_line = max(40, int(size[0] * CHARACTERS_PER_INCH))
    axes.set_title(textwrap.fill(_title(profile, bound, small), characters_per_line),
                   fontsize=9)
    figure.tight_layout()
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def _node_labels(profile: JobProfile, bound: BoundProfile | None, small: bool
                 ) -> dict[int, str]:
    if bound is None or not small:
        return dict(enumerate(profile.task_names))
    return {t: f"{name}\n{bound.mean_cost[t]:.3g}" for t, name in enumerate(profile.task_names)}


def _title(profile: JobProfile, bound: BoundProfile | None, small: bool) -> str:
    text = f"{profile.name}: {profile.num_tasks} tasks, {len(profile.edges)} edges"
    if len(profile.edges) <= MAX_LABELLED_EDGES and profile.edges:
        text += " (edge labels: volumes)"
    if bound is not None and small:
        text += f"; under each task its mean latency on {bound.platform.name} (us)"
    return text


def default_png_name(profile: JobProfile) -> str:
    """A file name for the drawing of ``profile`` that is safe on any file system."""
    safe = "".join(c if c.isalnum() or c in "-_=+." else "_" for c in profile.name)
    return f"{safe.strip('._') or 'workload'}.png"
