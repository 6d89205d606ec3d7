"""Heuristics as policies: any scheduler can act through a Gymnasium environment.

At each decision point :class:`HeuristicPolicy` asks its scheduler for the
assignments it would make (:meth:`Scheduler.decide`, once per decision
point, as :meth:`socsim.Simulator.run` does) and feeds them to the
environment one action per step; then it waits (``assign`` mode) for the
next decision point. The run is then the scheduler's own run, step for
step, so its result equals running it in the emulator directly with the
same simulator seed:

- ``assign`` mode: every scheduler that places ready tasks (the runtime
  heuristics, and HEFT/CPOP/PEFT, whose plans are released task by task
  as tasks become ready).
- ``order`` mode: the environment chooses the PE, so the result equals the
  scheduler's own only when its PE choice is the environment's placement
  rule: ``heft-rt-comm`` with ``placement="eft"``, ``heft-rt`` and
  ``eft-fifo`` with ``placement="eft-blind"``; for the others the policy
  still acts (the scheduler's order, the env's placement).

Exceptions: with PE faults the environment skips decision points where no
task can be placed, which a stateful scheduler would otherwise see.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import gymnasium as gym
import numpy as np

from socsim.registry import make_scheduler
from socsim.scheduler import Scheduler

from .base import SchedulingEnv


class HeuristicPolicy:
    """Maps a scheduler's decisions onto an environment's actions.

    Args:
        scheduler: A scheduler, or a registered name (``"heft-rt"``, ``"etf"``...).

    Example::

        policy = HeuristicPolicy("etf")
        obs, info = policy.reset(env, seed=0)
        obs, reward, terminated, truncated, info = env.step(policy.action(env))
    """

    def __init__(self, scheduler: Scheduler | str) -> None:
        self.scheduler = make_scheduler(scheduler) if isinstance(scheduler, str) else scheduler
        self._decision = -1
        self._pending: deque[tuple[int, int, int]] = deque()

    @property
    def in_order_queues(self) -> bool:
        """Whether the scheduler wants each PE's queue run in order."""
        return bool(getattr(self.scheduler, "in_order_queues", False))

    def reset(self, env: gym.Env, seed: int | None = None, sim_seed: int | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Reset ``env`` for this scheduler (queue order, simulator seed) and the scheduler.

        Args:
            env: A socsim environment (wrapped or not).
            seed: Passed to ``env.reset``.
            sim_seed: Force the simulator seed (e.g. to compare with a direct run).

        Returns:
            ``env.reset``'s observation and info.
        """
        options = {"in_order_queues": self.in_order_queues}
        if sim_seed is not None:
            options["sim_seed"] = sim_seed
        obs, info = env.reset(seed=seed, options=options)
        sim = _unwrap(env).simulator
        self.scheduler.reset(sim.view, sim.scheduler_rng)
        self._decision = -1
        self._pending.clear()
        return obs, info

    def action(self, env: gym.Env) -> int:
        """The next action: the scheduler's next assignment, or wait when it has none left.

        Raises:
            ValueError: The scheduler wants something the action mode cannot
                express (a task that is not ready; leaving ready tasks unplaced
                in ``order`` mode, which has no wait).
        """
        base = _unwrap(env)
        if base.decision_index != self._decision:  # a new decision point
            self._decision = base.decision_index
            sim = base.simulator
            self._pending = deque(tuple(a) for a in self.scheduler.decide(sim.view))
        mask = base.action_masks()
        while self._pending:
            job, task, pe = self._pending.popleft()
            action = base.action_for(job, task, pe)
            if mask[action]:
                return action
            raise ValueError(f"scheduler '{self.scheduler.name}' placed task {task} of job {job} "
                             f"on PE {pe}, which the environment does not allow now: "
                             f"{base.engine.why_invalid(base.engine.slot_of(job, task), pe)}")
        if base.wait_action is not None and mask[base.wait_action]:
            return base.wait_action
        raise ValueError(f"scheduler '{self.scheduler.name}' leaves ready tasks unplaced at "
                         f"t = {base.simulator.now:g}, which {base.action_mode!r} mode cannot "
                         "express" + (" (it has no wait action: use action_mode='assign')"
                                      if base.action_mode == "order" else ""))


def run_heuristic(env: gym.Env, scheduler: Scheduler | str, seed: int | None = None,
                  sim_seed: int | None = None) -> dict[str, Any]:
    """Run one episode of ``env`` with a scheduler acting as the policy.

    Args:
        env: A socsim environment.
        scheduler: A scheduler or its registered name.
        seed: ``env.reset`` seed.
        sim_seed: Force the simulator seed.

    Returns:
        ``{"metrics", "return", "steps", "sim_seed", "info"}``: the run's
        metrics, the episode return, the number of steps and the final info.
    """
    policy = HeuristicPolicy(scheduler)
    _, info = policy.reset(env, seed=seed, sim_seed=sim_seed)
    total, steps = 0.0, 0
    used_seed = info["sim_seed"]
    while True:
        _, reward, terminated, truncated, info = env.step(policy.action(env))
        total += reward
        steps += 1
        if terminated or truncated:
            break
    return {"metrics": info["metrics"], "return": total, "steps": steps, "sim_seed": used_seed,
            "info": info}


def _unwrap(env: gym.Env) -> SchedulingEnv:
    base = env.unwrapped
    if not isinstance(base, SchedulingEnv):
        raise TypeError(f"expected a socsim environment, got {type(base).__name__}")
    return base
