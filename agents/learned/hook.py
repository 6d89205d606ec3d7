"""Registers the ``learned:`` scheduler prefix without importing torch until it is used."""

from __future__ import annotations

from typing import Any

from socsim.schedulers import register_scheduler_prefix


def make_learned(path: str) -> Any:
    """``learned:PATH`` (a run folder or checkpoint) or ``learned:default`` (the shipped one)."""
    from .scheduler import LearnedScheduler

    return LearnedScheduler.from_path(path)


def register() -> None:
    """Register ``learned:`` with :func:`socsim.schedulers.make_scheduler`."""
    register_scheduler_prefix("learned", make_learned)
