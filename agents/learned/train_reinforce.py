"""REINFORCE in Decima's manner, over parallel worker processes.

Each iteration:

1. ``rollouts`` episodes are sampled from the current policy, all with the
   *same* simulator seed (arrivals and execution noise), spread over
   ``workers`` processes;
2. rewards get Decima's differential correction ``r - r_bar * dt`` (``r_bar``
   a running average reward per microsecond), for the average-reward
   objective of a stream that never ends;
3. the baseline at time ``t`` is the mean, over the rollouts sharing the
   seed, of their returns-to-go at ``t`` (piecewise-linear in time): an
   input-dependent baseline, since all rollouts saw the same input;
4. the loss is ``-(G - b) log pi - beta H``, with the entropy weight
   ``beta`` decayed linearly, and episodes are cut after a number of
   decisions that grows each iteration (curriculum on episode length).

Every random stream is derived from ``(seed, iteration)``, so a run
resumed from its checkpoint makes the same next update as one never
interrupted.

Rollouts go to a :class:`RolloutPool`: this process (one worker), a local
fork pool, or Ray actors (``backend="ray"``, :mod:`socsim.agents.distributed`).
Each job carries its own seeds, so the episodes, hence the learning curve,
do not depend on the pool, on the worker that ran a job, or on a retry.
"""

from __future__ import annotations

import multiprocessing as mp
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from .checkpoint import (
    load_checkpoint,
    load_policy,
    restore,
    rng_state,
    save_checkpoint,
    save_policy,
)
from .common import BEST_POLICY, Logger, prepare_run, progress_bar, read_best, write_best
from .encoder import obs_keys
from .episode_stats import latency_stats
from .policy import PolicyConfig, SchedulingPolicy, build_policy, log_prob_entropy
from .rollout import evaluate_policy, make_env, run_policy
from .train_bc import env_kwargs_for


@dataclass
class ReinforceConfig:
    """REINFORCE hyper-parameters.

    Attributes:
        env_id: Environment id.
        env_kwargs: Environment keywords.
        noises: Execution-noise levels, one per iteration in turn (empty: the env's).
        iterations: Policy updates.
        rollouts: Episodes per iteration, sharing one simulator seed.
        workers: Worker processes (1: in this process).
        lr: Adam learning rate.
        entropy_start: Initial entropy weight.
        entropy_end: Final entropy weight.
        entropy_decay: Subtracted from the entropy weight each iteration.
        start_decisions: Decisions per episode at iteration 0 (curriculum).
        decisions_growth: Decisions added per iteration.
        max_decisions: Cap on decisions per episode (0: whole episodes).
        reward_average_rate: Update rate of the running average reward.
        init: Run folder or checkpoint to start from (e.g. a BC run).
        embed_dim: Encoder width (fresh policies).
        depth: Message-passing rounds (fresh policies).
        finish_features: Add ``node_pe_finish`` to the observation (fresh policies).
        finish_prior: Initial scale of the earliest-finish prior on ``assign``
            pair scores (fresh policies; 0: none; see
            :mod:`socsim.agents.learned.policy`).
        seed: Seed of everything.
        eval_every: Greedy evaluation every that many iterations, the best
            policy kept as ``best_policy.pt`` with ``best.json`` (0: never).
        eval_seeds: Reset seeds of the evaluation.
    """

    env_id: str = "socsim/DeepSoCS-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    noises: list[float] = field(default_factory=list)
    iterations: int = 50
    rollouts: int = 4
    workers: int = 2
    lr: float = 3e-4
    entropy_start: float = 0.01
    entropy_end: float = 1e-4
    entropy_decay: float = 2e-4
    start_decisions: int = 300
    decisions_growth: int = 20
    max_decisions: int = 0
    reward_average_rate: float = 0.05
    init: str | None = None
    embed_dim: int = 32
    depth: int = 3
    finish_features: bool = True
    finish_prior: float = 0.0
    seed: int = 0
    eval_every: int = 10
    eval_seeds: list[int] = field(default_factory=lambda: [10_000, 10_001])


def _rollout(job: tuple[dict[str, Any], dict[str, Any], dict[str, torch.Tensor], int, int, int
                        ]) -> dict[str, Any]:
    """One sampled episode (runs in a worker): the informative decisions and the rewards."""
    config, policy_config, weights, sim_seed, sample_seed, max_steps = job
    torch.set_num_threads(1)
    policy = SchedulingPolicy(PolicyConfig.from_dict(policy_config))
    policy.load_state_dict(weights)
    policy.eval()
    env = make_env(config["env_id"], config["env_kwargs"],
                   policy.config.encoder.finish_features)
    ep = run_policy(env, policy, sim_seed=sim_seed, strategy="sample", record=True,
                    generator=torch.Generator().manual_seed(sample_seed), max_steps=max_steps)
    keep = [i for i, o in enumerate(ep.observations) if int(o["action_mask"].sum()) > 1]
    obs = {k: np.stack([ep.observations[i][k] for i in keep]) if keep else None
           for k in obs_keys(ep.observations[0])}
    end_time = float(env.unwrapped.simulator.now)
    return {"obs": obs, "actions": np.asarray([ep.actions[i] for i in keep], dtype=np.int64),
            "keep": np.asarray(keep, dtype=np.int64), "rewards": np.asarray(ep.rewards),
            "times": np.asarray(ep.times), "end_time": end_time, "metrics": ep.metrics,
            "baseline": ep.baseline, "return": ep.episode_return}


class RolloutPool(Protocol):
    """Where the rollouts of an iteration run: an ordered ``map`` over jobs."""

    def map(self, jobs: list[tuple]) -> list[dict[str, Any]]:
        """One episode per job, in job order."""
        ...

    def close(self) -> None:
        """Release the workers."""
        ...


class LocalRollouts:
    """Rollouts in this process (``workers=1``) or in a local fork pool.

    Args:
        workers: Worker processes (1: none, run here).
    """

    def __init__(self, workers: int) -> None:
        self.pool = mp.get_context("fork").Pool(workers) if workers > 1 else None

    def map(self, jobs: list[tuple]) -> list[dict[str, Any]]:
        """One episode per job, in job order."""
        return self.pool.map(_rollout, jobs) if self.pool else [_rollout(j) for j in jobs]

    def close(self) -> None:
        """Stop the pool."""
        if self.pool is not None:
            self.pool.close()
            self.pool.join()


class RayRollouts:
    """Rollouts on ``workers`` Ray actors, in a Ray session (started here if need be).

    Args:
        workers: Ray actors (one CPU each).
        address: Ray cluster (see :func:`socsim.agents.distributed.ray_session`).
    """

    def __init__(self, workers: int, address: str | None = None) -> None:
        from ..distributed import RayActorPool, ray_session

        self.stack = ExitStack()
        try:
            self.stack.enter_context(ray_session(address))
            self.actors = RayActorPool(_rollout, workers)
            self.stack.callback(self.actors.close)
        except BaseException:
            self.stack.close()
            raise

    def map(self, jobs: list[tuple]) -> list[dict[str, Any]]:
        """One episode per job, in job order."""
        return self.actors.map(jobs)

    def close(self) -> None:
        """Stop the actors, and Ray if it was started here."""
        self.stack.close()


def rollout_pool(workers: int, backend: str = "local", address: str | None = None
                 ) -> RolloutPool:
    """The rollout workers: ``local`` (this process or a fork pool) or ``ray`` actors.

    Raises:
        ValueError: An unknown backend, or ``address`` without Ray.
    """
    if backend == "ray":
        return RayRollouts(workers, address)
    if backend != "local":
        raise ValueError(f"unknown backend {backend!r}; choose local or ray")
    if address is not None:
        raise ValueError("a Ray address needs backend='ray'")
    return LocalRollouts(workers)


def returns_to_go(rewards: np.ndarray, times: np.ndarray, end_time: float, r_bar: float
                  ) -> np.ndarray:
    """Returns-to-go of differential rewards ``r_t - r_bar * (t_{t+1} - t_t)``."""
    nxt = np.append(times[1:], end_time)
    diff = rewards - r_bar * (nxt - times)
    return np.cumsum(diff[::-1])[::-1]


def time_baseline(times: list[np.ndarray], returns: list[np.ndarray]) -> list[np.ndarray]:
    """Decima's input-dependent baseline: at each decision time, the rollouts' mean return-to-go.

    Each rollout's return-to-go is read at the other rollouts' decision
    times by piecewise-linear interpolation in time.
    """
    out = []
    for t in times:
        values = [np.interp(t, tk, gk) if len(tk) else np.zeros_like(t)
                  for tk, gk in zip(times, returns, strict=True)]
        out.append(np.mean(values, axis=0))
    return out


class Trainer:
    """State of one REINFORCE run (policy, optimiser, running reward, random streams).

    Args:
        config: Hyper-parameters.
        run_dir: The run folder (resumed if it has a checkpoint).
        args: Command-line arguments to save.
    """

    def __init__(self, config: ReinforceConfig, run_dir: str | Path,
                 args: dict[str, Any] | None = None) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        torch.manual_seed(config.seed)
        self.rng = np.random.default_rng(config.seed)
        # The policy and environment first: a bad --init or keyword fails before the
        # run folder is made.
        if config.init:
            self.policy = load_policy(config.init)
        else:
            env = make_env(config.env_id, {"baseline": None, **config.env_kwargs},
                           config.finish_features)
            self.policy = build_policy(env, embed_dim=config.embed_dim, depth=config.depth,
                                       finish_prior=config.finish_prior)
        self.eval_env = make_env(config.env_id, {"baseline": None, **config.env_kwargs},
                                 self.policy.config.encoder.finish_features)
        prepare_run(self.run_dir, {"algo": "reinforce", **asdict(config)}, args)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=config.lr)
        self.iteration = 0
        self.r_bar = 0.0
        self.heft_rt: float | None = None
        state = load_checkpoint(self.run_dir, keys=("r_bar",))
        if state is not None:
            restore(state, self.run_dir, self.policy, self.optimizer, self.rng)
            self.iteration = state["step"]
            self.r_bar = float(state["r_bar"])

    def jobs(self) -> list[tuple]:
        """The rollouts of the current iteration (all sharing one simulator seed)."""
        c, it = self.config, self.iteration
        sim_seed = int(np.random.default_rng([c.seed, it]).integers(2**31 - 1))
        steps = c.start_decisions + c.decisions_growth * it
        if c.max_decisions:
            steps = min(steps, c.max_decisions)
        kwargs = env_kwargs_for(c, it)
        kwargs.pop("baseline", None)  # keep the env's baseline: latency against HEFT_RT
        env_config = {"env_id": c.env_id, "env_kwargs": {**kwargs}}
        weights = {k: v.detach().clone() for k, v in self.policy.state_dict().items()}
        return [(env_config, self.policy.config.to_dict(), weights, sim_seed,
                 c.seed * 1_000_003 + it * 101 + k, steps) for k in range(c.rollouts)]

    def update(self, episodes: list[dict[str, Any]]) -> dict[str, float]:
        """One policy-gradient step from the iteration's episodes."""
        c = self.config
        total_r = sum(float(ep["rewards"].sum()) for ep in episodes)
        total_t = sum(ep["end_time"] - ep["times"][0] for ep in episodes if len(ep["times"]))
        if total_t > 0:
            rate = c.reward_average_rate if self.iteration else 1.0
            # a python float (numpy's would make the checkpoint unreadable with weights_only)
            self.r_bar = float((1 - rate) * self.r_bar + rate * total_r / total_t)
        returns = [returns_to_go(ep["rewards"], ep["times"], ep["end_time"], self.r_bar)
                   for ep in episodes]
        baselines = time_baseline([ep["times"] for ep in episodes], returns)
        obs, actions, advantages = [], [], []
        for ep, g, b in zip(episodes, returns, baselines, strict=True):
            if len(ep["keep"]):
                obs.append(ep["obs"])
                actions.append(ep["actions"])
                advantages.append((g - b)[ep["keep"]])
        beta = max(c.entropy_end, c.entropy_start - c.entropy_decay * self.iteration)
        stats = {"train/entropy_weight": beta, "train/r_bar": self.r_bar}
        if not obs:
            return stats
        batch = {k: torch.as_tensor(np.concatenate([o[k] for o in obs])) for k in obs[0]}
        adv = torch.as_tensor(np.concatenate(advantages), dtype=torch.float32)
        adv = adv / (adv.std() + 1e-8)
        self.policy.train()
        logits, _ = self.policy(batch)
        logp, entropy = log_prob_entropy(logits, torch.as_tensor(np.concatenate(actions)))
        loss = -(adv * logp).mean() - beta * entropy.mean()
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.policy.parameters(), 1.0)
        self.optimizer.step()
        self.policy.eval()
        return {**stats, "train/loss": loss.item(), "train/entropy": entropy.mean().item(),
                "train/decisions": float(len(adv))}

    def save(self) -> None:
        """Checkpoint the current state."""
        save_checkpoint(self.run_dir, self.policy, self.optimizer, self.iteration,
                        {"rng": rng_state(self.rng), "r_bar": self.r_bar},
                        keep=self.iteration % 25 == 0)

    def evaluate(self, bar: Any = None) -> dict[str, float]:
        """Greedy episodes on ``config.eval_seeds``; keeps the best policy so far.

        The best by censored mean latency (unfinished jobs at their age at the
        horizon, so stalling does not pay), as PPO's, is written to
        ``best_policy.pt`` with ``best.json`` (iteration, latency figures and
        HEFT_RT's censored latency on the same seeds); a resumed run keeps
        the best of its earlier part.

        Args:
            bar: The progress bar, whose console gets a one-line summary.

        Returns:
            The ``eval/`` figures, ``eval/heft_rt_censored_latency`` and
            ``eval/best_censored_latency``.
        """
        from socsim.envs import run_heuristic

        c = self.config
        if self.heft_rt is None:  # once per run: the yardstick on the evaluation seeds
            henv = make_env(c.env_id, {"baseline": None, **c.env_kwargs,
                                       "action_mode": "assign"})
            self.heft_rt = float(np.mean([run_heuristic(henv, "heft-rt", seed=s)["metrics"]
                                          ["censored_mean_latency"] for s in c.eval_seeds]))
            henv.close()
        stats = latency_stats("eval", evaluate_policy(self.eval_env, self.policy,
                                                      c.eval_seeds))
        latency = stats["eval/censored_latency"]
        best = read_best(self.run_dir).get("censored_latency", float("inf"))
        if latency < best:
            best = latency
            save_policy(self.policy, self.run_dir / BEST_POLICY)
            write_best(self.run_dir, {"iteration": self.iteration, "censored_latency": latency,
                                      "mean_latency": stats["eval/mean_latency"],
                                      "completed": stats["eval/completed"],
                                      "in_system": stats["eval/in_system"],
                                      "heft_rt_censored_latency": self.heft_rt,
                                      "seeds": list(c.eval_seeds)})
        if bar is not None:
            bar.console.print(f"iteration {self.iteration}: eval censored latency "
                              f"{latency:.1f} us over {len(c.eval_seeds)} seeds (HEFT_RT "
                              f"{self.heft_rt:.1f}, {latency / self.heft_rt - 1:+.1%}); best "
                              f"{best:.1f}", highlight=False)
        return {**stats, "eval/heft_rt_censored_latency": self.heft_rt,
                "eval/best_censored_latency": best}

    def run(self, show_progress: bool = True, backend: str = "local",
            address: str | None = None, pool: RolloutPool | None = None,
            save_freq: int = 1) -> SchedulingPolicy:
        """Train until ``config.iterations``.

        Args:
            show_progress: Show a progress bar.
            backend: Where the ``config.workers`` rollout workers run: ``local``
                processes or ``ray`` actors (the learner stays here).
            address: Ray cluster for ``backend="ray"``.
            pool: Rollout workers to use instead (left open; the caller closes it).
            save_freq: Checkpoint (``checkpoints/latest.pt`` and ``policy.pt``)
                every this many iterations (0: only at the end; the last
                iteration is always saved). A resumed run restarts from the
                last checkpoint, so the iterations after it are redone.

        Raises:
            ValueError: A negative ``save_freq``.
        """
        if save_freq < 0:
            raise ValueError(f"save_freq must be >= 0, got {save_freq}")
        c = self.config
        own_pool = pool is None
        pool = rollout_pool(c.workers, backend, address) if pool is None else pool
        logger = Logger(self.run_dir)
        try:
            with progress_bar(disable=not show_progress) as bar:
                task = bar.add_task("reinforce", total=c.iterations, completed=self.iteration,
                                    status="")
                while self.iteration < c.iterations:
                    jobs = self.jobs()
                    episodes = pool.map(jobs)
                    stats = self.update(episodes)
                    stats |= latency_stats("rollout", [ep["metrics"] for ep in episodes])
                    lat = stats["rollout/censored_latency"]
                    stats["rollout/return"] = float(np.mean([ep["return"] for ep in episodes]))
                    heft = [ep["baseline"]["censored_mean_latency"] for ep in episodes
                            if ep["baseline"]]
                    self.iteration += 1
                    if c.eval_every and self.iteration % c.eval_every == 0:
                        stats |= self.evaluate(bar)
                    logger.log(self.iteration, stats)
                    if self.iteration == c.iterations or (
                            save_freq and self.iteration % save_freq == 0):
                        self.save()
                    status = (f"return {stats['rollout/return']:.1f} censored latency "
                              f"{lat:.1f} us ({stats['rollout/completed']:.0f} done)")
                    if heft:  # whole-episode HEFT_RT latency on the same seed
                        status += f" (HEFT_RT full run {np.mean(heft):.1f})"
                    bar.update(task, advance=1, status=status)
        finally:
            if own_pool:
                pool.close()
            logger.close()
        return self.policy


def train_reinforce(config: ReinforceConfig, run_dir: str | Path,
                    args: dict[str, Any] | None = None, show_progress: bool = True,
                    backend: str = "local", address: str | None = None,
                    save_freq: int = 1) -> SchedulingPolicy:
    """Train (or resume) a REINFORCE run; see :class:`Trainer` and :meth:`Trainer.run`.

    The rollout workers start first, so that a Ray cluster that cannot be
    reached fails before the run folder is made.
    """
    pool = rollout_pool(config.workers, backend, address)
    try:
        return Trainer(config, run_dir, args).run(show_progress, pool=pool,
                                                  save_freq=save_freq)
    finally:
        pool.close()
