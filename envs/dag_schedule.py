"""``socsim/DAGSchedule-v0``: the classic makespan problem, a few DAGs at t = 0."""

from __future__ import annotations

from typing import Any, ClassVar

from socsim.scenario import Scenario

from .base import SchedulingEnv


class DAGScheduleEnv(SchedulingEnv):
    """Schedule one or a few task DAGs on an idle heterogeneous platform, minimising makespan.

    ## Description

    Every job arrives at t = 0 on an idle platform; the episode ends when
    the last task finishes. This is the static problem of Topcuoglu, Hariri
    and Wu (IEEE TPDS 2002), solved step by step: each step places one
    ready task (all its predecessors finished), and the emulator then runs
    to the next moment a task can be placed (a predecessor finished). The
    default instance is the paper's 10-task example (workload
    ``canonical``) on its 3 processors (platform ``canonical3``), on which
    HEFT's static plan has makespan 80 us.

    Each PE runs its queue in order; a task starts when it heads the queue,
    the PE is free and its inputs have arrived (predecessor finish plus
    transfer time, zero on the same PE).

    ## Action Space

    One flat ``Discrete`` with a mask; the mask comes from one function and
    is offered as ``env.unwrapped.action_masks()`` (bool, for sb3-contrib's
    ``MaskablePPO``), ``info["action_mask"]`` and ``obs["action_mask"]``
    (int8). ``env.action_space.sample()`` draws among the valid actions.

    - ``action_mode="order"`` (default): ``Discrete(max_nodes)``. Action
      ``s`` picks the ready task in node slot ``s``; the earliest-finish
      live eligible PE (its queued work, the task's inputs' arrival, ties to
      the lower PE) runs it.
    - ``action_mode="assign"``: ``Discrete(max_nodes * max_pes + 1)``.
      Action ``s * max_pes + p`` queues the task in slot ``s`` on PE ``p``
      (busy PEs included); the last action waits for the next decision
      point (valid only while the platform can make progress without a
      new placement, so waiting cannot stall it).

    Task ``t`` of a job sits in slot ``node0 + t`` (``env.unwrapped.action_for(job,
    task, pe)`` computes it). A masked-out action runs as the valid action
    ``valid[action % len(valid)]`` and ``info["invalid_action"]`` says so
    (``invalid_action="raise"`` raises :class:`~socsim.envs.core.InvalidAction`
    instead, saying why it is invalid and how many actions are valid;
    ``"noop"`` ignores it).

    ## Observation Space

    A flat ``Dict`` of fixed-shape arrays (``N = max_nodes``, ``E =
    max_edges``, ``P = max_pes``, ``A`` = number of actions); times are in
    units of ``time_scale``. Column names are in
    :data:`socsim.envs.spaces.NODE_FEATURES`, ``PE_FEATURES``, ``GLOBAL_FEATURES``.

    | Key               | Shape  | Dtype   | Meaning (padding value)                     |
    |-------------------|--------|---------|---------------------------------------------|
    | `node_features`   | (N, 9) | float32 | per task: ready, placed, done, waiting      |
    |                   |        |         | inputs, mean/min time, upward rank, job     |
    |                   |        |         | age, job remaining (0)                      |
    | `node_pe_time`    | (N, P) | float32 | expected time on each PE (-1: cannot run)   |
    | `node_pe`         | (N,)   | int64   | PE it is queued on or ran on (-1)           |
    | `node_job`        | (N,)   | int64   | its job slot, 0..max_jobs-1 (-1)            |
    | `node_mask`       | (N,)   | int8    | 1 where the slot holds a task               |
    | `edge_index`      | (2, E) | int64   | parent and child node slot of an edge (0)   |
    | `edge_features`   | (E, 1) | float32 | mean transfer time of the edge (0)          |
    | `edge_mask`       | (E,)   | int8    | 1 where the slot holds an edge              |
    | `pe_features`     | (P, 6) | float32 | alive, idle, busy, queue length, time to    |
    |                   |        |         | free, active power (0)                      |
    | `pe_type`         | (P,)   | int64   | PE type index (-1)                          |
    | `pe_mask`         | (P,)   | int8    | 1 for the platform's PEs                    |
    | `global_features` | (5,)   | float32 | time, horizon fraction, jobs, ready tasks,  |
    |                   |        |         | idle PEs                                    |
    | `action_mask`     | (A,)   | int8    | the action mask                             |

    Defaults here: ``N = 10``, ``E = 15``, ``P = 3``; ``order``:
    ``Discrete(10)``, ``assign``: ``Discrete(31)``.
    ``env.unwrapped.graph_observation()`` gives the same state without
    padding (:class:`~socsim.envs.observation.GraphObservation`).

    ## Rewards

    ``reward="makespan"`` (default): minus the simulated time elapsed
    between decisions, over ``time_scale``; the return is ``-makespan /
    time_scale``. Also ``"latency"`` (-dt x jobs in the system), ``"energy"``,
    ``"edp"`` and weighted mixes such as ``{"makespan": 1, "energy": 0.5}``
    (see :mod:`socsim.envs.rewards`).

    ## Starting State

    ``jobs`` copies of the workload (or draws from the mix) at t = 0 on an
    idle platform; the first observation is the first decision, when the
    source tasks are ready. ``reset(seed=s)`` seeds ``np_random``, from
    which the simulator's seed (execution-time noise, faults) is drawn;
    ``reset(options={"sim_seed": k})`` fixes it.

    ## Episode End

    Terminated when every job is done. With a ``horizon``, truncated when
    it stops the run with work left. The final ``info`` holds the run's
    ``metrics``, the raw ``reward_totals`` and ``episode_return``, the
    ``baseline``'s metrics on the same jobs and seed (static ``heft``:
    HEFT's plan) and ``vs_baseline`` (ours over HEFT's).

    ## Arguments

    Every keyword of :class:`~socsim.envs.base.SchedulingEnv`: the scenario
    fields (``platform``, ``workload``, ``mix``, ``jobs``, ``noise``,
    ``dvfs``, ``fail``, ``mtbf``, ``horizon``...), ``arrivals``, ``faults``,
    ``action_mode``, ``placement``, ``reward``, ``time_scale``,
    ``max_jobs``/``max_nodes``/``max_edges``/``max_pes``, ``baseline``,
    ``render_mode`` (``ansi``, ``rgb_array``, ``human``).

    >>> import gymnasium as gym
    >>> import socsim
    >>> env = gym.make("socsim/DAGSchedule-v0", jobs=2, noise=0.1)
    >>> obs, info = env.reset(seed=0)
    >>> obs["node_features"].shape, env.action_space
    ((20, 9), Discrete(20))

    ## Version History

    - v0: initial version.
    """

    default_action_mode: ClassVar[str] = "order"
    default_reward: ClassVar[str] = "makespan"
    default_baseline: ClassVar[str | None] = "heft"

    @classmethod
    def default_scenario(cls) -> Any:
        """The canonical 10-task example on ``canonical3``, one job at t = 0."""
        return Scenario(platform="canonical3", workload="canonical", arrival="batch",
                             jobs=1, max_in_system=0)
