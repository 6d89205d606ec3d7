"""Reader for the text formats of the DS3 emulator (SoC files and job files).

DS3 (github.com/segemena/DS3) and its Gym port DS3Gym describe a platform in a
``SoC.*.txt`` file and each application in a ``job_*.txt`` file. The two are
complementary: the SoC file lists, per resource, the execution time of every
*functionality* (task name) it supports, and the job file gives the DAG of
task names with edge volumes. A job profile is therefore the join of the two:
task name -> {PE type name: execution time}.

:func:`read_ds3_soc` returns a :class:`DS3Soc` (the :class:`Platform` plus that
cost table); :func:`read_ds3_job` joins a job file with it into a
:class:`JobProfile`. Both build a document in socsim's own file format and
validate it with :meth:`Platform.from_dict` / :meth:`JobProfile.from_dict`, so
a file written from :attr:`DS3Soc.document` reads back identically. What is
kept and what is ignored is listed in ``docs/formats.md``; every problem found
raises :class:`ConfigError` naming the file and the line (``field='line 42'``).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from socsim.documents import read_text
from socsim.errors import ConfigError
from socsim.fields import MAX_NUMBER, MIN_POSITIVE, brief
from socsim.platform import Platform
from socsim.workload import JobProfile

#: Fraction of the active power drawn by an idle PE when the SoC file gives
#: no basis for the power-gating rule (a cluster of one PE). DS3's own A7 and
#: A15 clusters give 10.2-10.5 % under that rule; see :func:`_idle_power`.
IDLE_FRACTION = 0.1

#: Resource types that are not processing elements (shared memory, caches).
NON_COMPUTE_TYPES = ("MEM", "CAC")

#: Bandwidth DS3 uses between two resources that no ``comm_band`` line names.
DS3_DEFAULT_BANDWIDTH = 1

#: DS3's power-management constants (its ``config_file.ini``, fitted on the
#: Odroid-XU3 board: Exynos 5422), which its SoC files do not carry: the leakage
#: coefficients, the ambient temperature, and the memory and GPU rails.
DS3_LEAKAGE = {"c1": 0.002488, "c2": 2660, "igate": 0.000519}
DS3_AMBIENT_C = 42
DS3_RAILS_W = {"mem": 0.0473, "gpu": 0.1201}
#: DS3's hotspot model of the Odroid-XU3 (5 hotspots, updated every 20 us):
#: the state matrix A and the input columns of B (DS3 ``DTPM_power_models.py``).
XU3_THERMAL = {
    "period_us": 20,
    # DS3's trip points (C) and hysteresis, with throttling off as in its default config.
    "trips_c": [85, 90, 95], "hysteresis_c": [3, 3, 3], "throttling": False,
    "a": [[0.9928, 0.000566, 0.004281, 0.0003725, 1.34e-5],
          [0.006084, 0.9909, 0, 0.001016, 8.863e-5],
          [0, 0.0008608, 0.993, 0, 0.0008842],
          [0.006844, -0.0005119, 0, 0.9904, 0.0003392],
          [0.0007488, 0.003932, 8.654e-5, 0.002473, 0.9905]],
    "b": {"mem": [0.07423, 0, 0.6708, 0, 0.01404],
          "gpu": [6.898e-7, 0.001971, 2.108e-6, 0.01682, 0.03811],
          "big": [0.0471, 0.01265, 0.113, 0.01646, 0.01476],
          "little": [0.02399, 0, 0.02819, 0.007198, 0.03902]},
}

_RESOURCE_KEYS = ("resource_type", "resource_name", "resource_ID", "capacity",
                  "num_supported_functionalities", "DVFS_mode")
#: Misspellings found in DS3's own files (``SoC.Top.txt`` has ``resoruce_type``).
_KEY_ALIASES = {"resoruce_type": "resource_type"}
_POWER_KEYS = ("power_profile", "PG_profile")
#: Per-resource lines that carry nothing socsim models.
_IGNORED_KEYS = ("DTPM_trip_freq", "mesh_information")
_ATTRIBUTE_KEYS = ("opp", "trip_freq", *_POWER_KEYS, *_IGNORED_KEYS)


@dataclass(frozen=True)
class DS3Soc:
    """A DS3 SoC file read into socsim's model.

    Attributes:
        platform: The platform (one cluster and one PE type per DS3 resource).
        costs: Functionality name -> {PE type name: execution time in us at
            the type's highest OPP}, in the order the file first lists them.
        document: The platform in socsim's file format (what
            ``Platform.from_dict`` read); write it to get a built-in file.
        notes: What was skipped or resolved while reading (memory resources,
            duplicate functionality lines, ignored keywords), for descriptions.
        duplicates: Functionalities listed twice on one resource; DS3 and this
            reader keep the first time.
    """

    platform: Platform
    costs: Mapping[str, Mapping[str, float]]
    document: Mapping[str, Any] = field(repr=False)
    notes: tuple[str, ...] = ()
    duplicates: frozenset[str] = frozenset()

    def task_costs(self, task: str) -> dict[str, float]:
        """Execution time of functionality ``task`` per PE type (empty if none runs it)."""
        return dict(self.costs.get(task, {}))


@dataclass(frozen=True)
class _Line:
    """One meaningful line of a DS3 file: its 1-based number and its tokens."""

    number: int
    tokens: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.tokens[0]

    @property
    def args(self) -> tuple[str, ...]:
        return self.tokens[1:]


class _Reader:
    """Line-oriented helpers that raise :class:`ConfigError` naming file and line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.source = str(path)

    def lines(self) -> list[_Line]:
        """Non-empty lines with comments (from a ``#`` token on) removed."""
        text = read_text(self.path, encoding="utf-8-sig")
        lines = []
        for number, raw in enumerate(text.splitlines(), start=1):
            tokens: list[str] = []
            for token in raw.split():
                if token.startswith("#"):
                    break
                tokens.append(token)
            if tokens:
                lines.append(_Line(number, tuple(tokens)))
        return lines

    def error(self, line: _Line | int, problem: str, fix: str) -> ConfigError:
        """A :class:`ConfigError` whose field is ``line N``."""
        number = line.number if isinstance(line, _Line) else line
        return ConfigError(self.source, f"line {number}", problem, fix)

    def number(self, line: _Line, token: str, what: str, *, positive: bool = False) -> float:
        """Parse ``token`` as a finite number >= 0 (> 0 with ``positive``)."""
        try:
            value = float(token)
        except ValueError:
            raise self.error(line, f"{what} is {brief(token)}, not a number",
                             f"write {what} as a number") from None
        if not math.isfinite(value) or value < 0 or (positive and value < MIN_POSITIVE):
            bound = f"greater than 0 (at least {MIN_POSITIVE:g})" if positive else "at least 0"
            raise self.error(line, f"{what} is {brief(token)}, must be {bound}",
                             f"give a finite {what} {bound}")
        if value > MAX_NUMBER:
            raise self.error(line, f"{what} is {brief(token)}, must be at most "
                             f"{MAX_NUMBER:g} (socsim bounds numbers so that times and "
                             "energies stay finite)", f"give {what} at most {MAX_NUMBER:g}")
        return value

    def integer(self, line: _Line, token: str, what: str, *, minimum: int = 0) -> int:
        """Parse ``token`` as an integer >= ``minimum``."""
        try:
            value = int(token)
        except ValueError:
            raise self.error(line, f"{what} is {brief(token)}, not an integer",
                             f"write {what} as an integer") from None
        if value < minimum:
            raise self.error(line, f"{what} is {value}, must be at least {minimum}",
                             f"give an integer >= {minimum}")
        if value > MAX_NUMBER:
            raise self.error(line, f"{what} is {brief(value)}, must be at most "
                             f"{MAX_NUMBER:g}", f"give an integer <= {MAX_NUMBER:g}")
        return value

    def arity(self, line: _Line, minimum: int, maximum: int | None, syntax: str) -> None:
        """Check that the line has between ``minimum`` and ``maximum`` arguments."""
        count = len(line.args)
        if count < minimum or (maximum is not None and count > maximum):
            raise self.error(line, f"'{line.key}' has {count} value(s)", f"write '{syntax}'")


# --------------------------------------------------------------------------- SoC files


@dataclass
class _Notes:
    """What a SoC file contained that socsim skips or resolves, for descriptions."""

    ignored_keys: dict[str, None] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    duplicate_names: dict[str, None] = field(default_factory=dict)
    extra_values: bool = False
    band_self: bool = False
    skipped: list[str] = field(default_factory=list)
    unpowered: list[str] = field(default_factory=list)

    def render(self) -> tuple[str, ...]:
        """One sentence per kind of note."""
        notes = []
        if self.duplicates:
            notes.append("functionalities listed twice on one resource keep their first "
                         "time, as in DS3 (first match): " + "; ".join(self.duplicates))
        if self.skipped:
            notes.append("not PEs, skipped with their comm_band lines: "
                         + ", ".join(self.skipped))
        if self.unpowered:
            notes.append("no power_profile, power set to 0 W: " + ", ".join(self.unpowered))
        ignored = list(self.ignored_keys)
        if self.band_self:
            ignored.append("comm_band_self (same-PE transfers are free in socsim)")
        if self.extra_values:
            ignored.append("values after a functionality's execution time")
        if ignored:
            notes.append("ignored: " + ", ".join(ignored))
        return tuple(notes)


@dataclass
class _Resource:
    """One ``add_new_resource`` block while it is being read."""

    line: _Line
    type: str
    name: str
    ident: int
    capacity: int
    declared: int
    kind: str | None
    opps: dict[float, tuple[float, _Line]] = field(default_factory=dict)
    power: dict[str, dict[float, tuple[list[float], _Line]]] = field(
        default_factory=lambda: {key: {} for key in _POWER_KEYS})
    times: dict[str, float] = field(default_factory=dict)
    trip_mhz: list[float] = field(default_factory=list)
    first_line: dict[str, int] = field(default_factory=dict)
    listed: int = 0

    @property
    def open(self) -> bool:
        """Whether functionality lines are still expected."""
        return self.listed < self.declared


@dataclass
class _Band:
    """One ``comm_band`` line."""

    line: _Line
    src: int
    dst: int
    bandwidth: float


def _platform_name(path: Path) -> str:
    """``SoC.MULTIPLE_BAL.txt`` -> ``ds3_multiple_bal``; ``DASH.SoC.Top.txt`` -> ``ds3_top``."""
    parts = [p for p in path.name.removesuffix(".txt").split(".")
             if p.lower() not in ("dash", "soc")]
    stem = re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")
    return f"ds3_{stem or 'soc'}"


def _kind(reader: _Reader, line: _Line, resource_type: str) -> str | None:
    """The socsim PE kind of a DS3 resource type, ``None`` for memory and caches."""
    upper = resource_type.upper()
    if upper in NON_COMPUTE_TYPES:
        return None
    if upper == "LTL":
        return "little"
    if upper == "BIG":
        return "big"
    if upper.startswith("CPU"):
        return "cpu"
    if upper.startswith("ACC"):
        return "acc"
    raise reader.error(line, f"resource_type {resource_type!r} is not a DS3 resource type",
                       "use LTL, BIG, CPU (or CPU1, CPU2...), ACC (or ACC_1...), MEM or CAC")


def _resource_fields(reader: _Reader, line: _Line) -> dict[str, str]:
    """The attributes of an ``add_new_resource`` line, keyword or positional form."""
    args = line.args
    if args and _KEY_ALIASES.get(args[0], args[0]) in _RESOURCE_KEYS:
        if len(args) % 2:
            raise reader.error(line, "keyword form needs 'key value' pairs, found an odd "
                               "number of values", "write 'add_new_resource resource_type T "
                               "resource_name N resource_ID i capacity c "
                               "num_supported_functionalities k DVFS_mode m'")
        fields: dict[str, str] = {}
        for key, value in zip(args[::2], args[1::2], strict=True):
            key = _KEY_ALIASES.get(key, key)
            if key not in _RESOURCE_KEYS:
                raise reader.error(line, f"unknown attribute {key!r}",
                                   f"use the attributes {list(_RESOURCE_KEYS)}")
            fields[key] = value
        missing = [k for k in _RESOURCE_KEYS[:5] if k not in fields]
        if missing:
            raise reader.error(line, f"add_new_resource lacks {missing}",
                               "give resource_type, resource_name, resource_ID, capacity "
                               "and num_supported_functionalities")
        return fields
    reader.arity(line, 5, 6, "add_new_resource TYPE NAME ID CAPACITY NUM_FUNCTIONALITIES "
                 "[DVFS_MODE]")
    return dict(zip(_RESOURCE_KEYS, args, strict=False))


def _new_resource(reader: _Reader, line: _Line) -> _Resource:
    fields = _resource_fields(reader, line)
    return _Resource(
        line=line, type=fields["resource_type"], name=fields["resource_name"],
        ident=reader.integer(line, fields["resource_ID"], "resource_ID"),
        capacity=reader.integer(line, fields["capacity"], "capacity", minimum=1),
        declared=reader.integer(line, fields["num_supported_functionalities"],
                                "num_supported_functionalities"),
        kind=_kind(reader, line, fields["resource_type"]))


def _read_resource_line(reader: _Reader, resource: _Resource, line: _Line,
                        notes: _Notes) -> None:
    """Apply one line inside an ``add_new_resource`` block to ``resource``."""
    if line.key == "opp":
        reader.arity(line, 2, 2, "opp MHZ MV")
        mhz = reader.number(line, line.args[0], "the frequency (MHz)", positive=True)
        mv = reader.number(line, line.args[1], "the voltage (mV)", positive=True)
        if mhz in resource.opps:
            raise reader.error(line, f"repeats the OPP at {mhz:g} MHz of '{resource.name}'",
                               "keep one opp line per frequency")
        resource.opps[mhz] = (mv, line)
    elif line.key in _POWER_KEYS:
        reader.arity(line, 2, None, f"{line.key} MHZ WATTS_1_CORE [WATTS_2_CORES ...]")
        mhz = reader.number(line, line.args[0], "the frequency (MHz)", positive=True)
        watts = [reader.number(line, v, "a power value (W)") for v in line.args[1:]]
        if mhz in resource.power[line.key]:
            raise reader.error(line, f"repeats {line.key} at {mhz:g} MHz of '{resource.name}'",
                               f"keep one {line.key} line per frequency")
        resource.power[line.key][mhz] = (watts, line)
    elif line.key == "trip_freq":
        resource.trip_mhz = [-1.0 if token == "-1" else reader.number(
            line, token, "a trip frequency (MHz, or -1)") for token in line.args]
    elif line.key in _IGNORED_KEYS:
        notes.ignored_keys[line.key] = None
    else:
        _read_functionality(reader, resource, line, notes)


def _read_functionality(reader: _Reader, resource: _Resource, line: _Line,
                        notes: _Notes) -> None:
    """A ``name exec_time [power ...]`` line; DS3 keeps the first of duplicate names."""
    reader.arity(line, 1, None, "FUNCTIONALITY EXEC_TIME_US [POWER_W]")
    time = reader.number(line, line.args[0], f"the execution time of '{line.key}'")
    for extra in line.args[1:]:
        reader.number(line, extra, f"the extra value of '{line.key}'")
    if len(line.args) > 1 and resource.kind is not None:
        notes.extra_values = True
    resource.listed += 1
    if line.key in resource.times:
        first = resource.first_line[line.key]
        notes.duplicates.append(f"{line.key} on {resource.name} ({resource.times[line.key]:g} "
                                f"us at line {first}, not line {line.number})")
        notes.duplicate_names[line.key] = None
        return
    resource.times[line.key] = time
    resource.first_line[line.key] = line.number


def _read_band(reader: _Reader, line: _Line) -> _Band:
    reader.arity(line, 3, 3, "comm_band SRC_ID DST_ID BANDWIDTH")
    return _Band(line, reader.integer(line, line.args[0], "the source resource ID"),
                 reader.integer(line, line.args[1], "the destination resource ID"),
                 reader.number(line, line.args[2], "the bandwidth"))


def _scan_soc(reader: _Reader) -> tuple[list[_Resource], list[_Band], dict[str, None]]:
    """Split a SoC file into resource blocks and ``comm_band`` lines."""
    resources: list[_Resource] = []
    bands: list[_Band] = []
    notes = _Notes()
    current: _Resource | None = None
    for line in reader.lines():
        if current is not None and current.open:
            if line.key in ("add_new_resource", "comm_band", "comm_band_self"):
                raise reader.error(
                    line, f"resource '{current.name}' (line {current.line.number}) declares "
                    f"{current.declared} functionalities but lists {current.listed} before "
                    "this line", "add the missing 'name time' lines or correct "
                    "num_supported_functionalities")
            _read_resource_line(reader, current, line, notes)
        elif line.key == "add_new_resource":
            current = _new_resource(reader, line)
            resources.append(current)
        elif line.key == "comm_band":
            bands.append(_read_band(reader, line))
        elif line.key == "comm_band_self":
            reader.arity(line, 1, 1, "comm_band_self BANDWIDTH")
            reader.number(line, line.args[0], "the bandwidth")
            notes.band_self = True
        elif current is not None and line.key in _ATTRIBUTE_KEYS:
            _read_resource_line(reader, current, line, notes)
        else:
            after = (f"; resource '{current.name}' already lists its {current.declared} "
                     "functionalities" if current is not None else "")
            raise reader.error(line, f"{line.key!r} is not a DS3 SoC keyword here{after}",
                               "use add_new_resource, opp, power_profile, PG_profile, "
                               "trip_freq, comm_band or comm_band_self, or raise "
                               "num_supported_functionalities if this is a functionality")
    if current is not None and current.open:
        raise reader.error(current.line, f"resource '{current.name}' declares "
                           f"{current.declared} functionalities but the file lists "
                           f"{current.listed}", "add the missing 'name time' lines or "
                           "correct num_supported_functionalities")
    return resources, bands, notes


def _profile_point(points: list[float], mhz: float) -> float:
    """The ``power_profile`` frequency DS3 scales from: the lowest at or above ``mhz``.

    DS3 picks the first profile frequency that is not below the current one
    and rescales its power by f x V^2; above the highest point we use the
    highest.
    """
    above = [p for p in points if p >= mhz]
    return min(above) if above else max(points)


def _idle_power(resource: _Resource, mhz: float, active: float) -> float:
    """Our estimate of one idle PE's power at a ``power_profile`` frequency.

    ``power_profile`` is the cluster's power with *n* cores busy and the rest
    idle; ``PG_profile`` the same with the rest power-gated. With one core
    busy, their difference is what ``capacity - 1`` idle (not gated) cores
    draw, so one idle core draws ``(P_1 - PG_1) / (capacity - 1)``. DS3's
    A7/A15 figures give about 10 % of the active power that way and 0 for the
    accelerators (whose two profiles are equal). A cluster of one PE, or a
    frequency without ``PG_profile``, falls back to :data:`IDLE_FRACTION` of
    the active power.
    """
    gated = resource.power["PG_profile"].get(mhz)
    if resource.capacity > 1 and gated is not None:
        return max(0.0, (active - gated[0][0]) / (resource.capacity - 1))
    return IDLE_FRACTION * active


def _opp_documents(reader: _Reader, resource: _Resource) -> list[dict[str, float]]:
    """Operating points with active and idle power per PE, in socsim's format."""
    if not resource.opps:
        raise reader.error(resource.line, f"resource '{resource.name}' has no opp line",
                           "add 'opp MHZ MV' lines after add_new_resource")
    profile = resource.power["power_profile"]
    for key in _POWER_KEYS:
        for mhz, (_, line) in resource.power[key].items():
            if mhz not in resource.opps:
                raise reader.error(line, f"{key} at {mhz:g} MHz matches no opp line of "
                                   f"'{resource.name}'", f"add 'opp {mhz:g} MV' or use one of "
                                   f"{sorted(resource.opps)}")
    opps = []
    for mhz in sorted(resource.opps):
        mv = resource.opps[mhz][0]
        active = idle = 0.0
        if profile:
            base = _profile_point(sorted(profile), mhz)
            base_active = profile[base][0][0]
            scale = (mhz * mv ** 2) / (base * resource.opps[base][0] ** 2)
            active = base_active * scale
            idle = _idle_power(resource, base, base_active) * scale
        opps.append({"mhz": _tidy(mhz), "mv": _tidy(mv), "active_w": round(active, 6),
                     "idle_w": round(idle, 6)})
    return opps


def _power_model_document(compute: list[_Resource]) -> dict[str, Any] | None:
    """DS3's cluster power model for these resources, or ``None`` if none has a power profile.

    Leakage shares follow DS3: a quarter of the fitted (big) cluster's
    leakage per core, a quarter of that again for a LITTLE core, none for a
    resource typed exactly ``ACC``; the big and LITTLE clusters drive the
    hotspot model's two cluster inputs, the others none.
    """
    if not any(r.power["power_profile"] for r in compute):
        return None
    clusters = {}
    for resource in compute:
        share = 0.0 if resource.type == "ACC" else 0.0625 if resource.type == "LTL" else 0.25
        entry: dict[str, Any] = {
            "profile": {_tidy(mhz): values for mhz, (values, _) in
                        sorted(resource.power["power_profile"].items())},
            "leakage_share": share}
        if resource.power["PG_profile"]:
            entry["gated_profile"] = {_tidy(mhz): values for mhz, (values, _) in
                                      sorted(resource.power["PG_profile"].items())}
        thermal_input = {"BIG": "big", "LTL": "little"}.get(resource.type)
        if thermal_input:
            entry["thermal_input"] = thermal_input
        if resource.trip_mhz:
            entry["trip_mhz"] = [_tidy(mhz) for mhz in resource.trip_mhz]
        clusters[resource.name] = entry
    return {"kind": "ds3", "leakage": dict(DS3_LEAKAGE), "rails_w": dict(DS3_RAILS_W),
            "ambient_c": DS3_AMBIENT_C, "thermal": copy.deepcopy(XU3_THERMAL),
            "clusters": clusters}


def _check_resources(reader: _Reader, resources: list[_Resource]) -> dict[int, _Resource]:
    """Resources by ID; IDs and PE names must be unique, one PE at least."""
    by_id: dict[int, _Resource] = {}
    names: set[str] = set()
    for resource in resources:
        if resource.ident in by_id:
            raise reader.error(resource.line, f"resource_ID {resource.ident} is used by "
                               f"'{by_id[resource.ident].name}' too", "give each resource "
                               "a unique resource_ID")
        by_id[resource.ident] = resource
        if resource.kind is not None:
            if resource.name in names:
                raise reader.error(resource.line, f"resource_name '{resource.name}' is used "
                                   "twice", "give each resource a unique resource_name")
            names.add(resource.name)
    if not names:
        raise ConfigError(reader.source, "<file>", "declares no processing resource",
                          "add an add_new_resource line whose type is not MEM or CAC")
    return by_id


def _link_documents(reader: _Reader, bands: list[_Band], by_id: dict[int, _Resource]
                    ) -> list[dict[str, Any]]:
    """``comm_band`` lines between PE resources, as socsim links (the last line wins)."""
    order = {ident: k for k, ident in enumerate(by_id)}
    links: dict[tuple[int, int], float] = {}
    for band in bands:
        for end in (band.src, band.dst):
            if end not in by_id:
                raise reader.error(band.line, f"comm_band names resource ID {end}, which no "
                                   "add_new_resource declares", f"use one of {sorted(by_id)}")
        ends = (by_id[band.src], by_id[band.dst])
        if any(r.kind is None for r in ends):
            continue  # shared-memory traffic; socsim models PE-to-PE transfers only
        if band.bandwidth <= 0:
            raise reader.error(band.line, f"bandwidth between '{ends[0].name}' and "
                               f"'{ends[1].name}' is {band.bandwidth:g}",
                               "give a bandwidth greater than 0")
        pair = tuple(sorted((band.src, band.dst), key=order.__getitem__))
        links[pair] = band.bandwidth  # type: ignore[index]
    return [{"between": [by_id[a].name, by_id[b].name], "bandwidth": _tidy(bw)}
            for (a, b), bw in links.items()]


def _soc_description(path: Path, notes: tuple[str, ...]) -> str:
    rules = (f"Read from the DS3 SoC file {path.name} by socsim.ds3: one cluster of "
             "`capacity` PEs per DS3 resource; energy is charged by DS3's cluster power model "
             "(power_model: power_profile by busy-core count, leakage from voltage and "
             "temperature with DS3's Odroid-XU3 constants and hotspot model, memory and GPU "
             "rails) when the file has power_profile lines; the per-PE figures below are what "
             "schedulers read: active power = 1-core power_profile value, "
             "rescaled by f*V^2 from the lowest profile frequency at or above the OPP (as "
             "DS3 does); idle power is our estimate, (power_profile - PG_profile) / "
             f"(capacity - 1) at 1 busy core, or {IDLE_FRACTION:g} x active for a 1-PE "
             "cluster; resource pairs without comm_band get bandwidth "
             f"{DS3_DEFAULT_BANDWIDTH}, as in DS3.")
    return " ".join([rules, *(f"Note: {n}." for n in notes)])


def read_ds3_soc(path: str | Path, name: str | None = None) -> DS3Soc:
    """Read a DS3 SoC file (``SoC.*.txt``) into a platform and a cost table.

    Both forms of ``add_new_resource`` are accepted: DS3's keyword form
    (``resource_type LTL resource_name A7 ...``) and DS3Gym's positional one
    (``CPU P1 0 1 10 performance``). Memory and cache resources are skipped.

    Args:
        path: The SoC file.
        name: Platform name; by default ``ds3_`` plus the file's stem, e.g.
            ``ds3_multiple_bal`` for ``SoC.MULTIPLE_BAL.txt``.

    Returns:
        The platform (timing ``"ds3"``), the functionality cost table and notes.

    Raises:
        ConfigError: The file is unreadable or malformed; the field names the
            line (``line 42``).
    """
    reader = _Reader(path)
    resources, bands, notes = _scan_soc(reader)
    by_id = _check_resources(reader, resources)
    for resource in resources:
        if resource.kind is None:
            notes.skipped.append(f"{resource.name} ({resource.type}, ID {resource.ident})")
        elif not resource.power["power_profile"]:
            notes.unpowered.append(resource.name)
    compute = [r for r in resources if r.kind is not None]
    links = _link_documents(reader, bands, by_id)
    power_model = _power_model_document(compute)
    document: dict[str, Any] = {
        "name": name or _platform_name(reader.path),
        "description": _soc_description(reader.path, notes.render()),
        "timing": "ds3",
        "pe_types": [{"name": r.name, "kind": r.kind, "opps": _opp_documents(reader, r)}
                     for r in compute],
        "clusters": [{"name": r.name, "type": r.name, "count": r.capacity} for r in compute],
        "interconnect": {"default_bandwidth": DS3_DEFAULT_BANDWIDTH, "links": links},
    }
    if power_model is not None:
        document["power_model"] = power_model
    platform = Platform.from_dict(document, source=reader.source)
    costs: dict[str, dict[str, float]] = {}
    for resource in compute:
        for task, time in resource.times.items():
            costs.setdefault(task, {})[resource.name] = time
    frozen = MappingProxyType({t: MappingProxyType(c) for t, c in costs.items()})
    return DS3Soc(platform=platform, costs=frozen, document=copy.deepcopy(document),
                  notes=notes.render(), duplicates=frozenset(notes.duplicate_names))


# --------------------------------------------------------------------------- job files


@dataclass
class _Task:
    """One task definition line of a job file."""

    line: _Line
    name: str
    ident: int
    preds: list[int]


@dataclass
class _Job:
    """The content of a job file before it is joined with a SoC."""

    name: str | None = None
    declared: int | None = None
    declared_line: _Line | None = None
    tasks: list[_Task] = field(default_factory=list)
    volumes: dict[tuple[int, int], tuple[float, _Line]] = field(default_factory=dict)


def _read_task_line(reader: _Reader, job: _Job, line: _Line) -> None:
    """A task definition, or one of its ``HEAD``/``TAIL``/``earliest_start`` lines."""
    if job.declared is None:
        raise reader.error(line, f"{line.key!r} comes before add_new_tasks",
                           "start the task list with 'add_new_tasks N'")
    names = [t.name for t in job.tasks]
    if line.args and line.args[0] in ("HEAD", "TAIL", "earliest_start"):
        if line.key not in names:
            raise reader.error(line, f"'{line.key} {line.args[0]}' names no task defined "
                               "above", "define the task ('name id preds...') first")
        return  # HEAD/TAIL follow from the edges; timing constraints are not modelled
    reader.arity(line, 1, None, "TASK_NAME TASK_ID [PREDECESSOR_ID ...]")
    if line.key in names:
        raise reader.error(line, f"task '{line.key}' is defined twice",
                           "give each task of a job a unique name")
    ident = reader.integer(line, line.args[0], f"the ID of task '{line.key}'")
    preds = [reader.integer(line, a, f"a predecessor ID of '{line.key}'")
             for a in line.args[1:]]
    job.tasks.append(_Task(line, line.key, ident, preds))


def _scan_job(reader: _Reader) -> _Job:
    """Collect the job name, task definitions and ``comm_vol`` lines."""
    job = _Job()
    for line in reader.lines():
        if line.key == "job_name":
            reader.arity(line, 1, 1, "job_name NAME")
            job.name = line.args[0]
        elif line.key == "add_new_tasks":
            reader.arity(line, 1, 1, "add_new_tasks N")
            if job.declared is not None:
                raise reader.error(line, "add_new_tasks appears twice",
                                   "describe one job per file")
            job.declared = reader.integer(line, line.args[0], "the number of tasks", minimum=1)
            job.declared_line = line
        elif line.key == "comm_vol":
            reader.arity(line, 3, 3, "comm_vol SRC_ID DST_ID VOLUME")
            pair = (reader.integer(line, line.args[0], "the source task ID"),
                    reader.integer(line, line.args[1], "the destination task ID"))
            job.volumes[pair] = (reader.number(line, line.args[2], "the volume"), line)
        else:
            _read_task_line(reader, job, line)
    if job.declared is None or job.declared_line is None:
        raise ConfigError(reader.source, "<file>", "has no add_new_tasks line",
                          "declare the tasks with 'add_new_tasks N' and one line per task")
    if len(job.tasks) != job.declared:
        raise reader.error(job.declared_line, f"add_new_tasks declares {job.declared} tasks "
                           f"but the file defines {len(job.tasks)}",
                           f"set add_new_tasks to {len(job.tasks)} or add the missing tasks")
    return job


def _job_edges(reader: _Reader, job: _Job) -> list[list[Any]]:
    """Edges ``[src, dst, volume]`` from predecessor lists and ``comm_vol`` lines."""
    by_id: dict[int, _Task] = {}
    for task in job.tasks:
        if task.ident in by_id:
            raise reader.error(task.line, f"task ID {task.ident} is used by "
                               f"'{by_id[task.ident].name}' too", "give each task a unique ID")
        by_id[task.ident] = task
    edges = []
    for task in job.tasks:
        for pred in task.preds:
            if pred not in by_id:
                raise reader.error(task.line, f"predecessor ID {pred} of '{task.name}' is not "
                                   "a task ID", f"use one of {sorted(by_id)}")
            if pred == task.ident or task.preds.count(pred) > 1:
                raise reader.error(task.line, f"'{task.name}' lists predecessor {pred} "
                                   "twice or itself", "list each predecessor once")
            volume = job.volumes.get((pred, task.ident), (0.0, None))[0]
            edges.append([by_id[pred].name, task.name, _tidy(volume)])
    for (src, dst), (_, line) in job.volumes.items():
        if src not in by_id or dst not in by_id or src not in by_id[dst].preds:
            raise reader.error(line, f"comm_vol {src} -> {dst} is not an edge of the job",
                               f"add {src} to the predecessors of task {dst} or remove the line")
    return edges


def read_ds3_job(path: str | Path, soc: DS3Soc | str | Path, name: str | None = None
                 ) -> JobProfile:
    """Read a DS3 job file (``job_*.txt``) and join it with a SoC's execution times.

    Each task takes its costs from the SoC's functionality of the same name,
    one entry per PE type that lists it. Predecessor lists give the edges and
    ``comm_vol`` their volumes (0 where absent, as in DS3). ``HEAD``/``TAIL``
    markers and ``earliest_start``/``deadline``/``input_vol``/``output_vol``
    are ignored.

    Args:
        path: The job file.
        soc: The SoC read with :func:`read_ds3_soc`, or the path of its file.
        name: Profile name; by default the file's ``job_name``.

    Returns:
        The job profile, costs keyed by the SoC's PE type names.

    Raises:
        ConfigError: The file is malformed, or a task's name is a
            functionality no resource of the SoC supports (the field names the
            task's line).
    """
    if not isinstance(soc, DS3Soc):
        soc = read_ds3_soc(soc)
    reader = _Reader(path)
    job = _scan_job(reader)
    tasks = []
    for task in job.tasks:
        costs = soc.task_costs(task.name)
        if not costs:
            raise reader.error(task.line, f"task '{task.name}' is a functionality that no PE "
                               f"of {soc.platform.source} supports",
                               f"add a line '{task.name} TIME' under a resource of that SoC "
                               "file, or rename the task to a supported functionality")
        tasks.append({"name": task.name, "cost": {t: _tidy(c) for t, c in costs.items()}})
    document = {
        "name": name or job.name or reader.path.stem,
        "description": (f"Read from the DS3 job file {reader.path.name} with execution "
                        f"times from {Path(soc.platform.source).name} by socsim.ds3."),
        "pe_types": soc.platform.type_names,
        "tasks": tasks,
        "edges": _job_edges(reader, job),
    }
    return JobProfile.from_dict(document, source=reader.source)


def _tidy(value: float) -> float | int:
    """An integral float as an ``int`` so that written files read ``22``, not ``22.0``."""
    return int(value) if float(value).is_integer() else value
