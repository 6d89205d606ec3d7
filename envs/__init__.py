"""Gymnasium and PettingZoo environments over the socsim emulator (``socsim.envs``).

Installed under the ``socsim`` namespace because PyPI already has a project
called ``envs``. Environments depend on :mod:`socsim`; the emulator never
imports this package except to register the ids (``import socsim`` calls
:func:`socsim.envs.registration.register_envs` when Gymnasium is installed).

Gymnasium ids (see each class for its manual):

- ``socsim/DAGSchedule-v0``: :class:`DAGScheduleEnv`, a few DAGs at t = 0, makespan.
- ``socsim/SoCStream-v0``: :class:`SoCStreamEnv`, jobs streaming in until a horizon.
- ``socsim/DeepSoCS-v0``: :class:`DeepSoCSEnv`, the DeepSoCS / DS3Gym protocol.
- ``socsim/RandomDAG-v0``: :class:`RandomDAGEnv`, a new random DAG (and platform) each reset.

PettingZoo, one agent per PE cluster: :func:`parallel_env` and :func:`env`.
Heuristics as policies: :class:`HeuristicPolicy` and :func:`run_heuristic`.

Classes are imported on first use, so ``import socsim`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "SchedulingEnv": "base",
    "DAGScheduleEnv": "dag_schedule",
    "RandomDAGEnv": "random_dag",
    "SoCStreamEnv": "soc_stream",
    "DeepSoCSEnv": "deepsocs",
    "InvalidAction": "core",
    "ObservationLimitError": "spaces",
    "GraphObservation": "spaces",
    "HeuristicPolicy": "policies",
    "run_heuristic": "policies",
    "SoCParallelEnv": "pettingzoo_env",
    "SoCAECEnv": "pettingzoo_env",
    "register_envs": "registration",
    "ENV_IDS": "registration",
}

__all__ = [*sorted(_LAZY), "env", "parallel_env"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'socsim.envs' has no attribute {name!r}")
    return getattr(importlib.import_module(f"socsim.envs.{module}"), name)


def parallel_env(**kwargs: Any) -> Any:
    """PettingZoo ``ParallelEnv`` with one agent per PE cluster (see :mod:`.pettingzoo_env`)."""
    from .pettingzoo_env import parallel_env as make

    return make(**kwargs)


def env(**kwargs: Any) -> Any:
    """PettingZoo AEC env with one agent per PE cluster, in PettingZoo's standard wrappers."""
    from .pettingzoo_env import env as make

    return make(**kwargs)
