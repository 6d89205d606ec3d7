"""Single-DAG scheduling instances: the classic problem of the literature in one JSON file.

Format (see ``docs/scheduling.md``)::

    {
      "processors": 3,
      "tasks": {"n1": [14, 16, 9], "n2": [13, 19, null], ...},
      "edges": [["n1", "n2", 18], ...],
      "bandwidth": [[0, 1, 1], [1, 0, 1], [1, 1, 0]]
    }

- ``processors``: number of processors, numbered from 0.
- ``tasks``: task name -> its execution time on each processor, in
  processor order; ``null`` where the processor cannot run the task. Task
  ids follow the order of the file.
- ``edges``: ``[src, dst, volume]`` (``volume`` defaults to 0); a transfer
  takes ``volume / bandwidth`` between distinct processors, 0 on one.
- ``bandwidth`` (optional): symmetric matrix of transfer rates between
  processors; the diagonal is ignored. Default: 1 between distinct
  processors. Asymmetric matrices are rejected: the platform model's links
  carry both directions.
- ``name``, ``description`` (optional): free text.

The reader builds a :class:`~socsim.platform.Platform` with one PE type and
one single-PE cluster per processor (``P0``, ``P1``...), a link per pair of
processors, continuous timing, and a :class:`~socsim.workload.JobProfile`
with costs keyed by those types, through their own ``from_dict`` readers.
Every problem raises :class:`~socsim.errors.ConfigError` naming the file,
the field and the fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socsim.documents import read_document
from socsim.fields import Fields, brief
from socsim.platform import MAX_PES, Platform
from socsim.workload import BoundProfile, JobProfile

_KEYS = {"name", "description", "processors", "tasks", "edges", "bandwidth"}


@dataclass(frozen=True)
class Instance:
    """A single-DAG instance, ready to plan or to simulate.

    Attributes:
        name: Instance name (the file's stem unless the file names it).
        platform: One PE per processor, in processor order.
        profile: The DAG, costs keyed by the processors' type names.
        bound: ``profile`` bound to ``platform``.
        source: The file it was read from.
    """

    name: str
    platform: Platform
    profile: JobProfile
    bound: BoundProfile
    source: str


def processor_name(index: int) -> str:
    """The PE type and cluster name of processor ``index`` (``P0``, ``P1``...)."""
    return f"P{index}"


def load_instance(path: str | Path) -> Instance:
    """Read and validate an instance file (JSON, or YAML with the same structure)."""
    path = Path(path)
    return instance_from_dict(read_document(path), source=str(path), name=path.stem)


def instance_from_dict(doc: Any, source: str = "<dict>", name: str = "instance") -> Instance:
    """Build and validate an instance from its file representation.

    Args:
        doc: The parsed document.
        source: Where it came from, for error messages.
        name: Instance name when the document has none.

    Raises:
        ConfigError: Any problem, naming ``source``, the field and the fix.
    """
    return _InstanceReader(source).read(doc, name)


def instance_to_dict(profile: BoundProfile) -> dict[str, Any]:
    """The instance document of a bound profile whose platform fits the format.

    Each PE becomes a processor; links must have no latency.

    Raises:
        ValueError: A link has a latency, or the platform has DS3 timing
            (the format's transfers are continuous).
    """
    platform = profile.platform
    n = platform.num_pes
    if platform.timing != "continuous" and any(
            v != int(v) for _, _, v in profile.profile.edges):
        raise ValueError("DS3 timing truncates fractional transfers; the instance format "
                         "cannot express that")
    bandwidth = [[0.0] * n for _ in range(n)]
    for a in range(n):
        for b in range(n):
            if a != b:
                link = platform.link(a, b)
                if link.latency:
                    raise ValueError("the instance format has no link latency")
                bandwidth[a][b] = link.bandwidth
    tasks = {name: [None if row[platform.pe_type[pe]] == math.inf else row[platform.pe_type[pe]]
                    for pe in range(n)]
             for name, row in zip(profile.profile.task_names, profile.cost, strict=True)}
    names = profile.profile.task_names
    return {"name": profile.name, "processors": n, "tasks": tasks,
            "edges": [[names[s], names[d], v] for s, d, v in profile.profile.edges],
            "bandwidth": bandwidth}


class _InstanceReader(Fields):
    """Validates the instance format; one instance per file."""

    def read(self, doc: Any, default_name: str) -> Instance:
        doc = self.mapping(doc, "<top level>")
        self.unknown_keys(doc, _KEYS, "")
        name = self.text(doc.get("name", default_name), "name")
        n = self.integer(self.require(doc, "processors", ""), "processors", minimum=1,
                         maximum=MAX_PES)
        costs = self._tasks(self.mapping(self.require(doc, "tasks", ""), "tasks"), n)
        bandwidth = self._bandwidth(doc.get("bandwidth"), n)
        platform = Platform.from_dict(self._platform_doc(name, n, bandwidth), self.source)
        profile_doc = {"name": name, "description": str(doc.get("description", "")),
                       "tasks": [{"name": task, "cost": cost} for task, cost in costs.items()],
                       "edges": self._edges(doc.get("edges", []), costs)}
        profile = JobProfile.from_dict(profile_doc, self.source)
        return Instance(name, platform, profile, profile.bind(platform), self.source)

    def _tasks(self, tasks: Any, n: int) -> dict[str, dict[str, float]]:
        if not tasks:
            raise self.error("tasks", "is empty", "give at least one task")
        costs: dict[str, dict[str, float]] = {}
        for task, row in tasks.items():
            where = f"tasks.{task}"
            if str(task) in costs:
                raise self.error(where, f"names task '{task}' a second time (as "
                                 f"{type(task).__name__})", "give each task a unique name")
            row = self.sequence(row, where)
            if len(row) != n:
                raise self.error(where, f"has {len(row)} costs for {n} processors",
                                 f"give one cost per processor ({n}), null where it cannot run")
            cost = {processor_name(p): self.number(value, f"{where}[{p}]")
                    for p, value in enumerate(row) if value is not None}
            if not cost:
                raise self.error(where, "has no processor that can run it (all costs null)",
                                 "give its execution time on at least one processor")
            costs[str(task)] = cost
        return costs

    def _edges(self, edges: Any, costs: dict[str, dict[str, float]]) -> list[Any]:
        out = []
        for k, edge in enumerate(self.sequence(edges, "edges")):
            where = f"edges[{k}]"
            if not isinstance(edge, list) or len(edge) not in (2, 3):
                raise self.error(where, f"is {brief(edge)}", "write [src, dst, volume]")
            for end, label in zip(edge[:2], ("src", "dst"), strict=True):
                if isinstance(end, bool) or str(end) not in costs:
                    raise self.error(f"{where}.{label}", f"unknown task {brief(end)}",
                                     "name a task listed under tasks")
            out.append([str(edge[0]), str(edge[1]), *edge[2:]])
        return out

    def _bandwidth(self, matrix: Any, n: int) -> list[list[float]]:
        if matrix is None:
            return [[1.0] * n for _ in range(n)]
        rows = self.sequence(matrix, "bandwidth")
        if len(rows) != n or any(not isinstance(r, list) or len(r) != n for r in rows):
            raise self.error("bandwidth", f"is not a {n} x {n} matrix",
                             f"give {n} rows of {n} numbers (one per processor pair)")
        out = [[0.0] * n for _ in range(n)]
        for a in range(n):
            for b in range(n):
                if a != b:
                    out[a][b] = self.number(rows[a][b], f"bandwidth[{a}][{b}]",
                                            strictly_positive=True)
        for a in range(n):
            for b in range(a + 1, n):
                if out[a][b] != out[b][a]:
                    raise self.error(f"bandwidth[{a}][{b}]",
                                     f"is {out[a][b]:g} but bandwidth[{b}][{a}] is "
                                     f"{out[b][a]:g}: asymmetric bandwidth is not supported",
                                     "give both directions the same rate")
        return out

    @staticmethod
    def _platform_doc(name: str, n: int, bandwidth: list[list[float]]) -> dict[str, Any]:
        names = [processor_name(p) for p in range(n)]
        return {
            "name": name,
            "description": "one processor per PE type and cluster, from a scheduling instance",
            "timing": "continuous",
            "pe_types": [{"name": p, "opps": [{"mhz": 1000, "active_w": 0.0}]} for p in names],
            "clusters": [{"name": p, "type": p} for p in names],
            "interconnect": {"default_bandwidth": 1.0, "links": [
                {"between": [names[a], names[b]], "bandwidth": bandwidth[a][b]}
                for a in range(n) for b in range(a + 1, n) if bandwidth[a][b] != 1.0]},
        }

