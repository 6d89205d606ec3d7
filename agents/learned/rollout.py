"""Episodes of a policy (or a heuristic teacher) in a socsim environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import socsim  # noqa: F401  (registers the environment ids)
from socsim.envs import HeuristicPolicy

from .encoder import obs_to_tensors
from .features import FINISH_KEY, FinishTimeFeatures
from .policy import SchedulingPolicy, decode


def make_env(env_id: str, env_kwargs: Mapping[str, Any] | None = None,
             finish_features: bool = False) -> gym.Env:
    """``gym.make(env_id, **env_kwargs)``, with ``node_pe_finish`` added if asked.

    Raises:
        ValueError: Unknown id (the message lists socsim's), or keywords the
            environment does not take.
    """
    if not isinstance(env_id, str) or env_id not in gym.registry:
        raise ValueError(f"unknown environment {env_id!r}; socsim's ids: "
                         f"{sorted(k for k in gym.registry if k.startswith('socsim/'))}")
    if env_kwargs is not None and not isinstance(env_kwargs, Mapping):
        raise ValueError(f"environment keywords must be a mapping, got {env_kwargs!r}")
    try:
        env = gym.make(env_id, **dict(env_kwargs or {}))
    except TypeError as exc:  # an unknown or mistyped keyword: a usage error, not a crash
        raise ValueError(str(exc).split(" was raised from the environment creator")[0]) from None
    return FinishTimeFeatures(env) if finish_features else env


@dataclass
class Episode:
    """One episode's record.

    Attributes:
        metrics: The run's final metrics (``mean_latency``...).
        episode_return: Sum of rewards.
        observations: Observations at each decision (when recorded).
        actions: Actions taken.
        rewards: Reward after each action.
        times: Simulated time (us) at each decision.
        baseline: The environment's baseline metrics on the same instance, if any.
    """

    metrics: dict[str, float]
    episode_return: float
    observations: list[dict[str, np.ndarray]] = field(default_factory=list)
    actions: list[int] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    baseline: dict[str, float] | None = None


def run_policy(env: gym.Env, policy: SchedulingPolicy, *, seed: int | None = None,
               sim_seed: int | None = None, strategy: str = "greedy",
               generator: torch.Generator | None = None, record: bool = False,
               max_steps: int | None = None) -> Episode:
    """Run one episode with ``policy`` choosing every action.

    Args:
        env: A socsim environment.
        policy: The policy.
        seed: ``env.reset`` seed.
        sim_seed: Force the simulator seed (arrivals and noise).
        strategy: ``"greedy"`` or ``"sample"``.
        generator: Random stream for sampling.
        record: Keep observations, actions, rewards and times.
        max_steps: Stop after that many actions (curriculum on episode length).
    """
    options = {"sim_seed": sim_seed} if sim_seed is not None else None
    obs, info = env.reset(seed=seed, options=options)
    episode = Episode(metrics={}, episode_return=0.0)
    steps = 0
    while True:
        with torch.no_grad():
            logits, _ = policy(obs_to_tensors(obs))
        action = int(decode(logits, strategy, generator)[0])
        if record:
            episode.observations.append(obs)
            episode.actions.append(action)
            episode.times.append(float(info["sim_time"]))
        obs, reward, terminated, truncated, info = env.step(action)
        episode.episode_return += float(reward)
        steps += 1
        if record:
            episode.rewards.append(float(reward))
        if terminated or truncated or (max_steps is not None and steps >= max_steps):
            break
    _finish(env, episode, info)
    return episode


#: Teachers acting on the observation rather than through a registered scheduler.
OBS_TEACHERS = ("min-finish",)


def min_finish_action(obs: Mapping[str, np.ndarray]) -> int:
    """``order`` mode: the ready task with the least expected finish on its best PE.

    Needs ``node_pe_finish`` (:class:`~socsim.agents.learned.features.FinishTimeFeatures`);
    ties go to the lowest slot.
    """
    finish = np.where(obs[FINISH_KEY] > 0, obs[FINISH_KEY], np.inf).min(axis=1)
    finish[obs["action_mask"] == 0] = np.inf
    return int(np.argmin(finish))


def run_teacher(env: gym.Env, scheduler: str, *, seed: int | None = None,
                sim_seed: int | None = None) -> Episode:
    """Run one episode with a heuristic choosing the actions, recording its decisions.

    Args:
        env: A socsim environment.
        scheduler: A registered scheduler, or ``"min-finish"`` (``order`` mode,
            needs the finish-time features).
        seed: ``env.reset`` seed.
        sim_seed: Force the simulator seed.
    """
    if scheduler in OBS_TEACHERS:
        options = {"sim_seed": sim_seed} if sim_seed is not None else None
        obs, info = env.reset(seed=seed, options=options)
        teacher = None
    else:
        teacher = HeuristicPolicy(scheduler)
        obs, info = teacher.reset(env, seed=seed, sim_seed=sim_seed)
    episode = Episode(metrics={}, episode_return=0.0)
    while True:
        action = teacher.action(env) if teacher is not None else min_finish_action(obs)
        episode.observations.append(obs)
        episode.actions.append(action)
        episode.times.append(float(info["sim_time"]))
        obs, reward, terminated, truncated, info = env.step(action)
        episode.rewards.append(float(reward))
        episode.episode_return += float(reward)
        if terminated or truncated:
            break
    _finish(env, episode, info)
    return episode


def _finish(env: gym.Env, episode: Episode, info: dict[str, Any]) -> None:
    """Fill the final metrics (computing them if the episode was cut short)."""
    if "metrics" in info:
        episode.metrics = dict(info["metrics"])
        episode.baseline = info.get("baseline")
    else:  # cut by max_steps: the completed jobs so far
        latencies = list(env.unwrapped.simulator.latencies)
        episode.metrics = {"mean_latency": float(np.mean(latencies)) if latencies else 0.0,
                           "completed": float(len(latencies))}


def evaluate_policy(env: gym.Env, policy: SchedulingPolicy, seeds: list[int],
                    strategy: str = "greedy") -> list[dict[str, float]]:
    """Greedy (or sampled) episodes on ``seeds`` (reset seeds); one metrics dict per seed."""
    out = []
    for seed in seeds:
        ep = run_policy(env, policy, seed=seed, strategy=strategy,
                        generator=torch.Generator().manual_seed(seed))
        out.append({"seed": seed, **ep.metrics})
    return out
