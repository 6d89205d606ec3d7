"""What the environments' observations hold: feature columns, size limits and the spaces.

The default observation is a flat, single-level :class:`gymnasium.spaces.Dict`
of fixed-shape arrays, which Stable-Baselines3 and vector environments
accept; each array's columns are named here (:data:`NODE_FEATURES`,
:data:`PE_FEATURES`, ...), and :class:`Limits` fixes the padding. The
arrays are filled by :class:`socsim.envs.observation.ObservationBuilder`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

#: Columns of ``node_features``. Times are in units of the environment's ``time_scale``.
NODE_FEATURES = (
    "ready",           # 1: predecessors done, not placed (pickable)
    "placed",          # 1: queued on or running on a PE
    "done",            # 1: finished
    "waiting_inputs",  # fraction of predecessors not finished yet
    "mean_time",       # mean expected execution time over eligible PEs
    "min_time",        # least expected execution time
    "upward_rank",     # HEFT upward rank (mean costs and mean transfers)
    "job_age",         # time since the job arrived
    "job_remaining",   # fraction of the job's tasks not finished
)
#: Columns of ``pe_features``.
PE_FEATURES = (
    "alive",           # 1: up
    "idle",            # 1: up, running nothing, empty queue
    "busy",            # 1: running a task
    "queue_length",    # tasks queued, not counting the running one
    "time_to_free",    # expected time until its running and queued work is done
    "active_power",    # active power over the platform's highest active power
)
#: Entries of ``global_features``.
GLOBAL_FEATURES = (
    "time",            # simulated time over the time scale
    "horizon_fraction",  # simulated time over the horizon (0 without a horizon)
    "jobs",            # jobs in the system over max_jobs
    "ready_tasks",     # ready unplaced tasks over max_nodes
    "idle_pes",        # idle PEs over the number of PEs
)
#: Columns of ``edge_features``.
EDGE_FEATURES = ("transfer_time",)  # volume over the mean bandwidth, over the time scale


class ObservationLimitError(ValueError):
    """A scenario needs more room than an observation limit allows.

    The message's fix names the environment keyword to raise; the command
    line rewords it for the command in use with :meth:`for_command`.

    Args:
        problem: What does not fit.
        keyword: The limit to raise (``max_pes``, ``max_jobs``, ``max_nodes``, ``max_edges``).
        minimum: The least value that fits (``None``: unknown).
        cap: Whether capping the jobs in the system (``max_in_system``) also helps.
    """

    def __init__(self, problem: str, keyword: str, minimum: int | None = None,
                 cap: bool = False) -> None:
        super().__init__(problem, keyword, minimum, cap)  # args rebuild it when unpickled
        self.problem, self.keyword, self.minimum, self.cap = problem, keyword, minimum, cap

    def _value(self) -> str:
        return "N" if self.minimum is None else str(self.minimum)

    def __str__(self) -> str:
        at_least = f" to at least {self.minimum}" if self.minimum is not None else ""
        fix = (f"raise {self.keyword}{at_least} (the environment keyword "
               f"{self.keyword}={self._value()})")
        if self.cap:
            fix += ", or cap the jobs in the system with max_in_system="
        return f"{self.problem}; {fix}"

    def for_command(self, command: str) -> str:
        """The message with a fix that names the flags of ``socsim COMMAND``.

        ``train`` and ``evaluate`` take ``--env-kwargs``; ``compare`` (and
        ``simulate``) take no environment keywords: the limits there come from
        a ``learned:`` run, so the fix is to retrain that run, or to lower
        ``--max-in-system`` where that helps.
        """
        kwargs = f"--env-kwargs '{{\"{self.keyword}\": {self._value()}}}'"
        if command in ("train", "evaluate"):
            fix = f"add {kwargs} (beside your other keywords)"
            if self.cap:
                fix += ", or cap the jobs in the system with --env-kwargs '{\"max_in_system\": N}'"
        else:
            fix = (f"socsim {command} takes no environment keywords: the learned: scheduler's "
                   f"run fixes {self.keyword}; retrain it with socsim train {kwargs}")
            if self.keyword == "max_pes":
                fix += ", or pick a --platform with fewer PEs"
            if self.cap:
                fix += ", or lower --max-in-system"
        return f"{self.problem}. Fix: {fix}"


@dataclass(frozen=True)
class Limits:
    """Sizes of the padded observation arrays (constructor arguments of every env).

    Attributes:
        max_jobs: Jobs in the system at once.
        max_nodes: Task slots (tasks of all jobs in the system).
        max_edges: Edge slots (DAG edges of all jobs in the system).
        max_pes: PE rows (at least the platform's PE count).
    """

    max_jobs: int
    max_nodes: int
    max_edges: int
    max_pes: int


def observation_space(limits: Limits, action_size: int, num_types: int = 1) -> spaces.Dict:
    """The flat ``Dict`` observation space of the Gymnasium environments.

    Args:
        limits: Array sizes.
        action_size: Length of the ``action_mask`` entry.
        num_types: PE types of the platform (bounds ``pe_type``).
    """
    n, e, p = limits.max_nodes, limits.max_edges, limits.max_pes
    inf = np.float32(np.inf)
    return spaces.Dict({
        "node_features": spaces.Box(-inf, inf, (n, len(NODE_FEATURES)), np.float32),
        "node_pe_time": spaces.Box(-1.0, inf, (n, p), np.float32),
        "node_pe": spaces.Box(-1, p - 1, (n,), np.int64),
        "node_job": spaces.Box(-1, limits.max_jobs - 1, (n,), np.int64),
        "node_mask": spaces.MultiBinary(n),
        "edge_index": spaces.Box(0, max(n - 1, 0), (2, e), np.int64),
        "edge_features": spaces.Box(-inf, inf, (e, len(EDGE_FEATURES)), np.float32),
        "edge_mask": spaces.MultiBinary(e),
        "pe_features": spaces.Box(-inf, inf, (p, len(PE_FEATURES)), np.float32),
        "pe_type": spaces.Box(-1, max(num_types, 1) - 1, (p,), np.int64),
        "pe_mask": spaces.MultiBinary(p),
        "global_features": spaces.Box(-inf, inf, (len(GLOBAL_FEATURES),), np.float32),
        "action_mask": spaces.MultiBinary(action_size),
    })


#: The arrays of the observation (every ``Dict`` key but ``action_mask``), in space order.
ARRAY_KEYS = ("node_features", "node_pe_time", "node_pe", "node_job", "node_mask", "edge_index",
              "edge_features", "edge_mask", "pe_features", "pe_type", "pe_mask",
              "global_features")


def array_shapes(limits: Limits) -> dict[str, tuple[tuple[int, ...], type, float]]:
    """Shape, dtype and padding value of each array of :data:`ARRAY_KEYS`."""
    n, e, p = limits.max_nodes, limits.max_edges, limits.max_pes
    return {
        "node_features": ((n, len(NODE_FEATURES)), np.float32, 0.0),
        "node_pe_time": ((n, p), np.float32, -1.0),
        "node_pe": ((n,), np.int64, -1),
        "node_job": ((n,), np.int64, -1),
        "node_mask": ((n,), np.int8, 0),
        "edge_index": ((2, e), np.int64, 0),
        "edge_features": ((e, len(EDGE_FEATURES)), np.float32, 0.0),
        "edge_mask": ((e,), np.int8, 0),
        "pe_features": ((p, len(PE_FEATURES)), np.float32, 0.0),
        "pe_type": ((p,), np.int64, -1),
        "pe_mask": ((p,), np.int8, 0),
        "global_features": ((len(GLOBAL_FEATURES),), np.float32, 0.0),
    }


class MaskedDiscrete(spaces.Discrete):
    """A ``Discrete`` action space whose ``sample()`` draws among the actions valid now.

    With an explicit ``mask`` (or ``probability``) it is Gymnasium's
    ``Discrete.sample``. Without one it samples uniformly among the actions
    the environment's current action mask allows (any action when none is,
    e.g. after the episode ended), so ``env.action_space.sample()`` is a
    valid random policy and checkers that step with it do not hit masked
    actions. It pickles and deep-copies as a plain ``Discrete``.

    Args:
        n: Number of actions.
        current_mask: Returns the environment's current mask (int8), or ``None``.
    """

    def __init__(self, n: int, current_mask: Any) -> None:
        super().__init__(n)
        self._current_mask = current_mask

    def sample(self, mask: np.ndarray | None = None,  # type: ignore[override]
               probability: np.ndarray | None = None) -> np.int64:
        """A random action: among valid ones unless a mask or probabilities are given."""
        if mask is None and probability is None:
            current = self._current_mask()
            if current is not None and current.any():
                mask = current
        return super().sample(mask=mask, probability=probability)

    def __reduce__(self) -> tuple[Any, ...]:
        return (spaces.Discrete, (int(self.n),))
