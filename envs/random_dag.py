"""``socsim/RandomDAG-v0``: a fresh random DAG (and optionally platform) at every reset.

Like Jumanji's generators: the instance is part of the episode. Each
``reset`` draws a simulator seed from the environment's ``np_random`` (so
``reset(seed=s)`` fixes it), and the instance is a pure function of that
seed: the same seed gives the same DAG and platform, which is also what the
baseline (``info["baseline"]``) and ``socsim.envs.run_heuristic`` are run
on. Observation shapes never change: they are padded to the largest
instance the parameters allow.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from socsim.dag_generator import DagParams, random_dag
from socsim.dvfs import make_policy
from socsim.jobs import Batch, JobSource
from socsim.platform import Cluster, Link, Platform
from socsim.scenario import Scenario
from socsim.simulator import Simulator

from .base import SchedulingEnv
from .generator import InstanceGenerator

#: Instances remembered per environment (the episode's and its baseline's share one).
INSTANCE_CACHE = 8


def _range(name: str, value: int | Sequence[int], low: int) -> tuple[int, int]:
    """``value`` (an int or ``(min, max)``) as an inclusive integer range, both >= ``low``."""
    pair = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int | np.integer)
                             for v in pair) or not low <= pair[0] <= pair[1]:
        raise ValueError(f"{name} must be an integer >= {low} or a pair (min, max) of them "
                         f"with min <= max, got {value!r}")
    return int(pair[0]), int(pair[1])


class RandomDAGGenerator(InstanceGenerator):
    """Builds, for each simulator seed, a new random DAG job on a (possibly random) platform.

    Args:
        scenario: The base scenario: its platform's PE types and links, its
            noise, DVFS, horizon and queue discipline are used; its workload
            only sets the time scale.
        tasks: Task count, or ``(min, max)`` drawn uniformly per instance.
        pes: ``None``: the base platform. Else a PE count or ``(min, max)``:
            a platform of that many one-PE clusters, each of a PE type drawn
            uniformly from the base platform's, all links at the base
            platform's mean bandwidth.
        dag: Shape and cost parameters other than ``n`` (``ccr``, ``beta``,
            ``fat``, ``density``, ``regularity``, ``jump``, ``cost``); see
            :class:`socsim.dag_generator.DagParams`.
        keep_trace: Keep the task trace.
    """

    def __init__(self, scenario: Any, *, tasks: tuple[int, int], pes: tuple[int, int] | None,
                 dag: dict[str, Any], keep_trace: bool = False) -> None:
        super().__init__(scenario, keep_trace=keep_trace)
        self.tasks, self.pes = tasks, pes
        self.base_platform = self.platform
        if pes is not None:  # the platform the limits and spaces are sized by: the largest
            self.platform = self._platform(pes[1], np.arange(pes[1]) % len(self.platform.types))
        self.dag = dict(dag)
        DagParams(n=tasks[1], **self.dag)  # fails early, naming a bad parameter
        self._instances: OrderedDict[int, tuple[Platform, JobSource]] = OrderedDict()

    def instance(self, seed: int) -> tuple[Platform, JobSource]:
        """The platform and job source of simulator seed ``seed`` (a pure function of it)."""
        cached = self._instances.get(seed)
        if cached is not None:
            self._instances.move_to_end(seed)
            return cached
        rng = np.random.default_rng([seed, 0x5EED])
        base = self.base_platform
        platform = base
        if self.pes is not None:
            count = int(rng.integers(self.pes[0], self.pes[1] + 1))
            platform = self._platform(count, rng.integers(len(base.types), size=count))
        params = DagParams(n=int(rng.integers(self.tasks[0], self.tasks[1] + 1)),
                           bandwidth=base.mean_bandwidth(), **self.dag)
        types = sorted({platform.types[t].name for t in platform.pe_type})
        profile = random_dag(params, types, rng, name=f"random_dag_{seed}")
        source = JobSource([profile.bind(platform)], arrivals=Batch(), max_jobs=1,
                           noise_sigma=self.scenario.noise)
        self._instances[seed] = (platform, source)
        if len(self._instances) > INSTANCE_CACHE:
            self._instances.popitem(last=False)
        return platform, source

    def _platform(self, count: int, kinds: np.ndarray) -> Platform:
        """``count`` one-PE clusters of the base platform's types ``kinds``, uniform links."""
        base = self.base_platform
        link = Link(bandwidth=base.mean_bandwidth())
        return Platform(name=f"random{count}", types=base.types,
                        clusters=tuple(Cluster(f"PE{k}", int(t), 1)
                                       for k, t in enumerate(kinds)),
                        links=tuple(tuple(link for _ in range(count)) for _ in range(count)),
                        timing=base.timing, energy_per_unit=base.energy_per_unit,
                        description=f"{count} PEs of {base.name}'s types, drawn")

    def simulator(self, seed: int, *, in_order_queues: bool = False,
                  keep_trace: bool | None = None) -> Simulator:
        """A fresh simulator of seed ``seed``'s instance (see InstanceGenerator.simulator)."""
        platform, source = self.instance(seed)
        discipline = "fifo" if in_order_queues else self.scenario.queue_discipline
        return Simulator(platform, source, seed=seed, horizon=self.scenario.horizon,
                         dvfs=make_policy(self.scenario.dvfs), faults=self.faults,
                         keep_trace=self.keep_trace if keep_trace is None else keep_trace,
                         queue_discipline=discipline)

    def max_edges(self) -> int:
        """Edges the largest instance can have.

        DAGGEN gives a task at most ``1 + density x w`` parents, ``w`` the width
        of the level above, itself at most about twice ``n ** fat``.
        """
        n = self.tasks[1]
        fat = float(self.dag.get("fat", DagParams.fat))
        density = float(self.dag.get("density", DagParams.density))
        width = min(n, math.ceil(2 * n ** fat) + 1)
        return max(1, min(n * (n - 1) // 2, n * min(width, 1 + math.ceil(density * width))))


class RandomDAGEnv(SchedulingEnv):
    """Schedule one random DAG per episode, a new one at every reset, minimising makespan.

    ## Description

    ``socsim/DAGSchedule-v0`` on a new instance each episode: one job at
    t = 0 on an idle platform, a DAGGEN-style random graph
    (:mod:`socsim.dag_generator`: levels of width about ``n ** fat``,
    parents per task ``1 + floor(U[0, density x w))``, Topcuoglu's costs with
    heterogeneity ``beta``, edge volumes scaled to the ``ccr``). With
    ``pes``, the platform is drawn too. The instance is a pure function of
    the simulator seed, which ``reset`` draws from ``np_random``:
    ``reset(seed=s)`` gives the same instance every time, and the baseline
    runs on the same one.

    ## Action, observation, starting state, episode end

    As ``socsim/DAGSchedule-v0``. Shapes are fixed: ``N = max_nodes``
    (default: the largest task count), ``E = max_edges`` (default: the most
    edges a graph of that size can get, see
    :meth:`RandomDAGGenerator.max_edges`), ``P = max_pes`` (default: the
    largest PE count); smaller instances are padded (masks say which rows
    are real). Default: ``Discrete(20)`` in ``order`` mode.

    ## Rewards

    ``reward="makespan"`` (default) and every reward of
    :mod:`socsim.envs.rewards`. ``relative_to="heft"`` (or any scheduler
    name) makes the makespan reward relative to that scheduler on the same
    episode, CompilerGym style: each step's reward is
    ``-dt / M_base`` (``dt`` the simulated time between decisions,
    ``M_base`` the baseline's makespan on this instance and simulator
    seed), plus ``1`` on the last step, so the return is exactly
    ``1 - M / M_base``: 0 when tying the baseline, positive when beating it.

    ## Arguments

    - ``tasks``: task count or ``(min, max)``, drawn uniformly (default ``(5, 20)``);
    - ``ccr``: communication-to-computation ratio (default 1.0);
    - ``beta``: cost heterogeneity across PE types, in [0, 2] (default 0.5);
    - ``fat``: width exponent, about ``n ** fat`` tasks per level (default 0.5);
    - ``density``: fan-in, the share of the level above a task's parents
      are drawn from (default 0.5);
    - ``regularity``, ``jump``, ``cost``: as in :class:`~socsim.dag_generator.DagParams`;
    - ``pes``: ``None`` (default: the ``platform``, ``canonical3``) or a PE
      count or ``(min, max)`` for a drawn platform of the ``platform``'s PE
      types (one PE per cluster, uniform links);
    - ``relative_to``: ``None`` (default) or a scheduler name (above);
    - every keyword of :class:`~socsim.envs.base.SchedulingEnv`.

    >>> import gymnasium as gym
    >>> import socsim
    >>> env = gym.make("socsim/RandomDAG-v0", tasks=(5, 30), pes=(2, 6), ccr=0.5)
    >>> obs, info = env.reset(seed=0)
    >>> obs["node_features"].shape, obs["pe_mask"].shape
    ((30, 9), (6,))

    ## Version History

    - v0: initial version.
    """

    default_action_mode: ClassVar[str] = "order"
    default_reward: ClassVar[str] = "makespan"
    default_baseline: ClassVar[str | None] = "heft"

    def __init__(self, *, tasks: int | Sequence[int] = (5, 20), ccr: float = 1.0,
                 beta: float = 0.5, fat: float = 0.5, density: float = 0.5,
                 regularity: float = 0.9, jump: int = 1, cost: float = 20.0,
                 pes: int | Sequence[int] | None = None, relative_to: str | None = None,
                 **kwargs: Any) -> None:
        self._tasks = _range("tasks", tasks, 1)
        self._pes = None if pes is None else _range("pes", pes, 1)
        self._dag = {"ccr": ccr, "beta": beta, "fat": fat, "density": density,
                     "regularity": regularity, "jump": jump, "cost": cost}
        super().__init__(**kwargs)
        self.relative_to = relative_to
        if relative_to is not None:
            from .baseline import BaselineCache

            if self.reward_spec.weights != {"makespan": 1.0}:
                raise ValueError("relative_to needs reward='makespan' (the return is "
                                 "1 - makespan / baseline makespan)")
            self._relative = BaselineCache(self.generator, relative_to)

    def _make_generator(self, scenario: Any, **kwargs: Any) -> InstanceGenerator:
        return RandomDAGGenerator(scenario, tasks=self._tasks, pes=self._pes, dag=self._dag,
                                  keep_trace=kwargs.get("keep_trace", False))

    @classmethod
    def default_scenario(cls) -> Any:
        """One job at t = 0 on ``canonical3`` (the workload only sets the time scale)."""
        return Scenario(platform="canonical3", workload="canonical", arrival="batch",
                             jobs=1, max_in_system=0)

    def _limits(self, max_jobs: int | None, max_nodes: int | None, max_edges: int | None,
                max_pes: int | None) -> Any:
        gen = self.generator
        assert isinstance(gen, RandomDAGGenerator)
        limits = super()._limits(max_jobs or 1, max_nodes or self._tasks[1],
                                 max_edges or gen.max_edges(), max_pes)
        if limits.max_nodes < self._tasks[1] or limits.max_edges < gen.max_edges():
            raise ValueError(f"max_nodes={limits.max_nodes} and max_edges={limits.max_edges} "
                             f"must hold the largest instance ({self._tasks[1]} tasks, up to "
                             f"{gen.max_edges()} edges)")
        return limits

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Draw a new instance and start its episode (see :meth:`SchedulingEnv.reset`)."""
        obs, info = super().reset(seed=seed, options=options)
        if self.relative_to is not None:
            self._base_makespan = self._relative.metrics(self.engine.seed)["makespan"]
        return obs, info

    def step(self, action: int | np.integer) -> tuple[dict[str, np.ndarray], float, bool, bool,
                                                      dict[str, Any]]:
        """One decision (see :meth:`SchedulingEnv.step`); rewards rescaled with ``relative_to``."""
        obs, reward, terminated, truncated, info = super().step(action)
        if self.relative_to is not None:
            reward = reward * self.time_scale / self._base_makespan
            if terminated or truncated:
                reward += 1.0
                info["relative_to"] = {"scheduler": self.relative_to,
                                       "makespan": self._base_makespan}
        return obs, float(reward), terminated, truncated, info
