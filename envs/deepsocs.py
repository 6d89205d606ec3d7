"""``socsim/DeepSoCS-v0``: the DeepSoCS / DS3Gym streaming protocol as an environment."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import SchedulingEnv
from .generator import preset_scenario


class DeepSoCSEnv(SchedulingEnv):
    """Order the ready tasks of the DeepSoCS protocol; earliest finish time places them.

    ## Description

    The protocol of DeepSoCS (Sung et al., Electronics 2020) and DS3Gym,
    taken from the ``deepsocs`` preset of ``socsim compare``
    (:data:`socsim.agents.scenario.DEEPSOCS`), so that the environment and
    the comparison of heuristics run the same scenario: the Topcuoglu job
    (``canonical``, DS3Gym's ``job_Top``) on ``canonical3`` (3 processors,
    DS3 integer timing), Poisson arrivals with integer gaps of mean 25 us,
    pseudo steady state (3 jobs pre-filled, at most 3 in the system, an
    arrival that finds it full retries after 1 us and a fresh gap, as
    DS3Gym's generator does), 5000 us, no noise, DS3's executable-list
    (``first-ready``) queues. The agent plays DeepSoCS's part: it orders
    the ready tasks and each picked task goes to the PE where it finishes
    first.

    ## Action Space

    ``action_mode="order"`` (default): ``Discrete(max_nodes)`` = ``Discrete(30)``;
    action ``s`` picks the ready task in node slot ``s`` (every job takes 10
    consecutive slots, task ``s % 10``; ``obs["node_job"][s]`` is its job
    slot). ``placement="eft"`` (default) chooses the live PE
    of earliest finish counting queued work and the inputs' arrival;
    ``placement="eft-blind"`` ignores transfers, as DS3's HEFT_RT and the
    released DeepSoCS code do: with it, ordering tasks as ``heft-rt`` does
    reproduces ``heft-rt`` exactly. Queues run in placement order
    (``in_order_queues``). ``action_mode="assign"`` (``Discrete(91)``) picks
    (task, PE) pairs or waits. The mask is ``env.unwrapped.action_masks()``,
    ``info["action_mask"]`` and ``obs["action_mask"]``; a masked-out action
    raises ``InvalidAction``.

    ## Observation Space

    A flat ``Dict`` of fixed-shape arrays (``N = max_nodes``, ``E =
    max_edges``, ``P = max_pes``, ``A`` = number of actions); times are in
    units of ``time_scale`` (91 us: the job's work on its fastest PEs).

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

    Defaults here: ``max_jobs = 3``, ``N = 30``, ``E = 45``, ``P = 3``, ``A = 30``
    (``order``) or ``91`` (``assign``). ``env.unwrapped.graph_observation()``
    gives the state without padding.

    ## Rewards

    ``reward="latency"`` (default): ``-dt x jobs in the system`` between
    decisions over ``time_scale`` (91 us, the job's work on its fastest
    PEs); the return is minus the total job time in the system over the run.
    The protocol's score is the mean latency of completed jobs, in the
    final ``info["metrics"]["mean_latency"]``.

    ## Starting State

    Three jobs at t = 0, each with its source task ready; the simulator's
    seed (arrival gaps) is drawn from ``np_random``.

    ## Episode End

    Truncated at 5000 us (the horizon; arrivals never stop). The final
    ``info`` holds ``metrics``, ``reward_totals``, ``episode_return``, the
    ``baseline`` (``heft-rt`` on the same arrivals) and ``vs_baseline``.

    ## Arguments

    Every keyword of :class:`~socsim.envs.base.SchedulingEnv`; the scenario
    fields default to the preset's.

    >>> import gymnasium as gym
    >>> import socsim
    >>> env = gym.make("socsim/DeepSoCS-v0")
    >>> obs, info = env.reset(seed=0)
    >>> int(info["action_mask"].sum())
    3

    ## Version History

    - v0: initial version.
    """

    default_action_mode: ClassVar[str] = "order"
    default_reward: ClassVar[str] = "latency"
    default_baseline: ClassVar[str | None] = "heft-rt"

    @classmethod
    def default_scenario(cls) -> Any:
        """The scenario of the ``deepsocs`` preset."""
        return preset_scenario("deepsocs")
