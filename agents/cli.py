"""Commands the agents add to the ``socsim`` command line.

``socsim.cli`` calls :func:`add_subcommands` when this package is installed,
so the emulator's command line never imports the agents itself.
"""

from __future__ import annotations

import argparse

from .compare_cmd import add_compare_command
from .learned.cli import add_learned_commands
from .schedule_cmd import add_schedule_command
from .sweep_cmd import add_sweep_command


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Add ``schedule``, ``compare``, ``sweep``, ``train`` and ``evaluate`` to the subcommands."""
    add_schedule_command(sub)
    add_compare_command(sub)
    add_sweep_command(sub)
    add_learned_commands(sub)
