"""Workload model: a job profile is a task DAG with per-PE-type costs and edge volumes.

A :class:`JobProfile` is independent of any platform. A task's cost is either
tabulated (execution time keyed by PE type name) or derived: the task says
what it computes (``ops``, :class:`socsim.costmodel.TaskOps`) and each PE
type's cost model turns that into a time. :meth:`JobProfile.bind` checks a
profile against a :class:`Platform` and returns a :class:`BoundProfile` whose
plain lists the simulator's hot loop reads (costs indexed by PE type index,
eligible PEs per task). A profile with a per-job activity distribution binds
to a small set of cost tables, one per activity level (``variants``), from
which each job gets the one nearest its drawn activity.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socsim import costmodel, dag_order
from socsim.costmodel import ActivityModel, TaskOps
from socsim.documents import read_document
from socsim.errors import ConfigError
from socsim.fields import MAX_NUMBER, Fields, brief
from socsim.platform import Platform

if TYPE_CHECKING:
    import networkx as nx

INELIGIBLE = math.inf
#: Longest task or transfer time accepted when a profile is bound (us).
MAX_TIME = MAX_NUMBER
#: Most tasks one job profile may have (the largest built-in has a few hundred).
MAX_TASKS = 100_000
#: Most edges one job profile may have.
MAX_EDGES = 1_000_000


@dataclass
class JobProfile:
    """A DAG of tasks; each task has an execution time per eligible PE type.

    Attributes:
        name: Profile name (``wifi_tx``, ``canonical``...).
        task_names: Task names, in index order.
        costs: Per task, a mapping from PE type name to execution time in us
            at that type's reference operating point. A type that is absent
            cannot run the task. Empty for a task whose cost is derived from
            ``ops``.
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
        ops: Per task, what it computes (``None`` for a task with tabulated
            costs), or ``None`` when every task is tabulated.
        activity: The activity of the profile's event-driven layers, fixed
            or drawn per job; ``None`` when no task depends on it.
    """

    name: str
    task_names: tuple[str, ...]
    costs: tuple[Mapping[str, float], ...]
    edges: tuple[tuple[int, int, float], ...]
    description: str = ""
    source: str = "<memory>"
    pe_types: tuple[str, ...] | None = None
    ops: tuple[TaskOps | None, ...] | None = None
    activity: ActivityModel | None = None
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

    def task_ops(self, task: int) -> TaskOps | None:
        """What ``task`` computes, or ``None`` if its costs are tabulated."""
        return None if self.ops is None else self.ops[task]

    def graph(self) -> nx.DiGraph:
        """The DAG as a networkx graph (nodes: task indices, with names, costs and ops)."""
        import networkx as nx  # for drawing and analysis only: not on the simulate path

        graph = nx.DiGraph()
        for index, name in enumerate(self.task_names):
            graph.add_node(index, name=name, cost=dict(self.costs[index]),
                           ops=self.task_ops(index))
        graph.add_weighted_edges_from(self.edges, weight="volume")
        return graph

    def bind(self, platform: Platform) -> BoundProfile:
        """Check this profile against ``platform`` and precompute its cost tables.

        Raises:
            ConfigError: A task names a PE type the platform lacks (and the
                profile does not declare it in ``pe_types``), or a task has
                no PE on the platform that can run it (for an op-based task:
                no PE type whose cost model runs its kind and precision).
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
        if self.activity is not None:
            doc["activity"] = self.activity.to_dict()
        tasks = []
        for index, (name, cost) in enumerate(zip(self.task_names, self.costs, strict=True)):
            ops = self.task_ops(index)
            tasks.append({"name": name, "ops": ops.to_dict()} if ops is not None
                         else {"name": name, "cost": dict(cost)})
        return doc | {
            "tasks": tasks,
            "edges": [[self.task_names[s], self.task_names[d], v] for s, d, v in self.edges],
        }


class BoundProfile:
    """A :class:`JobProfile` checked against one platform, as flat lists.

    Costs of op-based tasks are derived here, once, from each PE type's cost
    model at the profile's nominal activity; a profile whose activity is
    drawn per job also gets one :class:`BoundProfile` per activity level in
    :attr:`variants` (sharing this one's DAG lists), and
    :meth:`variant_for` gives a job the one nearest its activity.

    Attributes:
        profile: The profile.
        platform: The platform.
        num_tasks: Number of tasks.
        cost: ``cost[task][type_index]`` in us at the reference OPP; ``inf`` if
            the type cannot run the task.
        dram_energy: ``dram_energy[task][type_index]``: the cost model's
            energy (uJ) of streaming weights from DRAM, on top of the PE's
            active power x time; 0 for tabulated tasks. The emulator books
            it when the task starts (as data-movement energy).
        eligible_pes: Per task, the PE indices that can run it.
        succs: Per task, ``(successor, volume)`` pairs.
        preds: Per task, ``(predecessor, volume)`` pairs.
        num_preds: Per task, number of predecessors.
        sources: Tasks without predecessors.
        fastest_type: Per task, the type index with the least cost.
        mean_cost: Per task, the mean cost over eligible PE instances.
        activity: The activity these costs are for (``None`` if no task
            depends on it).
        variants: Per activity level, the profile bound at that level; empty
            when the activity is not drawn per job (or this is a variant).
    """

    def __init__(self, profile: JobProfile, platform: Platform) -> None:
        self.profile = profile
        self.platform = platform
        self.num_tasks = profile.num_tasks
        model = profile.activity
        self.activity = model.nominal if model is not None else None
        self.cost: list[list[float]] = []
        self.dram_energy: list[list[float]] = []
        self.eligible_pes: list[list[int]] = []
        zeros = [0.0] * len(platform.types)
        for index in range(self.num_tasks):
            ops = profile.task_ops(index)
            if ops is None:
                row, dram = self._tabulated_row(index), zeros
            else:
                row, dram = self._derived_row(index, ops, self.activity)
            self._check_bounded(index, row)
            pes = [pe for pe in range(platform.num_pes) if row[platform.pe_type[pe]] < INELIGIBLE]
            if not pes:
                raise self._no_pe_error(index, ops)
            self.cost.append(row)
            self.dram_energy.append(dram)
            self.eligible_pes.append(pes)
        self._check_transfers()
        self.succs = profile.succs
        self.preds = profile.preds
        self.num_preds = [len(p) for p in profile.preds]
        self.sources = [t for t in range(self.num_tasks) if not profile.preds[t]]
        self._summarise()
        self.variants: tuple[BoundProfile, ...] = ()
        if model is not None and model.varies:
            self.variants = tuple(self._variant(a) for a in model.grid())

    @property
    def name(self) -> str:
        """The profile's name."""
        return self.profile.name

    @functools.cached_property
    def topological_order(self) -> list[int]:
        """The tasks in topological order (lowest ready index first: :mod:`socsim.dag_order`)."""
        return dag_order.topological_order(self.succs)

    @functools.cached_property
    def upward_rank(self) -> list[float]:
        """HEFT's upward rank per task from :attr:`mean_cost` and mean transfers.

        Convention: :attr:`mean_cost` (the mean over eligible PE instances)
        and :func:`socsim.dag_order.mean_transfer` (volume over the
        platform's mean bandwidth between distinct PEs).
        """
        return dag_order.upward_ranks(
            self.mean_cost, self.succs, dag_order.mean_transfer(self.platform.mean_bandwidth()))

    def variant_for(self, activity: float) -> BoundProfile:
        """The bound profile of the activity level nearest ``activity`` (self if none)."""
        if not self.variants:
            return self
        return self.variants[self.profile.activity.level(activity)]  # type: ignore[union-attr]

    def energy(self, task: int, type_index: int) -> float:
        """Energy (uJ) of ``task`` on a PE of ``type_index`` at its reference OPP.

        Active power x execution time plus the cost model's DRAM streaming
        energy (:attr:`dram_energy`), both booked by the emulator; ``inf`` if
        the type cannot run the task.
        """
        pe_type = self.platform.types[type_index]
        time = self.cost[task][type_index]
        if time == INELIGIBLE:
            return INELIGIBLE
        return time * pe_type.opps[pe_type.reference_opp].active_w \
            + self.dram_energy[task][type_index]

    # ------------------------------------------------------------------ internals
    def _tabulated_row(self, index: int) -> list[float]:
        profile, type_names = self.profile, self.platform.type_names
        row = [INELIGIBLE] * len(type_names)
        for type_name, value in profile.costs[index].items():
            if type_name not in type_names:
                if profile.pe_types is not None:
                    continue  # declared by the profile, absent from this platform
                raise ConfigError(
                    profile.source, f"tasks[{index}].cost.{type_name}",
                    f"PE type '{type_name}' does not exist on platform '{self.platform.name}'",
                    f"use one of {type_names}, or run the workload on a platform with it")
            row[type_names.index(type_name)] = float(value)
        return row

    def _derived_row(self, index: int, ops: TaskOps, activity: float | None
                     ) -> tuple[list[float], list[float]]:
        """Cost and DRAM energy of an op-based task on every PE type at ``activity``."""
        level = 1.0 if activity is None else activity
        row, dram = [], []
        for pe_type in self.platform.types:
            row.append(costmodel.latency(ops, pe_type.cost_model, level))
            dram.append(costmodel.dram_energy(ops, pe_type.cost_model, level))
        return row, dram

    def _check_bounded(self, index: int, row: list[float]) -> None:
        """A derived cost above :data:`MAX_TIME` is an error (it would overflow the clock)."""
        for type_index, time in enumerate(row):
            if MAX_TIME < time < INELIGIBLE:
                type_name = self.platform.types[type_index].name
                raise ConfigError(
                    self.profile.source, f"tasks[{index}].ops",
                    f"task '{self.profile.task_names[index]}' would take {time:g} us on "
                    f"{type_name} of platform '{self.platform.name}', more than the "
                    f"{MAX_TIME:g} us (about 32 years) socsim's clock allows",
                    "check the task's op counts and the PE type's rates (units: giga "
                    "per second) in its cost_model")

    def _check_transfers(self) -> None:
        """An edge whose transfer on the slowest link exceeds :data:`MAX_TIME` is an error."""
        edges = self.profile.edges
        if not edges or self.platform.num_pes < 2:
            return
        volume, k = max((v, k) for k, (_, _, v) in enumerate(edges))
        links = self.platform.links
        slowest = min(link.bandwidth for a, row in enumerate(links) for b, link in
                      enumerate(row) if a != b or self.platform.clusters[a].size > 1)
        if volume / slowest > MAX_TIME:
            raise ConfigError(
                self.profile.source, f"edges[{k}].volume",
                f"is {volume:g}: moving it over the slowest link of platform "
                f"'{self.platform.name}' (bandwidth {slowest:g}) would take "
                f"{volume / slowest:g} us, more than the {MAX_TIME:g} us socsim's clock allows",
                "check the volume's unit against the platform's bandwidths")

    def _no_pe_error(self, index: int, ops: TaskOps | None) -> ConfigError:
        profile, platform = self.profile, self.platform
        type_names = platform.type_names
        if ops is None:
            costs = profile.costs[index]
            return ConfigError(
                profile.source, f"tasks[{index}].cost",
                f"task '{profile.task_names[index]}' can run only on {sorted(costs)}, and "
                f"platform '{platform.name}' has no PE of those types",
                f"add a cost for one of {type_names}, or use a platform with those types")
        reasons = "; ".join(f"{t.name}: {costmodel.ineligibility(ops, t.cost_model)}"
                            for t in platform.types)
        return ConfigError(
            profile.source, f"tasks[{index}].ops",
            f"task '{profile.task_names[index]}' ({ops.kind}, {ops.precision}) has no PE type "
            f"on platform '{platform.name}' that can run it ({reasons})",
            f"add '{ops.kind}' to the kinds of a PE type's cost_model that has a MAC unit for "
            f"{ops.precision} or wider, or use a platform that runs it")

    def _summarise(self) -> None:
        """Per-task figures derived from the cost table (fastest type, mean cost)."""
        pe_type = self.platform.pe_type
        self.fastest_type = [min(range(len(row)), key=row.__getitem__) for row in self.cost]
        self.mean_cost = [
            sum(row[pe_type[pe]] for pe in pes) / len(pes)
            for row, pes in zip(self.cost, self.eligible_pes, strict=True)
        ]

    def _variant(self, activity: float) -> BoundProfile:
        """This profile's costs at another activity, sharing the DAG lists.

        Only the rows of tasks whose cost depends on activity are recomputed;
        eligibility does not depend on it.
        """
        variant = object.__new__(BoundProfile)
        variant.__dict__.update(self.__dict__)
        variant.__dict__.pop("upward_rank", None)  # cached from this profile's costs
        variant.activity = activity
        variant.variants = ()
        variant.cost = list(self.cost)
        variant.dram_energy = list(self.dram_energy)
        for index in range(self.num_tasks):
            ops = self.profile.task_ops(index)
            if ops is not None and ops.activity_dependent:
                variant.cost[index], variant.dram_energy[index] = \
                    self._derived_row(index, ops, activity)
                self._check_bounded(index, variant.cost[index])
        variant._summarise()
        return variant


class _ProfileReader(Fields):
    """Validates the workload file format; one instance per file."""

    def read(self, doc: Any) -> JobProfile:
        doc = self.mapping(doc, "<top level>")
        self.unknown_keys(doc, {"name", "description", "pe_types", "activity", "tasks",
                                "edges"}, "")
        name = self.text(self.require(doc, "name", ""), "name")
        vocabulary = None
        if "pe_types" in doc:
            vocabulary = tuple(self.text(t, f"pe_types[{k}]") for k, t in
                               enumerate(self.sequence(doc["pe_types"], "pe_types")))
        tasks = self.sequence(self.require(doc, "tasks", ""), "tasks")
        if not tasks:
            raise self.error("tasks", "is empty", "list at least one task")
        if len(tasks) > MAX_TASKS:
            raise self.error("tasks", f"lists {len(tasks):,} tasks, more than the "
                             f"{MAX_TASKS:,} a job profile may have",
                             "split the job into several profiles")
        names: list[str] = []
        index: dict[str, int] = {}
        costs: list[Mapping[str, float]] = []
        ops: list[TaskOps | None] = []
        for i, item in enumerate(tasks):
            where = f"tasks[{i}]"
            item = self.mapping(item, where)
            self.unknown_keys(item, {"name", "cost", "ops"}, where)
            task_name = self.text(self.require(item, "name", where), f"{where}.name")
            if task_name in index:
                first = index[task_name]
                raise self.error(f"{where}.name",
                                 f"duplicates task '{task_name}' (tasks[{first}])",
                                 "give each task a unique name")
            if "ops" in item and "cost" in item:
                raise self.error(where, f"task '{task_name}' has both 'cost' and 'ops'",
                                 "keep 'cost' (tabulated times) or 'ops' (derived from the "
                                 "platform's cost model), not both")
            if "ops" in item:
                ops.append(costmodel.read_task_ops(self, item["ops"], f"{where}.ops"))
                costs.append({})
            else:
                ops.append(None)
                costs.append(self._cost(item, where, task_name, vocabulary))
            index[task_name] = len(names)
            names.append(task_name)
        activity = (costmodel.read_activity(self, doc["activity"], "activity")
                    if "activity" in doc else None)
        self._check_activity(ops, activity)
        edges = self._edges(self.sequence(doc.get("edges", []), "edges"), names, index, ops)
        return JobProfile(name=name, task_names=tuple(names), costs=tuple(costs),
                          edges=tuple(edges), description=str(doc.get("description", "")),
                          source=self.source, pe_types=vocabulary,
                          ops=tuple(ops) if any(o is not None for o in ops) else None,
                          activity=activity)

    def _cost(self, item: Mapping[str, Any], where: str, task_name: str,
              vocabulary: tuple[str, ...] | None) -> dict[str, float]:
        """A task's tabulated ``cost`` mapping."""
        if "cost" not in item or item["cost"] is None:
            raise self.error(f"{where}.cost", "is missing",
                             f"add 'cost' (execution time per PE type) or 'ops' (what the task "
                             f"computes) to {where}")
        cost = self.mapping(item["cost"], f"{where}.cost")
        if not cost:
            raise self.error(f"{where}.cost", f"task '{task_name}' has no PE type that can "
                             "run it", "give its execution time on at least one PE type")
        for type_name in cost:
            if vocabulary is not None and type_name not in vocabulary:
                raise self.error(f"{where}.cost.{type_name}",
                                 f"PE type '{type_name}' is not declared in pe_types",
                                 f"use one of {list(vocabulary)} or add it to pe_types")
        return {str(t): self.number(v, f"{where}.cost.{t}") for t, v in cost.items()}

    def _check_activity(self, ops: list[TaskOps | None], activity: ActivityModel | None
                        ) -> None:
        """A task whose cost depends on activity needs the profile's ``activity``."""
        if activity is not None:
            return
        for index, task in enumerate(ops):
            if task is not None and task.activity_dependent:
                raise self.error(f"tasks[{index}].ops", "depends on the job's activity "
                                 "(spike_macs with event_fraction > 0, or gated_*), and the "
                                 "profile has no 'activity'",
                                 "add 'activity: {nominal: A}' or 'activity: {uniform: [LOW, "
                                 "HIGH]}' at the top level, or set event_fraction: 0")

    def _edges(self, items: Sequence[Any], names: list[str], index: Mapping[str, int],
               ops: list[TaskOps | None]) -> list[tuple[int, int, float]]:
        """Edges ``[src, dst, volume]``; a missing volume is the source's ``output_bytes``."""
        if len(items) > MAX_EDGES:
            raise self.error("edges", f"lists {len(items):,} edges, more than the "
                             f"{MAX_EDGES:,} a job profile may have",
                             "split the job into several profiles")
        edges: list[tuple[int, int, float]] = []
        seen: set[tuple[int, int]] = set()
        for k, item in enumerate(items):
            where = f"edges[{k}]"
            if isinstance(item, Mapping):
                self.unknown_keys(item, {"src", "dst", "volume"}, where)
                ends = [self.require(item, "src", where), self.require(item, "dst", where)]
                item = [*ends, item["volume"]] if "volume" in item else ends
            if not isinstance(item, list) or len(item) not in (2, 3):
                raise self.error(where, f"is {brief(item)}", "write [src, dst, volume]")
            src, dst = item[0], item[1]
            for end, label in ((src, "src"), (dst, "dst")):
                if not isinstance(end, str) or end not in index:
                    raise self.error(f"{where}.{label}", f"unknown task {brief(end)}",
                                     "name a task listed under tasks")
            pair = (index[src], index[dst])
            producer = ops[pair[0]]
            volume = self.number(item[2], f"{where}.volume") if len(item) == 3 \
                else (producer.output_bytes if producer is not None else 0.0)
            if pair[0] == pair[1]:
                raise self.error(where, f"is a self-loop on '{src}'", "remove the edge")
            if pair in seen:
                raise self.error(where, f"repeats the edge {src} -> {dst}", "keep one edge")
            seen.add(pair)
            edges.append((pair[0], pair[1], volume))
        cycle = dag_order.find_cycle(len(names), [(s, d) for s, d, _ in edges])
        if cycle is None:
            return edges
        path = " -> ".join(names[t] for t in cycle) + f" -> {names[cycle[0]]}"
        raise self.error("edges", f"form a cycle ({path})",
                         "remove one edge of the cycle; a job must be a DAG")


def load_profile(path: str | Path) -> JobProfile:
    """Read and validate a workload (job profile) file, YAML or JSON."""
    return JobProfile.from_dict(read_document(path), source=str(path))


