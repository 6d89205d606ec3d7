"""Platform model: PE types with operating points, clusters of PEs, an interconnect.

Units used throughout the emulator: time in microseconds (us), power in watts,
energy in microjoules (W x us = uJ), data volume in whatever unit the workload
uses (bytes or bits) with bandwidth in that unit per microsecond.

A platform is built once and then read by the simulator's hot loop through
plain lists (``pe_type``, ``pe_cluster``, ...) rather than objects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socsim.costmodel import PECostModel, read_pe_cost_model
from socsim.documents import read_document
from socsim.fields import Fields, brief
from socsim.power import DS3PowerModel, read_power_model

TIMING_MODES = ("continuous", "ds3")
#: Most PEs a platform may have. The emulator keeps per-PE-pair tables (the
#: transfer rates between every two PEs), so memory and set-up time grow with
#: the square of the count: 1024 PEs build in well under a second, 4096 take
#: seconds and over a gigabyte. The largest built-in platform has 29.
MAX_PES = 1024
PE_KINDS = ("cpu", "big", "little", "gpu", "dsp", "npu", "fpga", "neuro", "acc", "mem")


@dataclass(frozen=True)
class OperatingPoint:
    """One DVFS operating point of a PE type.

    Attributes:
        mhz: Clock frequency.
        mv: Supply voltage.
        active_w: Power of one PE while it runs a task at this point.
        idle_w: Power of one PE while it is powered but idle at this point.
    """

    mhz: float
    mv: float
    active_w: float
    idle_w: float


@dataclass(frozen=True)
class PEType:
    """A kind of processing element; task costs are tabulated per PE type.

    Attributes:
        name: Name used by workload cost tables (``A7``, ``GPU``, ``P1``...).
        kind: Broad class (cpu, gpu, dsp, npu, fpga, neuro, acc...), for display
            and for cost models.
        opps: Operating points sorted by frequency, lowest first.
        reference_opp: Index of the operating point at which task costs are
            given; running at another point scales time by the frequency ratio.
        cost_model: Throughputs, memory and overhead from which the costs of
            op-based tasks are derived (:mod:`socsim.costmodel`), at the
            reference operating point; ``None``: the type runs only tasks
            with tabulated costs.
    """

    name: str
    kind: str
    opps: tuple[OperatingPoint, ...]
    reference_opp: int
    cost_model: PECostModel | None = None

    @property
    def max_opp(self) -> int:
        """Index of the fastest operating point."""
        return len(self.opps) - 1

    def slowdown(self, opp: int) -> float:
        """Factor by which execution time grows at ``opp`` relative to the reference."""
        return self.opps[self.reference_opp].mhz / self.opps[opp].mhz


@dataclass(frozen=True)
class Cluster:
    """A group of identical PEs sharing a type and an interconnect port.

    Attributes:
        name: Cluster name, used in links and in traces.
        type_index: Index into :attr:`Platform.types`.
        size: Number of PEs in the cluster.
    """

    name: str
    type_index: int
    size: int


@dataclass(frozen=True)
class Link:
    """Bandwidth and latency between two clusters (both directions)."""

    bandwidth: float
    latency: float = 0.0


def pe_names_of(cluster: str, size: int) -> list[str]:
    """Names of the PEs of a cluster: the cluster's name for one PE, else ``NAME.k``."""
    return [cluster] if size == 1 else [f"{cluster}.{k}" for k in range(size)]


@dataclass
class Platform:
    """A heterogeneous SoC: PE types, clusters of PEs and an interconnect.

    Build one with :func:`load_platform` or :meth:`from_dict`; the constructor
    validates nothing and expects consistent arguments.

    Attributes:
        name: Platform name.
        types: PE types.
        clusters: Clusters; PEs are numbered cluster by cluster.
        links: ``links[a][b]`` is the link between clusters ``a`` and ``b``;
            ``a == b`` is the link between two PEs of one cluster. A transfer
            between tasks on the same PE is always free.
        timing: ``"continuous"`` (float times, ``latency + volume / bandwidth``)
            or ``"ds3"`` (integer microseconds, ``int(volume / bandwidth)``, as
            the DS3 emulator computes them).
        energy_per_unit: Data-movement energy in uJ per unit of volume moved
            between two distinct PEs.
        description: Free text, including provenance of the figures.
        source: The file the platform was read from.
        power_model: DS3's cluster power model (:mod:`socsim.power`), or ``None``
            for socsim's per-PE model (each operating point's active and idle power).
    """

    name: str
    types: tuple[PEType, ...]
    clusters: tuple[Cluster, ...]
    links: tuple[tuple[Link, ...], ...]
    timing: str = "continuous"
    energy_per_unit: float = 0.0
    description: str = ""
    source: str = "<memory>"
    power_model: DS3PowerModel | None = None
    pe_names: list[str] = field(init=False)
    pe_type: list[int] = field(init=False)
    pe_cluster: list[int] = field(init=False)
    pes_of_type: list[list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.pe_names, self.pe_type, self.pe_cluster = [], [], []
        self.pes_of_type = [[] for _ in self.types]
        for c_index, cluster in enumerate(self.clusters):
            for name in pe_names_of(cluster.name, cluster.size):
                pe = len(self.pe_type)
                self.pe_names.append(name)
                self.pe_type.append(cluster.type_index)
                self.pe_cluster.append(c_index)
                self.pes_of_type[cluster.type_index].append(pe)

    @property
    def num_pes(self) -> int:
        """Number of PE instances."""
        return len(self.pe_type)

    @property
    def type_names(self) -> list[str]:
        """Names of the PE types, in index order."""
        return [t.name for t in self.types]

    def type_index(self, name: str) -> int:
        """Index of the PE type called ``name`` (``KeyError`` if absent)."""
        for index, pe_type in enumerate(self.types):
            if pe_type.name == name:
                return index
        raise KeyError(name)

    def link(self, src_pe: int, dst_pe: int) -> Link:
        """The link used by a transfer from ``src_pe`` to ``dst_pe``."""
        return self.links[self.pe_cluster[src_pe]][self.pe_cluster[dst_pe]]

    def transfer_time(self, src_pe: int, dst_pe: int, volume: float) -> float:
        """Time to move ``volume`` from ``src_pe`` to ``dst_pe`` (0 on the same PE)."""
        if src_pe == dst_pe or volume <= 0:
            return 0.0
        link = self.link(src_pe, dst_pe)
        if self.timing == "ds3":
            return float(int(volume / link.bandwidth) + int(link.latency))
        return link.latency + volume / link.bandwidth

    def transfer_table(self) -> list[list[tuple[float, float]]]:
        """Per PE pair ``(1 / bandwidth, latency)``, with ``(0, 0)`` on the diagonal.

        The simulator reads this table in its hot loop instead of calling
        :meth:`transfer_time`.
        """
        table = []
        for a in range(self.num_pes):
            row = []
            for b in range(self.num_pes):
                link = self.link(a, b)
                row.append((0.0, 0.0) if a == b else (1.0 / link.bandwidth, link.latency))
            table.append(row)
        return table

    def mean_bandwidth(self) -> float:
        """Mean transfer rate over ordered pairs of distinct PEs (HEFT's convention)."""
        rates = [self.link(a, b).bandwidth for a in range(self.num_pes)
                 for b in range(self.num_pes) if a != b]
        return sum(rates) / len(rates) if rates else math.inf

    @classmethod
    def from_dict(cls, doc: Any, source: str = "<dict>") -> Platform:
        """Build and validate a platform from its file representation.

        See ``docs/formats.md`` for the format. Every problem raises
        :class:`socsim.errors.ConfigError` naming ``source`` and the field.
        """
        return _PlatformReader(source).read(doc)


def load_platform(path: str | Path) -> Platform:
    """Read and validate a platform file (YAML or JSON)."""
    return Platform.from_dict(read_document(path), source=str(path))


class _PlatformReader(Fields):
    """Validates the platform file format; one instance per file."""

    def read(self, doc: Any) -> Platform:
        doc = self.mapping(doc, "<top level>")
        self.unknown_keys(doc, {"name", "description", "timing", "pe_types", "clusters",
                                "interconnect", "power_model"}, "")
        name = self.text(self.require(doc, "name", ""), "name")
        timing = doc.get("timing", "continuous")
        if not isinstance(timing, str) or timing not in TIMING_MODES:
            raise self.error("timing", f"is {brief(timing)}",
                             f"use one of {list(TIMING_MODES)}")
        types = self._types(self.sequence(self.require(doc, "pe_types", ""), "pe_types"))
        type_names = [t.name for t in types]
        clusters = self._clusters(self.sequence(self.require(doc, "clusters", ""), "clusters"),
                                  type_names)
        links, energy = self._interconnect(doc.get("interconnect", {}), clusters)
        power = (read_power_model(self, doc["power_model"], clusters, types)
                 if doc.get("power_model") is not None else None)
        return Platform(name=name, types=tuple(types), clusters=tuple(clusters),
                        links=links, timing=timing, energy_per_unit=energy,
                        description=str(doc.get("description", "")), source=self.source,
                        power_model=power)

    def _types(self, items: Sequence[Any]) -> list[PEType]:
        if not items:
            raise self.error("pe_types", "is empty", "declare at least one PE type")
        if len(items) > MAX_PES:
            raise self.error("pe_types", f"declares {len(items)} PE types, more than the "
                             f"{MAX_PES} PEs a platform may have", "declare fewer PE types")
        types: list[PEType] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            where = f"pe_types[{i}]"
            item = self.mapping(item, where)
            self.unknown_keys(item, {"name", "kind", "opps", "reference_mhz", "cost_model"},
                              where)
            name = self.text(self.require(item, "name", where), f"{where}.name")
            if name in seen:
                raise self.error(f"{where}.name", f"duplicates PE type '{name}'",
                                 "give each PE type a unique name")
            seen.add(name)
            kind = item.get("kind", "cpu")
            if not isinstance(kind, str) or kind not in PE_KINDS:
                raise self.error(f"{where}.kind", f"is {brief(kind)}",
                                 f"use one of {list(PE_KINDS)}")
            opps = self._opps(self.sequence(self.require(item, "opps", where), f"{where}.opps"),
                              f"{where}.opps")
            reference = len(opps) - 1
            if "reference_mhz" in item:
                ref_mhz = self.number(item["reference_mhz"], f"{where}.reference_mhz")
                matches = [k for k, p in enumerate(opps) if p.mhz == ref_mhz]
                if not matches:
                    raise self.error(f"{where}.reference_mhz", f"{ref_mhz:g} MHz is not an OPP",
                                     f"use one of {[p.mhz for p in opps]}")
                reference = matches[0]
            model = (read_pe_cost_model(self, item["cost_model"], f"{where}.cost_model")
                     if "cost_model" in item else None)
            types.append(PEType(name=name, kind=kind, opps=opps, reference_opp=reference,
                                cost_model=model))
        return types

    def _opps(self, items: Sequence[Any], where: str) -> tuple[OperatingPoint, ...]:
        if not items:
            raise self.error(where, "is empty", "give at least one operating point")
        opps = []
        for k, item in enumerate(items):
            at = f"{where}[{k}]"
            item = self.mapping(item, at)
            self.unknown_keys(item, {"mhz", "mv", "active_w", "idle_w"}, at)
            point = OperatingPoint(
                mhz=self.number(self.require(item, "mhz", at), f"{at}.mhz",
                                strictly_positive=True),
                mv=self.number(item.get("mv", 0.0), f"{at}.mv"),
                active_w=self.number(self.require(item, "active_w", at), f"{at}.active_w"),
                idle_w=self.number(item.get("idle_w", 0.0), f"{at}.idle_w"),
            )
            if point.idle_w > point.active_w:
                raise self.error(f"{at}.idle_w", f"is {point.idle_w:g} W, above the active "
                                 f"power of that operating point ({point.active_w:g} W): an "
                                 "idle PE would draw more than a busy one",
                                 "give idle_w at most active_w (are the two swapped?)")
            opps.append(point)
        opps.sort(key=lambda p: p.mhz)
        if len({p.mhz for p in opps}) != len(opps):
            raise self.error(where, "has two operating points with the same frequency",
                             "keep one entry per frequency")
        return tuple(opps)

    def _clusters(self, items: Sequence[Any], type_names: list[str]) -> list[Cluster]:
        if not items:
            raise self.error("clusters", "is empty", "declare at least one cluster of PEs")
        clusters: list[Cluster] = []
        type_index = {name: k for k, name in enumerate(type_names)}
        cluster_names: set[str] = set()
        pe_owner: dict[str, str] = {}  # PE name -> cluster it belongs to
        total = 0
        for i, item in enumerate(items):
            where = f"clusters[{i}]"
            item = self.mapping(item, where)
            self.unknown_keys(item, {"name", "type", "count"}, where)
            name = self.text(self.require(item, "name", where), f"{where}.name")
            if name in cluster_names:
                raise self.error(f"{where}.name", f"duplicates cluster '{name}'",
                                 "give each cluster a unique name")
            cluster_names.add(name)
            if name.isdigit():
                raise self.error(f"{where}.name", f"is '{name}', all digits: '--fail "
                                 f"{name}@T' and fault specs read a bare number as a PE "
                                 "index, so this PE could not be named",
                                 f"give a name with a letter, e.g. 'pe{name}'")
            type_name = self.text(self.require(item, "type", where), f"{where}.type")
            if type_name not in type_index:
                raise self.error(f"{where}.type", f"unknown PE type '{type_name}'",
                                 f"use one of {type_names} or declare it under pe_types")
            count = self.integer(item.get("count", 1), f"{where}.count", minimum=1,
                                 maximum=MAX_PES)
            total += count
            if total > MAX_PES:
                raise self.error(f"{where}.count", f"brings the platform to {total} PEs, more "
                                 f"than the {MAX_PES} socsim supports (its per-PE-pair "
                                 "tables grow with the square of the count)",
                                 f"use at most {MAX_PES} PEs in all")
            for pe_name in pe_names_of(name, count):
                if pe_name in pe_owner:
                    raise self.error(f"{where}.name", f"gives a PE the name '{pe_name}', which "
                                     f"cluster '{pe_owner[pe_name]}' already gives one of its "
                                     "PEs (a cluster of N > 1 PEs names them NAME.0 .. "
                                     "NAME.N-1)", "rename one of the two clusters")
                pe_owner[pe_name] = name
            clusters.append(Cluster(name=name, type_index=type_index[type_name], size=count))
        return clusters

    def _interconnect(self, doc: Any, clusters: list[Cluster]
                      ) -> tuple[tuple[tuple[Link, ...], ...], float]:
        where = "interconnect"
        doc = self.mapping(doc, where)
        self.unknown_keys(doc, {"default_bandwidth", "intra_cluster_bandwidth", "latency",
                                "energy_per_unit", "links"}, where)
        default_bw = self.number(doc.get("default_bandwidth", 1.0),
                                 f"{where}.default_bandwidth", strictly_positive=True)
        intra_bw = self.number(doc.get("intra_cluster_bandwidth", default_bw),
                               f"{where}.intra_cluster_bandwidth", strictly_positive=True)
        latency = self.number(doc.get("latency", 0.0), f"{where}.latency")
        energy = self.number(doc.get("energy_per_unit", 0.0), f"{where}.energy_per_unit")
        n = len(clusters)
        names = [c.name for c in clusters]
        index = {name: k for k, name in enumerate(names)}
        inter, intra = Link(default_bw, latency), Link(intra_bw, latency)
        table = [[intra if a == b else inter for b in range(n)] for a in range(n)]
        for k, item in enumerate(self.sequence(doc.get("links", []), f"{where}.links")):
            at = f"{where}.links[{k}]"
            item = self.mapping(item, at)
            self.unknown_keys(item, {"between", "bandwidth", "latency"}, at)
            pair = self.sequence(self.require(item, "between", at), f"{at}.between")
            if len(pair) != 2 or any(not isinstance(p, str) or p not in index for p in pair):
                raise self.error(f"{at}.between", f"is {brief(pair)}",
                                 f"name two clusters from {names}")
            a, b = index[pair[0]], index[pair[1]]
            link = Link(self.number(self.require(item, "bandwidth", at), f"{at}.bandwidth",
                                    strictly_positive=True),
                        self.number(item.get("latency", latency), f"{at}.latency"))
            table[a][b] = table[b][a] = link
        return tuple(tuple(row) for row in table), energy


def describe_platform(platform: Platform) -> Mapping[str, Any]:
    """A short summary of a platform, for listings."""
    return {
        "name": platform.name,
        "pes": platform.num_pes,
        "types": ", ".join(f"{t.name}({t.kind})x{len(platform.pes_of_type[i])}"
                           for i, t in enumerate(platform.types)),
        "timing": platform.timing,
        "power": "ds3 cluster model" if platform.power_model is not None else "per PE",
    }
