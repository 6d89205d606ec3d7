"""sb3-contrib's MaskablePPO trains on socsim/DeepSoCS-v0 and never takes a masked action."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import MaskablePPO

import socsim  # noqa: F401


class MaskAudit(gym.Wrapper):
    """Counts steps and actions outside the mask (the env would raise on them anyway)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.steps = 0
        self.masked = 0

    def step(self, action):  # type: ignore[no-untyped-def]
        self.steps += 1
        self.masked += int(not self.env.unwrapped.action_masks()[int(action)])
        return self.env.step(action)


def test_maskable_ppo_trains_a_few_thousand_steps_on_deepsocs() -> None:
    torch.set_num_threads(1)
    env = MaskAudit(gym.make("socsim/DeepSoCS-v0", baseline=None))
    model = MaskablePPO("MultiInputPolicy", env, n_steps=512, batch_size=128, n_epochs=2,
                        policy_kwargs={"net_arch": [64, 64]}, seed=0, device="cpu")
    model.learn(total_timesteps=2560)
    assert env.steps >= 2560 and env.masked == 0
    obs, info = env.reset(seed=3)
    done = False
    while not done:
        action, _ = model.predict(obs, action_masks=info["action_mask"].astype(bool),
                                  deterministic=True)
        obs, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    assert env.masked == 0
    assert np.isfinite(info["metrics"]["mean_latency"])
