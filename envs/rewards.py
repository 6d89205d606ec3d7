"""Rewards: minus the growth, between two decisions, of a cost the episode accumulates.

Each reward is ``-(C(t1) - C(t0)) / scale`` for a cumulative cost ``C``, so
an episode's return is ``-C(end) / scale`` whatever the number of steps:

========== ===================================================== ====================
name       C(t)                                                  scale
========== ===================================================== ====================
latency    job-time in the system: the sum over jobs of the      ``time_scale`` (us)
           time each spent in it up to t (Decima's -dt x jobs)
makespan   the clock t (at the end: the last job completion      ``time_scale`` (us)
           for runs without a horizon, else the horizon)
energy     energy spent (active + idle + data movement, uJ)      ``energy_scale`` (uJ)
edp        energy (J) x clock (s); at the end energy x makespan  both scales
========== ===================================================== ====================

A weighted combination is a mapping such as ``{"latency": 1.0, "energy":
0.2}``: the reward is the weighted sum of the scaled components. At the
end of an episode the returns equal the run's metrics (``makespan``,
``energy_uj``, ``edp``; ``latency`` sums completed jobs' latencies and the
ages of jobs left at the horizon).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socsim.simulator import Simulator
    from socsim.state import JobState

#: The reward components, in documentation order.
REWARDS = ("latency", "makespan", "energy", "edp")


@dataclass(frozen=True)
class RewardSpec:
    """Which components make the reward, with their weights.

    Attributes:
        weights: Component name to weight (non-zero weights only).
    """

    weights: Mapping[str, float]

    @classmethod
    def parse(cls, reward: str | Mapping[str, float]) -> RewardSpec:
        """From a component name or a ``{name: weight}`` mapping.

        Raises:
            ValueError: An unknown name, a non-finite weight, or no non-zero weight.
        """
        weights = {reward: 1.0} if isinstance(reward, str) else dict(reward)
        unknown = sorted(set(weights) - set(REWARDS))
        if unknown:
            raise ValueError(f"unknown reward {unknown}; use one of {list(REWARDS)} or a "
                             f"mapping of them to weights, e.g. {{'latency': 1.0, 'energy': 0.5}}")
        weights = {k: float(w) for k, w in weights.items() if w}
        if not weights or any(w != w or abs(w) == float("inf") for w in weights.values()):
            raise ValueError(f"reward weights must be finite and not all zero, got {reward!r}")
        return cls(weights)


class RewardTracker:
    """Turns the simulator's counters into per-step rewards and episode totals.

    Mid-episode only the weighted components are computed (the energy ones
    walk every PE); :meth:`totals` computes all of them when asked.

    Args:
        spec: The components and weights.
        time_scale: Microseconds per unit of time-based rewards.
        energy_scale: Microjoules per unit of energy-based rewards.

    Attributes:
        episode_return: Sum of the rewards returned so far.
    """

    def __init__(self, spec: RewardSpec, time_scale: float, energy_scale: float) -> None:
        self.spec = spec
        self.time_scale = time_scale
        self.energy_scale = energy_scale
        self._weighted = [(name, weight / self._scale(name))
                          for name, weight in spec.weights.items()]
        self.episode_return = 0.0

    def reset(self, sim: Simulator) -> None:
        """Start an episode at ``sim``'s clock (no job has spent time yet)."""
        self._sim = sim
        self._latency_count = 0
        self._latency_sum = 0.0
        self._failed_time = 0.0
        self._present: dict[int, JobState] = {}
        self._arrival_sum = 0.0
        self._counts = (-1, -1, -1)
        self._start = {name: self._cost(name, final=False) for name in REWARDS}
        self._last = {name: self._start[name] for name, _ in self._weighted}
        self.episode_return = 0.0

    def collect(self, final: bool = False) -> float:
        """The reward earned since the previous call.

        Args:
            final: The run is over (:meth:`Simulator.advance` returned
                ``False``): close the costs with the run's metrics.
        """
        reward = 0.0
        last = self._last
        for name, factor in self._weighted:
            cost = self._cost(name, final)
            reward -= factor * (cost - last[name])
            last[name] = cost
        self.episode_return += reward
        return reward

    def totals(self, final: bool = False) -> dict[str, float]:
        """Per component, the raw cost accumulated so far (job-us, us, uJ, J s).

        Args:
            final: The run is over (use the run's closing figures).
        """
        return {name: self._cost(name, final) - self._start[name] for name in REWARDS}

    def _scale(self, name: str) -> float:
        if name in ("latency", "makespan"):
            return self.time_scale
        if name == "energy":
            return self.energy_scale
        return self.energy_scale * 1e-6 * self.time_scale * 1e-6

    def _cost(self, name: str, final: bool) -> float:
        """The cumulative cost ``C(now)`` of one component."""
        sim = self._sim
        if name == "latency":
            now = sim.now
            self._sync_jobs(sim, now)
            return (self._latency_sum + self._failed_time
                    + len(self._present) * now - self._arrival_sum)
        if name == "makespan":
            return sim.makespan if final and sim.horizon is None else sim.now
        energy = sim.energy_so_far()
        if name == "energy":
            return energy
        return energy * 1e-6 * (sim.makespan if final else sim.now) * 1e-6

    def _sync_jobs(self, sim: Simulator, now: float) -> None:
        """Account for jobs that arrived or left since the last call."""
        counts = sim.counters[:3]
        if counts == self._counts:
            return
        self._counts = counts
        latencies = sim.latencies
        if len(latencies) > self._latency_count:
            self._latency_sum += sum(latencies[self._latency_count:])
            self._latency_count = len(latencies)
        jobs = sim.jobs
        for job_id, state in self._present.items():
            if job_id not in jobs and state.failed:  # left at its failure, seen now
                self._failed_time += now - state.arrival
        self._present = dict(jobs)
        self._arrival_sum = sum(state.arrival for state in jobs.values())
