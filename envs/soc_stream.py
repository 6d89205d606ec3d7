"""``socsim/SoCStream-v0``: jobs of a workload mix stream into a mobile SoC until a horizon."""

from __future__ import annotations

from typing import Any, ClassVar

from socsim import catalog
from socsim.scenario import Scenario

from .base import SchedulingEnv

#: The default streaming scenario, when the catalog has its platform and mix.
STREAM_DEFAULTS: dict[str, Any] = {
    "platform": "mobile_soc", "mix": "edge_ai", "arrival": "poisson", "interarrival": 8000.0,
    "max_in_system": 12, "horizon": 1_000_000.0}
#: The fallback on a catalog without them: DS3's default configuration, 50 ms long.
DS3_FALLBACK: dict[str, Any] = {
    "platform": "ds3_multiple_bal", "mix": "ds3_default", "arrival": "poisson",
    "interarrival": 500.0, "max_in_system": 12, "horizon": 50_000.0}


class SoCStreamEnv(SchedulingEnv):
    """Place the tasks of jobs that keep arriving on a heterogeneous SoC, minimising latency.

    ## Description

    The streaming problem: jobs drawn from a weighted workload mix arrive
    over time (Poisson by default) and the run stops at a horizon. By
    default the platform is ``mobile_soc`` (big.LITTLE CPU clusters, DS3's
    radio accelerators, a mobile GPU, a DSP, an NPU, a neuromorphic tile and
    a pulse-CNN block: 17 PEs in 10 clusters) and the mix ``edge_ai`` (the
    spiking-transformer, EGRU, pulse-CNN, quantised-CNN and two-point-cell
    workloads, 10 to 30 tasks each), one job every 8 ms on average, at most
    12 in the system (an arrival that finds it full waits), for 1 s of
    simulated time. Under that load HEFT_RT keeps mean latency near 12 ms
    and MET near 43 ms. On a catalog without ``mobile_soc`` and ``edge_ai``
    the default falls back to DS3's ``ds3_multiple_bal`` with its
    ``ds3_default`` mix (one job every 500 us, at most 12, 50 ms).

    ## Action Space

    As in :class:`~socsim.envs.DAGScheduleEnv`, with ``action_mode="assign"``
    the default here: ``Discrete(max_nodes * max_pes + 1)``, action ``s *
    max_pes + p`` queues the ready task in node slot ``s`` on PE ``p``, the
    last action waits for the next decision point. ``action_mode="order"``
    picks only the task (``Discrete(max_nodes)``); earliest finish places it.
    The mask is ``env.unwrapped.action_masks()``, ``info["action_mask"]`` and
    ``obs["action_mask"]``; a masked-out action raises ``InvalidAction``.

    ## Observation Space

    A flat ``Dict`` of fixed-shape arrays (``N = max_nodes``, ``E =
    max_edges``, ``P = max_pes``, ``A`` = number of actions); times are in
    units of ``time_scale`` (default: the mix's typical job work on its
    fastest PEs, about 8.4 ms here).

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

    Defaults here: ``max_jobs = 12``, ``N = 360``, ``E = 468``, ``P = 17``;
    ``assign``: ``Discrete(6121)``, ``order``: ``Discrete(360)``. A job that
    does not fit raises ``ObservationLimitError`` naming the limit to raise.
    ``env.unwrapped.graph_observation()`` gives the state without padding.

    ## Rewards

    ``reward="latency"`` (default): Decima's ``-dt x jobs in the system``
    between decisions, over ``time_scale``; the return is minus the total
    time jobs spent in the system (completed jobs' latencies plus the age
    of those left at the horizon) over ``time_scale``. Also ``"makespan"``,
    ``"energy"``, ``"edp"`` and weighted mixes.

    ## Starting State

    An empty platform at t = 0, when the first job arrives. ``reset(seed=s)``
    seeds ``np_random``, from which the simulator's seed (arrivals, mix,
    per-job activity, noise, faults) is drawn.

    ## Episode End

    Truncated when the horizon stops the run (jobs are still in the system
    or due); terminated if the source runs out (``jobs=...``) and every job
    is done before it. The final ``info`` holds ``metrics``,
    ``reward_totals``, ``episode_return``, the ``baseline`` (``heft-rt``
    run with the same simulator seed, hence the same arrivals) and
    ``vs_baseline``.

    ## Arguments

    Every keyword of :class:`~socsim.envs.base.SchedulingEnv`, e.g.
    ``interarrival``, ``max_in_system``, ``horizon``, ``noise``, ``mix``,
    ``workload``, ``platform``, ``reward``, ``action_mode``.

    >>> import gymnasium as gym
    >>> import socsim
    >>> env = gym.make("socsim/SoCStream-v0", interarrival=12000.0, horizon=200000.0)
    >>> obs, info = env.reset(seed=1)
    >>> env.action_space
    Discrete(6121)

    ## Version History

    - v0: initial version.
    """

    default_action_mode: ClassVar[str] = "assign"
    default_reward: ClassVar[str] = "latency"
    default_baseline: ClassVar[str | None] = "heft-rt"

    @classmethod
    def default_scenario(cls) -> Any:
        """``mobile_soc`` with the ``edge_ai`` mix, or DS3's default if they are absent."""
        if ("mobile_soc" in catalog.platform_names() and "edge_ai" in catalog.mix_names()):
            return Scenario(**STREAM_DEFAULTS)
        return Scenario(**DS3_FALLBACK)
