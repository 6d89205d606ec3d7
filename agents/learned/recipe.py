"""The recipe that produces ``learned:default``: DAgger on lookahead experts, RL, refining.

    python -m socsim.agents.learned.recipe --out runs/set_default
    python -m socsim.agents.learned.recipe --out runs/set_default --resume   # after a stop

From scratch, in one command: a randomly initialised
:class:`~.set_policy.SetPolicy`; :mod:`~.dagger` iterations imitating the
lookahead expert on the training cases (:data:`~.task_suite.TRAINING`:
``rollout:etf-live``; on random DAGs ``rollout:etf`` and on DAGGEN graphs
``rollout:peft-rt``, :data:`FAMILY_EXPERTS`);
then :mod:`~.finetune` iterations of RL; then a *refining* stage: from
the step with the best validation ratio so far, DAgger again on fresh
labels, with the papers' mix weighing three times its share of the loss
(the family with the fewest, longest decisions and the largest teacher
lead). In both imitation stages DAGGEN graphs weigh twice their share
(:data:`DAGGER_WEIGHTS`). After every step the greedy policy runs on validation seeds
(disjoint from the training seeds and from the evaluation seeds 100000
and up) and its geometric-mean ratio of censored latency to ETF's is
logged with the environment steps and wall time (``log.jsonl``: the
learning curves). The shipped policy (``policy.pt``) is the step with the
best validation ratio, refining steps included: a refining stage that does
not beat the step it started from is not shipped. The log says which step
was shipped.

Resuming: the state after each step (weights, optimiser, counters, every
random stream, the aggregated labels) is kept in the run folder; a resumed
run continues from it and ends in the same state as an uninterrupted one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from socsim.registry import make_scheduler

from .candidates import NUM_FEATURES
from .checkpoint import (
    CheckpointError,
    load_optimizer,
    load_weights,
    read_checkpoint,
    rng_state,
    set_rng_state,
    to_plain,
)
from .dagger import DaggerConfig, Decisions, Episode, collect, fit, numpy_weights
from .finetune import RLConfig, collect_sampled, ppo_update
from .set_policy import SetPolicy, SetPolicyConfig
from .set_scheduler import load_set_policy, save_set_policy
from .suite_eval import METRIC, Run, heuristic_metrics, mean_log_ratio, policy_metrics
from .task_suite import EVALUATION, TRAINING, Case, deepsocs_cells

STATE = "state.pt"
LOG = "log.jsonl"
POLICY = "policy.pt"
VALIDATION_SEED = 50_000
FIX_STATE = "delete the run folder (or give a new --out) to start over"


def validation_runs(quick: bool = False) -> list[Run]:
    """Held-out validation runs: short DeepSoCS cells, random and DAGGEN DAGs, papers' mix, DS3."""
    seeds = range(VALIDATION_SEED, VALIDATION_SEED + (1 if quick else 2))
    runs: list[Run] = [(c.with_(horizon=1500.0), s) for c in deepsocs_cells() for s in seeds]
    runs += [(Case("random-dag"), VALIDATION_SEED + k) for k in range(3 if quick else 6)]
    runs += [(Case("daggen"), VALIDATION_SEED + k) for k in range(3 if quick else 6)]
    runs += [(Case("papers-mix", jobs=12), VALIDATION_SEED),
             (Case("ds3-default", jobs=25), VALIDATION_SEED)]
    return runs


@dataclass(frozen=True)
class Recipe:
    """Everything the recipe does (saved in the log's first line).

    Attributes:
        dagger: The imitation stage.
        rl: The RL stage.
        refine: The refining stage (imitation again from the best step so far, its own
            labels only; ``iterations=0``: none).
        policy: Network sizes.
        seed: Seed of the initial weights and of every stream.
        quick: Fewer runs everywhere (tests, a smoke run).
        cases: Training cases replacing the default ones (``None``: the default).
        objective: What validation ranks steps by (``censored_mean_latency`` or ``edp``;
            the RL stage's own objective is ``rl.objective``).
        reference: The heuristic validation compares with (``etf``; for EDP, ``eft-energy``).
        init: A set-policy checkpoint to start from instead of random weights.
    """

    dagger: DaggerConfig = field(
        default_factory=lambda: DaggerConfig(family_weights=DAGGER_WEIGHTS,
                                             family_experts=FAMILY_EXPERTS))
    rl: RLConfig = field(default_factory=RLConfig)
    refine: DaggerConfig = field(default_factory=lambda: REFINE)
    policy: SetPolicyConfig = field(default_factory=SetPolicyConfig)
    seed: int = 0
    quick: bool = False
    cases: tuple[Case, ...] | None = None
    objective: str = METRIC
    reference: str = "etf"
    init: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"dagger": self.dagger.to_dict(), "rl": self.rl.to_dict(),
                "refine": self.refine.to_dict(),
                "policy": self.policy.to_dict(), "seed": self.seed, "quick": self.quick,
                "cases": [c.name for c in self.training_cases()],
                "objective": self.objective, "reference": self.reference, "init": self.init}

    def training_cases(self) -> tuple[Case, ...]:
        """The cases episodes are drawn from (the quick recipe: a third of them)."""
        if self.cases is not None:
            return self.cases
        return TRAINING[::3] if self.quick else TRAINING

    def steps(self) -> list[tuple[str, int]]:
        """``(stage, index)`` of every step, in order."""
        return ([("dagger", i) for i in range(self.dagger.iterations)]
                + [("rl", i) for i in range(self.rl.iterations)]
                + [("refine", i) for i in range(self.refine.iterations)])


class Trainer:
    """Runs a :class:`Recipe` in a run folder, step by step, resumable.

    Args:
        recipe: What to do.
        out: The run folder.
        resume: Continue the run saved in ``out``.
        echo: Print each log line.
        validation: Validation runs replacing :func:`validation_runs`.
        stop_after: Stop after this many steps in all (``None``: run every step).
    """

    def __init__(self, recipe: Recipe, out: Path, resume: bool = False, echo: bool = True,
                 validation: list[Run] | None = None, stop_after: int | None = None) -> None:
        self.recipe = recipe
        self.out = Path(out)
        self.echo = echo
        torch.manual_seed(recipe.seed)
        self.policy = SetPolicy(recipe.policy)
        if recipe.init is not None:
            self.policy.load_state_dict(load_set_policy(recipe.init).state_dict())
        self.rng = np.random.default_rng(recipe.seed)
        self.step = 0
        self.placements = 0
        self.labels = 0
        self.wall = 0.0
        self.best = (np.inf, "")
        self.shipped = ""
        self.data = Decisions.empty(NUM_FEATURES)
        families = {case.family for case in recipe.training_cases()}
        self.validation = validation or [run for run in validation_runs(recipe.quick)
                                         if run[0].family in families]
        self.stop_after = stop_after
        self.out.mkdir(parents=True, exist_ok=True)
        self.optimizer = self._optimizer("dagger")
        if resume and (self.out / STATE).exists():
            self._restore()
        elif (self.out / STATE).exists():
            raise CheckpointError(self.out / STATE, "exists: this folder holds a run",
                                  "add --resume to continue it, or " + FIX_STATE)
        self.etf = self._etf_reference()

    # ------------------------------------------------------------------ driving
    def run(self) -> Path:
        """Every remaining step; returns the path of the shipped ``policy.pt``."""
        if self.step == 0:
            self._log({"recipe": self.recipe.to_dict()})
            self._evaluate("init", 0, {})
        steps = self.recipe.steps()
        end = len(steps) if self.stop_after is None else min(len(steps), self.stop_after)
        while self.step < end:
            stage, index = steps[self.step]
            clock = time.perf_counter()
            stats = self._rl(index) if stage == "rl" else self._imitate(stage, index)
            self.wall += time.perf_counter() - clock
            self.step += 1
            self._evaluate(stage, index, stats)
            self._save()
        return self.out / POLICY

    def _optimizer(self, stage: str) -> torch.optim.Optimizer:
        lr = {"dagger": self.recipe.dagger.lr, "rl": self.recipe.rl.lr,
              "refine": self.recipe.refine.lr}[stage]
        return torch.optim.Adam(self.policy.parameters(), lr=lr)

    def _imitate(self, stage: str, index: int) -> dict[str, float]:
        """One DAgger iteration of ``stage`` (``dagger`` or ``refine``)."""
        config = self.recipe.dagger if stage == "dagger" else self.recipe.refine
        if stage == "refine" and index == 0:  # from the best step so far, on its own labels
            if (self.out / POLICY).exists():  # none saved yet: refine the weights at hand
                self.policy.load_state_dict(load_set_policy(self.out / POLICY).state_dict())
            save_set_policy(self.policy, self.out / "before_refine.pt",
                            {"stage": self.best[1]})
            self.data = Decisions.empty(NUM_FEATURES)
            self.optimizer = self._optimizer("refine")
        beta = config.beta_at(index)
        weights = None if index == 0 else numpy_weights(self.policy)
        first = 1 + index * config.seeds_per_case
        jobs = [Episode(case, first + k + 1000 * c, beta, weights, self.recipe.policy,
                        config.expert_for(case.family))
                for c, case in enumerate(self.recipe.training_cases())
                for k in range(config.seeds_per_case)]
        results = collect(jobs, config.workers)
        fresh = Decisions.empty(NUM_FEATURES)
        count: dict[str, int] = {}
        for job, result in zip(jobs, results, strict=True):
            family = job.case.family
            count[family] = count.get(family, 0) + len(result.data)
        shares = config.family_shares(count)  # each family weighs the same (or as told)
        for job, result in zip(jobs, results, strict=True):
            fresh = fresh.concat(result.data.weighted(shares[job.case.family]))
        fresh.save(self.out / labels_file(stage, index))
        self.data = self.data.concat(fresh)
        self.placements += sum(r.placements for r in results)
        self.labels += len(fresh)
        agreed = [r.learner_agreed for r in results if r.learner_agreed >= 0]
        loss, accuracy = fit(self.policy, self.optimizer, self.data, config.epochs,
                             config.batch, self.rng)
        return {"beta": beta, "new_labels": float(len(fresh)), "loss": loss,
                "train_accuracy": accuracy,
                "learner_agreement": (sum(agreed) / max(len(fresh), 1)) if agreed else -1.0}

    def _rl(self, index: int) -> dict[str, float]:
        config = self.recipe.rl
        if index == 0:  # a fresh optimiser at the RL learning rate
            self.optimizer = self._optimizer("rl")
        first = 10_000 + index * config.seeds_per_case
        runs = [(case, first + k + 1000 * c)
                for c, case in enumerate(self.recipe.training_cases())
                for k in range(config.seeds_per_case)]
        parts = collect_sampled(self.policy, runs, config.samples, config.workers,
                                self.recipe.seed * 7919 + index, config.objective)
        self.placements += sum(int(p.data.sizes.size) for p in parts)
        stats = ppo_update(self.policy, self.optimizer, parts, config, self.rng)
        stats["sampled_latency"] = float(np.mean(np.concatenate([p.latency for p in parts])))
        return stats

    # --------------------------------------------------------------- evaluation
    def _etf_reference(self) -> list[float]:
        """The reference heuristic's validation figures (cached in the run folder)."""
        path = self.out / f"{self.recipe.reference}_validation.json"
        runs = [[case.name, case.horizon, case.jobs, seed] for case, seed in self.validation]
        saved = _read_json(path)
        if isinstance(saved, dict) and saved.get("runs") == runs \
                and saved.get("metric") == self.recipe.objective:
            return [float(v) for v in saved["values"]]
        # Absent, unreadable, or for another validation set: measured (again).
        values = [m[self.recipe.objective] for m in heuristic_metrics(
            self.recipe.reference, self.validation, self.recipe.dagger.workers)]
        path.write_text(json.dumps({"runs": runs, "metric": self.recipe.objective,
                                    "values": values}))
        return values

    def _evaluate(self, stage: str, index: int, stats: dict[str, float]) -> None:
        clock = time.process_time()
        metrics = policy_metrics(self.policy, self.validation)
        values = [m[self.recipe.objective] for m in metrics]
        ratio = mean_log_ratio(values, self.etf)
        families: dict[str, list[float]] = {}
        for (case, _), value, ref in zip(self.validation, values, self.etf, strict=True):
            families.setdefault(case.name.split("/")[0], []).append(value / ref)
        tag = f"{stage}:{index}"
        # A random start is never shipped; a trained one (--init) is, unless a step beats it.
        # The shipped policy is the best step by validation, refining steps included.
        improved = ratio < self.best[0] and (stage != "init" or self.recipe.init is not None)
        if improved:
            self.best = (ratio, tag)
            self.shipped = tag
            save_set_policy(self.policy, self.out / POLICY,
                            {"stage": tag, "validation_ratio": ratio,
                             "recipe": self.recipe.to_dict()})
        if stage == "init":
            save_set_policy(self.policy, self.out / "init.pt", {"stage": "init"})
        if stage == "dagger" and index == self.recipe.dagger.iterations - 1:
            save_set_policy(self.policy, self.out / "imitation.pt", {"stage": tag})
        self._log({"stage": stage, "step": index, "placements": self.placements,
                   "labels": self.labels, "wall_s": round(self.wall, 1),
                   "validation_ratio": ratio,
                   "by_family": {k: float(np.exp(np.mean(np.log(v))))
                                 for k, v in families.items()},
                   "eval_cpu_s": round(time.process_time() - clock, 1), **stats,
                   "best": self.best[1], "shipped": self.shipped})

    def _log(self, entry: dict[str, Any]) -> None:
        with open(self.out / LOG, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(to_plain(entry)) + "\n")
        if self.echo:
            print(json.dumps(to_plain(entry)), flush=True)

    # ----------------------------------------------------------------- resuming
    def _save(self) -> None:
        state = {"kind": "set-recipe", "step": self.step, "placements": self.placements,
                 "labels": self.labels, "wall": self.wall, "best_ratio": float(self.best[0]),
                 "best_tag": self.best[1], "shipped": self.shipped,
                 "policy": self.policy.state_dict(),
                 "optimizer": self.optimizer.state_dict(), "rng": rng_state(self.rng),
                 "torch_rng": torch.get_rng_state()}
        tmp = self.out / (STATE + ".tmp")
        torch.save(to_plain(state), tmp)
        tmp.replace(self.out / STATE)

    def _restore(self) -> None:
        path = self.out / STATE
        state = read_checkpoint(path, FIX_STATE)
        if state.get("kind") != "set-recipe":
            raise CheckpointError(path, "is not a recipe state", FIX_STATE, "kind")
        steps = self.recipe.steps()
        step = state.get("step")
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= len(steps):
            raise CheckpointError(path, f"has step {step!r}", FIX_STATE, "step")
        self.step = step
        self.placements, self.labels = int(state["placements"]), int(state["labels"])
        self.wall = float(state["wall"])
        self.best = (float(state["best_ratio"]), str(state["best_tag"]))
        self.shipped = str(state.get("shipped", self.best[1]))
        load_weights(self.policy, state["policy"], path, FIX_STATE)
        if step > 0 and steps[step - 1][0] != "dagger":
            self.optimizer = self._optimizer(steps[step - 1][0])
        load_optimizer(self.optimizer, state["optimizer"], path)
        set_rng_state(state["rng"], self.rng)
        torch_rng = state.get("torch_rng")
        if isinstance(torch_rng, torch.Tensor) and torch_rng.dtype == torch.uint8:
            torch.set_rng_state(torch_rng)
        # The aggregated labels: the refining stage's own once it has begun, else the DAgger's.
        refined = [i for stage, i in steps[:step] if stage == "refine"]
        labelled = [("refine", i) for i in refined] if refined else \
            [("dagger", i) for stage, i in steps[:step] if stage == "dagger"]
        for stage, index in labelled:
            self.data = self.data.concat(Decisions.load(self.out / labels_file(stage, index)))


#: Who labels which family: ``rollout:etf-live`` everywhere but on random DAGs, where
#: ``rollout:etf`` (ETF's own plan as the base, the better rule on a DAG at t = 0) leads,
#: and on DAGGEN graphs, where runtime PEFT's lookahead PE choice leads (``rollout:peft-rt``).
FAMILY_EXPERTS = (("random-dag", "rollout:etf"), ("daggen", "rollout:peft-rt"))
#: The first imitation stage's loss shares: DAGGEN graphs at twice a family's share (the
#: static-DAG family, the one where the set policy trailed HEFT and PEFT most).
DAGGER_WEIGHTS = (("daggen", 2.0),)
#: The shipped recipe's refining stage: three DAgger iterations, the papers' mix at 3x
#: its share and DAGGEN graphs at 2x.
REFINE = DaggerConfig(iterations=3, family_weights=(("papers-mix", 3.0), *DAGGER_WEIGHTS),
                      family_experts=FAMILY_EXPERTS)


def labels_file(stage: str, index: int) -> str:
    """The run folder's file of the labels of a DAgger iteration (``dagger`` or ``refine``)."""
    return f"labels_{index}.npz" if stage == "dagger" else f"{stage}_labels_{index}.npz"


def quick_recipe() -> Recipe:
    """A small recipe (minutes): smoke runs and tests."""
    quick_experts = (("random-dag", "rollout:etf,samples=2"),
                     ("daggen", "rollout:peft-rt,samples=2"))
    return Recipe(dagger=DaggerConfig(iterations=2, seeds_per_case=1, epochs=3,
                                      expert="rollout:etf-live,samples=2",
                                      family_experts=quick_experts),
                  refine=replace(REFINE, iterations=1, seeds_per_case=1, epochs=1,
                                 expert="rollout:etf-live,samples=2",
                                 family_experts=quick_experts),
                  rl=RLConfig(iterations=2, samples=2, epochs=1), quick=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m socsim.agents.learned.recipe``: train the shipped policy from scratch."""
    parser = argparse.ArgumentParser(prog="python -m socsim.agents.learned.recipe",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/set_default"),
                        help="run folder (default runs/set_default)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--quick", action="store_true", help="a small recipe (minutes)")
    parser.add_argument("--seed", type=int, default=0, help="seed of everything (default 0)")
    parser.add_argument("--workers", type=int, default=2, help="collecting processes")
    parser.add_argument("--objective", choices=("latency", "edp"), default="latency",
                        help="latency (default), or edp: RL on the energy-delay product, "
                             "validated against eft-energy (the energy-aware variant)")
    parser.add_argument("--init", help="start from this set-policy checkpoint "
                                       "(e.g. the shipped one) instead of random weights")
    parser.add_argument("--cases", help="comma-separated training cases (default: all), "
                                        "e.g. papers-mix or deepsocs/top5/25/0.5")
    parser.add_argument("--expert", help="the imitation stages' expert for every family "
                                         "(default rollout:etf-live, and rollout:etf on "
                                         "random DAGs); for --objective edp, e.g. "
                                         "'rollout:eft-energy,objective=edp'")
    parser.add_argument("--family-expert", action="append", default=[],
                        metavar="FAMILY=EXPERT",
                        help="the expert that labels one family's episodes in both imitation "
                             "stages (repeatable; default random-dag=rollout:etf unless "
                             "--expert is given), e.g. random-dag=rollout:etf-live")
    parser.add_argument("--family-weights", help="comma-separated FAMILY=WEIGHT scaling a "
                                                 "family's share of the first imitation stage's "
                                                 "loss (default daggen=2, the others 1), e.g. "
                                                 "papers-mix=3; the refining stage keeps its "
                                                 "own papers-mix=3,daggen=2")
    parser.add_argument("--dagger-iterations", type=int, help="imitation iterations")
    parser.add_argument("--rl-iterations", type=int, help="RL iterations")
    parser.add_argument("--refine-iterations", type=int,
                        help="iterations of the refining stage (0: none; default 3)")
    args = parser.parse_args(argv)
    recipe = quick_recipe() if args.quick else Recipe()
    objective = METRIC if args.objective == "latency" else "edp"
    dagger = replace(recipe.dagger, workers=args.workers)
    refine = replace(recipe.refine, workers=args.workers)
    if args.refine_iterations is not None:
        refine = replace(refine, iterations=max(0, args.refine_iterations))
    rl = replace(recipe.rl, workers=args.workers, objective=objective)
    if args.dagger_iterations is not None:
        dagger = replace(dagger, iterations=args.dagger_iterations)
    if args.expert is not None:
        problem = labelling_problem(args.expert)
        if problem:
            print(f"error: --expert: {problem}", file=sys.stderr)
            return 2
        # One expert for every family, unless --family-expert names others.
        dagger = replace(dagger, expert=args.expert, family_experts=())
        refine = replace(refine, expert=args.expert, family_experts=())
    if args.family_expert:
        try:
            experts = parse_family_experts(args.family_expert)
        except ValueError as exc:
            print(f"error: --family-expert: {exc}", file=sys.stderr)
            return 2
        dagger = replace(dagger, family_experts=experts)
        refine = replace(refine, family_experts=experts)
    if args.family_weights:
        try:
            dagger = replace(dagger, family_weights=parse_family_weights(args.family_weights))
        except ValueError as exc:
            print(f"error: --family-weights: {exc}", file=sys.stderr)
            return 2
    if args.rl_iterations is not None:
        rl = replace(rl, iterations=args.rl_iterations)
    cases = None
    if args.cases:
        try:
            cases = tuple(Case(name.strip()) for name in args.cases.split(","))
            for case in cases:
                case.scenario()
        except ValueError as exc:
            print(f"error: --cases: {exc}", file=sys.stderr)
            return 2
    recipe = Recipe(dagger=dagger, rl=rl, refine=refine, policy=recipe.policy, seed=args.seed,
                    quick=recipe.quick, cases=cases, objective=objective,
                    reference="etf" if objective == METRIC else "eft-energy", init=args.init)
    clock = time.perf_counter()
    try:
        path = Trainer(recipe, args.out, resume=args.resume).run()
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path} in {time.perf_counter() - clock:.0f} s wall", flush=True)
    return 0


def labelling_problem(name: str) -> str:
    """Why scheduler ``name`` cannot label DAgger decisions (``""``: it can)."""
    try:
        expert = make_scheduler(name)
    except ValueError as exc:
        return str(exc)
    if not (hasattr(expert, "choose") and hasattr(expert, "commit")):
        return (f"{name!r} cannot label decisions (it has no choose/commit); give a "
                "rollout:BASE[,...] scheduler")
    return ""


def parse_family_experts(items: list[str]) -> tuple[tuple[str, str], ...]:
    """``["random-dag=rollout:etf"]`` as ``(family, expert)`` pairs; ``ValueError`` if bad."""
    pairs = []
    for item in items:
        family, expert = _family_item(item, "EXPERT")
        problem = labelling_problem(expert)
        if problem:
            raise ValueError(problem)
        pairs.append((family, expert))
    return tuple(pairs)


def parse_family_weights(text: str) -> tuple[tuple[str, float], ...]:
    """``"papers-mix=3,random-dag=2"`` as ``(family, weight)`` pairs; ``ValueError`` if bad."""
    pairs = []
    for item in text.split(","):
        family, value = _family_item(item, "WEIGHT")
        try:
            weight = float(value)
        except ValueError:
            weight = -1.0
        if not np.isfinite(weight) or weight <= 0:
            raise ValueError(f"{item.strip()!r}: the weight must be a positive number")
        pairs.append((family, weight))
    return tuple(pairs)


def _family_item(item: str, what: str) -> tuple[str, str]:
    """``FAMILY=VALUE`` split, the family checked against the suite's; ``ValueError`` if bad."""
    families = sorted({case.family for case in (*EVALUATION, *TRAINING)})
    family, sep, value = item.strip().partition("=")
    if not sep or family not in families:
        raise ValueError(f"{item.strip()!r} is not FAMILY={what} with FAMILY one of "
                         f"{', '.join(families)}")
    return family, value


def _read_json(path: Path) -> Any:
    """A JSON file's contents, or ``None`` when it is absent or not JSON."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


if __name__ == "__main__":
    raise SystemExit(main())
