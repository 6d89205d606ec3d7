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

Feedback while it trains (as rl-baselines3-zoo gives): a progress bar with
the latest episodes' return and censored latency; ``log.jsonl`` (one line
per rollout: ``rollout/return``, ``rollout/censored_latency``,
``rollout/mean_latency`` (completed jobs only), ``rollout/completed``,
``rollout/in_system``, ``rollout/episodes``; one per evaluation: the same
``eval/`` figures, ``eval/heft_rt_censored_latency``,
``eval/best_censored_latency``); every ``eval_freq`` steps a greedy
evaluation on held-out seeds against HEFT_RT on the same seeds, the best
policy so far by censored latency (unfinished jobs at their age at the
horizon, so stalling does not pay) kept as ``best_policy.pt`` (``best.json``
says when and how good); every
``save_freq`` steps the resumable state (``ppo_state.pt``) and ``policy.pt``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from .common import BEST_POLICY, Logger, prepare_run, progress_bar, read_best, write_best
from .episode_stats import latency_stats
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
#: First reset seed of the periodic evaluations (as ``socsim evaluate``: clear of training).
EVAL_FIRST_SEED = 100_000


class Evaluator:
    """Greedy episodes of the policy on fixed held-out seeds, against HEFT_RT on the same seeds.

    Args:
        config: The run's configuration (environment and observation).
        episodes: Evaluation episodes (seeds ``EVAL_FIRST_SEED`` upwards).
    """

    def __init__(self, config: PPOConfig, episodes: int) -> None:
        from socsim.envs import run_heuristic

        kwargs = {"baseline": None, **config.env_kwargs}
        self.seeds = list(range(EVAL_FIRST_SEED, EVAL_FIRST_SEED + max(episodes, 1)))
        self.env = make_env(config.env_id, kwargs, config.finish_features)
        heuristic_env = make_env(config.env_id, {**kwargs, "action_mode": "assign"})
        self.heft_rt = float(np.mean([run_heuristic(heuristic_env, "heft-rt", seed=s)
                                      ["metrics"]["censored_mean_latency"]
                                      for s in self.seeds]))
        heuristic_env.close()

    def evaluate(self, policy: SchedulingPolicy) -> dict[str, float]:
        """The policy's latency figures over the evaluation seeds (greedy actions).

        Returns:
            ``eval/censored_latency`` (what the best policy is selected by),
            ``eval/mean_latency`` (completed jobs only), ``eval/completed``
            and ``eval/in_system``, means over the seeds.
        """
        from .rollout import evaluate_policy

        with torch.no_grad():
            results = evaluate_policy(self.env, policy, self.seeds)
        return latency_stats("eval", results)


def _feedback_class() -> type:
    from stable_baselines3.common.callbacks import BaseCallback

    class Feedback(BaseCallback):
        """Progress bar, ``log.jsonl``, periodic evaluation (best kept) and checkpoints."""

        def __init__(self, run_dir: Path, bar: Any, task: Any, log: Logger,
                     evaluator: Evaluator | None, eval_freq: int, save_freq: int,
                     save: Callable[[], None]) -> None:
            super().__init__()
            self.run_dir, self.bar, self.task, self.log = run_dir, bar, task, log
            self.evaluator, self.eval_freq, self.save_freq = evaluator, eval_freq, save_freq
            self.save = save
            self.returns: list[float] = []
            self.episodes: list[dict[str, float]] = []
            self.status = "no episode finished yet"
            best = read_best(run_dir)
            self.best = best.get("censored_latency", float("inf"))
            self.last_eval = self.last_save = 0

        def _on_training_start(self) -> None:
            self.last_eval = self.last_save = self.num_timesteps

        def _on_step(self) -> bool:
            for info, done in zip(self.locals["infos"], self.locals["dones"], strict=True):
                if done and "metrics" in info:
                    self.returns.append(float(info.get("episode_return", np.nan)))
                    self.episodes.append(info["metrics"])
            steps = self.num_timesteps
            if self.evaluator is not None and steps - self.last_eval >= self.eval_freq:
                self.last_eval = steps
                self._evaluate(steps)
            if self.save_freq and steps - self.last_save >= self.save_freq:
                self.last_save = steps
                self.save()
            self.bar.update(self.task, completed=steps, status=self.status)
            return True

        def _on_rollout_end(self) -> None:
            if not self.returns:
                return
            ret = float(np.mean(self.returns))
            stats = latency_stats("rollout", self.episodes)
            self.log.log(self.num_timesteps, {"rollout/return": ret, **stats,
                                              "rollout/episodes": len(self.returns)})
            self.status = (f"return {ret:.1f} censored latency "
                           f"{stats['rollout/censored_latency']:.1f} us "
                           f"({stats['rollout/completed']:.0f} done)")
            self.returns, self.episodes = [], []

        def _evaluate(self, steps: int) -> None:
            from .checkpoint import save_policy

            assert self.evaluator is not None
            policy = self.model.policy.features_extractor.policy
            stats = self.evaluator.evaluate(policy)
            latency = stats["eval/censored_latency"]
            if latency < self.best:
                self.best = latency
                save_policy(policy, self.run_dir / BEST_POLICY)
                write_best(self.run_dir, {"step": steps, "censored_latency": latency,
                                          "mean_latency": stats["eval/mean_latency"],
                                          "completed": stats["eval/completed"],
                                          "in_system": stats["eval/in_system"],
                                          "heft_rt_censored_latency": self.evaluator.heft_rt,
                                          "seeds": self.evaluator.seeds})
            self.log.log(steps, {**stats,
                                 "eval/heft_rt_censored_latency": self.evaluator.heft_rt,
                                 "eval/best_censored_latency": self.best})
            self.bar.console.print(
                f"step {steps}: eval censored latency {latency:.1f} us "
                f"({stats['eval/completed']:.1f} jobs done, {stats['eval/in_system']:.1f} "
                f"left) over "
                f"{len(self.evaluator.seeds)} seeds (HEFT_RT {self.evaluator.heft_rt:.1f}, "
                f"{latency / self.evaluator.heft_rt - 1:+.1%}); best {self.best:.1f}",
                highlight=False)

    return Feedback


def train_ppo(config: PPOConfig, run_dir: str | Path, args: dict[str, Any] | None = None,
              show_progress: bool = True, eval_freq: int = 0, eval_episodes: int = 5,
              save_freq: int = 0) -> SchedulingPolicy:
    """Train (or resume) MaskablePPO; returns the graph policy inside it.

    A run resumes from ``ppo_state.pt``: the SB3 policy's weights, its
    optimiser state and the steps done, read with ``weights_only=True`` into
    a freshly built model. SB3's ``ppo_model.zip`` is still written, but never
    read: ``MaskablePPO.load`` unpickles parts of it (spaces, schedules), so a
    crafted zip could run code.

    Args:
        config: Hyper-parameters (saved as the run's ``config.json``).
        run_dir: The run folder.
        args: Command-line arguments, saved as ``args.json``.
        show_progress: Show a progress bar.
        eval_freq: Evaluate every this many environment steps and keep the best
            policy (0: never); see the module docstring.
        eval_episodes: Episodes (held-out seeds) per evaluation.
        save_freq: Write the resumable state and ``policy.pt`` every this many
            steps (0: only at the end).

    Raises:
        CheckpointError: The run folder's PPO state is not one this trainer wrote.
        ValueError: A negative ``eval_freq`` or ``save_freq``, or ``eval_episodes`` < 1.
    """
    if eval_freq < 0 or save_freq < 0 or eval_episodes < 1:
        raise ValueError(f"eval_freq and save_freq must be >= 0 and eval_episodes >= 1, got "
                         f"{eval_freq}, {save_freq}, {eval_episodes}")
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
    if not _has_tensorboard():
        # SB3 would open a log folder of its own under the system's temp dir; the run's
        # scalars are socsim's log.jsonl, so its logger writes nothing anywhere.
        from stable_baselines3.common.logger import configure

        model.set_logger(configure(str(run_dir), format_strings=[]))
    if state_path.exists():  # resume
        state = read_checkpoint(state_path, FIX_RESUME)
        steps = state.get("num_timesteps")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise CheckpointError(state_path, f"is {steps!r}, not a whole number >= 0",
                                  FIX_RESUME, "num_timesteps")
        load_weights(model.policy, state.get("policy"), state_path)
        load_optimizer(model.policy.optimizer, state.get("optimizer"), state_path)
        model.num_timesteps = steps
    def save() -> None:
        tmp = state_path.with_suffix(".tmp")
        torch.save({"policy": model.policy.state_dict(),
                    "optimizer": model.policy.optimizer.state_dict(),
                    "num_timesteps": int(model.num_timesteps)}, tmp)
        tmp.replace(state_path)  # atomic, as the other trainers' checkpoints
        save_policy(model.policy.features_extractor.policy, run_dir / "policy.pt")

    left = max(config.steps - model.num_timesteps, 0)
    log = Logger(run_dir)
    try:
        evaluator = Evaluator(config, eval_episodes) if eval_freq and left else None
        with progress_bar(disable=not show_progress) as bar:
            if show_progress:
                bar.console.print(f"{log.note}; scalars in {log.path}", highlight=False)
            task = bar.add_task("ppo", total=config.steps, completed=model.num_timesteps,
                                status="")
            if left:
                feedback = _feedback_class()(run_dir, bar, task, log, evaluator, eval_freq,
                                             save_freq, save)
                model.learn(left, reset_num_timesteps=False, callback=feedback)
    finally:
        log.close()
    save()
    model.save(run_dir / SB3_MODEL)
    return model.policy.features_extractor.policy


def _has_tensorboard() -> bool:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return False
    return True
