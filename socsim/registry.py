"""Schedulers by name: the emulator's own, ``socsim.agents``' baselines and ``PREFIX:ARG`` families.

``make_scheduler("etf")`` is how the CLI, the environments' baselines and
the comparison tools build a scheduler from a string. Extensions register
their names (or a prefix such as ``learned:``) here when imported;
``socsim.agents`` is imported on the first lookup when it is installed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from socsim.scheduler import Scheduler
from socsim.schedulers import SCHEDULERS

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
        import difflib  # only to word an error

        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ValueError(f"unknown scheduler '{name}'; {hint}available: {sorted(_REGISTRY)}")
    return _REGISTRY[name]()
