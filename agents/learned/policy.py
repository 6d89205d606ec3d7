"""Policy and value heads over :class:`~socsim.agents.learned.encoder.GraphEncoder` embeddings.

Following RL4CO's split, the encoder embeds the state, a decoder scores
every action, and the decoding strategy (greedy or sampling) is chosen when
acting:

- ``order`` mode (DeepSoCS): one score per node slot, from
  ``[x_v, e_v, y_j(v), z, mean PE embedding]``; the environment places the
  picked task by earliest finish time.
- ``assign`` mode: one score per (node, PE) pair, from
  ``[e_v, y_j(v), z, PE embedding, expected time and finish of v on the PE]``, and one
  for waiting, from ``z``. With a *finish prior* (``finish_prior > 0``) each
  pair's score also gets ``-a * (f - f_min)``: ``f`` its expected finish
  (``node_pe_finish``), ``f_min`` the least over allowed pairs, ``a`` a
  learned scale starting at ``finish_prior``. The network then learns a
  correction to "earliest finish first" (ETF's rule) instead of having to
  rediscover an arg-min through an MLP, and the initial policy (score
  layers start at zero) already follows ETF's rule, applied to the
  emulator's current state rather than to ETF's own plan.

Masked actions get ``-inf`` logits, so they have probability 0 and are
never selected by either strategy. A value head on ``z`` serves as critic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .encoder import Embeddings, EncoderConfig, GraphEncoder, make_mlp, squash_inputs
from .features import FINISH_KEY

ACTION_MODES = ("order", "assign")
STRATEGIES = ("greedy", "sample")
#: With a finish prior, the wait logit starts this far below the best pair's.
WAIT_PRIOR = 4.0


@dataclass(frozen=True)
class PolicyConfig:
    """Everything needed to rebuild a policy (saved with checkpoints).

    Attributes:
        encoder: Encoder sizes.
        action_mode: ``"order"`` or ``"assign"``.
        head_hidden: Hidden widths of the scoring MLPs.
        finish_prior: ``assign`` mode with finish features: initial scale of the
            earliest-finish prior on pair scores (0: none; see the module doc).
    """

    encoder: EncoderConfig
    action_mode: str = "order"
    head_hidden: tuple[int, ...] = field(default=(32, 16))
    finish_prior: float = 0.0

    def __post_init__(self) -> None:
        if self.finish_prior < 0:
            raise ValueError(f"finish_prior must be >= 0, got {self.finish_prior}")
        if self.finish_prior and not (self.action_mode == "assign"
                                      and self.encoder.finish_features):
            raise ValueError("finish_prior needs action_mode='assign' and finish features "
                             "(finish_features=True)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"encoder": self.encoder.to_dict(), "action_mode": self.action_mode,
                "head_hidden": list(self.head_hidden), "finish_prior": self.finish_prior}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(encoder=EncoderConfig.from_dict(data["encoder"]),
                   action_mode=data.get("action_mode", "order"),
                   head_hidden=tuple(data.get("head_hidden", (32, 16))),
                   finish_prior=float(data.get("finish_prior", 0.0)))


class OrderDecoder(nn.Module):
    """One logit per node slot (``order`` mode)."""

    def __init__(self, config: EncoderConfig, hidden: tuple[int, ...]) -> None:
        super().__init__()
        d = config.embed_dim
        self.score = make_mlp(config.node_dim + 4 * d, hidden, 1)

    def forward(self, emb: Embeddings) -> torch.Tensor:
        """``(B, N)`` unmasked logits."""
        n = emb.node.shape[1]
        glob = emb.glob.unsqueeze(1).expand(-1, n, -1)
        pe = emb.pe.mean(1, keepdim=True).expand(-1, n, -1)
        h = torch.cat([emb.node_input, emb.node, emb.node_job_summary, glob, pe], -1)
        return self.score(h).squeeze(-1)


class AssignDecoder(nn.Module):
    """One logit per (node, PE) pair plus one for waiting (``assign`` mode)."""

    def __init__(self, config: EncoderConfig, hidden: tuple[int, ...],
                 finish_prior: float = 0.0) -> None:
        super().__init__()
        d = config.embed_dim
        self.finish = config.finish_features
        self.score = make_mlp(4 * d + (3 if self.finish else 2), hidden, 1)
        self.wait = make_mlp(d, hidden, 1)
        self.log_prior: nn.Parameter | None = None
        if finish_prior > 0:  # start as the prior alone: zero scores, waiting unlikely
            self.log_prior = nn.Parameter(torch.tensor(math.log(finish_prior)))
            for mlp, bias in ((self.score, 0.0), (self.wait, -WAIT_PRIOR)):
                nn.init.zeros_(mlp[-1].weight)
                nn.init.constant_(mlp[-1].bias, bias)

    def forward(self, emb: Embeddings, obs: Mapping[str, torch.Tensor],
                raw: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
        """``(B, N * P + 1)`` unmasked logits, node-major, wait last.

        Args:
            emb: The encoder's embeddings.
            obs: The observation as the network sees it (possibly squashed).
            raw: The untransformed observation, for the finish prior (default ``obs``).
        """
        b, n, _ = emb.node.shape
        p = emb.pe.shape[1]
        node = torch.cat([emb.node, emb.node_job_summary, emb.glob.unsqueeze(1).expand(-1, n, -1)],
                         -1).unsqueeze(2).expand(-1, -1, p, -1)
        pe = emb.pe.unsqueeze(1).expand(-1, n, -1, -1)
        times = obs["node_pe_time"].float().unsqueeze(-1)
        parts = [node, pe, times.clamp(min=0.0), (times >= 0).float()]
        if self.finish:  # expected finish of the task on the PE if placed now
            parts.append(obs[FINISH_KEY].float().unsqueeze(-1))
        pair = torch.cat(parts, -1)
        logits = self.score(pair).reshape(b, n * p)
        if self.log_prior is not None:
            allowed = obs["action_mask"][:, :n * p] > 0
            finish = (raw if raw is not None else obs)[FINISH_KEY].float()
            logits = logits - self.log_prior.exp() * relative_finish(
                finish.reshape(b, n * p), allowed)
        return torch.cat([logits, self.wait(emb.glob)], -1)


def relative_finish(finish: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """``finish - min(finish over allowed pairs)`` on allowed pairs, 0 elsewhere (``(B, A)``)."""
    inf = torch.full_like(finish, float("inf"))
    least = torch.where(allowed, finish, inf).min(-1, keepdim=True).values
    least = torch.where(torch.isfinite(least), least, torch.zeros_like(least))
    return torch.where(allowed, finish - least, torch.zeros_like(finish))


class SchedulingPolicy(nn.Module):
    """Graph encoder + action decoder + value head.

    Args:
        config: The policy's configuration.
    """

    def __init__(self, config: PolicyConfig) -> None:
        super().__init__()
        if config.action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode must be one of {ACTION_MODES}, "
                             f"got {config.action_mode!r}")
        self.config = config
        self.encoder = GraphEncoder(config.encoder)
        if config.action_mode == "order":
            self.decoder: nn.Module = OrderDecoder(config.encoder, config.head_hidden)
        else:
            self.decoder = AssignDecoder(config.encoder, config.head_hidden, config.finish_prior)
        self.value_head = make_mlp(config.encoder.embed_dim, config.head_hidden, 1)

    def forward(self, obs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked logits ``(B, A)`` (``-inf`` where the action mask is 0) and values ``(B,)``."""
        logits, emb = self.scores(obs)
        return mask_logits(logits, obs["action_mask"]), self.value_head(emb.glob).squeeze(-1)

    def scores(self, obs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, Embeddings]:
        """Unmasked logits ``(B, A)`` and the encoder's embeddings."""
        seen = squash_inputs(obs) if self.config.encoder.log_inputs else obs
        emb = self.encoder(seen)
        if self.config.action_mode == "order":
            return self.decoder(emb), emb
        return self.decoder(emb, seen, obs), emb

    @torch.no_grad()
    def act(self, obs: Mapping[str, torch.Tensor], strategy: str = "greedy",
            generator: torch.Generator | None = None) -> torch.Tensor:
        """Actions ``(B,)`` by the decoding strategy ``"greedy"`` or ``"sample"``."""
        logits, _ = self(obs)
        return decode(logits, strategy, generator)


def mask_logits(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``logits`` with ``-inf`` wherever ``mask`` is 0."""
    return logits.masked_fill(mask == 0, float("-inf"))


def decode(logits: torch.Tensor, strategy: str = "greedy",
           generator: torch.Generator | None = None) -> torch.Tensor:
    """Pick actions from masked logits.

    Args:
        logits: ``(B, A)`` masked logits.
        strategy: ``"greedy"`` (arg max) or ``"sample"`` (from the softmax).
        generator: Random stream for sampling.
    """
    if strategy == "greedy":
        return logits.argmax(-1)
    if strategy == "sample":
        probs = torch.softmax(logits, -1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
    raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")


def log_prob_entropy(logits: torch.Tensor, actions: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probabilities of ``actions`` and entropies under masked ``logits`` (``-inf`` safe)."""
    logp = torch.log_softmax(logits, -1)
    finite = torch.isfinite(logp)
    probs = logp.exp()
    entropy = -(probs * torch.where(finite, logp, torch.zeros_like(logp))).sum(-1)
    return logp.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1), entropy


def build_policy(env_or_space: Any, action_mode: str | None = None, finish_prior: float = 0.0,
                 **sizes: Any) -> SchedulingPolicy:
    """A fresh policy sized for an environment (or its observation space).

    Args:
        env_or_space: A socsim environment or its observation space.
        action_mode: Overrides the environment's action mode.
        finish_prior: Initial scale of the earliest-finish prior (``assign``
            mode with finish features; 0: none).
        **sizes: ``embed_dim``, ``hidden``, ``depth`` of the encoder.
    """
    space = getattr(env_or_space, "observation_space", env_or_space)
    mode = action_mode or getattr(getattr(env_or_space, "unwrapped", None), "action_mode", "order")
    return SchedulingPolicy(PolicyConfig(EncoderConfig.from_space(space, **sizes), mode,
                                         finish_prior=finish_prior))
