"""What the trainers share: run-folder setup, logging and the progress bar."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .checkpoint import CONFIG, write_json


class Logger:
    """Scalars to TensorBoard (when ``tensorboard`` is installed) and to ``log.jsonl``.

    Args:
        run_dir: The run folder; TensorBoard files go to ``run_dir/tb``.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / "log.jsonl"
        self.writer: Any = None
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # tensorboard is optional: log.jsonl still has everything
            self.note = "tensorboard not installed: logging to log.jsonl only"
        else:
            self.writer = SummaryWriter(str(run_dir / "tb"))
            self.note = f"TensorBoard logs in {run_dir / 'tb'}"

    def log(self, step: int, scalars: dict[str, float]) -> None:
        """Record ``scalars`` at ``step``."""
        import json

        with self.path.open("a") as f:
            f.write(json.dumps({"step": step, **scalars}) + "\n")
        if self.writer is not None:
            for key, value in scalars.items():
                self.writer.add_scalar(key, value, step)

    def close(self) -> None:
        """Flush and close."""
        if self.writer is not None:
            self.writer.close()


def progress_bar(disable: bool = False) -> Progress:
    """A rich progress bar showing the latest return and latency against HEFT_RT."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("{task.fields[status]}"), disable=disable)


#: Settings a resumed run may change (it trains for longer; ``steps``: PPO).
EXTENDABLE = ("iterations", "epochs", "steps")


def prepare_run(run_dir: Path, config: dict[str, Any], args: dict[str, Any] | None) -> None:
    """Create the run folder and write ``config.json`` (and ``args.json`` and ``hyperparams.yaml``).

    Raises:
        ValueError: The folder holds a run with a different configuration
            (resuming needs the same one).
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / CONFIG
    if path.exists():
        import json

        old = json.loads(path.read_text())
        new = json.loads(json.dumps(config, sort_keys=True, default=str))
        for key in EXTENDABLE:  # a run may be resumed for longer
            old.pop(key, None)
            new.pop(key, None)
        if old != new:
            raise ValueError(f"{run_dir} holds a run with another configuration ("
                             f"{config_diff(old, new)}); use a new --out folder, or the same "
                             "arguments to resume it")
    write_json(path, config)
    if args is not None:
        from .hyperparams import write_hyperparams

        write_json(run_dir / "args.json", args)
        write_hyperparams(run_dir, args)


def config_diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The keys where two configurations differ, each with its old and new value.

    Args:
        old: The configuration in the run folder.
        new: The configuration asked for now.

    Returns:
        ``'lr: 0.002 -> 0.01, teacher: "etf" -> "heft-rt"'`` (a missing key
        shows as ``(unset)``), keys in sorted order.
    """
    import json

    def show(config: dict[str, Any], key: str) -> str:
        return json.dumps(config[key], sort_keys=True) if key in config else "(unset)"

    keys = sorted(k for k in {*old, *new} if old.get(k, ...) != new.get(k, ...))
    return ", ".join(f"{k}: {show(old, k)} -> {show(new, k)}" for k in keys)


#: The best policy of the periodic evaluations, and when it was found.
BEST_POLICY, BEST_INFO = "best_policy.pt", "best.json"


def read_best(run_dir: Path) -> dict[str, Any]:
    """``best.json`` of ``run_dir`` (``{}`` when missing or unreadable)."""
    import json

    try:
        data = json.loads((run_dir / BEST_INFO).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and isinstance(data.get("censored_latency"),
                                                         int | float) else {}


def write_best(run_dir: Path, data: dict[str, Any]) -> None:
    """Write ``best.json`` atomically."""
    import json

    tmp = run_dir / (BEST_INFO + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(run_dir / BEST_INFO)


class nullcontext(AbstractContextManager):  # noqa: N801  (mirrors contextlib's name)
    """A context manager that does nothing (for a disabled progress bar)."""

    def __exit__(self, *exc: object) -> None:
        return None
