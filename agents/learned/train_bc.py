"""Behaviour cloning: imitate a heuristic's decisions through the environment (warm start).

The teacher (``etf`` by default) acts through
:class:`socsim.envs.HeuristicPolicy`; every decision with more than one
allowed action becomes a (observation, action) example, and the policy is
trained by cross-entropy on its masked logits. Decisions with a single
choice teach nothing and are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checkpoint import load_checkpoint, restore, rng_state, save_checkpoint
from .common import Logger, prepare_run, progress_bar
from .encoder import obs_keys
from .episode_stats import latency_stats
from .policy import SchedulingPolicy, build_policy
from .rollout import evaluate_policy, make_env, run_teacher


@dataclass
class BCConfig:
    """Behaviour-cloning hyper-parameters.

    Attributes:
        env_id: Environment id.
        env_kwargs: Environment keywords.
        noises: Execution-noise levels cycled over the teacher's episodes
            (empty: the environment's own).
        teacher: Registered scheduler to imitate.
        episodes: Teacher episodes (reset seeds ``seed .. seed + episodes - 1``).
        max_decisions: Stop collecting after that many examples (0: no limit).
        epochs: Passes over the examples.
        batch_size: Examples per gradient step.
        lr: Adam learning rate.
        embed_dim: Encoder width.
        depth: Message-passing rounds.
        finish_features: Add ``node_pe_finish`` to the observation.
        finish_prior: Initial scale of the earliest-finish prior on ``assign``
            pair scores (0: none; see :mod:`socsim.agents.learned.policy`).
        seed: Seed of everything.
        eval_seeds: Reset seeds of the greedy evaluation after each epoch.
    """

    env_id: str = "socsim/DeepSoCS-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    noises: list[float] = field(default_factory=list)
    teacher: str = "etf"
    episodes: int = 16
    max_decisions: int = 0
    epochs: int = 20
    batch_size: int = 256
    lr: float = 2e-3
    embed_dim: int = 32
    depth: int = 3
    finish_features: bool = True
    finish_prior: float = 0.0
    seed: int = 0
    eval_seeds: list[int] = field(default_factory=lambda: [10_000, 10_001])


def env_kwargs_for(config: Any, episode: int) -> dict[str, Any]:
    """The environment keywords of episode ``episode`` (cycling over ``config.noises``)."""
    kwargs = {"baseline": None, **config.env_kwargs}
    if config.noises:
        kwargs["noise"] = config.noises[episode % len(config.noises)]
    return kwargs


def collect(config: BCConfig) -> tuple[dict[str, torch.Tensor], torch.Tensor, list[float]]:
    """The teacher's informative decisions as a batch, its actions and its latencies."""
    obs: list[dict[str, np.ndarray]] = []
    actions: list[int] = []
    latencies = []
    envs: dict[str, Any] = {}
    for episode in range(config.episodes):
        kwargs = env_kwargs_for(config, episode)
        key = repr(sorted(kwargs.items()))
        env = envs.setdefault(key, make_env(config.env_id, kwargs, config.finish_features))
        ep = run_teacher(env, config.teacher, seed=config.seed + episode)
        latencies.append(ep.metrics["mean_latency"])
        for o, a in zip(ep.observations, ep.actions, strict=True):
            if int(o["action_mask"].sum()) > 1:
                obs.append(o)
                actions.append(a)
        if config.max_decisions and len(actions) >= config.max_decisions:
            break
    if config.max_decisions:
        obs, actions = obs[:config.max_decisions], actions[:config.max_decisions]
    batch = {k: torch.as_tensor(np.stack([o[k] for o in obs])) for k in obs_keys(obs[0])}
    return batch, torch.as_tensor(actions), latencies


def bc_loss(policy: SchedulingPolicy, batch: dict[str, torch.Tensor], actions: torch.Tensor
            ) -> tuple[torch.Tensor, float]:
    """Cross-entropy of the teacher's actions and the accuracy of the greedy choice."""
    logits, _ = policy(batch)
    loss = torch.nn.functional.cross_entropy(logits, actions.long())
    accuracy = (logits.argmax(-1) == actions).float().mean().item()
    return loss, accuracy


def train_bc(config: BCConfig, run_dir: str | Path, args: dict[str, Any] | None = None,
             policy: SchedulingPolicy | None = None, show_progress: bool = True
             ) -> SchedulingPolicy:
    """Clone ``config.teacher`` into a policy, checkpointing each epoch (resumable).

    Args:
        config: Hyper-parameters.
        run_dir: The run folder.
        args: Command-line arguments to save.
        policy: Start from this policy instead of a fresh one.
        show_progress: Show the progress bar.

    Returns:
        The trained policy.
    """
    run_dir = Path(run_dir)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    # The environment first: a bad keyword fails before the run folder is made.
    env = make_env(config.env_id, {"baseline": None, **config.env_kwargs},
                   config.finish_features)
    prepare_run(run_dir, {"algo": "bc", **asdict(config)}, args)
    if policy is None:
        policy = build_policy(env, embed_dim=config.embed_dim, depth=config.depth,
                              finish_prior=config.finish_prior)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
    start = 0
    state = load_checkpoint(run_dir)
    if state is not None:  # resume
        restore(state, run_dir, policy, optimizer, rng)
        start = state["step"]
    batch, actions, teacher_lat = collect(config)
    logger = Logger(run_dir)
    n = len(actions)
    with progress_bar(disable=not show_progress) as bar:
        task = bar.add_task("bc", total=config.epochs, completed=start,
                            status=f"{n} examples, teacher {np.mean(teacher_lat):.1f} us")
        for epoch in range(start, config.epochs):
            policy.train()
            order = torch.as_tensor(rng.permutation(n))
            losses, accs = [], []
            for i in range(0, n, config.batch_size):
                idx = order[i:i + config.batch_size]
                loss, acc = bc_loss(policy, {k: v[idx] for k, v in batch.items()}, actions[idx])
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
                optimizer.step()
                losses.append(loss.item())
                accs.append(acc)
            policy.eval()
            scalars = {"bc/loss": float(np.mean(losses)), "bc/accuracy": float(np.mean(accs))}
            if config.eval_seeds and ((epoch + 1) % 5 == 0 or epoch + 1 == config.epochs):
                results = evaluate_policy(env, policy, list(config.eval_seeds))
                scalars |= latency_stats("eval", results)
            logger.log(epoch + 1, scalars)
            save_checkpoint(run_dir, policy, optimizer, epoch + 1, {"rng": rng_state(rng)})
            status = " ".join(f"{k.split('/')[1]}={v:.3g}" for k, v in scalars.items())
            bar.update(task, advance=1, status=status)
    logger.close()
    return policy


def bc_examples(policy: SchedulingPolicy, obs: Sequence[dict[str, np.ndarray]]) -> torch.Tensor:
    """Greedy actions of ``policy`` on a list of observations (for checks)."""
    batch = {k: torch.as_tensor(np.stack([o[k] for o in obs])) for k in obs_keys(obs[0])}
    with torch.no_grad():
        return policy(batch)[0].argmax(-1)
