"""Operation-count cost model: a task's latency and energy on a PE type from what it computes.

A paper workload rarely comes with a table of execution times per PE; it says
what each layer computes (dense MACs, event-driven synaptic operations at some
activity, element-wise work, weights to fetch). A PE type, in turn, is
described by its throughput per precision, its event rate, its element rate,
its DRAM bandwidth and on-chip memory, a per-task dispatch overhead and its
power. This module joins the two (section 1 of the workload reference note,
``docs/workloads.md``)::

    t_compute = min(M / mac[prec],                             # dense path, every PE
                    M_real / mac[prec] + S / sop)              # event path, event-capable PEs
                + X / elem
    streamed  = max(0, W - onchip)                             # weights re-read every run
    latency   = max(t_compute, streamed / bandwidth) + overhead
    energy    = latency x P_active + streamed x dram_pj_per_byte

with ``M = M_real + M_spike`` (dense-equivalent MACs) and ``S`` the synaptic
operations at the job's activity. Activity enters only through ``S`` (and
through ``gated`` MACs and weights, which every PE skips for silent inputs),
so dense PEs (GPU, NPU, DPU) pay the same whatever the activity while
event-capable PEs (CPU, DSP, neuromorphic cores, synapse engines) pay the
cheaper of the two paths.

Event-driven PEs (``event_driven: true``: the spike-driven SNN core, the MCC
synapse engine) have no dense datapath for event inputs: they always take the
event path, so their synaptic work follows the job's activity whatever the
rates. On every event path one synaptic operation is one weight read plus one
accumulate (the per-event memory traffic is inside the SOP rate and hence in
its energy), and time-steps enter through the op counts (a T = 4 profile has
4x the per-step MACs, events and neuron updates of its T = 1 twin). What does
not follow activity is the *floor* (:attr:`CostBreakdown.floor_us`): the
per-neuron state updates (``X / elem``: leak, threshold, reset of every
neuron every step, fired or not), the dispatch overhead, and any MACs on
real-valued inputs.

Units inside this module: time in us, rates per us, bytes, power in W, energy
in uJ. Files use per-second rates in giga units (see ``docs/formats.md``).
The functions here are pure; :class:`socsim.workload.BoundProfile` calls them
once per (task, PE type, activity level) when a profile is bound, so the
simulator's hot loop never touches the model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socsim.fields import Fields

#: Precisions from narrowest to widest: a PE without a unit for a precision
#: runs the task on the next wider unit it has.
PRECISIONS = ("int4", "int8", "int16", "fp16", "fp32")

#: Task kinds a PE type's cost model can declare it runs (see docs/workloads.md).
TASK_KINDS = ("io", "post", "signal", "img_pre", "conv", "fc", "conv1d_small", "spk", "egru",
              "twopoint", "decoder")

#: Giga (per second) to per microsecond.
_G_PER_S_TO_PER_US = 1e3
#: Picojoules to microjoules.
_PJ_TO_UJ = 1e-6

DEFAULT_DRAM_PJ_PER_BYTE = 40.0
DEFAULT_ACTIVITY_LEVELS = 16
#: Most activity levels a profile may ask for (one cost table is bound per level).
MAX_ACTIVITY_LEVELS = 1024


@dataclass(frozen=True)
class PECostModel:
    """What a PE type can do per microsecond, at its reference operating point.

    Attributes:
        kinds: Task kinds this PE type can run at all (a GPU without a
            programmable DMA cannot run ``io`` tasks, a DPU cannot run
            ``spk`` layers...).
        mac_rate: Effective MACs per us, per precision it has a unit for.
        sop_rate: Effective synaptic (event) operations per us; 0 for a PE
            that cannot exploit activity sparsity (dense PEs).
        elem_rate: Element-wise operations per us (activation, BN, neuron
            state update, pooling, FFT butterflies...).
        bandwidth: DRAM bandwidth for weights that do not stay on chip,
            bytes per us.
        onchip_bytes: Weight bytes that stay resident between runs.
        overhead_us: Dispatch cost per task (kernel launch, offload RPC,
            descriptor set-up).
        dram_pj_per_byte: Energy of streaming one weight byte from DRAM.
        downcast: Whether a precision wider than every unit the PE has runs
            on its widest unit (the NPU compiler quantising an fp32 layer to
            fp16); otherwise such a task is ineligible.
        event_driven: Whether the hardware is driven by events and has no
            dense path for event inputs (a spike-driven core, a synapse
            engine): their synaptic operations are always paid as such, at
            any activity. Needs a synaptic-operation rate.
    """

    kinds: frozenset[str]
    mac_rate: Mapping[str, float]
    sop_rate: float
    elem_rate: float
    bandwidth: float
    onchip_bytes: float = 0.0
    overhead_us: float = 0.0
    dram_pj_per_byte: float = DEFAULT_DRAM_PJ_PER_BYTE
    downcast: bool = False
    event_driven: bool = False

    @property
    def event_capable(self) -> bool:
        """Whether the PE has an event path (a synaptic-operation rate)."""
        return self.sop_rate > 0

    def unit(self, precision: str) -> str | None:
        """The precision of the MAC unit that runs a task of ``precision``, or ``None``.

        Falls back along int4 -> int8 -> int16 -> fp16 -> fp32; with
        :attr:`downcast`, a precision wider than every unit uses the widest.
        """
        start = PRECISIONS.index(precision)
        for candidate in PRECISIONS[start:]:
            if candidate in self.mac_rate:
                return candidate
        if self.downcast:
            for candidate in reversed(PRECISIONS[:start]):
                if candidate in self.mac_rate:
                    return candidate
        return None

    def to_dict(self) -> dict[str, Any]:
        """The file representation in per-second giga units (see :func:`read_pe_cost_model`)."""
        doc: dict[str, Any] = {
            "kinds": [k for k in TASK_KINDS if k in self.kinds],
            "gmac_per_s": {p: self.mac_rate[p] / _G_PER_S_TO_PER_US
                           for p in PRECISIONS if p in self.mac_rate},
        }
        if self.sop_rate:
            doc["gsop_per_s"] = self.sop_rate / _G_PER_S_TO_PER_US
        doc |= {"gelem_per_s": self.elem_rate / _G_PER_S_TO_PER_US,
                "dram_gbyte_per_s": self.bandwidth / _G_PER_S_TO_PER_US,
                "onchip_bytes": self.onchip_bytes, "overhead_us": self.overhead_us,
                "dram_pj_per_byte": self.dram_pj_per_byte}
        if self.downcast:
            doc["downcast"] = True
        if self.event_driven:
            doc["event_driven"] = True
        return doc


@dataclass(frozen=True)
class TaskOps:
    """What one task computes, independent of where it runs.

    Activity ``a`` is the fraction of a layer's event inputs that fire in one
    run; the job's activity is drawn per job (see :class:`ActivityModel`) and
    a layer sees ``min(1, activity_scale x a)``.

    Attributes:
        kind: Task kind (one of :data:`TASK_KINDS`).
        precision: Deployed precision (one of :data:`PRECISIONS`).
        macs: MACs on real-valued inputs; every PE pays them densely.
        spike_macs: Dense-equivalent MACs whose inputs are binary or graded
            events. Dense PEs pay them all; event-capable PEs may instead pay
            one synaptic operation per active input.
        event_fraction: Share of ``spike_macs`` whose inputs follow the
            layer's activity; the rest follow ``input_activity``.
        input_activity: Fixed activity of the other event inputs (1: a dense
            input delivered as events, e.g. an embedding into an EGRU layer).
        activity_scale: This layer's activity relative to the job's.
        gated_macs: MACs over weight rows selected by active inputs (a
            decoder reading only the rows of active units); every PE does
            ``activity x gated_macs`` of them densely.
        gated_weight_bytes: Bytes of those rows; ``activity x`` of them are
            fetched.
        elem_ops: Element-wise operations.
        weight_bytes: Weight bytes read by every run.
        output_bytes: Bytes of the task's output; the default volume of its
            out-edges.
    """

    kind: str
    precision: str
    macs: float = 0.0
    spike_macs: float = 0.0
    event_fraction: float = 1.0
    input_activity: float = 1.0
    activity_scale: float = 1.0
    gated_macs: float = 0.0
    gated_weight_bytes: float = 0.0
    elem_ops: float = 0.0
    weight_bytes: float = 0.0
    output_bytes: float = 0.0

    @property
    def activity_dependent(self) -> bool:
        """Whether the task's cost on some PE changes with the job's activity."""
        return (self.spike_macs > 0 and self.event_fraction > 0) or self.gated_macs > 0 \
            or self.gated_weight_bytes > 0

    @property
    def needs_mac_unit(self) -> bool:
        """Whether the task does any MACs (a PE then needs a unit for its precision)."""
        return self.macs > 0 or self.spike_macs > 0 or self.gated_macs > 0

    def layer_activity(self, activity: float) -> float:
        """The activity this layer sees when the job's activity is ``activity``."""
        return min(1.0, self.activity_scale * activity)

    def real_macs(self, activity: float) -> float:
        """MACs every PE performs densely (real-valued and gated)."""
        return self.macs + self.gated_macs * self.layer_activity(activity)

    def dense_macs(self, activity: float) -> float:
        """Dense-equivalent MACs: what a PE without an event path performs."""
        return self.real_macs(activity) + self.spike_macs

    def event_ops(self, activity: float) -> float:
        """Synaptic operations on an event-capable PE: one per active event input."""
        fired = ((1.0 - self.event_fraction) * self.input_activity
                 + self.event_fraction * self.layer_activity(activity))
        return self.spike_macs * fired

    def weights(self, activity: float) -> float:
        """Weight bytes one run reads."""
        return self.weight_bytes + self.gated_weight_bytes * self.layer_activity(activity)

    def to_dict(self) -> dict[str, Any]:
        """The file representation, omitting fields at their defaults."""
        defaults = TaskOps(self.kind, self.precision)
        doc: dict[str, Any] = {"kind": self.kind, "precision": self.precision}
        for name in _OPS_NUMBERS:
            value = getattr(self, name)
            if value != getattr(defaults, name):
                doc[name] = value
        return doc


_OPS_NUMBERS = ("macs", "spike_macs", "event_fraction", "input_activity", "activity_scale",
                "gated_macs", "gated_weight_bytes", "elem_ops", "weight_bytes", "output_bytes")


@dataclass(frozen=True)
class CostBreakdown:
    """The parts of one task's cost on one PE type (all times in us).

    Attributes:
        unit: Precision of the MAC unit used (``None`` when the task has no MACs).
        dense_us: Time of the dense path.
        event_us: Time of the event path (``inf`` on a PE without one).
        event_path: Whether the event path was the cheaper one (and taken).
        synaptic_us: Time spent on synaptic operations when the event path
            is taken, else 0.
        elem_us: Time of the element-wise work.
        compute_us: ``min(dense, event) + elem``.
        memory_us: Time to stream the weights that do not fit on chip.
        streamed_bytes: Those weight bytes.
        latency_us: ``max(compute, memory) + overhead``.
        floor_us: The part of the latency that no activity removes: the
            element-wise work (per-neuron state updates) plus the dispatch
            overhead.
    """

    unit: str | None
    dense_us: float
    event_us: float
    event_path: bool
    synaptic_us: float
    elem_us: float
    compute_us: float
    memory_us: float
    streamed_bytes: float
    latency_us: float
    floor_us: float = 0.0


def is_eligible(ops: TaskOps, model: PECostModel | None) -> bool:
    """Whether a PE type with ``model`` can run the task at all (activity plays no part)."""
    if model is None or ops.kind not in model.kinds:
        return False
    return not ops.needs_mac_unit or model.unit(ops.precision) is not None


def ineligibility(ops: TaskOps, model: PECostModel | None) -> str:
    """Why a PE type cannot run the task ('' when it can), for error messages."""
    if model is None:
        return "no cost_model"
    if ops.kind not in model.kinds:
        return f"kind '{ops.kind}' not in its kinds"
    if ops.needs_mac_unit and model.unit(ops.precision) is None:
        return f"no MAC unit for {ops.precision} or wider"
    return ""


def breakdown(ops: TaskOps, model: PECostModel, activity: float) -> CostBreakdown | None:
    """The cost of ``ops`` on a PE type with ``model`` at the job's ``activity``.

    Returns:
        The parts of the cost, or ``None`` if the PE type cannot run the task.
    """
    if not is_eligible(ops, model):
        return None
    unit = model.unit(ops.precision) if ops.needs_mac_unit else None
    dense = event = math.inf
    synaptic = 0.0
    if unit is None:
        dense = 0.0
    else:
        rate = model.mac_rate[unit]
        dense = ops.dense_macs(activity) / rate
        if model.event_capable and ops.spike_macs > 0:
            synaptic = ops.event_ops(activity) / model.sop_rate
            event = ops.real_macs(activity) / rate + synaptic
    # An event-driven PE has no dense datapath for event inputs; elsewhere the
    # cheaper path wins (ties go to the dense one).
    event_path = event < dense or (model.event_driven and math.isfinite(event))
    elem = ops.elem_ops / model.elem_rate
    compute = (event if event_path else dense) + elem
    streamed = max(0.0, ops.weights(activity) - model.onchip_bytes)
    memory = streamed / model.bandwidth
    return CostBreakdown(unit=unit, dense_us=dense, event_us=event, event_path=event_path,
                         synaptic_us=synaptic if event_path else 0.0, elem_us=elem,
                         compute_us=compute, memory_us=memory, streamed_bytes=streamed,
                         latency_us=max(compute, memory) + model.overhead_us,
                         floor_us=elem + model.overhead_us)


def latency(ops: TaskOps, model: PECostModel | None, activity: float) -> float:
    """Execution time in us at the PE type's reference OPP (``inf``: ineligible)."""
    if model is None:
        return math.inf
    parts = breakdown(ops, model, activity)
    return math.inf if parts is None else parts.latency_us


def dram_energy(ops: TaskOps, model: PECostModel | None, activity: float) -> float:
    """Energy in uJ of streaming the weights that do not fit on chip (0 if ineligible)."""
    if model is None or not is_eligible(ops, model):
        return 0.0
    streamed = max(0.0, ops.weights(activity) - model.onchip_bytes)
    return streamed * model.dram_pj_per_byte * _PJ_TO_UJ


def synaptic_energy(ops: TaskOps, model: PECostModel | None, activity: float,
                    active_w: float) -> float:
    """Energy in uJ of the synaptic operations alone (0 when the event path is not taken).

    This is the accounting of papers that count energy per synaptic event
    (e.g. MCC's 80 pJ per synapse): ``S / sop x active_w``, without the
    per-neuron updates, the dispatch overhead or real-valued MACs.
    """
    if model is None:
        return 0.0
    parts = breakdown(ops, model, activity)
    return 0.0 if parts is None else parts.synaptic_us * active_w


def energy(ops: TaskOps, model: PECostModel | None, activity: float, active_w: float) -> float:
    """Energy in uJ of one run: ``latency x active_w`` plus the DRAM streaming energy.

    Args:
        ops: The task.
        model: The PE type's cost model.
        activity: The job's activity.
        active_w: The PE type's active power at its reference OPP.

    Returns:
        The energy, or ``inf`` if the PE type cannot run the task.
    """
    time = latency(ops, model, activity)
    if math.isinf(time):
        return math.inf
    return time * active_w + dram_energy(ops, model, activity)


@dataclass(frozen=True)
class ActivityModel:
    """A profile's activity: a nominal value and, optionally, a per-job distribution.

    With ``low < high`` every job draws its activity uniformly from
    ``[low, high]``. To keep per-job costs cheap, the range is split into
    ``levels`` equal bins; a job runs with the cost table of its bin's
    midpoint (:meth:`grid`, :meth:`level`), precomputed when the profile is
    bound.

    Attributes:
        nominal: Activity of the profile's own cost table (what a job has
            when activity is not drawn).
        low: Lower end of the per-job range (``None``: fixed activity).
        high: Upper end of the per-job range.
        levels: Number of precomputed activity levels.
    """

    nominal: float
    low: float | None = None
    high: float | None = None
    levels: int = DEFAULT_ACTIVITY_LEVELS
    _grid: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        grid: tuple[float, ...] = ()
        if self.varies:
            step = (self.high - self.low) / self.levels  # type: ignore[operator]
            grid = tuple(self.low + (k + 0.5) * step for k in range(self.levels))  # type: ignore[operator]
        object.__setattr__(self, "_grid", grid)

    @property
    def varies(self) -> bool:
        """Whether jobs draw their activity."""
        return self.low is not None and self.high is not None and self.high > self.low

    def grid(self) -> tuple[float, ...]:
        """The activity of each precomputed level (bin midpoints), lowest first."""
        return self._grid

    def level(self, activity: float) -> int:
        """Index of the level whose bin holds ``activity`` (clamped to the range)."""
        if not self.varies:
            return 0
        span = self.high - self.low  # type: ignore[operator]
        index = int((activity - self.low) / span * self.levels)  # type: ignore[operator]
        return min(max(index, 0), self.levels - 1)

    def draw(self, rng: np.random.Generator) -> float:
        """One job's activity (the nominal one if the activity is fixed)."""
        if not self.varies:
            return self.nominal
        return float(rng.uniform(self.low, self.high))

    def to_dict(self) -> dict[str, Any]:
        """The file representation."""
        doc: dict[str, Any] = {"nominal": self.nominal}
        if self.varies:
            doc["uniform"] = [self.low, self.high]
            if self.levels != DEFAULT_ACTIVITY_LEVELS:
                doc["levels"] = self.levels
        return doc


# ----------------------------------------------------------------------------- file readers


def read_pe_cost_model(fields: Fields, doc: Any, where: str) -> PECostModel:
    """Validate a PE type's ``cost_model:`` block (see ``docs/formats.md``).

    Args:
        fields: The reader of the file, for error messages.
        doc: The block as parsed.
        where: Its dotted path, e.g. ``pe_types[2].cost_model``.

    Raises:
        ConfigError: A missing or unknown field, an unknown kind or
            precision, or a rate that is not a positive number.
    """
    doc = fields.mapping(doc, where)
    fields.unknown_keys(doc, {"kinds", "gmac_per_s", "gsop_per_s", "gelem_per_s",
                              "dram_gbyte_per_s", "onchip_bytes", "overhead_us",
                              "dram_pj_per_byte", "downcast", "event_driven"}, where)
    kinds = _read_kinds(fields, fields.require(doc, "kinds", where), f"{where}.kinds")
    rates = fields.mapping(doc.get("gmac_per_s", {}), f"{where}.gmac_per_s")
    mac_rate = {}
    for precision, value in rates.items():
        at = f"{where}.gmac_per_s.{precision}"
        if precision not in PRECISIONS:
            raise fields.error(at, f"unknown precision '{precision}'",
                               f"use one of {list(PRECISIONS)}")
        mac_rate[precision] = fields.number(value, at, strictly_positive=True) \
            * _G_PER_S_TO_PER_US
    sop = 0.0
    if "gsop_per_s" in doc:
        sop = fields.number(doc["gsop_per_s"], f"{where}.gsop_per_s", strictly_positive=True)
    downcast = doc.get("downcast", False)
    if not isinstance(downcast, bool):
        raise fields.error(f"{where}.downcast", f"is {downcast!r}", "write true or false")
    event_driven = doc.get("event_driven", False)
    if not isinstance(event_driven, bool):
        raise fields.error(f"{where}.event_driven", f"is {event_driven!r}",
                           "write true or false")
    if event_driven and not sop:
        raise fields.error(f"{where}.event_driven", "is true but the PE has no gsop_per_s",
                           "give its synaptic-operation rate (gsop_per_s) or drop "
                           "event_driven")
    return PECostModel(
        kinds=kinds, mac_rate=mac_rate, sop_rate=sop * _G_PER_S_TO_PER_US,
        elem_rate=_positive(fields, doc, "gelem_per_s", where) * _G_PER_S_TO_PER_US,
        bandwidth=_positive(fields, doc, "dram_gbyte_per_s", where) * _G_PER_S_TO_PER_US,
        onchip_bytes=fields.number(doc.get("onchip_bytes", 0), f"{where}.onchip_bytes"),
        overhead_us=fields.number(doc.get("overhead_us", 0), f"{where}.overhead_us"),
        dram_pj_per_byte=fields.number(doc.get("dram_pj_per_byte", DEFAULT_DRAM_PJ_PER_BYTE),
                                       f"{where}.dram_pj_per_byte"),
        downcast=downcast, event_driven=event_driven)


def _positive(fields: Fields, doc: Mapping[str, Any], key: str, where: str) -> float:
    return fields.number(fields.require(doc, key, where), f"{where}.{key}",
                         strictly_positive=True)


def _read_kinds(fields: Fields, value: Any, where: str) -> frozenset[str]:
    items = fields.sequence(value, where)
    if not items:
        raise fields.error(where, "is empty", f"list the task kinds it runs, from "
                           f"{list(TASK_KINDS)}")
    for k, kind in enumerate(items):
        if kind not in TASK_KINDS:
            raise fields.error(f"{where}[{k}]", f"unknown task kind {kind!r}",
                               f"use one of {list(TASK_KINDS)}")
    return frozenset(items)


def read_task_ops(fields: Fields, doc: Any, where: str) -> TaskOps:
    """Validate a task's ``ops:`` block (see ``docs/formats.md``).

    Raises:
        ConfigError: A missing or unknown field, an unknown kind or
            precision, a negative count, or a fraction outside [0, 1].
    """
    doc = fields.mapping(doc, where)
    fields.unknown_keys(doc, {"kind", "precision", *_OPS_NUMBERS}, where)
    kind = fields.require(doc, "kind", where)
    if kind not in TASK_KINDS:
        raise fields.error(f"{where}.kind", f"unknown task kind {kind!r}",
                           f"use one of {list(TASK_KINDS)}")
    precision = fields.require(doc, "precision", where)
    if precision not in PRECISIONS:
        raise fields.error(f"{where}.precision", f"unknown precision {precision!r}",
                           f"use one of {list(PRECISIONS)}")
    values = {name: fields.number(doc[name], f"{where}.{name}",
                                  strictly_positive=name == "activity_scale")
              for name in _OPS_NUMBERS if name in doc}
    for name in ("event_fraction", "input_activity"):
        if values.get(name, 0.0) > 1.0:
            raise fields.error(f"{where}.{name}", f"is {values[name]:g}, must be at most 1",
                               "give a fraction between 0 and 1")
    return TaskOps(kind=kind, precision=precision, **values)


def read_activity(fields: Fields, doc: Any, where: str) -> ActivityModel:
    """Validate a profile's ``activity:`` block: ``{nominal, uniform: [lo, hi], levels}``.

    ``nominal`` defaults to the middle of the range; without ``uniform`` the
    activity is fixed at ``nominal``.

    Raises:
        ConfigError: A missing or unknown field, a value outside [0, 1], a
            range that is not ``[low, high]`` with ``low < high``, or a
            nominal value outside the range.
    """
    doc = fields.mapping(doc, where)
    fields.unknown_keys(doc, {"nominal", "uniform", "levels"}, where)
    low = high = None
    if "uniform" in doc:
        bounds = fields.sequence(doc["uniform"], f"{where}.uniform")
        if len(bounds) != 2:
            raise fields.error(f"{where}.uniform", f"is {bounds!r}", "write [low, high]")
        low, high = (_fraction(fields, b, f"{where}.uniform[{k}]") for k, b in enumerate(bounds))
        if not low < high:
            raise fields.error(f"{where}.uniform", f"is {bounds!r}",
                               "give [low, high] with low < high")
    elif "nominal" not in doc:
        raise fields.error(where, "has neither 'nominal' nor 'uniform'",
                           "give nominal: A (fixed activity) or uniform: [LOW, HIGH]")
    nominal = (_fraction(fields, doc["nominal"], f"{where}.nominal") if "nominal" in doc
               else (low + high) / 2)  # type: ignore[operator]
    if low is not None and not low <= nominal <= high:  # type: ignore[operator]
        raise fields.error(f"{where}.nominal", f"is {nominal:g}, outside uniform [{low:g}, "
                           f"{high:g}]", "give a nominal activity inside the range")
    levels = fields.integer(doc.get("levels", DEFAULT_ACTIVITY_LEVELS), f"{where}.levels",
                            minimum=1, maximum=MAX_ACTIVITY_LEVELS)
    return ActivityModel(nominal=nominal, low=low, high=high, levels=levels)


def _fraction(fields: Fields, value: Any, where: str) -> float:
    number = fields.number(value, where)
    if number > 1.0:
        raise fields.error(where, f"is {number:g}, must be at most 1",
                           "give an activity between 0 and 1")
    return number


def describe_ops(ops: TaskOps) -> str:
    """A one-line summary of a task's op counts, for listings and messages."""
    parts = [ops.kind, ops.precision]
    for label, value in (("MAC", ops.macs), ("spike MAC", ops.spike_macs),
                         ("gated MAC", ops.gated_macs), ("elem", ops.elem_ops),
                         ("weight B", ops.weight_bytes)):
        if value:
            parts.append(f"{value:.3g} {label}")
    return ", ".join(parts)

