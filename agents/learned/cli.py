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
    evaluate.add_argument("--noises", default=None,
                          help="execution-noise levels, e.g. 0,0.5 (default: without RUN "
                          "0,0.5; with RUN the run's own noise)")
    evaluate.add_argument("--workers", type=int, default=None,
                          help="worker processes over seeds (default: all CPUs)")
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
        reword = getattr(exc, "for_command", None)  # an observation limit: name --env-kwargs
        if callable(reword):
            raise UsageError(f"--env {env_id} {flag} {json.dumps(env_kwargs)}: "
                             f"{reword('train')}") from None
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
        from socsim.registry import make_scheduler

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


#: Encoder sizes an environment fixes, and the keyword that pads each (if any).
FIT_FIELDS: dict[str, str | None] = {"num_pes": "max_pes", "max_jobs": "max_jobs",
                                     "num_types": None, "node_dim": None, "edge_dim": None,
                                     "pe_dim": None, "global_dim": None}


def _misfits(policy: Any, env_id: str, env_kwargs: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Encoder sizes where ``policy`` and the environment differ: ``{field: (agent, env)}``."""
    from .encoder import EncoderConfig
    from .rollout import make_env

    have = policy.config.encoder
    env = make_env(env_id, {"baseline": None, **env_kwargs}, have.finish_features)
    try:
        want = EncoderConfig.from_space(env.observation_space)
    finally:
        env.close()
    return {f: (getattr(have, f), getattr(want, f)) for f in FIT_FIELDS
            if getattr(have, f) != getattr(want, f)}


def check_fits(run: Path, policy: Any, env_id: str, env_kwargs: dict[str, Any],
               run_env: str, run_kwargs: dict[str, Any]) -> None:
    """Refuse, in one line, an environment whose observations the run's agent cannot read.

    When padding the environment (``max_pes``, ``max_jobs`` up to the agent's
    sizes) makes it fit, the fix names those ``--env-kwargs``; otherwise it
    points to the run's own environment or to training on this one.

    Raises:
        UsageError: The agent's network and the environment's observation sizes differ.
    """
    from socsim.errors import UsageError

    misfits = _misfits(policy, env_id, env_kwargs)
    if not misfits:
        return
    sizes = ", ".join(f"{f} {agent} (agent) vs {env} (env)" for f, (agent, env) in misfits.items())
    pads = {FIT_FIELDS[f]: agent for f, (agent, env) in misfits.items()
            if FIT_FIELDS[f] is not None and env < agent}
    fix = ""
    if pads:
        padded = {**env_kwargs, **pads}
        try:
            fits = not _misfits(policy, env_id, padded)
        except (ValueError, TypeError, KeyError):
            fits = False
        if fits:
            fix = f"pad the env to the agent's sizes: --env-kwargs '{json.dumps(padded)}'"
    if not fix:
        own = f"--env {run_env}" + (f" --env-kwargs '{json.dumps(run_kwargs)}'"
                                    if run_kwargs else "")
        fix = (f"evaluate it on the env it was trained on (omit --env and --env-kwargs, or "
               f"{own}), or train a run for this env: socsim train --env {env_id}")
    raise UsageError(f"the agent of run {run} (trained on {run_env}) does not fit --env "
                     f"{env_id} {json.dumps(env_kwargs)}: {sizes}. Fix: {fix}")


_POLICIES: dict[str, Any] = {}  # per worker process: the run's policy, loaded once


def _evaluate_seed(job: tuple[str, str, dict[str, Any], int, tuple[str, ...]]
                   ) -> dict[str, dict[str, float]]:
    """One seed: the run's policy and each heuristic (module level, so that it pickles)."""
    import torch

    from socsim.envs import run_heuristic

    from .checkpoint import load_policy
    from .rollout import evaluate_policy, make_env

    run, env_id, env_kwargs, seed, baselines = job
    torch.set_num_threads(1)
    if run not in _POLICIES:
        _POLICIES[run] = load_policy(Path(run))
    policy = _POLICIES[run]
    kwargs = {"baseline": None, **env_kwargs}
    env = make_env(env_id, kwargs, policy.config.encoder.finish_features)
    out = {"learned": evaluate_policy(env, policy, [seed])[0]}
    env.close()
    for name in baselines:  # heuristics in assign mode: their own runs
        henv = make_env(env_id, {**kwargs, "action_mode": "assign"})
        out[name] = {"seed": seed, **run_heuristic(henv, name, seed=seed)["metrics"]}
        henv.close()
    return out


def evaluate_run(run: Path, env_id: str, env_kwargs: dict[str, Any], seeds: list[int],
                 baselines: list[str], workers: int | None = 1,
                 progress: bool = False) -> dict[str, list[dict[str, float]]]:
    """Metrics of a trained policy and of heuristics on the same reset seeds.

    Args:
        run: Run folder or checkpoint.
        env_id: Environment id.
        env_kwargs: Environment keywords.
        seeds: Reset seeds (one episode each per scheduler).
        baselines: Heuristics run on the same seeds.
        workers: Worker processes over seeds (``None``: all CPUs; 1: this process).
        progress: Show a rich progress bar (one step per seed).

    Returns:
        ``{"learned": [...], name: [...]}``: one metrics dict per seed, in seed order.
    """
    import os
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from .common import progress_bar

    jobs = [(str(run), env_id, dict(env_kwargs), s, tuple(baselines)) for s in seeds]
    done: dict[int, dict[str, dict[str, float]]] = {}
    workers = min(workers or os.cpu_count() or 1, max(len(jobs), 1))
    with progress_bar(disable=not progress) as bar:
        task = bar.add_task(f"evaluate {env_id}", total=len(jobs),
                            status=f"{workers} worker{'s' if workers > 1 else ''}")
        if workers == 1:
            for k, job in enumerate(jobs):
                done[k] = _evaluate_seed(job)
                bar.advance(task)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(_evaluate_seed, job): k for k, job in enumerate(jobs)}
                for future in as_completed(futures):
                    done[futures[future]] = future.result()
                    bar.advance(task)
    names = ["learned", *baselines]
    return {name: [done[k][name] for k in range(len(jobs))] for name in names}


def summarize(results: dict[str, list[dict[str, float]]],
              key: str = "censored_mean_latency") -> dict[str, tuple[float, float]]:
    """Mean and standard error of ``key`` per scheduler (default: the censored mean latency)."""
    out = {}
    for name, rows in results.items():
        values = np.array([r[key] for r in rows], dtype=float)
        out[name] = (float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))
                     if len(values) > 1 else 0.0)
    return out


def _is_set_policy(run: Path) -> bool:
    """Whether ``run`` is a set-policy checkpoint (or a run folder whose ``policy.pt`` is one)."""
    from .checkpoint import read_checkpoint
    from .set_scheduler import is_set_checkpoint

    file = run / "policy.pt" if run.is_dir() else run
    return file.is_file() and is_set_checkpoint(read_checkpoint(file))


def _showcase(args: argparse.Namespace, agent: str = "learned:default") -> int:
    """``socsim evaluate`` without a run (the shipped agent), or with a set-policy run."""
    import time

    from .showcase import agent_vs_heuristics, format_table, write_outputs

    baselines = [b for b in args.baselines.split(",") if b]
    noises = _noises(args.noises)
    print(f"{agent} vs {', '.join(baselines)} on the DeepSoCS protocol, sigma "
          f"{', '.join(f'{n:g}' for n in noises)}, {args.seeds} held-out seeds "
          f"({args.first_seed}..{args.first_seed + args.seeds - 1}); ranked by censored mean "
          f"latency (unfinished jobs at their age at the horizon), us; completed-only mean, "
          f"jobs completed and left in the system beside it")
    start = time.perf_counter()
    rows = agent_vs_heuristics(agent=agent, noises=noises, seeds=args.seeds,
                               first_seed=args.first_seed, baselines=baselines,
                               workers=args.workers)
    print(format_table(rows, baselines))
    paths = write_outputs(rows, baselines, args.out)
    print(f"{time.perf_counter() - start:.0f} s; wrote {', '.join(str(p) for p in paths)}")
    return 0


def _evaluate(args: argparse.Namespace, console: Any = None) -> int:
    import sys

    from socsim.errors import UsageError

    from .checkpoint import CheckpointNotFoundError, load_policy, read_config
    from .showcase import format_table, rows_from_results, write_outputs

    args.env_kwargs = parse_env_kwargs(args.env_kwargs)
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    if args.run is None:
        args.noises = args.noises if args.noises is not None else "0,0.5"
        return _showcase(args)
    if not args.run.exists():
        raise CheckpointNotFoundError(args.run, "does not exist", "give a run folder made by "
                                      "'socsim train --out DIR', or a checkpoint file in one")

    if _is_set_policy(args.run):
        args.noises = args.noises if args.noises is not None else "0,0.5"
        return _showcase(args, agent=f"learned:{args.run}")
    config = read_config(args.run)
    run_env = config.get("env_id", "socsim/DeepSoCS-v0")
    run_kwargs = config.get("env_kwargs", {}) or {}
    env_id = args.env or run_env
    env_kwargs = args.env_kwargs if args.env_kwargs is not None else run_kwargs
    try:
        noises: list[float | None] = (_noises(args.noises) if args.noises is not None
                                      else [None])
    except ValueError:
        raise UsageError(f"--noises {args.noises!r} is not a comma-separated list of numbers. "
                         "Fix: e.g. --noises 0,0.5") from None
    if not noises:
        raise UsageError("--noises is empty. Fix: give levels, e.g. --noises 0,0.5")
    level_kwargs = {n: env_kwargs if n is None else {**env_kwargs, "noise": n} for n in noises}
    policy = load_policy(args.run)
    for kwargs in level_kwargs.values():
        check_env(env_id, kwargs)
        check_fits(args.run, policy, env_id, kwargs, run_env, run_kwargs)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    baselines = [b for b in args.baselines.split(",") if b]
    print(f"{args.run} on {env_id} {json.dumps(env_kwargs)} vs {', '.join(baselines) or 'none'}"
          f", {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}); ranked by censored mean latency "
          f"(unfinished jobs at their age at the horizon), us; completed-only mean, jobs "
          f"completed and left in the system beside it")
    folder = (args.run if args.run.is_dir() else args.run.parent) / "eval"
    by_noise: dict[float, dict[str, list[dict[str, float]]]] = {}
    written = []
    for noise, kwargs in level_kwargs.items():
        results = evaluate_run(args.run, env_id, kwargs, seeds, baselines,
                               workers=args.workers, progress=sys.stdout.isatty())
        level = float(kwargs.get("noise", noise if noise is not None else 0.0))
        by_noise[level] = results
        written.append(write_inside(folder, eval_file_name(kwargs),
                                    {"env_id": env_id, "env_kwargs": kwargs, "seeds": seeds,
                                     "summary": summarize(results), "results": results}))
    rows = rows_from_results(by_noise, baselines)
    print(format_table(rows, baselines))
    stem = eval_file_name({**env_kwargs, "noises": ",".join(f"{n:g}" for n in by_noise),
                           "env": env_id})[:-len(".json")]
    written += write_outputs(rows, baselines, folder, stem=stem,
                             title=f"{args.run.name} vs heuristics on {env_id}, "
                             f"{len(seeds)} seeds")
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0
