"""DVFS policies: which operating point each PE uses while busy and while idle.

A policy is consulted once per PE when a simulation starts. Running a task
at an operating point other than the PE type's reference point scales its
time by the frequency ratio; power follows the point's table.
"""

from __future__ import annotations

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


POLICIES = {"performance": Performance, "powersave": Powersave, "race-to-idle": RaceToIdle,
            "fixed": Fixed}


def make_policy(name: str) -> DVFSPolicy:
    """Build a policy by name (``performance``, ``powersave``, ``race-to-idle``, ``fixed``)."""
    if name not in POLICIES:
        raise ValueError(f"unknown DVFS policy '{name}'; use one of {sorted(POLICIES)}")
    return POLICIES[name]()
