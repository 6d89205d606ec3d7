"""RL fine-tuning of the set policy: REINFORCE with an input-dependent baseline, PPO-clipped.

Each iteration runs every training case on fresh seeds, ``samples`` times
per seed with actions *sampled* from the policy. The runs of one seed see
the same arrivals and the same execution-time noise (the simulator's
streams depend on the seed only), so they differ only by the policy's
choices: the mean over them is Decima's input-dependent baseline (Mao et
al., SIGCOMM 2019), and a run's advantage is how much better its censored
mean latency was than that mean, relative to it. Every decision of the
run gets that advantage. The update is PPO's clipped surrogate (Schulman
et al., 2017) over several epochs of minibatches, against the sampling
policy's log-probabilities, so each batch of runs is used more than once
without moving the policy too far from where the data was collected.

The reward is a difference between runs on the same seed, so it separates
policies even where all of them complete the same jobs; the censored
metric charges unfinished jobs their age, so starving a job never pays.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from .candidates import NUM_FEATURES, Candidates
from .dagger import Decisions, numpy_weights, policy_of
from .set_policy import Batch, SetPolicy, SetPolicyConfig, flat_rows, pick
from .set_scheduler import run_batched
from .task_suite import Case

OBJECTIVES = ("censored_mean_latency", "edp")


@dataclass(frozen=True)
class RLConfig:
    """Options of the RL stage.

    Attributes:
        iterations: Collect-and-update rounds.
        seeds_per_case: Seeds per training case per iteration.
        samples: Sampled runs per seed (the baseline is their mean).
        epochs: PPO epochs per batch of runs.
        batch: Decisions per minibatch.
        lr: Adam learning rate.
        clip: PPO clip range.
        entropy: Entropy bonus weight.
        workers: Processes collecting runs.
        objective: The run metric to lower: ``censored_mean_latency`` or ``edp``
            (energy-delay product: the energy-aware variant).
    """

    iterations: int = 20
    seeds_per_case: int = 2
    samples: int = 4
    epochs: int = 3
    batch: int = 512
    lr: float = 2e-4
    clip: float = 0.2
    entropy: float = 0.0
    workers: int = 2
    objective: str = "censored_mean_latency"

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


@dataclass(frozen=True)
class Rollouts:
    """Sampled runs for a worker: ``samples`` runs of each ``(case, seed)``."""

    runs: tuple[tuple[Case, int], ...]
    samples: int
    weights: dict[str, np.ndarray]
    config: SetPolicyConfig
    sampler_seed: int
    objective: str = "censored_mean_latency"


@dataclass
class Sampled:
    """Decisions of sampled runs (``labels`` hold the sampled rows) and what they earned.

    Attributes:
        data: The decisions, the sampled row of each as its label.
        old_logp: Log-probability of the sampled row when it was sampled.
        run: Per decision, the run it belongs to.
        latency: Per run, the objective (censored mean latency, or EDP).
        group: Per run, its ``(case, seed)`` group (runs of a group share the baseline).
    """

    data: Decisions
    old_logp: np.ndarray
    run: np.ndarray
    latency: np.ndarray
    group: np.ndarray


def sample_runs(job: Rollouts) -> Sampled:
    """Run the sampled episodes of ``job`` in lock step (see the module docstring)."""
    torch.set_num_threads(1)
    policy = policy_of(job.weights, job.config)
    rng = np.random.default_rng(job.sampler_seed)
    sims, groups = [], []
    for g, (case, seed) in enumerate(job.runs):
        for _ in range(job.samples):
            sims.append(case.simulator(seed))
            groups.append(g)
    kept: list[Candidates] = []
    rows: list[int] = []
    logps: list[float] = []
    owner: list[int] = []
    stash: list[float] = []

    def decide(decisions: list[Candidates], views: Sequence[Any]) -> list[int]:
        with torch.no_grad():
            logp, _ = policy(Batch.of(decisions))
        flat = logp.numpy()
        chosen = pick(flat, [len(d) for d in decisions], rng)
        stash.extend(float(v) for v in flat[flat_rows(decisions, chosen)])
        return chosen

    def record(index: int, found: Candidates, row: int) -> None:
        value = stash.pop(0)
        if len(found) > 1:
            kept.append(found)
            rows.append(row)
            logps.append(value)
            owner.append(index)

    results = run_batched(sims, decide, record)
    return Sampled(Decisions.of(kept, rows, NUM_FEATURES), np.asarray(logps),
                   np.asarray(owner, np.int64),
                   np.asarray([r.metrics[job.objective] for r in results]),
                   np.asarray(groups, np.int64))


def collect_sampled(policy: SetPolicy, runs: list[tuple[Case, int]], samples: int,
                    workers: int, seed: int, objective: str = "censored_mean_latency"
                    ) -> list[Sampled]:
    """:func:`sample_runs` split over ``workers`` processes."""
    weights = numpy_weights(policy)
    parts = [tuple(runs[k::workers]) for k in range(max(workers, 1))]
    jobs = [Rollouts(p, samples, weights, policy.config, seed * 1000 + k, objective)
            for k, p in enumerate(parts) if p]
    if len(jobs) == 1:
        return [sample_runs(jobs[0])]
    with ProcessPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(sample_runs, jobs))


def advantages(part: Sampled) -> np.ndarray:
    """Per decision: its run's relative gain over the mean of its seed's runs."""
    run_adv = np.zeros(len(part.latency))
    for g in np.unique(part.group):
        members = part.group == g
        mean = part.latency[members].mean()
        if mean > 0:
            run_adv[members] = (mean - part.latency[members]) / mean
    return run_adv[part.run]


def ppo_update(policy: SetPolicy, optimizer: torch.optim.Optimizer, parts: list[Sampled],
               config: RLConfig, rng: np.random.Generator) -> dict[str, float]:
    """Clipped-surrogate epochs over the sampled decisions; returns loss statistics."""
    data = parts[0].data
    adv = [advantages(parts[0])]
    old = [parts[0].old_logp]
    for part in parts[1:]:
        data = data.concat(part.data)
        adv.append(advantages(part))
        old.append(part.old_logp)
    advantage = np.concatenate(adv)
    scale = advantage.std()
    if not scale > 0 or len(data) == 0:
        return {"decisions": float(len(data)), "update": 0.0}
    advantage = advantage / scale
    old_logp = np.concatenate(old)
    policy.train()
    clipped = 0.0
    steps = 0
    for _ in range(config.epochs):
        order = rng.permutation(len(data))
        for start in range(0, len(order), config.batch):
            index = order[start:start + config.batch]
            decisions, rows = data.select(index)
            logp, _ = policy(Batch.of(decisions))
            new = logp[torch.from_numpy(flat_rows(decisions, rows))]
            ratio = torch.exp(new - torch.from_numpy(old_logp[index]).float())
            a = torch.from_numpy(advantage[index]).float()
            surrogate = torch.min(ratio * a, ratio.clamp(1 - config.clip, 1 + config.clip) * a)
            loss = -surrogate.mean()
            if config.entropy:
                loss = loss + config.entropy * (logp.exp() * logp).sum() / len(index)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            optimizer.step()
            clipped += float(((ratio - 1).abs() > config.clip).float().mean())
            steps += 1
    policy.eval()
    return {"decisions": float(len(data)), "clip_fraction": clipped / max(steps, 1)}
