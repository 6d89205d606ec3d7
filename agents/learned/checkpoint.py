"""Run folders, checkpoints and resuming.

A run folder holds:

- ``config.json``: the environment id and keywords, the policy configuration
  and the training hyper-parameters;
- ``args.json``: the command-line arguments that started the run;
- ``checkpoints/latest.pt`` (and numbered copies): the policy's and
  optimiser's state, the iteration and every random stream, so that an
  interrupted run resumes to the same state;
- ``policy.pt``: the final policy weights alone (small, for shipping);
- ``eval/``: evaluation results; ``tb/``: TensorBoard logs.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .policy import PolicyConfig, SchedulingPolicy

CONFIG = "config.json"
LATEST = "checkpoints/latest.pt"
POLICY = "policy.pt"


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def rng_state(np_rng: np.random.Generator) -> dict[str, Any]:
    """Every random stream a trainer uses (torch, numpy generator, python)."""
    return {"torch": torch.get_rng_state(), "numpy": np_rng.bit_generator.state,
            "python": random.getstate()}


def set_rng_state(state: dict[str, Any], np_rng: np.random.Generator) -> None:
    """Restore what :func:`rng_state` saved."""
    torch.set_rng_state(state["torch"])
    np_rng.bit_generator.state = state["numpy"]
    random.setstate(state["python"])


def save_checkpoint(run_dir: Path, policy: SchedulingPolicy, optimizer: torch.optim.Optimizer,
                    step: int, extra: dict[str, Any], keep: bool = False) -> Path:
    """Save the training state to ``checkpoints/latest.pt`` (and a numbered copy if ``keep``).

    Args:
        run_dir: The run folder.
        policy: The policy.
        optimizer: Its optimiser.
        step: Iterations (or epochs) done.
        extra: Trainer state: random streams, running averages...
        keep: Also keep ``checkpoints/step_{step:06d}.pt``.
    """
    state = {"policy": policy.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
             "policy_config": policy.config.to_dict(), **extra}
    path = run_dir / LATEST
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)  # atomic: an interruption never leaves a half-written checkpoint
    if keep:
        torch.save(state, run_dir / "checkpoints" / f"step_{step:06d}.pt")
    torch.save({"policy": policy.state_dict(), "policy_config": policy.config.to_dict()},
               run_dir / POLICY)
    return path


def load_checkpoint(run_dir: Path) -> dict[str, Any] | None:
    """The latest training state of a run folder, or ``None`` if it has none."""
    path = Path(run_dir) / LATEST
    if not path.exists():
        return None
    return torch.load(path, map_location="cpu", weights_only=False)


def load_policy(path: str | Path) -> SchedulingPolicy:
    """A trained policy from a run folder, a ``policy.pt`` or a training checkpoint.

    Raises:
        FileNotFoundError: Nothing loadable at ``path``.
    """
    path = Path(path)
    if path.is_dir():
        candidates = [path / POLICY, path / LATEST]
        found = next((p for p in candidates if p.exists()), None)
        if found is None:
            raise FileNotFoundError(f"no {POLICY} or {LATEST} in {path}; train one with "
                                    "'socsim train --out DIR'")
        path = found
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    state = torch.load(path, map_location="cpu", weights_only=False)
    policy = SchedulingPolicy(PolicyConfig.from_dict(state["policy_config"]))
    policy.load_state_dict(state["policy"])
    policy.eval()
    return policy


def read_config(run_dir: str | Path) -> dict[str, Any]:
    """The ``config.json`` of a run folder (``{}`` if absent)."""
    path = Path(run_dir) / CONFIG
    if Path(run_dir).is_file():
        path = Path(run_dir).parent / CONFIG
    return json.loads(path.read_text()) if path.exists() else {}
