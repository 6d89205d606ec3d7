"""Run folders, checkpoints and resuming, loaded without ever running code from a file.

A run folder holds:

- ``config.json``: the environment id and keywords, the policy configuration
  and the training hyper-parameters;
- ``args.json``: the command-line arguments that started the run;
- ``checkpoints/latest.pt`` (and numbered copies): the policy's and
  optimiser's state, the iteration and every random stream, so that an
  interrupted run resumes to the same state;
- ``policy.pt``: the final policy weights alone (small, for shipping);
- ``eval/``: evaluation results; ``tb/``: TensorBoard logs.

Checkpoints hold tensors and plain data only (dicts, lists, tuples, strings,
numbers, ``None``), and every load is ``torch.load(..., weights_only=True)``:
a crafted ``.pt`` cannot run code when it is read. Anything else (a file
that is not a checkpoint, missing keys, wrong types, weights that do not fit
the saved policy configuration) is a :class:`CheckpointError` naming the
file, the field and the fix.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from socsim.errors import ConfigError

from .policy import ACTION_MODES, PolicyConfig, SchedulingPolicy

CONFIG = "config.json"
LATEST = "checkpoints/latest.pt"
POLICY = "policy.pt"

#: The fixed-size DeepSoCS-v0 agent shipped before the set policy (``learned:deepsocs-env``).
SHIPPED = Path(__file__).parent / "checkpoints" / "deepsocs_env.pt"
#: Every checkpoint shipped with the package (the set policy's is ``learned:default``).
SHIPPED_FILES = (SHIPPED, Path(__file__).parent / "checkpoints" / "default.pt")

#: Oldest torch whose ``weights_only`` loader has no known code-execution bypass
#: (CVE-2025-32434 was fixed in 2.6, a memory corruption of the same loader in 2.10).
SAFE_TORCH = (2, 10)

#: Upper bounds on a saved policy configuration: a crafted file must not make
#: building the network exhaust memory before its weights are even compared.
MAX_SIZE = 100_000
MAX_DEPTH = 64
MAX_LAYERS = 16

FIX_CHECKPOINT = ("give a run folder made by 'socsim train --out DIR' or by 'python -m "
                  "socsim.agents.learned.recipe', its policy.pt or a checkpoints/*.pt file "
                  "(socsim reads tensors and plain data only)")
FIX_RESUME = ("move it away to start this run over (or copy a checkpoints/step_*.pt over it, "
              "if there is one, to resume from there), or train into a new --out folder")


class CheckpointError(ConfigError):
    """A file that is not a usable socsim checkpoint; the message names it, the field, the fix.

    Args:
        path: The file (or run folder).
        problem: What is wrong with it.
        fix: What to do instead.
        field: The offending entry (``<file>`` for the file as a whole).
    """

    def __init__(self, path: str | Path, problem: str, fix: str = FIX_CHECKPOINT,
                 field: str = "<file>") -> None:
        super().__init__(str(path), field, problem, fix)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by the constructor's arguments (errors cross process pools)."""
        return type(self), (self.source, self.problem, self.fix, self.field)


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """Nothing loadable at the path given (also a :class:`FileNotFoundError`)."""


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def to_plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into numbers and tensors.

    ``torch.load(weights_only=True)`` reads tensors, dicts, lists, tuples,
    strings, numbers and ``None``; a numpy float (a running average that
    went through numpy arithmetic) would make the whole checkpoint unreadable.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_plain(v) for v in value)
    return value


def rng_state(np_rng: np.random.Generator) -> dict[str, Any]:
    """Every random stream a trainer uses (torch, numpy generator, python)."""
    return to_plain({"torch": torch.get_rng_state(), "numpy": np_rng.bit_generator.state,
                     "python": random.getstate()})


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
    state = to_plain({"policy": policy.state_dict(), "optimizer": optimizer.state_dict(),
                      "step": int(step), "policy_config": policy.config.to_dict(), **extra})
    path = run_dir / LATEST
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)  # atomic: an interruption never leaves a half-written checkpoint
    if keep:
        torch.save(state, run_dir / "checkpoints" / f"step_{step:06d}.pt")
    save_policy(policy, run_dir / POLICY)
    return path


def save_policy(policy: SchedulingPolicy, path: Path) -> None:
    """Save the policy's weights and configuration alone (what :func:`load_policy` reads)."""
    torch.save(to_plain({"policy": policy.state_dict(), "policy_config": policy.config.to_dict()}),
               path)


def _torch_version() -> tuple[int, ...]:
    parts = []
    for part in torch.__version__.split("+")[0].split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def read_checkpoint(path: str | Path, fix: str = FIX_CHECKPOINT) -> dict[str, Any]:
    """The raw contents of a checkpoint file, read with ``torch.load(weights_only=True)``.

    Args:
        path: The ``.pt`` file.
        fix: The fix given when it cannot be read.

    Raises:
        CheckpointNotFoundError: No file there.
        CheckpointError: Not a regular file, not a checkpoint (anything but
            tensors and plain data is refused, never run), or not a mapping.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointNotFoundError(path, "does not exist", fix)
    if not path.is_file():  # a FIFO or a device would block or never end
        raise CheckpointError(path, "is not a regular file", fix)
    if _torch_version() < SAFE_TORCH and path.resolve() not in {p.resolve() for p in SHIPPED_FILES}:
        raise CheckpointError(
            path, f"cannot be read safely with torch {torch.__version__} (its weights-only "
            f"loader has known code-execution bypasses)",
            f"pip install -U 'torch>={SAFE_TORCH[0]}.{SAFE_TORCH[1]}'")
    try:
        with warnings.catch_warnings():  # e.g. "pickle protocol 4": the error says it all
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # whatever the bytes are, the answer is one line
        raise CheckpointError(path, f"is not a socsim checkpoint ({_reason(exc)})",
                              fix) from None
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise CheckpointError(path, f"is not a socsim checkpoint (it holds a "
                              f"{type(state).__name__}, not a mapping of names)", fix)
    return state


def _reason(exc: BaseException) -> str:
    """One line of why ``torch.load`` refused a file."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    at = next((k for k, line in enumerate(lines) if "Unpickler error:" in line), None)
    if at is not None:  # the weights-only loader met something that is not plain data
        detail = lines[at].split("error:", 1)[1].strip() or " ".join(lines[at + 1:at + 2])
        detail = detail.split(" was not an allowed global", 1)[0][:200]
        what = "it holds Python objects" if "Unsupported global" in detail else "not plain data"
        return (f"{what}, refused by the weights-only loader: {detail}; only tensors and "
                "plain data are read, code never runs")
    first = lines[0][:200] if lines else "the file is empty or cut short"
    return f"{type(exc).__name__}: {first}"


def _weights(value: Any, path: Path, field: str, fix: str) -> dict[str, torch.Tensor]:
    if not isinstance(value, dict) or not value or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) and v.layout == torch.strided
            and v.is_floating_point() for k, v in value.items()):
        raise CheckpointError(path, "is not a mapping of parameter names to float tensors",
                              fix, field)
    return value


def _check_config(config: PolicyConfig, path: Path, fix: str) -> None:
    """Refuse sizes no real policy has (before anything is built from them)."""
    def bad(name: str, problem: str) -> CheckpointError:
        return CheckpointError(path, problem, fix, f"policy_config.{name}")

    def size(name: str, value: Any, low: int, high: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise bad(name, f"is {value!r}, not a whole number from {low} to {high:,}")

    encoder = config.encoder
    for f in dataclasses.fields(encoder):
        value = getattr(encoder, f.name)
        if f.name in ("finish_features", "log_inputs"):
            if not isinstance(value, bool):
                raise bad(f"encoder.{f.name}", f"is {value!r}, not true or false")
        elif f.name == "hidden":
            if not 1 <= len(value) <= MAX_LAYERS:
                raise bad("encoder.hidden", f"has {len(value)} layers, not 1 to {MAX_LAYERS}")
            for k, width in enumerate(value):
                size(f"encoder.hidden[{k}]", width, 1, MAX_SIZE)
        elif f.name == "depth":
            size("encoder.depth", value, 0, MAX_DEPTH)
        else:
            size(f"encoder.{f.name}", value, 0 if f.name == "edge_dim" else 1, MAX_SIZE)
    if config.action_mode not in ACTION_MODES:
        raise bad("action_mode", f"is {config.action_mode!r}, not one of {ACTION_MODES}")
    if len(config.head_hidden) > MAX_LAYERS:
        raise bad("head_hidden", f"has {len(config.head_hidden)} layers, more than {MAX_LAYERS}")
    for k, width in enumerate(config.head_hidden):
        size(f"head_hidden[{k}]", width, 1, MAX_SIZE)
    if not math.isfinite(config.finish_prior):
        raise bad("finish_prior", f"is {config.finish_prior!r}, not a finite number")


def policy_from_state(state: Mapping[str, Any], path: str | Path,
                      fix: str = FIX_CHECKPOINT) -> SchedulingPolicy:
    """The policy a checkpoint's ``policy_config`` and ``policy`` weights describe.

    The network is first built on torch's ``meta`` device (no memory) and
    its parameter shapes compared with the file's, so the real one is never
    larger than the weights the file holds.

    Raises:
        CheckpointError: A missing or malformed entry, or weights that do not fit.
    """
    path = Path(path)
    weights = _weights(state.get("policy"), path, "policy", fix)
    raw = state.get("policy_config")
    if not isinstance(raw, dict):
        raise CheckpointError(path, "is missing or not a mapping", fix, "policy_config")
    try:
        config = PolicyConfig.from_dict(raw)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(path, f"cannot describe a policy ({type(exc).__name__}: {exc})",
                              fix, "policy_config") from None
    _check_config(config, path, fix)
    try:
        with torch.device("meta"):
            shapes = {k: v.shape for k, v in SchedulingPolicy(config).state_dict().items()}
    except (TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(path, f"cannot describe a policy ({type(exc).__name__}: {exc})",
                              fix, "policy_config") from None
    missing = sorted(set(shapes) - set(weights))
    extra = sorted(set(weights) - set(shapes))
    wrong = sorted(k for k in set(shapes) & set(weights) if weights[k].shape != shapes[k])
    if missing or extra or wrong:
        what = (f"lacks {missing[0]!r}" if missing else f"has an unknown {extra[0]!r}" if extra
                else f"gives {wrong[0]!r} the shape {tuple(weights[wrong[0]].shape)}, not "
                f"{tuple(shapes[wrong[0]])}")
        raise CheckpointError(path, f"does not fit its policy_config: it {what}", fix, "policy")
    policy = SchedulingPolicy(config)
    policy.load_state_dict(weights)
    policy.eval()
    return policy


def _check_training_state(state: dict[str, Any], path: Path, keys: Sequence[str]) -> None:
    def bad(field: str, problem: str) -> CheckpointError:
        return CheckpointError(path, problem, FIX_RESUME, field)

    for key in ("policy", "optimizer", "step", "policy_config", "rng", *keys):
        if key not in state:
            raise bad(key, "is missing (not a training checkpoint)")
    step = state["step"]
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= 10**9:
        raise bad("step", f"is {step!r}, not a whole number >= 0")
    rng = state["rng"]
    if not isinstance(rng, dict) or not all(k in rng for k in ("torch", "numpy", "python")):
        raise bad("rng", "is not a mapping with 'torch', 'numpy' and 'python' states")
    if not (isinstance(rng["torch"], torch.Tensor) and rng["torch"].dtype == torch.uint8
            and rng["torch"].layout == torch.strided and rng["torch"].dim() == 1):
        raise bad("rng.torch", "is not a torch random state (a byte tensor)")
    if not isinstance(rng["numpy"], dict) or not isinstance(rng["python"], tuple):
        raise bad("rng", "holds a numpy or python random state of the wrong type")
    if "r_bar" in state:
        r_bar = state["r_bar"]
        if (isinstance(r_bar, bool) or not isinstance(r_bar, (int, float))
                or not math.isfinite(r_bar)):
            raise bad("r_bar", f"is {r_bar!r}, not a finite number")


def load_checkpoint(run_dir: str | Path, keys: Sequence[str] = ()) -> dict[str, Any] | None:
    """The latest training state of a run folder, or ``None`` if it has none.

    Args:
        run_dir: The run folder.
        keys: Entries the trainer needs beyond the common ones (e.g. ``r_bar``).

    Raises:
        CheckpointError: ``checkpoints/latest.pt`` exists but is not a
            training checkpoint; the message says how to resume anyway.
    """
    path = Path(run_dir) / LATEST
    if not path.exists() and not path.is_symlink():
        return None
    state = read_checkpoint(path, FIX_RESUME)
    _check_training_state(state, path, keys)
    return state


def _same_kind(saved: Any, fresh: Any) -> bool:
    """Whether an optimiser setting read from a file has the type of the live one."""
    def number(x: Any) -> bool:
        return (isinstance(x, (int, float)) and not isinstance(x, bool)) and math.isfinite(x)

    if fresh is None or isinstance(fresh, bool):
        return saved is None or isinstance(saved, bool)
    if number(fresh):
        return number(saved)
    if isinstance(fresh, tuple):
        return (isinstance(saved, (tuple, list)) and len(saved) == len(fresh)
                and all(number(x) for x in saved))
    if isinstance(fresh, torch.Tensor):
        return isinstance(saved, torch.Tensor) and saved.numel() == 1
    return isinstance(saved, type(fresh))


def _check_optimizer(saved: Any, optimizer: torch.optim.Optimizer, path: Path,
                     field: str) -> None:
    """Refuse optimiser state that would fail (or misbehave) at the next step."""
    def bad(problem: str) -> CheckpointError:
        return CheckpointError(path, problem, FIX_RESUME, field)

    fresh = optimizer.state_dict()
    if not isinstance(saved, dict) or not isinstance(saved.get("param_groups"), list) \
            or not isinstance(saved.get("state"), dict):
        raise bad("is not an optimiser state (a mapping with 'state' and 'param_groups')")
    groups = saved["param_groups"]
    if len(groups) != len(fresh["param_groups"]):
        raise bad(f"has {len(groups)} parameter groups, not {len(fresh['param_groups'])}")
    for group, live in zip(groups, fresh["param_groups"], strict=True):
        if not isinstance(group, dict) or group.get("params") != live["params"]:
            raise bad("has parameter groups that do not match the policy's parameters")
        for key, value in group.items():
            if key == "params":
                continue
            if key in live and not _same_kind(value, live[key]):
                raise bad(f"sets '{key}' to {value!r}")
            if key not in live and not (value is None or isinstance(value, (bool, int, float,
                                                                             str))):
                raise bad(f"sets an unknown '{key}' to a {type(value).__name__}")
    params = [p for g in optimizer.param_groups for p in g["params"]]
    for index, entry in saved["state"].items():
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(params):
            raise bad(f"has state for a parameter {index!r} the policy does not have")
        if not isinstance(entry, dict):
            raise bad(f"has state for parameter {index} that is not a mapping")
        for name, value in entry.items():
            if isinstance(value, torch.Tensor):
                if value.layout != torch.strided or not (
                        value.numel() == 1 or value.shape == params[index].shape):
                    raise bad(f"has '{name}' of parameter {index} with the shape "
                              f"{tuple(value.shape)}, not {tuple(params[index].shape)}")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad(f"has '{name}' of parameter {index} of type {type(value).__name__}")


def load_weights(module: torch.nn.Module, weights: Any, path: Path, fix: str = FIX_RESUME,
                 field: str = "policy") -> None:
    """``module.load_state_dict(weights)``, or a :class:`CheckpointError` naming ``field``."""
    weights = _weights(weights, path, field, fix)
    try:
        module.load_state_dict(weights)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(path, f"does not fit this run's network ({first[:200]})", fix,
                              field) from None


def load_optimizer(optimizer: torch.optim.Optimizer, saved: Any, path: Path,
                   field: str = "optimizer") -> None:
    """``optimizer.load_state_dict(saved)`` after checking every entry's type and shape.

    Raises:
        CheckpointError: State that does not fit ``optimizer`` (it would fail,
            or silently misbehave, at the next step).
    """
    _check_optimizer(saved, optimizer, path, field)
    try:
        optimizer.load_state_dict(saved)
    except (ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise CheckpointError(path, f"does not fit this run's optimiser ({exc})", FIX_RESUME,
                              field) from None


def restore(state: dict[str, Any], run_dir: str | Path, policy: SchedulingPolicy,
            optimizer: torch.optim.Optimizer, np_rng: np.random.Generator) -> None:
    """Load a training state (from :func:`load_checkpoint`) into a trainer's objects.

    Raises:
        CheckpointError: The state does not fit this run's policy, optimiser
            or random streams.
    """
    path = Path(run_dir) / LATEST
    load_weights(policy, state["policy"], path)
    load_optimizer(optimizer, state["optimizer"], path)
    try:
        set_rng_state(state["rng"], np_rng)
    except (ValueError, KeyError, TypeError, RuntimeError, OverflowError) as exc:
        raise CheckpointError(path, f"holds a random state that cannot be restored ({exc})",
                              FIX_RESUME, "rng") from None


def load_policy(path: str | Path) -> SchedulingPolicy:
    """A trained policy from a run folder, a ``policy.pt`` or a training checkpoint.

    Raises:
        CheckpointNotFoundError: Nothing loadable at ``path`` (a
            :class:`FileNotFoundError` too).
        CheckpointError: The file is not a checkpoint, or its policy is malformed.
    """
    path = Path(path)
    if path.is_dir():
        candidates = [path / POLICY, path / LATEST]
        found = next((p for p in candidates if p.exists()), None)
        if found is None:
            raise CheckpointNotFoundError(
                path, f"holds no {POLICY} or {LATEST}",
                "give a run folder made by 'socsim train --out DIR' (train one first)")
        path = found
    return policy_from_state(read_checkpoint(path), path)


def read_config(run_dir: str | Path) -> dict[str, Any]:
    """The ``config.json`` of a run folder (``{}`` if absent).

    Raises:
        ConfigError: It exists but is not a JSON mapping with a string
            ``env_id`` and a mapping ``env_kwargs``.
    """
    path = Path(run_dir) / CONFIG
    if Path(run_dir).is_file():
        path = Path(run_dir).parent / CONFIG
    if not path.exists():
        return {}
    fix = "restore the config.json written by 'socsim train', or train into a new --out folder"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(str(path), "<file>", f"cannot be read as JSON ({exc})", fix) from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), "<file>", "is not a JSON object", fix)
    if not isinstance(data.get("env_id", ""), str):
        raise ConfigError(str(path), "env_id", f"is {data['env_id']!r}, not a string", fix)
    if not isinstance(data.get("env_kwargs", {}), dict):
        raise ConfigError(str(path), "env_kwargs", f"is {data['env_kwargs']!r}, not a mapping",
                          fix)
    return data
