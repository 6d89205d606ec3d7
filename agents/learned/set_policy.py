"""A size-agnostic scheduling policy: scores every (task, PE) candidate of a decision.

The policy sees a decision as a *set* of candidates
(:mod:`socsim.agents.learned.candidates`), each a feature row. It embeds
every row with one shared MLP, pools the embeddings over the rows of the
same task (how the task fares across PEs), of the same PE (what competes
for it) and of the whole decision (mean and max: the state of the system),
and scores each row from its own embedding and those three contexts. A
softmax over the decision's rows gives the action distribution; a value
head on the decision's pooled embedding serves as critic for RL.

Every weight is shared across rows and every pooling is a mean or a max,
so the parameters do not depend on the number of PEs, PE types, jobs,
tasks or edges, and permuting PEs or tasks permutes the scores the same
way (permutation equivariance; tested). This follows the set/graph
decoders of Decima (Mao et al., SIGCOMM 2019) and L2D (Zhang et al.,
NeurIPS 2020), with the DAG entering through rank, successor and
remaining-work features rather than message passing.

Many decisions are scored in one forward pass: :class:`Batch` concatenates
their rows with segment ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .candidates import NUM_FEATURES, Candidates

KIND = "set-policy"


@dataclass(frozen=True)
class SetPolicyConfig:
    """Sizes of a :class:`SetPolicy` (saved with checkpoints).

    Attributes:
        features: Feature columns per candidate (:data:`~.candidates.NUM_FEATURES`).
        hidden: Width of the embeddings and hidden layers.
    """

    features: int = NUM_FEATURES
    hidden: int = 64

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SetPolicyConfig:
        """Inverse of :meth:`to_dict` (unknown keys raise ``TypeError``)."""
        return cls(**data)


@dataclass
class Batch:
    """The rows of several decisions, concatenated.

    Attributes:
        x: ``(R, F)`` features.
        state: ``(R,)`` decision of each row (0..B-1).
        task: ``(R,)`` task of each row, numbered across the batch.
        pe: ``(R,)`` PE of each row, numbered across the batch.
        num_states: ``B``.
        num_tasks: Tasks across the batch.
        num_pes: PEs across the batch.
    """

    x: torch.Tensor
    state: torch.Tensor
    task: torch.Tensor
    pe: torch.Tensor
    num_states: int
    num_tasks: int
    num_pes: int

    @classmethod
    def of(cls, decisions: Sequence[Candidates]) -> Batch:
        """Concatenate decisions (each with at least one row)."""
        xs, states, tasks, pes = [], [], [], []
        task_offset = pe_offset = 0
        for index, c in enumerate(decisions):
            xs.append(c.features)
            states.append(np.full(len(c), index, np.int64))
            tasks.append(c.task + task_offset)
            pes.append(c.pe + pe_offset)
            task_offset += int(c.task.max()) + 1
            pe_offset += int(c.pe.max()) + 1
        return cls(torch.from_numpy(np.concatenate(xs)),
                   torch.from_numpy(np.concatenate(states)),
                   torch.from_numpy(np.concatenate(tasks)),
                   torch.from_numpy(np.concatenate(pes)),
                   len(decisions), task_offset, pe_offset)


def segment_mean(h: torch.Tensor, index: torch.Tensor, size: int) -> torch.Tensor:
    """``(size, D)`` mean of the rows of ``h`` per segment."""
    total = h.new_zeros(size, h.shape[1]).index_add_(0, index, h)
    count = h.new_zeros(size).index_add_(0, index, h.new_ones(h.shape[0]))
    return total / count.clamp_min(1.0).unsqueeze(1)


def segment_max(h: torch.Tensor, index: torch.Tensor, size: int) -> torch.Tensor:
    """``(size, D)`` elementwise max of the rows of ``h`` per segment."""
    out = h.new_full((size, h.shape[1]), -torch.inf)
    return out.scatter_reduce(0, index.unsqueeze(1).expand_as(h), h, "amax", include_self=True)


def segment_log_softmax(logits: torch.Tensor, index: torch.Tensor, size: int) -> torch.Tensor:
    """Log-softmax of ``logits`` within each segment."""
    top = logits.new_full((size,), -torch.inf).scatter_reduce(0, index, logits, "amax")
    shifted = logits - top[index].detach()
    norm = logits.new_zeros(size).index_add_(0, index, shifted.exp()).log()
    return shifted - norm[index]


def squash(x: torch.Tensor) -> torch.Tensor:
    """``sign(x) log(1 + |x|)``: times of any magnitude into a range MLPs like."""
    return torch.sign(x) * torch.log1p(x.abs())


def _mlp(sizes: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(sizes):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class SetPolicy(nn.Module):
    """Scores the candidates of decisions (see the module docstring).

    Args:
        config: Sizes.
    """

    def __init__(self, config: SetPolicyConfig | None = None) -> None:
        super().__init__()
        self.config = config or SetPolicyConfig()
        d, f = self.config.hidden, self.config.features
        self.embed = _mlp([f, d, d])
        self.score = _mlp([f + 5 * d, d, d, 1])
        self.value = _mlp([2 * d, d, 1])

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """``(log-probabilities per row, value per decision)``.

        A policy configured with fewer feature columns than this socsim computes
        (a checkpoint from before later columns were appended) reads the first
        ``config.features`` columns, the ones it was trained on.
        """
        x = squash(batch.x[:, :self.config.features])
        h = torch.relu(self.embed(x))
        by_task = segment_mean(h, batch.task, batch.num_tasks)[batch.task]
        by_pe = segment_mean(h, batch.pe, batch.num_pes)[batch.pe]
        mean = segment_mean(h, batch.state, batch.num_states)
        top = segment_max(h, batch.state, batch.num_states)
        context = torch.cat([mean, top], 1)
        logits = self.score(torch.cat([x, h, by_task, by_pe, context[batch.state]], 1))
        logp = segment_log_softmax(logits.squeeze(1), batch.state, batch.num_states)
        return logp, self.value(context).squeeze(1)

    @torch.no_grad()
    def choose(self, decisions: Sequence[Candidates], sample: np.random.Generator | None = None
               ) -> list[int]:
        """The row picked in each decision: greedy, or sampled with ``sample``."""
        logp, _ = self(Batch.of(decisions))
        return pick(logp.numpy(), [len(c) for c in decisions], sample)


def flat_rows(decisions: Sequence[Candidates], rows: Sequence[int] | np.ndarray) -> np.ndarray:
    """Where row ``rows[i]`` of decision ``i`` lies in the batch of ``decisions`` concatenated."""
    sizes = [len(d) for d in decisions]
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) + np.asarray(rows)


def pick(logp: np.ndarray, sizes: Sequence[int], sample: np.random.Generator | None = None
         ) -> list[int]:
    """Per decision (consecutive ``sizes`` rows of ``logp``), the greedy or sampled row."""
    out = []
    start = 0
    for size in sizes:
        part = logp[start:start + size]
        if sample is None:
            out.append(int(np.argmax(part)))
        else:
            p = np.exp(part - part.max())
            out.append(int(sample.choice(size, p=p / p.sum())))
        start += size
    return out
