"""Decima-style graph encoder over the padded observation of the socsim environments.

The environments' flat ``Dict`` observation (see :mod:`socsim.envs.spaces`)
holds every job in the system as a block of node slots with an edge list.
The encoder turns a *batch* of such observations into embeddings:

- node embeddings ``e_v``: an input MLP, then ``depth`` rounds of messages
  from children to parents, ``e_v <- e_v + g(sum_{w in children(v)} f(e_w, x_vw))``
  (Decima's graph network; leaves' information reaches their ancestors);
- job summaries ``y_j = sum_{v in j} phi_1([x_v, e_v])``;
- a global summary ``z = sum_j phi_2(y_j) + psi(global features)``;
- PE embeddings from the PE features and PE type.

Padded nodes, edges, jobs and PEs are masked out everywhere, so they change
nothing, and every operation is a sum over an edge list or a job index, so
the encoder is equivariant under any permutation of node slots (with the
edge list relabelled to match).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from .features import FINISH_KEY

#: Observation keys the encoder reads.
OBS_KEYS = ("node_features", "node_pe_time", "node_pe", "node_job", "node_mask", "edge_index",
            "edge_features", "edge_mask", "pe_features", "pe_type", "pe_mask",
            "global_features", "action_mask")


def make_mlp(in_dim: int, hidden: Sequence[int], out_dim: int,
             activation: type[nn.Module] = nn.LeakyReLU, final_activation: bool = False
             ) -> nn.Sequential:
    """A multilayer perceptron ``in_dim -> hidden... -> out_dim``.

    Args:
        in_dim: Input width.
        hidden: Widths of the hidden layers.
        out_dim: Output width.
        activation: Activation between layers.
        final_activation: Whether to apply the activation after the last layer too.
    """
    layers: list[nn.Module] = []
    width = in_dim
    for h in hidden:
        layers += [nn.Linear(width, h), activation()]
        width = h
    layers.append(nn.Linear(width, out_dim))
    if final_activation:
        layers.append(activation())
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class EncoderConfig:
    """Sizes of the encoder (saved with checkpoints).

    Attributes:
        node_dim: Node input features (node features + per-PE times + placed-PE one-hot).
        edge_dim: Edge input features.
        pe_dim: PE input features (PE features + type one-hot).
        global_dim: Global input features.
        max_jobs: Job slots of the observation.
        num_pes: PE rows.
        num_types: PE types.
        embed_dim: Width of every embedding.
        hidden: Hidden widths of the small MLPs.
        depth: Message-passing rounds (children to parents).
        finish_features: Whether node inputs include ``node_pe_finish`` (see
            :mod:`socsim.agents.learned.features`).
        log_inputs: Compress real-valued inputs with ``sign(x) log(1 + |x|)``
            (:func:`squash_inputs`) before any layer: on platforms where a
            task takes 1000x the typical job time on a slow PE, raw times
            blow the network up. New policies use it; checkpoints without
            the key load without it.
    """

    node_dim: int
    edge_dim: int
    pe_dim: int
    global_dim: int
    max_jobs: int
    num_pes: int
    num_types: int
    embed_dim: int = 32
    hidden: tuple[int, ...] = (32,)
    depth: int = 3
    finish_features: bool = False
    log_inputs: bool = False

    def to_dict(self) -> dict:
        """JSON-friendly form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> EncoderConfig:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        data["hidden"] = tuple(data.get("hidden", (32,)))
        return cls(**data)

    @classmethod
    def from_space(cls, space: Mapping, **sizes: int | tuple[int, ...]) -> EncoderConfig:
        """Sizes from an environment's observation space (a ``gymnasium.spaces.Dict``).

        Args:
            space: The observation space.
            **sizes: ``embed_dim``, ``hidden``, ``depth``, ``log_inputs`` overrides
                (``log_inputs`` defaults to ``True`` here).
        """
        sizes = {"log_inputs": True, **sizes}
        num_pes = space["pe_features"].shape[0]
        num_types = int(space["pe_type"].high.max()) + 1
        finish = FINISH_KEY in space.spaces if hasattr(space, "spaces") else FINISH_KEY in space
        return cls(node_dim=space["node_features"].shape[1] + (4 if finish else 3) * num_pes + 1,
                   finish_features=finish,
                   edge_dim=space["edge_features"].shape[1],
                   pe_dim=space["pe_features"].shape[1] + num_types,
                   global_dim=space["global_features"].shape[0],
                   max_jobs=int(space["node_job"].high.max()) + 1,
                   num_pes=num_pes, num_types=num_types, **sizes)  # type: ignore[arg-type]


#: Real-valued observation entries that :func:`squash_inputs` compresses.
REAL_KEYS = ("node_features", "node_pe_time", "edge_features", "pe_features", "global_features",
             FINISH_KEY)


def squash_inputs(obs: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``obs`` with real-valued entries mapped through ``sign(x) log(1 + |x|)``.

    Monotone and sign-preserving, so ``-1`` "cannot run" sentinels stay
    negative and zero padding stays zero.
    """
    out = dict(obs)
    for key in REAL_KEYS:
        if key in out:
            x = out[key].float()
            out[key] = torch.sign(x) * torch.log1p(x.abs())
    return out


def obs_to_tensors(obs: Mapping[str, np.ndarray] | Sequence[Mapping[str, np.ndarray]]
                   ) -> dict[str, torch.Tensor]:
    """Stack one observation or a list of them into a batch of tensors (batch first).

    Args:
        obs: An observation of the environment, or a sequence of them.
    """
    if isinstance(obs, Mapping):
        obs = [obs]
    return {k: torch.as_tensor(np.stack([o[k] for o in obs])) for k in obs_keys(obs[0])}


def obs_keys(obs: Mapping[str, np.ndarray]) -> list[str]:
    """The keys of ``obs`` the encoder reads."""
    return [k for k in (*OBS_KEYS, FINISH_KEY) if k in obs]


@dataclass
class Embeddings:
    """What :class:`GraphEncoder` returns.

    Attributes:
        node: ``(B, N, D)`` node embeddings (zero on padded slots).
        node_job_summary: ``(B, N, D)`` each node's job summary.
        job: ``(B, J, D)`` job summaries.
        glob: ``(B, D)`` global summary.
        pe: ``(B, P, D)`` PE embeddings (zero on padded PEs).
        node_input: ``(B, N, node_dim)`` node input features.
    """

    node: torch.Tensor
    node_job_summary: torch.Tensor
    job: torch.Tensor
    glob: torch.Tensor
    pe: torch.Tensor
    node_input: torch.Tensor


class NodeInput(nn.Module):
    """Node input features: node features, per-PE times (and eligibility), placed-PE one-hot."""

    def __init__(self, num_pes: int, finish_features: bool = False) -> None:
        super().__init__()
        self.num_pes = num_pes
        self.finish_features = finish_features

    def forward(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``(B, N, node_dim)`` float features; zero on padded slots."""
        times = obs["node_pe_time"].float()
        eligible = (times >= 0).float()
        placed = nn.functional.one_hot(obs["node_pe"].long() + 1, self.num_pes + 1).float()
        parts = [obs["node_features"].float(), times.clamp(min=0.0), eligible, placed]
        if self.finish_features:
            parts.append(obs[FINISH_KEY].float())
        x = torch.cat(parts, -1)
        return x * obs["node_mask"].unsqueeze(-1).float()


class MessagePassing(nn.Module):
    """``depth`` rounds of children-to-parents messages, then one round parents-to-children.

    Args:
        dim: Embedding width.
        edge_dim: Edge feature width.
        hidden: Hidden widths of ``f`` and ``g``.
        depth: Rounds.
    """

    def __init__(self, dim: int, edge_dim: int, hidden: Sequence[int], depth: int) -> None:
        super().__init__()
        self.depth = depth
        self.f = make_mlp(dim + edge_dim, hidden, dim, final_activation=True)
        self.g = make_mlp(dim, hidden, dim)
        self.f_down = make_mlp(dim + edge_dim, hidden, dim, final_activation=True)
        self.g_down = make_mlp(dim, hidden, dim)

    def forward(self, e: torch.Tensor, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Updated ``(B, N, D)`` node embeddings."""
        parent = obs["edge_index"][:, 0].long()  # (B, E)
        child = obs["edge_index"][:, 1].long()
        edge_mask = obs["edge_mask"].unsqueeze(-1).float()
        node_mask = obs["node_mask"].unsqueeze(-1).float()
        edge_x = obs["edge_features"].float()
        index = parent.unsqueeze(-1).expand(-1, -1, e.shape[-1])
        for _ in range(self.depth):
            from_child = torch.gather(e, 1, child.unsqueeze(-1).expand(-1, -1, e.shape[-1]))
            msg = self.f(torch.cat([from_child, edge_x], -1)) * edge_mask
            agg = torch.zeros_like(e).scatter_add(1, index, msg)
            e = e + self.g(agg) * node_mask
        # one round parents -> children: where a ready task's inputs are
        from_parent = torch.gather(e, 1, parent.unsqueeze(-1).expand(-1, -1, e.shape[-1]))
        msg = self.f_down(torch.cat([from_parent, edge_x], -1)) * edge_mask
        to_child = child.unsqueeze(-1).expand(-1, -1, e.shape[-1])
        agg = torch.zeros_like(e).scatter_add(1, to_child, msg)
        return e + self.g_down(agg) * node_mask


class JobSummary(nn.Module):
    """``y_j = sum_{v in j} phi([x_v, e_v])`` over each job's live nodes."""

    def __init__(self, node_dim: int, dim: int, hidden: Sequence[int], max_jobs: int) -> None:
        super().__init__()
        self.max_jobs = max_jobs
        self.phi = make_mlp(node_dim + dim, hidden, dim)

    def forward(self, x: torch.Tensor, e: torch.Tensor, obs: Mapping[str, torch.Tensor]
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Job summaries ``(B, J, D)``, job one-hot ``(B, N, J)`` and live jobs ``(B, J)``."""
        job = obs["node_job"].long()
        live = obs["node_mask"].float() * (job >= 0).float()
        onehot = nn.functional.one_hot(job.clamp(min=0), self.max_jobs).float() * live.unsqueeze(-1)
        y = onehot.transpose(1, 2) @ self.phi(torch.cat([x, e], -1))
        return y, onehot, (onehot.sum(1) > 0).float()


class GlobalSummary(nn.Module):
    """``z = sum_j phi(y_j) + psi(global features)``."""

    def __init__(self, dim: int, global_dim: int, hidden: Sequence[int]) -> None:
        super().__init__()
        self.phi = make_mlp(dim, hidden, dim)
        self.psi = make_mlp(global_dim, hidden, dim)

    def forward(self, y: torch.Tensor, job_live: torch.Tensor, glob: torch.Tensor) -> torch.Tensor:
        """``(B, D)`` global summary."""
        return (self.phi(y) * job_live.unsqueeze(-1)).sum(1) + self.psi(glob)


class PEEncoder(nn.Module):
    """PE embeddings from PE features and a type one-hot."""

    def __init__(self, pe_dim: int, dim: int, hidden: Sequence[int], num_types: int) -> None:
        super().__init__()
        self.num_types = num_types
        self.mlp = make_mlp(pe_dim, hidden, dim)

    def forward(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``(B, P, D)`` PE embeddings, zero on padded PEs."""
        kind = nn.functional.one_hot(obs["pe_type"].long().clamp(min=0), self.num_types).float()
        x = torch.cat([obs["pe_features"].float(), kind], -1)
        return self.mlp(x) * obs["pe_mask"].unsqueeze(-1).float()


class GraphEncoder(nn.Module):
    """Node, job, global and PE embeddings of a batch of padded observations.

    Args:
        config: Sizes.
    """

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        d, hid = config.embed_dim, config.hidden
        self.node_input = NodeInput(config.num_pes, config.finish_features)
        self.node_embed = make_mlp(config.node_dim, hid, d)
        self.message = MessagePassing(d, config.edge_dim, hid, config.depth)
        self.job_summary = JobSummary(config.node_dim, d, hid, config.max_jobs)
        self.global_summary = GlobalSummary(d, config.global_dim, hid)
        self.pe_encoder = PEEncoder(config.pe_dim, d, hid, config.num_types)

    def forward(self, obs: Mapping[str, torch.Tensor]) -> Embeddings:
        """Embeddings of a batch (see :class:`Embeddings`)."""
        x = self.node_input(obs)
        node_mask = obs["node_mask"].unsqueeze(-1).float()
        e = self.node_embed(x) * node_mask
        e = self.message(e, obs)
        y, onehot, job_live = self.job_summary(x, e, obs)
        z = self.global_summary(y, job_live, obs["global_features"].float())
        return Embeddings(node=e, node_job_summary=onehot @ y, job=y, glob=z,
                          pe=self.pe_encoder(obs), node_input=x)
