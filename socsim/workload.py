"""Workload model: a job profile is a task DAG with per-PE-type costs and edge volumes.

A :class:`JobProfile` is independent of any platform: costs are keyed by PE
type name. :meth:`JobProfile.bind` checks it against a :class:`Platform` and
returns a :class:`BoundProfile` whose plain lists the simulator's hot loop
reads (costs indexed by PE type index, eligible PEs per task).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from socsim.errors import ConfigError
from socsim.fields import Fields, read_document
from socsim.platform import Platform

INELIGIBLE = math.inf


@dataclass
class JobProfile:
    """A DAG of tasks; each task has an execution time per eligible PE type.

    Attributes:
        name: Profile name (``wifi_tx``, ``canonical``...).
        task_names: Task names, in index order.
        costs: Per task, a mapping from PE type name to execution time in us
            at that type's reference operating point. A type that is absent
            cannot run the task.
        edges: ``(src, dst, volume)`` with task indices; volume in the
            platform's data unit.
        description: Free text, including provenance of the figures.
        source: The file the profile was read from.
        pe_types: The PE type names the cost tables may use, when the file
            declares them. A platform lacking some of them can still run the
            profile if every task keeps an eligible type there. Without the
            declaration every cost key must be a type of the platform, so a
            misspelt type fails at :meth:`bind` instead of silently making a
            task ineligible.
    """

    name: str
    task_names: tuple[str, ...]
    costs: tuple[Mapping[str, float], ...]
    edges: tuple[tuple[int, int, float], ...]
    description: str = ""
    source: str = "<memory>"
    pe_types: tuple[str, ...] | None = None
    preds: list[list[tuple[int, float]]] = field(init=False, repr=False)
    succs: list[list[tuple[int, float]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.preds = [[] for _ in self.task_names]
        self.succs = [[] for _ in self.task_names]
        for src, dst, volume in self.edges:
            self.succs[src].append((dst, volume))
            self.preds[dst].append((src, volume))

    @property
    def num_tasks(self) -> int:
        """Number of tasks."""
        return len(self.task_names)

    def graph(self) -> nx.DiGraph:
        """The DAG as a networkx graph (nodes are task indices, with names and costs)."""
        graph = nx.DiGraph()
        for index, name in enumerate(self.task_names):
            graph.add_node(index, name=name, cost=dict(self.costs[index]))
        graph.add_weighted_edges_from(self.edges, weight="volume")
        return graph

    def bind(self, platform: Platform) -> BoundProfile:
        """Check this profile against ``platform`` and precompute its cost tables.

        Raises:
            ConfigError: A task names a PE type the platform lacks (and the
                profile does not declare it in ``pe_types``), or a task has
                no PE on the platform that can run it.
        """
        return BoundProfile(self, platform)

    @classmethod
    def from_dict(cls, doc: Any, source: str = "<dict>") -> JobProfile:
        """Build and validate a profile from its file representation.

        See ``docs/formats.md``. Every problem raises
        :class:`socsim.errors.ConfigError` naming ``source`` and the field.
        """
        return _ProfileReader(source).read(doc)

    def to_dict(self) -> dict[str, Any]:
        """The file representation of this profile (inverse of :meth:`from_dict`)."""
        doc: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.pe_types is not None:
            doc["pe_types"] = list(self.pe_types)
        return doc | {
            "tasks": [{"name": name, "cost": dict(cost)}
                      for name, cost in zip(self.task_names, self.costs, strict=False)],
            "edges": [[self.task_names[s], self.task_names[d], v] for s, d, v in self.edges],
        }


class BoundProfile:
    """A :class:`JobProfile` checked against one platform, as flat lists.

    Attributes:
        profile: The profile.
        platform: The platform.
        num_tasks: Number of tasks.
        cost: ``cost[task][type_index]`` in us at the reference OPP; ``inf`` if
            the type cannot run the task.
        eligible_pes: Per task, the PE indices that can run it.
        succs: Per task, ``(successor, volume)`` pairs.
        preds: Per task, ``(predecessor, volume)`` pairs.
        num_preds: Per task, number of predecessors.
        sources: Tasks without predecessors.
        fastest_type: Per task, the type index with the least cost.
        mean_cost: Per task, the mean cost over eligible PE instances.
    """

    def __init__(self, profile: JobProfile, platform: Platform) -> None:
        type_names = platform.type_names
        self.profile = profile
        self.platform = platform
        self.num_tasks = profile.num_tasks
        self.cost: list[list[float]] = []
        self.eligible_pes: list[list[int]] = []
        for index, costs in enumerate(profile.costs):
            row = [INELIGIBLE] * len(type_names)
            for type_name, value in costs.items():
                if type_name not in type_names:
                    if profile.pe_types is not None:
                        continue  # declared by the profile, absent from this platform
                    raise ConfigError(
                        profile.source, f"tasks[{index}].cost.{type_name}",
                        f"PE type '{type_name}' does not exist on platform '{platform.name}'",
                        f"use one of {type_names}, or run the workload on a platform with it")
                row[type_names.index(type_name)] = float(value)
            self.cost.append(row)
            pes = [pe for pe in range(platform.num_pes) if row[platform.pe_type[pe]] < INELIGIBLE]
            if not pes:
                raise ConfigError(
                    profile.source, f"tasks[{index}].cost",
                    f"task '{profile.task_names[index]}' can run only on {sorted(costs)}, and "
                    f"platform '{platform.name}' has no PE of those types",
                    f"add a cost for one of {type_names}, or use a platform with those types")
            self.eligible_pes.append(pes)
        self.succs = profile.succs
        self.preds = profile.preds
        self.num_preds = [len(p) for p in profile.preds]
        self.sources = [t for t in range(self.num_tasks) if not profile.preds[t]]
        self.fastest_type = [min(range(len(row)), key=row.__getitem__) for row in self.cost]
        self.mean_cost = [
            sum(row[platform.pe_type[pe]] for pe in pes) / len(pes)
            for row, pes in zip(self.cost, self.eligible_pes, strict=False)
        ]

    @property
    def name(self) -> str:
        """The profile's name."""
        return self.profile.name


class _ProfileReader(Fields):
    """Validates the workload file format; one instance per file."""

    def read(self, doc: Any) -> JobProfile:
        doc = self.mapping(doc, "<top level>")
        self.unknown_keys(doc, {"name", "description", "pe_types", "tasks", "edges"}, "")
        name = self.text(self.require(doc, "name", ""), "name")
        vocabulary = None
        if "pe_types" in doc:
            vocabulary = tuple(self.text(t, f"pe_types[{k}]") for k, t in
                               enumerate(self.sequence(doc["pe_types"], "pe_types")))
        tasks = self.sequence(self.require(doc, "tasks", ""), "tasks")
        if not tasks:
            raise self.error("tasks", "is empty", "list at least one task")
        names: list[str] = []
        costs: list[Mapping[str, float]] = []
        for i, item in enumerate(tasks):
            where = f"tasks[{i}]"
            item = self.mapping(item, where)
            self.unknown_keys(item, {"name", "cost"}, where)
            task_name = self.text(self.require(item, "name", where), f"{where}.name")
            if task_name in names:
                first = names.index(task_name)
                raise self.error(f"{where}.name",
                                 f"duplicates task '{task_name}' (tasks[{first}])",
                                 "give each task a unique name")
            cost = self.mapping(self.require(item, "cost", where), f"{where}.cost")
            if not cost:
                raise self.error(f"{where}.cost", f"task '{task_name}' has no PE type that can "
                                 "run it", "give its execution time on at least one PE type")
            for type_name in cost:
                if vocabulary is not None and type_name not in vocabulary:
                    raise self.error(f"{where}.cost.{type_name}",
                                     f"PE type '{type_name}' is not declared in pe_types",
                                     f"use one of {list(vocabulary)} or add it to pe_types")
            costs.append({str(t): self.number(v, f"{where}.cost.{t}") for t, v in cost.items()})
            names.append(task_name)
        edges = self._edges(self.sequence(doc.get("edges", []), "edges"), names)
        return JobProfile(name=name, task_names=tuple(names), costs=tuple(costs),
                          edges=tuple(edges), description=str(doc.get("description", "")),
                          source=self.source, pe_types=vocabulary)

    def _edges(self, items: Sequence[Any], names: list[str]) -> list[tuple[int, int, float]]:
        edges: list[tuple[int, int, float]] = []
        seen: set[tuple[int, int]] = set()
        for k, item in enumerate(items):
            where = f"edges[{k}]"
            if isinstance(item, Mapping):
                self.unknown_keys(item, {"src", "dst", "volume"}, where)
                item = [self.require(item, "src", where), self.require(item, "dst", where),
                        item.get("volume", 0)]
            if not isinstance(item, list) or len(item) not in (2, 3):
                raise self.error(where, f"is {item!r}", "write [src, dst, volume]")
            src, dst = item[0], item[1]
            for end, label in ((src, "src"), (dst, "dst")):
                if end not in names:
                    raise self.error(f"{where}.{label}", f"unknown task {end!r}",
                                     "name a task listed under tasks")
            volume = self.number(item[2] if len(item) == 3 else 0, f"{where}.volume")
            pair = (names.index(src), names.index(dst))
            if pair[0] == pair[1]:
                raise self.error(where, f"is a self-loop on '{src}'", "remove the edge")
            if pair in seen:
                raise self.error(where, f"repeats the edge {src} -> {dst}", "keep one edge")
            seen.add(pair)
            edges.append((pair[0], pair[1], volume))
        graph = nx.DiGraph([(s, d) for s, d, _ in edges])
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return edges
        path = " -> ".join(names[s] for s, _ in cycle) + f" -> {names[cycle[0][0]]}"
        raise self.error("edges", f"form a cycle ({path})",
                         "remove one edge of the cycle; a job must be a DAG")


def load_profile(path: str | Path) -> JobProfile:
    """Read and validate a workload (job profile) file, YAML or JSON."""
    return JobProfile.from_dict(read_document(path), source=str(path))


