"""Imitation of a lookahead expert with DAgger (Ross, Gordon and Bagnell, AISTATS 2011).

Each iteration runs episodes of the training cases
(:data:`~.task_suite.TRAINING`). At every decision with more than one
candidate, the expert (``rollout:etf-live`` by default: the lookahead
scheduler of :mod:`socsim.agents.rollout` over the live-queue ETF) says
which candidate it would place; that is the label. The placement actually
made is the expert's with probability ``beta`` and the learner's greedy
choice otherwise: iteration 0 is pure behavioural cloning (``beta = 1``);
later iterations visit the states the learner itself reaches, labelled by
the expert, which is what removes the compounding errors of plain cloning.
The expert is told of every placement made
(:meth:`~socsim.agents.rollout.RolloutScheduler.commit`), so its base
heuristic's plan follows the run. The labelled decisions of all iterations
are aggregated, and after each iteration the policy is fitted to them by
cross-entropy, each scenario family weighing the same in all (DeepSoCS
cells give many short decisions, the papers' mix fewer).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from socsim.registry import make_scheduler

from .candidates import NUM_FEATURES, Candidates, ScaleCache, candidates
from .set_policy import Batch, SetPolicy, SetPolicyConfig, flat_rows, pick
from .task_suite import Case


@dataclass(frozen=True)
class DaggerConfig:
    """Options of the imitation stage.

    Attributes:
        iterations: DAgger iterations (the first is behavioural cloning).
        seeds_per_case: Episodes per training case per iteration.
        beta: Share of expert placements in iteration 1, halved at each later one.
        epochs: Passes over the aggregated data after each iteration.
        batch: Decisions per minibatch.
        lr: Adam learning rate.
        expert: The expert's scheduler name (any scheduler with ``choose``/``commit``);
            ``rollout:etf-live`` looks ahead over the very rule the candidates'
            ``finish`` feature measures, so its labels say where lookahead
            departs from that rule.
        workers: Processes collecting episodes.
        family_weights: ``(family, weight)`` pairs scaling a family's share of the loss
            (families not named weigh 1; the shares are renormalised so the mean
            decision still weighs 1).
        family_experts: ``(family, expert)`` pairs: the expert that labels that
            family's episodes instead of ``expert`` (the best of several experts per
            family: on random DAGs at t = 0, ``rollout:etf``'s base is ETF's own
            plan, which schedules them better than the live-queue rule).
    """

    iterations: int = 5
    seeds_per_case: int = 3
    beta: float = 0.5
    epochs: int = 6
    batch: int = 128
    lr: float = 1e-3
    expert: str = "rollout:etf-live"
    workers: int = 2
    family_weights: tuple[tuple[str, float], ...] = ()
    family_experts: tuple[tuple[str, str], ...] = ()

    def expert_for(self, family: str) -> str:
        """The expert that labels ``family``'s episodes."""
        return dict(self.family_experts).get(family, self.expert)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)

    def family_shares(self, count: dict[str, int]) -> dict[str, float]:
        """Per-decision weight of each family, given how many decisions each gave.

        A family's decisions together weigh ``N * w / W`` (``N`` decisions in
        all, ``w`` its ``family_weights`` entry, ``W`` the sum of the
        entries of the families present), however many decisions it gave:
        without entries every family weighs the same and the mean decision 1.
        """
        scale = dict(self.family_weights)
        total = sum(scale.get(family, 1.0) for family in count)
        return {family: sum(count.values()) * scale.get(family, 1.0) / (total * max(n, 1))
                for family, n in count.items()}

    def beta_at(self, iteration: int) -> float:
        """Share of expert placements in ``iteration``."""
        return 1.0 if iteration == 0 else self.beta * 0.5 ** (iteration - 1)


FIELDS = ("features", "task", "pe", "sizes", "labels", "weights")


@dataclass
class Decisions:
    """Labelled decisions, stored flat (rows of all decisions concatenated).

    Attributes:
        features: ``(R, F)`` rows.
        task: ``(R,)`` task of each row within its decision.
        pe: ``(R,)`` PE of each row within its decision.
        sizes: ``(D,)`` rows per decision.
        labels: ``(D,)`` the expert's row within each decision.
        weights: ``(D,)`` each decision's weight in the loss.
    """

    features: np.ndarray
    task: np.ndarray
    pe: np.ndarray
    sizes: np.ndarray
    labels: np.ndarray
    weights: np.ndarray

    @classmethod
    def empty(cls, num_features: int) -> Decisions:
        """No decisions."""
        return cls(np.zeros((0, num_features), np.float32), np.zeros(0, np.int64),
                   np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                   np.zeros(0))

    @classmethod
    def of(cls, decisions: Sequence[Candidates], labels: Sequence[int],
           num_features: int) -> Decisions:
        """From candidate sets and their labels."""
        if not decisions:
            return cls.empty(num_features)
        return cls(np.concatenate([d.features for d in decisions]),
                   np.concatenate([d.task for d in decisions]),
                   np.concatenate([d.pe for d in decisions]),
                   np.array([len(d) for d in decisions], np.int64),
                   np.asarray(labels, np.int64), np.ones(len(decisions)))

    def __len__(self) -> int:
        return int(self.sizes.shape[0])

    def concat(self, other: Decisions) -> Decisions:
        """Both sets of decisions."""
        return Decisions(*(np.concatenate([a, b]) for a, b in
                           zip(self.arrays(), other.arrays(), strict=True)))

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays, in field order."""
        return self.features, self.task, self.pe, self.sizes, self.labels, self.weights

    def weighted(self, weight: float) -> Decisions:
        """The same decisions, each weighing ``weight``."""
        return Decisions(*self.arrays()[:5], np.full(len(self), float(weight)))

    def select(self, index: np.ndarray) -> tuple[list[Candidates], np.ndarray]:
        """Decisions ``index`` as candidate sets, and their labels."""
        starts = np.concatenate([[0], np.cumsum(self.sizes)])
        out = []
        for i in index:
            a, b = starts[i], starts[i + 1]
            out.append(Candidates([], self.features[a:b], self.task[a:b], self.pe[a:b]))
        return out, self.labels[index]

    def save(self, path: Path) -> None:
        """Write as ``.npz`` (read back with ``allow_pickle=False``)."""
        np.savez_compressed(path, **dict(zip(FIELDS, self.arrays(), strict=True)))

    @classmethod
    def load(cls, path: Path) -> Decisions:
        """Inverse of :meth:`save`; never unpickles."""
        with np.load(path, allow_pickle=False) as data:
            return cls(*(data[k] for k in FIELDS))


@dataclass(frozen=True)
class Episode:
    """One labelling episode for a worker.

    Attributes:
        case: The scenario.
        seed: Its simulator seed.
        beta: Probability that the expert's placement is made.
        weights: The learner's weights (numpy), or ``None`` (expert only).
        config: The learner's sizes.
        expert: The expert's scheduler name.
    """

    case: Case
    seed: int
    beta: float
    weights: dict[str, np.ndarray] | None
    config: SetPolicyConfig
    expert: str


@dataclass
class EpisodeResult:
    """What a labelling episode returns.

    Attributes:
        data: Its labelled decisions (those with more than one candidate).
        placements: All placements made.
        learner_agreed: Of the labelled decisions, how many the learner's
            greedy choice matched (``-1`` without a learner).
        latency: The run's censored mean latency.
    """

    data: Decisions
    placements: int
    learner_agreed: int
    latency: float


def numpy_weights(policy: SetPolicy) -> dict[str, np.ndarray]:
    """The policy's weights as numpy arrays (cheap to send to workers)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in policy.state_dict().items()}


def policy_of(weights: dict[str, np.ndarray], config: SetPolicyConfig) -> SetPolicy:
    """A policy from :func:`numpy_weights`."""
    policy = SetPolicy(config)
    policy.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    return policy.eval()


def label_episode(job: Episode) -> EpisodeResult:
    """Run one episode, the expert labelling every decision (see the module docstring)."""
    torch.set_num_threads(1)
    sim = job.case.simulator(job.seed)
    expert = make_scheduler(job.expert)
    if not hasattr(expert, "choose"):
        raise ValueError(f"{job.expert} cannot label states (it has no choose/commit)")
    learner = None if job.weights is None else policy_of(job.weights, job.config)
    coin = np.random.default_rng([job.seed, 0xDA66E5])
    sim.prepare(expert)
    view = sim.view
    cache = ScaleCache()
    kept: list[Candidates] = []
    labels: list[int] = []
    placements = agreed = 0
    while sim.advance():
        while True:
            found = candidates(view, cache)
            if not len(found):
                break
            wanted = expert.choose(view)
            if wanted is None:
                break
            row = found.pairs.index(wanted)  # the expert picks among the same pairs
            act = row
            if len(found) > 1:
                kept.append(found)
                labels.append(row)
                if learner is not None:
                    mine = learner.choose([found])[0]
                    agreed += mine == row
                    if coin.random() >= job.beta:
                        act = mine
            expert.commit(view, found.pairs[act])
            sim.assign(*found.pairs[act])
            placements += 1
    latency = float(sim.result("dagger").metrics["censored_mean_latency"])
    return EpisodeResult(Decisions.of(kept, labels, NUM_FEATURES), placements,
                         agreed if learner is not None else -1, latency)


def collect(jobs: list[Episode], workers: int) -> list[EpisodeResult]:
    """:func:`label_episode` over ``jobs`` (in order), in ``workers`` processes."""
    if workers <= 1 or len(jobs) == 1:
        return [label_episode(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(label_episode, jobs))


def fit(policy: SetPolicy, optimizer: torch.optim.Optimizer, data: Decisions, epochs: int,
        batch: int, rng: np.random.Generator) -> tuple[float, float]:
    """Weighted cross-entropy epochs on ``data``; ``(mean loss, accuracy)`` of the last epoch."""
    policy.train()
    loss_sum = hits = 0.0
    for _ in range(epochs):
        order = rng.permutation(len(data))
        loss_sum = hits = 0.0
        for start in range(0, len(order), batch):
            index = order[start:start + batch]
            decisions, labels = data.select(index)
            logp, _ = policy(Batch.of(decisions))
            target = torch.from_numpy(flat_rows(decisions, labels))
            weight = torch.from_numpy(data.weights[index]).float()
            loss = -(logp[target] * weight).sum() / weight.sum().clamp_min(1e-9)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            optimizer.step()
            loss_sum += loss.item() * len(index)
            with torch.no_grad():
                best = pick(logp.detach().numpy(), [len(d) for d in decisions])
            hits += float(np.sum(np.asarray(best) == labels))
    policy.eval()
    n = max(len(data), 1)
    return loss_sum / n, hits / n

