"""DS3's power model: cluster power by busy-core count, leakage from voltage and temperature.

socsim's own model charges each PE its operating point's active power while
it runs and its idle power while it waits. DS3 (Arda et al., "DS3: A
System-Level Domain-Specific System-on-Chip Simulation Framework", IEEE
Trans. Computers 2020), which the DeepSoCS and imitation-learning scheduler
papers were measured on, models a cluster instead, and a platform that
declares ``power_model: {kind: ds3, ...}`` gets the same rules here:

- *Busy cores.* A cluster's ``power_profile`` gives its power with 1, 2, ...
  cores busy at a few frequencies (the Odroid-XU3 measurements). With ``n``
  cores busy at frequency ``f``, the profile point ``f_p`` used is the lowest
  at or above ``f``; the dynamic power of the cluster is the profile value
  ``P[f_p][n]`` less the leakage of the profile's cores, split evenly over
  the ``n`` busy cores and rescaled from ``f_p`` to ``f`` by ``f V^2``. A busy
  core draws that plus its leakage.
- *Leakage.* ``V C1 T^2 exp(-C2 / T) + Igate V`` for the big cluster (``T``
  in kelvin, the hottest hotspot), times a per-cluster share: DS3 charges a
  core a quarter of it (clusters have at most four cores), and a LITTLE core
  a quarter of that again (its area). Idle cores draw only their leakage; a
  failed PE draws nothing.
- *Power gating.* Optional (a run's ``power_gating``): idle cores of a
  cluster are switched off and draw nothing, and ``n`` busy cores draw the
  cluster's ``gated_profile`` (DS3's ``PG_profile`` lines: the power with the
  other cores gated) less the leakage of those ``n`` cores, split and
  rescaled as above, plus their leakage. Off by default (DS3's simulation of
  its default configuration charges the ungated profile).
- *Base power.* Memory and GPU rails draw a constant ``P_mem + P_GPU`` for the
  whole run (0.1674 W on the XU3), counted in the run's energy but in no job's.
- *Temperature.* Optional (``thermal``): DS3's state-space hotspot model,
  ``T[k+1] = A (T[k] - T_amb) + B u + T_amb`` every ``period_us`` (20 us),
  where ``u`` holds the memory and GPU powers and each cluster's power. With
  it, leakage follows the chip's heating; without it, temperatures stay at
  ambient. Optional trip points cap the clusters' frequencies when the chip
  is too hot (DS3's throttling, run by the simulator).

A consequence of these rules that surprises at first: a cluster with every
core up and at least one busy draws exactly its profile value, whatever the
temperature (the leakage taken off the dynamic part comes back per core);
leakage and heat matter for clusters with no busy core.

Three differences from DS3 are deliberate: powers change exactly when a core
starts or stops (DS3 re-reads the busy count every 10 us sampling window); a
cluster's power fed to the thermal model is always its physical power (DS3
sometimes adds the base power into it when a core goes idle); and across an
idle span between events the hotspot updates are taken as one jump (see
:meth:`ClusterEnergy._thermal_jump`), unless a governor or throttling needs
each of them.

:class:`ClusterEnergy` keeps the running integrals the simulator books
energy from: per cluster, the energy one busy core and one idle core have
drawn so far, so that a task's energy is the difference of the busy
integral between its finish and its start, whatever happened to the
cluster in between.
"""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from socsim.errors import SchedulingError
from socsim.fields import Fields

if TYPE_CHECKING:
    from socsim.platform import Cluster, PEType

#: Hotspot-model inputs a cluster may drive (its column of ``B``), besides none.
THERMAL_INPUTS = ("big", "little")
#: Constant inputs of the hotspot model: memory and GPU rails (W).
RAIL_INPUTS = ("mem", "gpu")
KELVIN = 273.0  # DS3 converts with 273, not 273.15
#: A hotspot above this means the thermal model diverged (thermal runaway): the run stops.
MAX_CELSIUS = 1000.0
#: Most hotspot-model updates done as one jump over an idle span (longer spans take several).
MAX_JUMP = 64


@dataclass(frozen=True)
class Leakage:
    """Leakage power of the reference (big) cluster: ``V C1 T^2 exp(-C2/T) + Igate V``.

    Attributes:
        c1: Coefficient (W / (V K^2)).
        c2: Activation temperature (K).
        igate: Gate leakage current (A).
    """

    c1: float
    c2: float
    igate: float

    def cluster_w(self, volts: float, celsius: float) -> float:
        """The reference cluster's leakage at ``volts`` and a hotspot at ``celsius``."""
        kelvin = KELVIN + celsius
        return volts * self.c1 * kelvin * kelvin * math.exp(-self.c2 / kelvin) \
            + self.igate * volts


@dataclass(frozen=True)
class ClusterPower:
    """How one cluster draws power under the DS3 model.

    Attributes:
        profile: ``(mhz, powers)`` ascending by frequency; ``powers[k]`` is the
            cluster's power with ``k + 1`` cores busy (W). Empty: no dynamic power.
        leakage_share: The fraction of the reference cluster's leakage one of
            its cores draws (DS3: 0.25, and 0.0625 for a LITTLE core).
        thermal_input: Which column of the hotspot model its power drives
            (``"big"``, ``"little"``) or ``""`` (none, as DS3's accelerators).
        trip_mhz: Per trip point of the thermal model, the most the cluster may
            run at while throttled there (MHz; -1: no cap at that trip).
        gated_profile: Like ``profile``, with the cluster's idle cores power-gated
            (DS3's ``PG_profile``); used by runs with power gating on.
    """

    profile: tuple[tuple[float, tuple[float, ...]], ...]
    leakage_share: float
    thermal_input: str = ""
    trip_mhz: tuple[float, ...] = ()
    gated_profile: tuple[tuple[float, tuple[float, ...]], ...] = ()

    @property
    def gated(self) -> ClusterPower:
        """This cluster's power-gated twin: ``gated_profile`` as its profile."""
        return ClusterPower(self.gated_profile, self.leakage_share, self.thermal_input,
                            self.trip_mhz, self.gated_profile)


@dataclass(frozen=True)
class Thermal:
    """DS3's discrete-time hotspot model (``T[k+1] = A (T[k] - T_amb) + B u + T_amb``).

    Attributes:
        a: ``(h, h)`` state matrix, one row per hotspot.
        b: Per input (``mem``, ``gpu``, ``big``, ``little``), its column of ``B`` (h values).
        period_us: Time between updates.
        trips_c: Trip temperatures, ascending (C): above ``trips_c[k]`` the
            clusters are capped at their ``trip_mhz[k]`` (DS3's throttling).
        hysteresis_c: Per trip, how far below it the chip must cool to release it.
        throttling: Whether the trips act (DS3's ``enable_throttling``; off in
            DS3's default configuration). A run may override it.
    """

    a: tuple[tuple[float, ...], ...]
    b: Mapping[str, tuple[float, ...]]
    period_us: float = 20.0
    trips_c: tuple[float, ...] = ()
    hysteresis_c: tuple[float, ...] = ()
    throttling: bool = False


@dataclass(frozen=True)
class DS3PowerModel:
    """A platform's DS3 power model (see the module docstring).

    Attributes:
        leakage: The reference cluster's leakage law.
        clusters: One entry per platform cluster, in order.
        rails_w: Constant rail powers, ``{"mem": W, "gpu": W}``; their sum is the base power.
        ambient_c: Ambient temperature, where every hotspot starts.
        thermal: The hotspot model, or ``None`` (temperatures stay at ambient).
    """

    leakage: Leakage
    clusters: tuple[ClusterPower, ...]
    rails_w: Mapping[str, float]
    ambient_c: float
    thermal: Thermal | None = None

    @property
    def base_w(self) -> float:
        """Power drawn by the rails all run long (W)."""
        return sum(self.rails_w.values())


class ClusterEnergy:
    """One run's energy integrals under a :class:`DS3PowerModel`.

    The simulator calls :meth:`advance` when its clock moves, and
    :meth:`change` when a core of a cluster starts or stops running, or
    fails or recovers; energies are read as differences of :meth:`busy_mark`
    (per busy core) and :meth:`idle_mark` (per idle core) integrals.

    Leakage is ``V * share * g(T)`` with ``g(T) = C1 T^2 exp(-C2/T) + Igate``,
    so every power here is affine in ``g``: a busy core draws ``a + b g``, an
    idle one ``d g``, with ``a``, ``b``, ``d`` fixed while the cluster's busy
    count and operating point are. One running integral ``G(t)`` of ``g``
    then gives every cluster's energy at any time, and a temperature update
    costs one exponential and the hotspot model's matrix product, whatever
    the number of clusters.

    Args:
        model: The platform's power model.
        sizes: Cores per cluster.
        busy_points: Per cluster, the ``(mhz, mv)`` its cores run tasks at.
        idle_points: Per cluster, the ``(mhz, mv)`` its cores idle at.
        voltages: Per cluster, the voltage (mV) of each of its operating points, by MHz.
        power_gating: Gate idle cores (they draw nothing) and charge busy ones from
            each cluster's ``gated_profile`` (every cluster with a ``profile`` needs
            one; the simulator checks this and names the clusters that lack it).
    """

    def __init__(self, model: DS3PowerModel, sizes: Sequence[int],
                 busy_points: Sequence[tuple[float, float]],
                 idle_points: Sequence[tuple[float, float]],
                 voltages: Sequence[Mapping[float, float]], power_gating: bool = False) -> None:
        if power_gating:
            model = dataclasses.replace(model, clusters=tuple(spec.gated if spec.profile
                                                              else spec
                                                              for spec in model.clusters))
        self.model = model
        self.power_gating = power_gating
        count = len(sizes)
        self.busy = [0] * count
        self.alive = list(sizes)
        self._voltages = list(voltages)
        # Per cluster: leakage per unit of g (busy and idle voltage x share), the profile
        # row in use and its f V^2 rescaling; then the affine coefficients and marks.
        self._busy_leak: list[float] = []
        self._idle_leak: list[float] = []
        self._rows: list[tuple[float, ...]] = []
        self._rescale: list[float] = []
        for spec, (mhz, mv), (_, idle_mv), table in zip(model.clusters, busy_points,
                                                        idle_points, voltages, strict=True):
            row, rescale = _profile_row(spec, mhz, mv, table)
            self._busy_leak.append(mv / 1000 * spec.leakage_share)
            self._idle_leak.append(0.0 if power_gating else idle_mv / 1000 * spec.leakage_share)
            self._rows.append(row)
            self._rescale.append(rescale)
        self._busy_a = [0.0] * count
        self._busy_b = [0.0] * count
        self._clock = [0.0] * count
        self._g_mark = [0.0] * count
        self._busy_int = [0.0] * count
        self._idle_int = [0.0] * count
        thermal = model.thermal
        self.temperatures = [model.ambient_c] * (len(thermal.a) if thermal is not None else 1)
        self._next_step = thermal.period_us if thermal is not None else math.inf
        self._step_time = 0.0  # the last temperature update
        self._g_total = 0.0  # integral of g from 0 to _step_time
        self._g = self._leakage_factor()
        self._spans: list[tuple[list[list[float]], list[list[float]]]] = []
        if thermal is not None:
            hotspots = range(len(thermal.a))
            # The rails are constant: their part of B u is one vector for the whole run.
            self._rails_rise = [sum(thermal.b[name][h] * watts for name, watts
                                    in model.rails_w.items() if name in thermal.b)
                                for h in hotspots]
            self._inputs = [(thermal.b[name], [c for c, spec in enumerate(model.clusters)
                                               if spec.thermal_input == name])
                            for name in THERMAL_INPUTS if name in thermal.b]
        #: ``(time, series, value)`` samples of the hottest hotspot (``temperature_c``) and
        #: the chip's power (``power_w``) at each thermal update, or ``None``.
        self.trace: list[tuple[float, str, float]] | None = None
        for c in range(count):
            self._coefficients(c)

    def copy(self) -> ClusterEnergy:
        """An independent copy, for :meth:`socsim.simulator.Simulator.fork` (shares the model)."""
        twin = object.__new__(ClusterEnergy)
        twin.__dict__.update(self.__dict__)
        for name in ("busy", "alive", "_busy_leak", "_idle_leak", "_rows", "_rescale",
                     "_busy_a", "_busy_b", "_clock", "_g_mark", "_busy_int", "_idle_int",
                     "temperatures"):
            setattr(twin, name, list(getattr(self, name)))
        return twin

    # ------------------------------------------------------------- the clock
    def advance(self, now: float) -> None:
        """Run the hotspot model's updates due up to ``now`` (nothing without one)."""
        if self._next_step > now:
            return
        thermal = self.model.thermal
        period = thermal.period_us  # type: ignore[union-attr]
        while self._next_step <= now:
            due = min(int((now - self._next_step) // period) + 1, MAX_JUMP)
            first = self._next_step
            step = first + (due - 1) * period
            self._g_total += self._g * (first - self._step_time)
            self._step_time = step
            if due > 1:  # nothing changed since the last event: one jump over the span
                self._thermal_jump(thermal, due)  # type: ignore[arg-type]
            else:
                self._thermal_step(thermal)  # type: ignore[arg-type]
            hottest = max(self.temperatures)
            if not hottest < MAX_CELSIUS:  # NaN too
                raise SchedulingError(
                    f"the hotspot model ran away at t={step:g} us: a hotspot is at "
                    f"{hottest:g} C; check the platform's power_model.thermal (the state "
                    "matrix must be stable and the input columns small enough that leakage "
                    "cannot feed on itself)")
            self._g = self._leakage_factor()
            self._next_step = step + period
            if self.trace is not None:
                self.trace.append((step, "temperature_c", max(self.temperatures)))
                self.trace.append((step, "power_w", self.model.base_w + sum(
                    self.cluster_w(c) for c in range(len(self.busy)))))

    def change(self, cluster: int, now: float, busy: int = 0, alive: int = 0) -> None:
        """From ``now``: ``busy`` more (or fewer) cores of ``cluster`` run, ``alive`` more up."""
        self._integrate(cluster, now)
        self.busy[cluster] += busy
        self.alive[cluster] += alive
        self._coefficients(cluster)

    def set_point(self, cluster: int, now: float, point: tuple[float, float]) -> None:
        """From ``now``, ``cluster`` runs and idles at ``point`` (``(mhz, mv)``; a governor)."""
        self._integrate(cluster, now)
        mhz, mv = point
        spec = self.model.clusters[cluster]
        self._rows[cluster], self._rescale[cluster] = _profile_row(
            spec, mhz, mv, self._voltages[cluster])
        self._busy_leak[cluster] = mv / 1000 * spec.leakage_share
        self._idle_leak[cluster] = 0.0 if self.power_gating else self._busy_leak[cluster]
        self._coefficients(cluster)

    def busy_mark(self, cluster: int, now: float) -> float:
        """Energy one busy core of ``cluster`` has drawn from the start to ``now`` (uJ)."""
        self._integrate(cluster, now)
        return self._busy_int[cluster]

    def idle_mark(self, cluster: int, now: float) -> float:
        """Energy one idle core of ``cluster`` has drawn from the start to ``now`` (uJ)."""
        self._integrate(cluster, now)
        return self._idle_int[cluster]

    @property
    def next_update(self) -> float:
        """When the hotspot model updates next (us; ``inf`` without one)."""
        return self._next_step

    @property
    def hottest(self) -> float:
        """The hottest hotspot now (C)."""
        return max(self.temperatures)

    def base_energy(self, now: float) -> float:
        """Energy of the rails from the start to ``now`` (uJ)."""
        return self.model.base_w * now

    def busy_core_w(self, cluster: int) -> float:
        """What one busy core of ``cluster`` draws now (W)."""
        return self._busy_a[cluster] + self._busy_b[cluster] * self._g

    def cluster_w(self, cluster: int) -> float:
        """The cluster's power now (W): its busy cores, and the leakage of the idle ones."""
        busy = self.busy[cluster]
        return busy * self.busy_core_w(cluster) \
            + (self.alive[cluster] - busy) * self._idle_leak[cluster] * self._g

    # ------------------------------------------------------------- internals
    def _integrate(self, c: int, now: float) -> None:
        dt = now - self._clock[c]
        if dt > 0:
            g_now = self._g_total + self._g * (now - self._step_time)
            dg = g_now - self._g_mark[c]
            self._busy_int[c] += self._busy_a[c] * dt + self._busy_b[c] * dg
            self._idle_int[c] += self._idle_leak[c] * dg
            self._clock[c] = now
            self._g_mark[c] = g_now

    def _leakage_factor(self) -> float:
        """``g(T)`` at the hottest hotspot: leakage per volt of the reference cluster (W/V)."""
        leakage = self.model.leakage
        kelvin = KELVIN + max(self.temperatures)
        return leakage.c1 * kelvin * kelvin * math.exp(-leakage.c2 / kelvin) + leakage.igate

    def _coefficients(self, c: int) -> None:
        """A busy core of cluster ``c`` draws ``a + b g`` with its busy count now.

        DS3: the cluster's dynamic power is the profile value less the leakage of
        the profile's cores, split over the busy ones and rescaled by ``f V^2``.
        Power-gated, the profile's cores that leak are only the busy ones.
        """
        leak = self._busy_leak[c]
        n, row = self.busy[c], self._rows[c]
        if not row or n <= 0:
            self._busy_a[c], self._busy_b[c] = 0.0, leak
            return
        rescale = self._rescale[c] / n
        leaking = min(n, len(row)) if self.power_gating else len(row)
        self._busy_a[c] = row[min(n, len(row)) - 1] * rescale
        self._busy_b[c] = leak - leak * leaking * rescale

    def _drive(self, thermal: Thermal) -> list[float]:
        """``B u`` now: what the rails and the clusters' powers add to each hotspot per update."""
        drive = list(self._rails_rise)
        for column, drivers in self._inputs:
            watts = sum(self.cluster_w(c) for c in drivers)
            if watts:
                drive = [x + weight * watts for x, weight in zip(drive, column, strict=False)]
        return drive

    def _thermal_jump(self, thermal: Thermal, k: int) -> None:
        """``k`` updates at once: ``T = A^k (T - T_a) + (I + A + ... + A^(k-1)) B u + T_a``.

        Exact while the inputs ``u`` hold, which they do between events except
        for the idle leakage's own drift with temperature (held at the span's
        start; the spans are idle gaps, a fraction of the thermal time constant
        of about 3 ms). The simulator stops at every update instead when a
        governor or throttling runs.
        """
        power, span = self._span(thermal, k)
        ambient = self.model.ambient_c
        rise = [t - ambient for t in self.temperatures]
        start = self._g

        def ahead(drive: list[float]) -> list[float]:
            return [ambient + sum(map(operator.mul, p_row, rise))
                    + sum(map(operator.mul, s_row, drive))
                    for p_row, s_row in zip(power, span, strict=False)]

        # Predictor-corrector: the leakage factor over the span taken as the mean of its
        # values at both ends, for the heat it adds and for the energy it books.
        self.temperatures = ahead(self._drive(thermal))
        self._g = 0.5 * (start + self._leakage_factor())
        self.temperatures = ahead(self._drive(thermal))
        end = self._leakage_factor()
        self._g_total += (k - 1) * thermal.period_us * 0.5 * (start + end)

    def _span(self, thermal: Thermal, k: int) -> tuple[list[list[float]], list[list[float]]]:
        """``A^k`` and ``I + A + ... + A^(k-1)``, cached (shared by forks: a pure cache)."""
        cache = self._spans
        if not cache:
            size = len(thermal.a)
            identity = [[float(i == j) for j in range(size)] for i in range(size)]
            cache.append(([list(row) for row in thermal.a], identity))
        while len(cache) < k:
            power, span = cache[-1]
            cache.append((_matmul(power, thermal.a),
                          [[s + p for s, p in zip(s_row, p_row, strict=True)]
                           for s_row, p_row in zip(span, power, strict=True)]))
        return cache[k - 1]

    def _thermal_step(self, thermal: Thermal) -> None:
        # Sizes were checked when the model was read: zips need no strict check here.
        ambient = self.model.ambient_c
        rise = [t - ambient for t in self.temperatures]
        drive = self._drive(thermal)
        if len(rise) == 5:  # DS3's XU3 model, the one shipped: written out, twice as fast
            r0, r1, r2, r3, r4 = rise
            self.temperatures = [
                ambient + extra + row[0] * r0 + row[1] * r1 + row[2] * r2 + row[3] * r3
                + row[4] * r4 for row, extra in zip(thermal.a, drive, strict=False)]
        else:
            self.temperatures = [ambient + extra + sum(map(operator.mul, row, rise))
                                 for row, extra in zip(thermal.a, drive, strict=False)]


def _matmul(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> list[list[float]]:
    """The product of two small square matrices."""
    columns = list(zip(*b, strict=True))
    return [[sum(map(operator.mul, row, column)) for column in columns] for row in a]


def _profile_row(spec: ClusterPower, mhz: float, mv: float,
                 voltages: Mapping[float, float]) -> tuple[tuple[float, ...], float]:
    """The profile row DS3 uses at ``mhz`` and the rescaling ``f V^2 / (f_p V_p^2)``.

    DS3 takes the lowest profile frequency ``f_p`` at or above ``f`` (the
    highest if none is), and the voltage ``V_p`` of the operating point at
    ``f_p``.
    """
    if not spec.profile:
        return (), 1.0
    above = [(f, powers) for f, powers in spec.profile if f >= mhz]
    f_p, powers = above[0] if above else spec.profile[-1]
    v_p = voltages.get(f_p, mv)
    return powers, (mhz * mv * mv) / (f_p * v_p * v_p) if v_p > 0 else mhz / f_p


# ----------------------------------------------------------------- reading
def read_power_model(fields: Fields, doc: Any, clusters: Sequence[Cluster],
                     types: Sequence[PEType]) -> DS3PowerModel:
    """Read a platform's ``power_model`` section (see ``docs/formats.md``)."""
    where = "power_model"
    doc = fields.mapping(doc, where)
    fields.unknown_keys(doc, {"kind", "leakage", "rails_w", "ambient_c", "clusters", "thermal"},
                        where)
    kind = doc.get("kind")
    if kind != "ds3":
        raise fields.error(f"{where}.kind", f"is {kind!r}", "use 'ds3' (DS3's cluster model); "
                           "leave power_model out for socsim's per-PE model")
    leak_doc = fields.mapping(fields.require(doc, "leakage", where), f"{where}.leakage")
    fields.unknown_keys(leak_doc, {"c1", "c2", "igate"}, f"{where}.leakage")
    leakage = Leakage(*(fields.number(fields.require(leak_doc, key, f"{where}.leakage"),
                                      f"{where}.leakage.{key}") for key in ("c1", "c2", "igate")))
    rails_doc = fields.mapping(doc.get("rails_w", {}), f"{where}.rails_w")
    fields.unknown_keys(rails_doc, set(RAIL_INPUTS), f"{where}.rails_w")
    rails = {key: fields.number(value, f"{where}.rails_w.{key}")
             for key, value in rails_doc.items()}
    ambient = fields.number(fields.require(doc, "ambient_c", where), f"{where}.ambient_c",
                            minimum=-KELVIN)
    by_name = fields.mapping(fields.require(doc, "clusters", where), f"{where}.clusters")
    names = [cluster.name for cluster in clusters]
    fields.unknown_keys(by_name, set(names), f"{where}.clusters")
    specs = []
    for cluster in clusters:
        at = f"{where}.clusters.{cluster.name}"
        if cluster.name not in by_name:
            raise fields.error(at, "is missing", "give every cluster its power entry "
                               "(profile, leakage_share)")
        specs.append(_read_cluster(fields, by_name[cluster.name], at, cluster,
                                   types[cluster.type_index]))
    thermal = (_read_thermal(fields, doc["thermal"], f"{where}.thermal")
               if doc.get("thermal") is not None else None)
    return DS3PowerModel(leakage=leakage, clusters=tuple(specs), rails_w=rails,
                         ambient_c=ambient, thermal=thermal)


def _read_cluster(fields: Fields, doc: Any, where: str, cluster: Cluster,
                  pe_type: PEType) -> ClusterPower:
    doc = fields.mapping(doc, where)
    fields.unknown_keys(doc, {"profile", "gated_profile", "leakage_share", "thermal_input",
                              "trip_mhz"}, where)
    rows = _read_profile(fields, doc.get("profile", {}), f"{where}.profile", pe_type)
    gated = _read_profile(fields, doc.get("gated_profile", {}), f"{where}.gated_profile",
                          pe_type)
    share = fields.number(fields.require(doc, "leakage_share", where), f"{where}.leakage_share")
    thermal_input = doc.get("thermal_input", "")
    if thermal_input not in ("", *THERMAL_INPUTS):
        raise fields.error(f"{where}.thermal_input", f"is {thermal_input!r}",
                           f"use one of {list(THERMAL_INPUTS)}, or leave it out")
    trips = tuple(fields.number(v, f"{where}.trip_mhz[{k}]", minimum=-1.0) for k, v in
                  enumerate(fields.sequence(doc.get("trip_mhz", []), f"{where}.trip_mhz")))
    return ClusterPower(profile=rows, leakage_share=share, thermal_input=thermal_input,
                        trip_mhz=trips, gated_profile=gated)


def _read_profile(fields: Fields, doc: Any, where: str, pe_type: PEType
                  ) -> tuple[tuple[float, tuple[float, ...]], ...]:
    """A ``profile`` or ``gated_profile``: per operating-point MHz, powers by busy cores."""
    profile_doc = fields.mapping(doc, where)
    opp_mhz = {p.mhz for p in pe_type.opps}
    rows = []
    for key, values in profile_doc.items():
        at = f"{where}.{key}"
        mhz = fields.number(_numeric_key(key), at, strictly_positive=True)
        if mhz not in opp_mhz:
            raise fields.error(at, f"{mhz:g} MHz is not an operating point of "
                               f"'{pe_type.name}'", f"use one of {sorted(opp_mhz)}")
        powers = tuple(fields.number(v, f"{at}[{k}]")
                       for k, v in enumerate(fields.sequence(values, at)))
        if not powers:
            raise fields.error(at, "is empty", "list the cluster's power with 1, 2, ... "
                               "cores busy")
        rows.append((mhz, powers))
    return tuple(sorted(rows))


def _numeric_key(key: Any) -> Any:
    """A mapping key that spells a number (JSON keys are strings), as that number."""
    if isinstance(key, str):
        try:
            return float(key)
        except ValueError:
            return key
    return key


def _read_thermal(fields: Fields, doc: Any, where: str) -> Thermal:
    doc = fields.mapping(doc, where)
    fields.unknown_keys(doc, {"a", "b", "period_us", "trips_c", "hysteresis_c", "throttling"},
                        where)
    rows = fields.sequence(fields.require(doc, "a", where), f"{where}.a")
    size = len(rows)
    if size == 0:
        raise fields.error(f"{where}.a", "is empty", "give one row per hotspot")
    a = []
    for i, row in enumerate(rows):
        values = fields.sequence(row, f"{where}.a[{i}]")
        if len(values) != size:
            raise fields.error(f"{where}.a[{i}]", f"has {len(values)} values, not {size}",
                               "make A square: one row and one column per hotspot")
        a.append(tuple(fields.number(v, f"{where}.a[{i}][{j}]", minimum=-1.0)
                       for j, v in enumerate(values)))
    b_doc = fields.mapping(fields.require(doc, "b", where), f"{where}.b")
    fields.unknown_keys(b_doc, {*RAIL_INPUTS, *THERMAL_INPUTS}, f"{where}.b")
    b = {}
    for name, column in b_doc.items():
        values = fields.sequence(column, f"{where}.b.{name}")
        if len(values) != size:
            raise fields.error(f"{where}.b.{name}", f"has {len(values)} values, not {size}",
                               "give one value per hotspot")
        b[name] = tuple(fields.number(v, f"{where}.b.{name}[{j}]") for j, v in enumerate(values))
    period = fields.number(doc.get("period_us", 20.0), f"{where}.period_us",
                           strictly_positive=True)
    trips = tuple(fields.number(v, f"{where}.trips_c[{k}]", minimum=-KELVIN) for k, v in
                  enumerate(fields.sequence(doc.get("trips_c", []), f"{where}.trips_c")))
    if list(trips) != sorted(trips):
        raise fields.error(f"{where}.trips_c", "is not ascending", "list trips coolest first")
    hysteresis = tuple(fields.number(v, f"{where}.hysteresis_c[{k}]") for k, v in enumerate(
        fields.sequence(doc.get("hysteresis_c", [0.0] * len(trips)), f"{where}.hysteresis_c")))
    if len(hysteresis) != len(trips):
        raise fields.error(f"{where}.hysteresis_c", f"has {len(hysteresis)} values for "
                           f"{len(trips)} trips", "give one hysteresis per trip")
    throttling = doc.get("throttling", False)
    if not isinstance(throttling, bool):
        raise fields.error(f"{where}.throttling", f"is {throttling!r}", "use true or false")
    return Thermal(a=tuple(a), b=b, period_us=period, trips_c=trips, hysteresis_c=hysteresis,
                   throttling=throttling)
