"""DVFS policies: which operating point each PE uses while busy and while idle.

A static policy is consulted once per PE when a simulation starts. Running a
task at an operating point other than the PE type's reference point scales
its time by the frequency ratio; power follows the point's table.

A *governor* (:class:`Ondemand`) also moves each cluster's operating point
while the run goes on: every ``period_us`` the simulator measures each
cluster's utilisation over the period just ended and applies
:meth:`Ondemand.next_opp`; the cores of a cluster share one point (one V/f
rail), busy or idle. The remaining time of a running task, and the expected
work queued on a PE, scale with the new frequency. Without a governor no
such event exists, so static policies cost nothing at run time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from socsim.platform import PEType


class DVFSPolicy(Protocol):
    """Chooses operating-point indices (into ``PEType.opps``) for a PE."""

    name: str

    def busy_opp(self, pe_type: PEType, pe: int) -> int:
        """Operating point while the PE runs a task."""
        ...

    def idle_opp(self, pe_type: PEType, pe: int) -> int:
        """Operating point while the PE is idle."""
        ...


@dataclass
class Performance:
    """Linux's ``performance`` governor: always the fastest point."""

    name: str = "performance"

    def busy_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        return pe_type.max_opp

    def idle_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        return pe_type.max_opp


@dataclass
class Powersave:
    """Linux's ``powersave`` governor: always the slowest point."""

    name: str = "powersave"

    def busy_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        return 0

    def idle_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        return 0


@dataclass
class RaceToIdle:
    """Fastest point while busy, slowest while idle (an idealised ``ondemand``)."""

    name: str = "race-to-idle"

    def busy_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        return pe_type.max_opp

    def idle_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        return 0


@dataclass
class Fixed:
    """A fixed frequency per PE type, busy or idle.

    Attributes:
        mhz: PE type name to frequency; types not listed use their reference point.
    """

    mhz: Mapping[str, float] = field(default_factory=dict)
    name: str = "fixed"

    def busy_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        if pe_type.name not in self.mhz:
            return pe_type.reference_opp
        wanted = self.mhz[pe_type.name]
        for index, point in enumerate(pe_type.opps):
            if point.mhz == wanted:
                return index
        raise ValueError(f"PE type '{pe_type.name}' has no operating point at {wanted:g} MHz; "
                         f"use one of {[p.mhz for p in pe_type.opps]}")

    def idle_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        return self.busy_opp(pe_type, pe)


@dataclass
class Constant:
    """DS3's ``constant-<MHz>``: every PE at ``mhz``, busy or idle.

    A PE type without that operating point runs at its fastest point at or
    below ``mhz`` (its slowest if none is), so one name serves a whole SoC.

    Attributes:
        mhz: The frequency asked for.
    """

    mhz: float
    name: str = "constant"

    def busy_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        below = [k for k, point in enumerate(pe_type.opps) if point.mhz <= self.mhz]
        return below[-1] if below else 0

    def idle_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        return self.busy_opp(pe_type, pe)


@dataclass
class Ondemand:
    """DS3's ``ondemand`` governor, per cluster, every ``period_us``.

    The utilisation DS3 compares with its thresholds is the *sum* over the
    cluster's PEs of the fraction of the last period each spent running a
    task (DS3: the mean times the number of cores). Above ``up`` the cluster
    goes to its fastest point; below ``down`` one point slower; otherwise it
    stays. Every cluster starts at its fastest point. DS3's defaults: 10 us,
    0.8 and 0.3.

    Attributes:
        period_us: Time between decisions.
        up: Utilisation above which the fastest point is set.
        down: Utilisation below which the cluster slows by one point.
    """

    period_us: float = 10.0
    up: float = 0.8
    down: float = 0.3
    name: str = "ondemand"

    def busy_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        return pe_type.max_opp

    def idle_opp(self, pe_type: PEType, pe: int) -> int:  # noqa: D102
        return pe_type.max_opp

    def next_opp(self, pe_type: PEType, current: int, utilisation: float) -> int:
        """The cluster's operating point for the next period."""
        if utilisation > self.up:
            return pe_type.max_opp
        if utilisation < self.down:
            return max(0, current - 1)
        return current


POLICIES = {"performance": Performance, "powersave": Powersave, "race-to-idle": RaceToIdle,
            "fixed": Fixed, "ondemand": Ondemand}
#: Every name :func:`make_policy` takes, for help texts.
POLICY_NAMES = (*sorted(POLICIES), "constant-MHZ")


def make_policy(name: str) -> DVFSPolicy:
    """Build a policy by name: one of :data:`POLICIES`, or ``constant-<MHz>`` (DS3's form)."""
    if name.startswith("constant-"):
        try:
            mhz = float(name.removeprefix("constant-"))
        except ValueError:
            mhz = math.nan
        if not (math.isfinite(mhz) and mhz > 0):
            raise ValueError(f"DVFS policy '{name}': give a frequency in MHz, e.g. constant-1000")
        return Constant(mhz)
    if name not in POLICIES:
        raise ValueError(f"unknown DVFS policy '{name}'; use one of {list(POLICY_NAMES)}")
    return POLICIES[name]()
