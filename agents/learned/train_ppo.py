"""sb3-contrib MaskablePPO with the graph policy as features extractor.

The features extractor is a whole :class:`SchedulingPolicy` (encoder and
decoder); its features are the unmasked action logits followed by the
global summary ``z``. The SB3 policy's ``action_net`` just slices the
logits out (MaskablePPO applies the action mask) and its ``value_net``
reads ``z``. After training, the extractor *is* a :class:`SchedulingPolicy`
whose greedy action equals PPO's deterministic one, saved as ``policy.pt``
so that ``socsim evaluate`` and ``learned:PATH`` use it like any other run.

The plain-torch REINFORCE trainer (input-dependent baseline, differential
reward) stays the reference; this is the compatibility and ablation path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch
from torch import nn

from .common import prepare_run
from .policy import PolicyConfig, SchedulingPolicy, build_policy
from .rollout import make_env


@dataclass
class PPOConfig:
    """MaskablePPO hyper-parameters.

    Attributes:
        env_id: Environment id.
        env_kwargs: Environment keywords.
        steps: Environment steps in all.
        n_steps: Steps per rollout.
        batch_size: Minibatch size.
        lr: Learning rate.
        gamma: Discount.
        ent_coef: Entropy coefficient.
        finish_features: Add ``node_pe_finish`` to the observation.
        init: Run folder whose policy initialises the extractor (e.g. a BC run).
        seed: Seed of everything.
    """

    env_id: str = "socsim/DeepSoCS-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    steps: int = 20_000
    n_steps: int = 1024
    batch_size: int = 256
    lr: float = 3e-4
    gamma: float = 0.99
    ent_coef: float = 0.001
    finish_features: bool = True
    init: str | None = None
    seed: int = 0


def _extractor_class() -> type:
    from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

    class GraphExtractor(BaseFeaturesExtractor):
        """Features = the graph policy's action logits, then its global summary."""

        def __init__(self, observation_space: gym.spaces.Dict, policy_config: dict[str, Any],
                     init_state: dict[str, torch.Tensor] | None = None) -> None:
            config = PolicyConfig.from_dict(policy_config)
            policy = SchedulingPolicy(config)
            if init_state is not None:
                policy.load_state_dict(init_state)
            self.num_actions = int(observation_space["action_mask"].shape[0])
            super().__init__(observation_space, self.num_actions + config.encoder.embed_dim)
            self.policy = policy

        def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
            logits, emb = self.policy.scores(obs)
            return torch.cat([logits, emb.glob], -1)

    return GraphExtractor


class _Slice(nn.Module):
    """Columns ``start:stop`` of the last dimension."""

    def __init__(self, start: int, stop: int) -> None:
        super().__init__()
        self.start, self.stop = start, stop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The slice."""
        return x[..., self.start:self.stop]


def _policy_class() -> type:
    from sb3_contrib.common.maskable.policies import MaskableMultiInputActorCriticPolicy

    class GraphMaskablePolicy(MaskableMultiInputActorCriticPolicy):
        """MaskablePPO policy whose logits come straight from the graph policy."""

        def _build(self, lr_schedule: Any) -> None:
            super()._build(lr_schedule)
            n = self.features_extractor.num_actions
            d = self.features_dim - n
            self.action_net = _Slice(0, n)
            self.value_net = nn.Sequential(_Slice(n, n + d), nn.Linear(d, 1))
            self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1),
                                                  **self.optimizer_kwargs)

    return GraphMaskablePolicy


#: The resumable PPO state: weights, optimiser and step count (tensors and plain data).
PPO_STATE = "ppo_state.pt"
#: SB3's own model file, written for SB3 users; socsim never loads it (see :func:`train_ppo`).
SB3_MODEL = "ppo_model.zip"


def train_ppo(config: PPOConfig, run_dir: str | Path, args: dict[str, Any] | None = None
              ) -> SchedulingPolicy:
    """Train (or resume) MaskablePPO; returns the graph policy inside it.

    A run resumes from ``ppo_state.pt``: the SB3 policy's weights, its
    optimiser state and the steps done, read with ``weights_only=True`` into
    a freshly built model. SB3's ``ppo_model.zip`` is still written, but never
    read: ``MaskablePPO.load`` unpickles parts of it (spaces, schedules), so a
    crafted zip could run code.

    Raises:
        CheckpointError: The run folder's PPO state is not one this trainer wrote.
    """
    from sb3_contrib import MaskablePPO

    from .checkpoint import (
        FIX_RESUME,
        CheckpointError,
        load_optimizer,
        load_policy,
        load_weights,
        read_checkpoint,
        save_policy,
    )

    run_dir = Path(run_dir)
    torch.manual_seed(config.seed)
    env = make_env(config.env_id, {"baseline": None, **config.env_kwargs},
                   config.finish_features)
    start = load_policy(config.init) if config.init else build_policy(env)
    prepare_run(run_dir, {"algo": "ppo", **asdict(config)}, args)
    state_path = run_dir / PPO_STATE
    if not state_path.exists() and (run_dir / SB3_MODEL).exists():
        raise CheckpointError(run_dir / SB3_MODEL, "is an SB3 model file, which socsim does "
                              f"not load (SB3 unpickles parts of it, so it can run code), and "
                              f"there is no {PPO_STATE} to resume from",
                              "train into a new --out folder")
    kwargs = {"features_extractor_class": _extractor_class(),
              "features_extractor_kwargs": {"policy_config": start.config.to_dict(),
                                            "init_state": start.state_dict()},
              "net_arch": [], "share_features_extractor": True}
    model = MaskablePPO(_policy_class(), env, learning_rate=config.lr,
                        n_steps=config.n_steps, batch_size=config.batch_size,
                        gamma=config.gamma, ent_coef=config.ent_coef, seed=config.seed,
                        policy_kwargs=kwargs, verbose=0,
                        tensorboard_log=str(run_dir / "tb") if _has_tensorboard() else None)
    if state_path.exists():  # resume
        state = read_checkpoint(state_path, FIX_RESUME)
        steps = state.get("num_timesteps")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise CheckpointError(state_path, f"is {steps!r}, not a whole number >= 0",
                                  FIX_RESUME, "num_timesteps")
        load_weights(model.policy, state.get("policy"), state_path)
        load_optimizer(model.policy.optimizer, state.get("optimizer"), state_path)
        model.num_timesteps = steps
    left = max(config.steps - model.num_timesteps, 0)
    if left:
        model.learn(left, reset_num_timesteps=False)
    tmp = state_path.with_suffix(".tmp")
    torch.save({"policy": model.policy.state_dict(),
                "optimizer": model.policy.optimizer.state_dict(),
                "num_timesteps": int(model.num_timesteps)}, tmp)
    tmp.replace(state_path)  # atomic, as the other trainers' checkpoints
    model.save(run_dir / SB3_MODEL)
    policy = model.policy.features_extractor.policy
    save_policy(policy, run_dir / "policy.pt")
    return policy


def _has_tensorboard() -> bool:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return False
    return True
