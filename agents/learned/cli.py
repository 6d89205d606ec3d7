"""``socsim train`` and ``socsim evaluate``: learned schedulers from the command line.

Examples::

    socsim train --env socsim/DeepSoCS-v0 --algo bc --out runs/bc --episodes 16 --epochs 30
    socsim train --algo reinforce --init runs/bc --out runs/rf --iterations 60
    socsim train --algo reinforce --out runs/rf --backend ray --workers 8   # rollouts on Ray
    socsim evaluate runs/rf --env socsim/DeepSoCS-v0 --seeds 20
    socsim evaluate          # the shipped agent vs HEFT_RT and ETF: table + plot
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from .hyperparams import GIVEN, apply_hyperparams, next_run_dir, read_hyperparams, record_given

ALGOS = ("bc", "reinforce", "ppo")
#: The ``socsim train`` parser once built (``--hyperparams`` reads flag types from it).
_TRAIN_PARSER: list[argparse.ArgumentParser] = []

#: Characters kept in evaluation file names; anything else becomes ``_``.
_UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]+")
#: Longest evaluation file stem before it is cut and given a digest.
MAX_STEM = 120
ENV_KWARGS_EXAMPLE = "--env-kwargs '{\"noise\": 0.5}'"
#: Default learning rate per algorithm (the trainers' config defaults; a test checks them).
DEFAULT_LR = {"bc": 2e-3, "reinforce": 3e-4, "ppo": 3e-4}

TRAIN_DESCRIPTION = """Train a learned scheduler (a graph-network policy) in a socsim environment.
The run folder (--out) gets config.json and args.json at once, log.jsonl and checkpoints
as training goes (a run folder with a checkpoint resumes), and policy.pt, which
'learned:RUN' in 'socsim compare' and 'socsim evaluate RUN' use.

examples:
  socsim train --env socsim/DeepSoCS-v0 --algo bc --out runs/bc --episodes 16 --epochs 30
  socsim train --algo reinforce --init runs/bc --out runs/rf --iterations 60
  socsim train --algo reinforce --out runs/rf --backend ray --workers 8   # rollouts on Ray
  socsim train --algo ppo --out runs/ppo --steps 20000
  socsim evaluate runs/rf --env socsim/DeepSoCS-v0 --seeds 20
  socsim evaluate          # the shipped agent vs HEFT_RT and ETF: table + plot

Flags marked bc:, reinforce: or ppo: apply to that algorithm only.

--hyperparams FILE.yaml sets any of these flags from a YAML mapping of flag names to
values (eval_freq or eval-freq; see socsim.agents.learned.hyperparams); flags given on
the command line override the file's values. Every run folder gets hyperparams.yaml,
the run's effective values, which --hyperparams reads back."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the description's line breaks and appends each flag's default to its help.

    Flags whose default is ``None``, ``False`` or already named in the help
    text are left as they are.
    """

    def _split_lines(self, text: str, width: int) -> list[str]:
        # Never break a word (a path, a flag) in two, however narrow the terminal.
        text = self._whitespace_matcher.sub(" ", text).strip()
        return textwrap.wrap(text, max(width, 20), break_long_words=False,
                             break_on_hyphens=False)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (action.required or action.default is None or action.default is False
                or action.default == argparse.SUPPRESS or "default" in text):
            return text
        return f"{text} (default: %(default)s)"


def add_learned_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``train`` and ``evaluate`` to the ``socsim`` subcommands."""
    from socsim import __version__

    train = sub.add_parser("train", help="train a learned scheduler in an environment",
                           description=TRAIN_DESCRIPTION, formatter_class=HelpFormatter)
    train.add_argument("--version", action="version", version=f"socsim {__version__}",
                       help="print socsim's version and exit")
    train.add_argument("--hyperparams", type=Path, default=None, metavar="FILE.yaml",
                       help="hyperparameters from a YAML file (keys: these flags' names); "
                       "flags given on the command line override the file's values")
    train.add_argument("--env", default="socsim/DeepSoCS-v0", help="environment id")
    train.add_argument("--env-kwargs", default="{}", metavar="JSON",
                       help='environment keywords as a JSON object, e.g. \'{"noise": 0.5}\'')
    train.add_argument("--algo", choices=ALGOS, default="bc", help="training algorithm")
    train.add_argument("--out", type=Path, default=None,
                       help="run folder, resumed if it holds a checkpoint (default: a new "
                       "runs/<env>_<algo>_<n>, n one more than the highest there, e.g. "
                       "runs/DeepSoCS-v0_ppo_1)")
    train.add_argument("--noises", default="", help="noise levels to cycle over, e.g. 0,0.5 "
                       "(default: the environment's)")
    train.add_argument("--seed", type=int, default=0, help="seed of everything")
    train.add_argument("--teacher", default="etf", help="bc: scheduler to imitate")
    train.add_argument("--episodes", type=int, default=16, help="bc: teacher episodes")
    train.add_argument("--epochs", type=int, default=30, help="bc: passes over the examples")
    train.add_argument("--batch-size", type=int, default=256,
                       help="bc: examples per gradient step (e.g. 64 on SoCStream-v0, whose "
                       "assign mode has 6121 actions)")
    train.add_argument("--iterations", type=int, default=50, help="reinforce: policy updates")
    train.add_argument("--workers", type=int, default=2,
                       help="reinforce: rollout workers (processes, or Ray actors)")
    train.add_argument("--backend", choices=("local", "ray"), default="local",
                       help="reinforce: where the rollout workers run: local processes or "
                       "Ray actors, the learner staying here (pip install 'socsim[ray]'; "
                       "see docs/ray.md)")
    train.add_argument("--address", default=None,
                       help="reinforce with --backend ray: the Ray cluster, e.g. auto, "
                       "HOST:6379 or ray://HOST:10001 (default: RAY_ADDRESS, else a new "
                       "local Ray instance)")
    train.add_argument("--rollouts", type=int, default=4,
                       help="reinforce: episodes per iteration sharing one seed")
    train.add_argument("--init", default=None,
                       help="reinforce, ppo: run folder to start from (e.g. a BC run; "
                       "default: a fresh policy)")
    train.add_argument("--lr", type=float, default=None,
                       help="learning rate (default: " + ", ".join(
                           f"{algo} {lr:g}" for algo, lr in DEFAULT_LR.items()) + ")")
    train.add_argument("--finish-prior", type=float, default=0.0,
                       help="bc, reinforce (fresh policy, assign mode): initial scale of the "
                       "earliest-finish prior on pair scores, e.g. 200 (0: none)")
    train.add_argument("--entropy", type=float, default=None,
                       help="reinforce: initial entropy weight (default 0.01)")
    train.add_argument("--steps", type=int, default=20_000, help="ppo: environment steps")
    train.add_argument("--eval-freq", type=int, default=None, metavar="N",
                       help="ppo: every N environment steps, reinforce: every N iterations, "
                       "evaluate the greedy policy on held-out seeds against HEFT_RT and keep "
                       "the best by censored latency as best_policy.pt (with best.json); 0: "
                       "never (default: ppo 0, reinforce 10)")
    train.add_argument("--eval-episodes", type=int, default=5, metavar="N",
                       help="ppo: episodes per evaluation")
    train.add_argument("--save-freq", type=int, default=None, metavar="N",
                       help="ppo: every N environment steps, reinforce: every N iterations, "
                       "write the resumable checkpoint and policy.pt (always at the end too; "
                       "default: ppo 0, only at the end; reinforce 1, every iteration)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(handler=_train)
    record_given(train)  # --hyperparams: flags given on the command line win
    _TRAIN_PARSER.append(train)

    evaluate = sub.add_parser(
        "evaluate", help="evaluate a trained scheduler against heuristics (no RUN: the shipped "
        "agent vs HEFT_RT and ETF, a table and a plot)",
        description="With a run folder: its policy and heuristics on the same reset seeds of "
        "its environment. Without: the agent shipped with socsim (learned:default) against "
        "HEFT_RT and ETF on the DeepSoCS protocol at sigma 0 and 0.5, on --seeds held-out "
        "simulator seeds, through 'socsim compare' runs; prints the table and writes "
        "agent_vs_heft.{md,csv,png} to --out.")
    evaluate.add_argument("run", type=Path, nargs="?", default=None,
                          help="run folder or checkpoint (default: the shipped agent)")
    evaluate.add_argument("--out", type=Path, default=Path("evaluate_results"),
                          help="without RUN: output folder (default evaluate_results)")
    evaluate.add_argument("--noises", default="0,0.5",
                          help="without RUN: execution-noise levels (default 0,0.5)")
    evaluate.add_argument("--workers", type=int, default=None,
                          help="without RUN: worker processes (default: all CPUs)")
    evaluate.add_argument("--env", default=None, help="environment id (default: the run's)")
    evaluate.add_argument("--env-kwargs", default=None, metavar="JSON",
                          help="environment keywords as a JSON object (default: the run's)")
    evaluate.add_argument("--seeds", type=int, default=20, help="evaluation episodes")
    evaluate.add_argument("--first-seed", type=int, default=100_000,
                          help="first reset seed (keep clear of training seeds)")
    evaluate.add_argument("--baselines", default="heft-rt,etf",
                          help="heuristics to run on the same seeds (comma-separated)")
    evaluate.set_defaults(handler=_evaluate)


def _noises(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def parse_env_kwargs(text: str | dict[str, Any] | None, flag: str = "--env-kwargs"
                     ) -> dict[str, Any] | None:
    """The environment keywords given on the command line (``None`` stays ``None``).

    Raises:
        UsageError: Not JSON, or JSON that is not an object; the message names
            the flag and gives an example.
    """
    from socsim.errors import UsageError

    if text is None or isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{flag} {text!r} is not valid JSON ({exc.msg} at character "
                         f"{exc.pos}). Fix: give a JSON object, e.g. {ENV_KWARGS_EXAMPLE}"
                         ) from None
    if not isinstance(value, dict):
        raise UsageError(f"{flag} {text!r} is a JSON {type(value).__name__}, not an object. "
                         f"Fix: give keyword names and values, e.g. {ENV_KWARGS_EXAMPLE}")
    return value


def check_env(env_id: str, env_kwargs: dict[str, Any], flag: str = "--env-kwargs") -> None:
    """Make the environment once, so that a bad id or keyword fails before anything is written.

    Raises:
        UsageError: The environment cannot be made with these keywords.
    """
    from socsim.errors import UsageError

    from .rollout import make_env

    try:
        make_env(env_id, {"baseline": None, **env_kwargs}).close()
    except (ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"--env {env_id} {flag} {json.dumps(env_kwargs)}: {exc}. Fix: "
                         f"change --env or {flag} (see docs/environments.md)") from None


def eval_file_name(env_kwargs: dict[str, Any]) -> str:
    """The name of an evaluation's results file: plain characters only, never a path.

    ``noise-0.5.json`` for ``{"noise": 0.5}`` and ``default.json`` for ``{}``;
    keywords with other characters (a platform path, ``../``) have them
    replaced by ``_`` and a digest of the exact keywords appended, so that
    two evaluations never share a file.
    """
    raw = "_".join(f"{k}-{v}" for k, v in sorted(env_kwargs.items())) or "default"
    stem = _UNSAFE.sub("_", raw).strip("._-") or "kwargs"
    if stem != raw or len(stem) > MAX_STEM:
        digest = hashlib.sha256(json.dumps(env_kwargs, sort_keys=True, default=str)
                                .encode()).hexdigest()[:10]
        stem = f"{stem[:MAX_STEM]}_{digest}"
    return f"{stem}.json"


def write_inside(folder: Path, name: str, data: Any) -> Path:
    """Write ``data`` as JSON to ``folder/name``, refusing anything that would land elsewhere.

    The file is written to a fresh temporary file and renamed over the
    target, so a symbolic link planted at the target is replaced, never
    followed.

    Raises:
        UsageError: ``folder`` is a symbolic link, or ``name`` is not a plain file name.
    """
    from socsim.errors import UsageError

    if folder.is_symlink():
        raise UsageError(f"{folder} is a symbolic link; evaluation results go to a real "
                         f"folder. Fix: remove the link (or give another run folder)")
    target = folder / name
    if Path(name).name != name or name in (".", "..") or target.parent != folder:
        raise UsageError(f"evaluation file name {name!r} is not a plain file name")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".eval-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _train(args: argparse.Namespace, console: Any = None) -> int:
    import torch

    from socsim.errors import UsageError

    from ..compare_cmd import check_backend_args

    if args.hyperparams is not None:
        overridden = apply_hyperparams(args, read_hyperparams(args.hyperparams,
                                                              _TRAIN_PARSER[-1]))
        if overridden:
            print(f"--hyperparams {args.hyperparams}: the command line overrides "
                  f"{', '.join(overridden)}")
    if args.backend == "ray" and args.algo != "reinforce":
        raise UsageError(f"--backend ray is for --algo reinforce, not {args.algo}")
    if args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    for flag, value, low in (("--eval-freq", args.eval_freq, 0),
                             ("--save-freq", args.save_freq, 0),
                             ("--eval-episodes", args.eval_episodes, 1)):
        if value is not None and value < low:
            raise UsageError(f"{flag} must be >= {low}, got {value}")
    check_backend_args(args)
    args.env_kwargs = parse_env_kwargs(args.env_kwargs)
    check_env(args.env, args.env_kwargs)
    if args.out is None:
        args.out = next_run_dir(args.env, args.algo)
        print(f"run folder {args.out}")
    if args.algo == "bc":
        from socsim.schedulers import make_scheduler

        from .rollout import OBS_TEACHERS

        if args.teacher not in OBS_TEACHERS:
            make_scheduler(args.teacher)  # an unknown name: the registry's "did you mean"
    torch.set_num_threads(1)
    saved = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
             if k not in ("handler", GIVEN)}
    if args.algo == "bc":
        from .train_bc import BCConfig, train_bc

        config = BCConfig(env_id=args.env, env_kwargs=args.env_kwargs,
                          noises=_noises(args.noises), teacher=args.teacher,
                          episodes=args.episodes, epochs=args.epochs, seed=args.seed,
                          finish_prior=args.finish_prior, batch_size=args.batch_size,
                          **({"lr": args.lr} if args.lr else {}))
        train_bc(config, args.out, saved, show_progress=not args.quiet)
    elif args.algo == "ppo":
        from .train_ppo import PPOConfig, train_ppo

        train_ppo(PPOConfig(env_id=args.env, env_kwargs=args.env_kwargs, steps=args.steps,
                            init=args.init, seed=args.seed,
                            **({"lr": args.lr} if args.lr else {})), args.out, saved,
                  show_progress=not args.quiet, eval_freq=args.eval_freq or 0,
                  eval_episodes=args.eval_episodes, save_freq=args.save_freq or 0)
    else:
        from .train_reinforce import ReinforceConfig, train_reinforce

        config = ReinforceConfig(env_id=args.env, env_kwargs=args.env_kwargs,
                                 noises=_noises(args.noises), iterations=args.iterations,
                                 workers=args.workers, rollouts=args.rollouts, init=args.init,
                                 seed=args.seed, finish_prior=args.finish_prior,
                                 **({"lr": args.lr} if args.lr else {}),
                                 **({"eval_every": args.eval_freq}
                                    if args.eval_freq is not None else {}),
                                 **({"entropy_start": args.entropy}
                                    if args.entropy is not None else {}))
        train_reinforce(config, args.out, saved, show_progress=not args.quiet,
                        backend=args.backend, address=args.address,
                        save_freq=1 if args.save_freq is None else args.save_freq)
    print(f"trained policy in {args.out}")
    return 0


def evaluate_run(run: Path, env_id: str, env_kwargs: dict[str, Any], seeds: list[int],
                 baselines: list[str]) -> dict[str, list[dict[str, float]]]:
    """Metrics of a trained policy and of heuristics on the same reset seeds."""
    from socsim.envs import run_heuristic

    from .checkpoint import load_policy
    from .rollout import evaluate_policy, make_env

    kwargs = {"baseline": None, **env_kwargs}
    policy = load_policy(run)
    env = make_env(env_id, kwargs, policy.config.encoder.finish_features)
    out = {"learned": evaluate_policy(env, policy, seeds)}
    for name in baselines:  # heuristics in assign mode: their own runs
        henv = make_env(env_id, {**kwargs, "action_mode": "assign"})
        out[name] = [{"seed": s, **run_heuristic(henv, name, seed=s)["metrics"]} for s in seeds]
    return out


def summarize(results: dict[str, list[dict[str, float]]],
              key: str = "censored_mean_latency") -> dict[str, tuple[float, float]]:
    """Mean and standard error of ``key`` per scheduler (default: the censored mean latency)."""
    out = {}
    for name, rows in results.items():
        values = np.array([r[key] for r in rows], dtype=float)
        out[name] = (float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))
                     if len(values) > 1 else 0.0)
    return out


def _showcase(args: argparse.Namespace) -> int:
    """``socsim evaluate`` without a run: the shipped agent against HEFT_RT and ETF."""
    import time

    from .showcase import agent_vs_heuristics, format_table, write_outputs

    baselines = [b for b in args.baselines.split(",") if b]
    noises = _noises(args.noises)
    print(f"learned:default vs {', '.join(baselines)} on the DeepSoCS protocol, sigma "
          f"{', '.join(f'{n:g}' for n in noises)}, {args.seeds} held-out seeds "
          f"({args.first_seed}..{args.first_seed + args.seeds - 1}); ranked by censored mean "
          f"latency (unfinished jobs at their age at the horizon), us; completed-only mean, "
          f"jobs completed and left in the system beside it")
    start = time.perf_counter()
    rows = agent_vs_heuristics(noises=noises, seeds=args.seeds, first_seed=args.first_seed,
                               baselines=baselines, workers=args.workers)
    print(format_table(rows, baselines))
    paths = write_outputs(rows, baselines, args.out)
    print(f"{time.perf_counter() - start:.0f} s; wrote {', '.join(str(p) for p in paths)}")
    return 0


def _evaluate(args: argparse.Namespace, console: Any = None) -> int:
    from .checkpoint import CheckpointNotFoundError, read_config

    args.env_kwargs = parse_env_kwargs(args.env_kwargs)
    if args.run is None:
        return _showcase(args)
    if not args.run.exists():
        raise CheckpointNotFoundError(args.run, "does not exist", "give a run folder made by "
                                      "'socsim train --out DIR', or a checkpoint file in one")

    config = read_config(args.run)
    env_id = args.env or config.get("env_id", "socsim/DeepSoCS-v0")
    env_kwargs = args.env_kwargs if args.env_kwargs is not None else config.get("env_kwargs", {})
    check_env(env_id, env_kwargs)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    baselines = [b for b in args.baselines.split(",") if b]
    results = evaluate_run(args.run, env_id, env_kwargs, seeds, baselines)
    summary = summarize(results)
    completed_only = summarize(results, "mean_latency")
    done, left = summarize(results, "completed"), summarize(results, "in_system")
    print(f"{env_id} {json.dumps(env_kwargs)}, {len(seeds)} seeds, ranked by censored mean "
          f"latency (us, unfinished jobs at their age at the horizon) +- s.e.; completed-only "
          f"mean, jobs completed and left in the system beside it")
    for name in sorted(summary, key=lambda n: summary[n][0]):
        mean, se = summary[name]
        print(f"  {name:12s} {mean:8.2f} +- {se:.2f}   completed-only "
              f"{completed_only[name][0]:8.2f}   completed {done[name][0]:6.1f}   "
              f"in system {left[name][0]:4.1f}")
    folder = (args.run if args.run.is_dir() else args.run.parent) / "eval"
    path = write_inside(folder, eval_file_name(env_kwargs),
                        {"env_id": env_id, "env_kwargs": env_kwargs, "seeds": seeds,
                         "summary": summary, "results": results})
    print(f"wrote {path}")
    return 0
