"""Real-time features the agent adds to the environment's observation.

``node_pe_finish`` (``(max_nodes, max_pes)``): for each ready, unplaced
task and each live eligible PE, the expected finish time if the task were
placed there now, relative to now and over the environment's time scale,
counting the PE's running and queued work and the arrival of the task's
inputs (exactly the quantity the environment's EFT placement minimises,
and what ETF ranks pairs by); 0 elsewhere. This is DeepSoCS's "real-time
task information" that its released feature builder left out.

The feature is computed from the environment's engine by
:class:`FinishTimeFeatures` (a Gymnasium observation wrapper), so the
environments themselves are unchanged.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from socsim.placement import finish_on

FINISH_KEY = "node_pe_finish"


def eft_finish_times(base: Any) -> np.ndarray:
    """``(max_nodes, max_pes)`` expected finish times of ready tasks (see the module doc).

    Args:
        base: The unwrapped socsim environment.
    """
    engine = base.engine
    limits = base.limits
    out = np.zeros((limits.max_nodes, limits.max_pes), np.float32)
    if not engine.running:
        return out
    sim = engine.sim
    now = sim.now
    inv = 1.0 / base.time_scale
    gap = getattr(engine, "_gap", None) or [0.0] * sim.platform.num_pes
    pe_type = sim.platform.pe_type
    pes = sim.pes
    alive, end, backlog, slowdown = pes.alive, pes.expected_end, pes.backlog, pes.slowdown
    transfer = sim.platform.transfer_time
    for slot in np.flatnonzero(engine.obs.ready):
        found = engine.task_at(int(slot))
        if found is None:
            continue
        state, task = found
        row = state.profile.cost[task]
        for pe in state.profile.eligible_pes[task]:
            if not alive[pe]:
                continue
            done = finish_on(state, task, pe, now, max(end[pe], now) + backlog[pe] + gap[pe],
                             row[pe_type[pe]] * slowdown[pe], transfer).finish
            out[slot, pe] = (done - now) * inv if math.isfinite(done) else 0.0
    return out


class FinishTimeFeatures(gym.ObservationWrapper):
    """Adds ``node_pe_finish`` to a socsim environment's observation.

    Args:
        env: A socsim environment (wrapped or not).
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        limits = env.unwrapped.limits
        self.observation_space = spaces.Dict({
            **env.observation_space.spaces,
            FINISH_KEY: spaces.Box(0.0, np.inf, (limits.max_nodes, limits.max_pes), np.float32),
        })

    def observation(self, observation: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The observation with ``node_pe_finish`` added."""
        return {**observation, FINISH_KEY: eft_finish_times(self.env.unwrapped)}

    def action_masks(self) -> np.ndarray:
        """The environment's action mask (the sb3-contrib hook)."""
        return self.env.unwrapped.action_masks()
