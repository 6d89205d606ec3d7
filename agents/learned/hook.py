"""Registers the ``learned:`` scheduler prefix without importing torch until it is used."""

from __future__ import annotations

from typing import Any

from socsim.registry import register_scheduler_prefix


def make_learned(path: str) -> Any:
    """``learned:PATH`` (a checkpoint or run folder) or ``learned:default`` (the shipped one).

    Set-policy checkpoints (the size-agnostic agent, :mod:`.set_scheduler`)
    and the earlier fixed-size ``socsim train`` runs both load.

    Raises:
        ValueError: torch is missing (the message says how to install it), or
            the checkpoint cannot be used (see
            :class:`~socsim.agents.learned.checkpoint.CheckpointError`).
    """
    try:
        from .set_scheduler import scheduler_from_path
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        raise ValueError(f"learned:{path} needs torch: pip install 'socsim[rl]'") from None

    return scheduler_from_path(path)


def register() -> None:
    """Register ``learned:`` with :func:`socsim.registry.make_scheduler`."""
    register_scheduler_prefix(
        "learned", make_learned,
        "learned:PATH (a trained policy: run folder or checkpoint file), learned:default "
        "(the shipped size-agnostic agent), learned:edp (its energy-delay variant) or "
        "learned:deepsocs-env (the earlier fixed-size DeepSoCS agent); needs torch")
