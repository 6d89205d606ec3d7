"""Two simple runtime schedulers that ship with the emulator, and a name registry.

The full set of baselines (HEFT and family, ETF, EFT...) lives in
``socsim.agents``; these two let the emulator run on its own and serve as
references in its tests.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np

from socsim.scheduler import Assignment, Scheduler, SchedulerView


class MinimumExecutionTime:
    """MET: each ready task goes to the PE type where it runs fastest.

    Among live PEs with the least expected execution time, it picks the one
    expected to be free first (lowest index on ties) and queues the task
    there, without regard to transfers or load elsewhere. If every PE of the
    fastest type is down it falls back to the fastest live ones. DS3's MET
    breaks ties among the fastest PEs differently (idle first, then fewest
    tasks assigned in the call, blind to queues): that is ``ds3-met`` in
    ``socsim.agents``.
    """

    name = "met"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Nothing to prepare."""

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place every ready task on its fastest type."""
        planned: dict[int, float] = {}  # expected work queued in this round, per PE
        out = []
        for job, task in view.ready:
            pes = view.fastest_pes(job, task)
            if not pes:
                continue
            target = pes[0] if len(pes) == 1 else view.earliest_available(pes, planned)
            planned[target] = planned.get(target, 0.0) + view.exec_time(job, task, target)
            out.append(Assignment(job, task, target))
        return out


class FirstIdle:
    """Each ready task, in ready order, goes to the first idle PE that can run it.

    Work-conserving and oblivious to costs; a task with no idle eligible PE
    waits for the next decision point (a PE going idle is one).
    """

    name = "first-idle"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Nothing to prepare."""

    def decide(self, view: SchedulerView) -> list[Assignment]:
        """Place ready tasks on idle PEs, one task per PE."""
        taken: set[int] = set()
        out = []
        for job, task in view.ready:
            for pe in view.eligible_pes(job, task):
                if pe not in taken and view.is_idle(pe):
                    taken.add(pe)
                    out.append(Assignment(job, task, pe))
                    break
        return out


SCHEDULERS: Mapping[str, Callable[[], Scheduler]] = MappingProxyType({
    MinimumExecutionTime.name: MinimumExecutionTime,
    FirstIdle.name: FirstIdle,
})
"""The emulator's own schedulers."""

_REGISTRY: dict[str, Callable[[], Scheduler]] = dict(SCHEDULERS)


def register_scheduler(name: str, factory: Callable[[], Scheduler]) -> None:
    """Make a scheduler available by name (``socsim.agents`` registers its baselines).

    Raises:
        ValueError: ``name`` is taken by another factory.
    """
    if _REGISTRY.get(name, factory) is not factory:
        raise ValueError(f"a scheduler named '{name}' is already registered")
    _REGISTRY[name] = factory


_PREFIXES: dict[str, Callable[[str], Scheduler]] = {}
_PREFIX_USAGE: dict[str, str] = {}


def register_scheduler_prefix(prefix: str, factory: Callable[[str], Scheduler],
                              usage: str = "") -> None:
    """Make ``make_scheduler("PREFIX:ARG")`` call ``factory(ARG)`` (e.g. ``learned:PATH``).

    Args:
        prefix: The part before the colon.
        factory: Builds the scheduler from the part after it.
        usage: One line for help texts, e.g. ``"learned:PATH (a run folder)"``
            (default: ``"PREFIX:ARG"``).
    """
    _PREFIXES[prefix] = factory
    _PREFIX_USAGE[prefix] = usage or f"{prefix}:ARG"


def scheduler_prefixes() -> dict[str, str]:
    """Every registered ``PREFIX:ARG`` family and its one-line usage, by prefix (sorted)."""
    _load_plugins()
    return {prefix: _PREFIX_USAGE[prefix] for prefix in sorted(_PREFIXES)}


def _load_plugins() -> None:
    """Import ``socsim.agents`` when installed, so that its schedulers register."""
    try:
        importlib.import_module("socsim.agents")
    except ModuleNotFoundError as exc:
        if exc.name not in ("socsim.agents",):
            raise


def scheduler_names() -> list[str]:
    """Names of every available scheduler, sorted."""
    _load_plugins()
    return sorted(_REGISTRY)


def make_scheduler(name: str) -> Scheduler:
    """A new scheduler by name.

    Raises:
        ValueError: No scheduler has that name; the message lists the names.
    """
    _load_plugins()
    prefix, colon, argument = name.partition(":")
    if colon and prefix in _PREFIXES:  # e.g. "learned:PATH"
        return _PREFIXES[prefix](argument)
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ValueError(f"unknown scheduler '{name}'; {hint}available: {sorted(_REGISTRY)}")
    return _REGISTRY[name]()
