"""The set policy as a scheduler (``learned:default``), batched runs, and its checkpoints.

:class:`SetPolicyScheduler` keeps the scheduler contract: at each decision
point it lists the candidates (:func:`~.candidates.candidates`), lets the
policy pick one, yields it, and repeats until every ready task that can be
placed is placed (as ETF does; it never waits). Nothing in it depends on
the platform or workload, so one checkpoint runs on every scenario.

:func:`run_batched` drives many simulators in lock step and scores all
their pending decisions in one forward pass: how ``socsim compare`` runs
``learned:`` over many seeds, and how training collects episodes.

A checkpoint is ``{"kind": "set-policy", "config": ..., "policy": weights,
"meta": ...}``, read with ``torch.load(weights_only=True)`` and checked
against a freshly built network before use.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from socsim.scheduler import SchedulerView
from socsim.simulator import Simulator

from .candidates import NUM_FEATURES, Candidates, ScaleCache, candidates
from .checkpoint import FIX_CHECKPOINT, CheckpointError, load_weights, read_checkpoint, to_plain
from .set_policy import KIND, SetPolicy, SetPolicyConfig

#: The checkpoint shipped with socsim (``learned:default``).
SHIPPED_SET = Path(__file__).parent / "checkpoints" / "default.pt"
#: The energy-aware variant (``learned:edp``): ``learned:default`` taught by an EDP lookahead
#: expert on the papers' mix (see docs/learned.md).
SHIPPED_EDP = Path(__file__).parent / "checkpoints" / "edp.pt"
FIX = "give a checkpoint written by 'python -m socsim.agents.learned.recipe' (or learned:default)"


class SetPolicyScheduler:
    """A :class:`SetPolicy` placing one task at a time (see the module docstring).

    Args:
        policy: The network.
        name: Name in tables.
        sample: Sample actions from this generator instead of acting greedily.

    Attributes:
        decisions: Placements made this run.
        seconds: CPU time spent choosing them.
    """

    def __init__(self, policy: SetPolicy, name: str = "learned",
                 sample: np.random.Generator | None = None) -> None:
        self.policy = policy.eval()
        self.name = name
        self.sample = sample
        self.cache = ScaleCache()
        self.decisions = 0
        self.seconds = 0.0
        torch.set_num_threads(1)  # batch-1 passes: threads only add overhead

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Start a run."""
        self.decisions, self.seconds = 0, 0.0

    def decide(self, view: SchedulerView) -> Iterator[tuple[int, int, int]]:
        """Yield one placement at a time until no ready task can be placed.

        Each choice sees the previous one queued (the run applies a yielded
        placement before asking for the next). A caller that collects the
        placements without applying them (a lookahead scheduler asking for a
        plan) still gets each ready task once: tasks already yielded in this
        call are left out of later choices.
        """
        yielded: set[tuple[int, int]] = set()
        while True:
            clock = time.process_time()
            found = candidates(view, self.cache)
            if yielded:
                found = _without(found, yielded)
            if not len(found):
                return
            row = self.policy.choose([found], self.sample)[0]
            self.decisions += 1
            self.seconds += time.process_time() - clock
            job, task, pe = found.pairs[row]
            yielded.add((job, task))
            yield job, task, pe

    def act(self, env: Any) -> int:
        """The action for a socsim Gymnasium environment's current decision.

        ``assign`` mode takes the policy's (task, PE) pair as it is; ``order``
        mode takes its task and lets the environment place it. With nothing
        placeable the environment's wait action (assign mode) is returned.
        """
        base = env.unwrapped
        found = candidates(base.simulator.view, self.cache)
        if not len(found):
            return int(base.wait_action)
        job, task, pe = found.pairs[self.policy.choose([found], self.sample)[0]]
        return int(base.action_for(job, task, pe if base.action_mode == "assign" else None))

    def run_batch(self, sims: Sequence[Simulator]) -> list[Any]:
        """Run ``sims`` to their ends in lock step (``socsim compare`` batches seeds this way).

        Greedy choices equal :meth:`decide`'s, run by run; sampling schedulers
        run one at a time (their draws would interleave across runs).
        """
        if self.sample is not None:
            return [sim.run(self) for sim in sims]
        clock = time.process_time()
        results = run_batched(sims, greedy(self.policy))
        self.seconds += time.process_time() - clock
        return results


def _without(found: Candidates, tasks: set[tuple[int, int]]) -> Candidates:
    """The candidates whose task is not in ``tasks`` (task numbers kept compact)."""
    keep = [i for i, (job, task, _) in enumerate(found.pairs) if (job, task) not in tasks]
    if len(keep) == len(found):
        return found
    index = np.asarray(keep, np.int64)
    task_ids = np.unique(found.task[index], return_inverse=True)[1] if keep else index
    pe_ids = np.unique(found.pe[index], return_inverse=True)[1] if keep else index
    return Candidates([found.pairs[i] for i in keep], found.features[index], task_ids, pe_ids)


Decide = Callable[[list[Candidates], list[SchedulerView]], list[int]]


def run_batched(sims: Sequence[Simulator], decide: Decide,
                on_step: Callable[[int, Candidates, int], None] | None = None) -> list[Any]:
    """Run simulators in lock step, asking ``decide`` for all their pending choices at once.

    Args:
        sims: Fresh simulators (each is run to its end).
        decide: ``decide(decisions, views) -> rows``: the row picked in each.
        on_step: Called as ``on_step(sim_index, decision, row)`` before each
            placement (training records its data here).

    Returns:
        Each simulator's :class:`~socsim.results.SimulationResult`.
    """
    caches = [ScaleCache() for _ in sims]
    for sim in sims:
        sim.prepare(None)
    active = [i for i, sim in enumerate(sims) if sim.advance()]
    while active:
        pending, decisions = [], []
        for i in active:
            sim = sims[i]
            while True:
                found = candidates(sim.view, caches[i]) if sim.ready else None
                if found is not None and len(found):
                    pending.append(i)
                    decisions.append(found)
                    break
                if not sim.advance():
                    break
        if not pending:
            break
        rows = decide(decisions, [sims[i].view for i in pending])
        for i, found, row in zip(pending, decisions, rows, strict=True):
            if on_step is not None:
                on_step(i, found, row)
            sims[i].assign(*found.pairs[row])
        active = pending
    return [sim.result("learned") for sim in sims]


def greedy(policy: SetPolicy) -> Decide:
    """``decide`` for :func:`run_batched`: the policy's greedy choices, one forward pass."""
    def decide(decisions: list[Candidates], views: list[SchedulerView]) -> list[int]:
        return policy.choose(decisions)
    return decide


# ---------------------------------------------------------------- checkpoints
def save_set_policy(policy: SetPolicy, path: str | Path, meta: dict[str, Any] | None = None
                    ) -> None:
    """Write a weights-only checkpoint (and ``meta`` as a JSON sidecar for readers)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(to_plain({"kind": KIND, "config": policy.config.to_dict(),
                         "policy": policy.state_dict(), "meta": meta or {}}), path)


def is_set_checkpoint(state: dict[str, Any]) -> bool:
    """Whether raw checkpoint contents are a set policy's."""
    return state.get("kind") == KIND


def set_policy_from_state(state: dict[str, Any], path: str | Path) -> SetPolicy:
    """Build and fill a :class:`SetPolicy` from checkpoint contents, checking every field.

    Raises:
        CheckpointError: A missing or malformed field (named), or weights
            that do not fit the configured network.
    """
    path = Path(path)
    config = state.get("config")
    if not isinstance(config, dict):
        raise CheckpointError(path, "has no set-policy configuration", FIX, "config")
    try:
        parsed = SetPolicyConfig.from_dict(config)
    except TypeError as exc:
        raise CheckpointError(path, f"has an unknown configuration ({exc})", FIX,
                              "config") from None
    for name in ("features", "hidden"):
        value = getattr(parsed, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4096:
            raise CheckpointError(path, f"has {name}={value!r} (an integer 1..4096 expected)",
                                  FIX, f"config.{name}")
    if parsed.features > NUM_FEATURES:
        raise CheckpointError(path, f"reads {parsed.features} candidate features, this socsim "
                              f"computes {NUM_FEATURES} (a newer socsim made it)", FIX,
                              "config.features")
    policy = SetPolicy(parsed)
    load_weights(policy, state.get("policy"), path, FIX)
    return policy.eval()


def load_set_policy(path: str | Path) -> SetPolicy:
    """A :class:`SetPolicy` from a checkpoint file (see :func:`set_policy_from_state`)."""
    state = read_checkpoint(path, FIX)
    if not is_set_checkpoint(state):
        raise CheckpointError(Path(path), "is not a set-policy checkpoint", FIX, "kind")
    return set_policy_from_state(state, path)


def checkpoint_meta(path: str | Path) -> dict[str, Any]:
    """The ``meta`` a checkpoint was saved with (training recipe, figures)."""
    state = read_checkpoint(path, FIX)
    meta = state.get("meta", {})
    return json.loads(json.dumps(meta)) if isinstance(meta, dict) else {}


def scheduler_from_path(path: str) -> Any:
    """The scheduler of ``learned:PATH``: a set policy, or an earlier fixed-size agent.

    ``default`` (or nothing) is the shipped set policy, ``edp`` its
    energy-aware variant (papers' mix, energy-delay product), ``deepsocs-env``
    the fixed-size DeepSoCS-v0 agent shipped before it. A folder is read
    through its ``policy.pt`` (or, for ``socsim train`` runs, their own files).

    Raises:
        CheckpointError: Nothing loadable there, or a malformed file.
    """
    if path in ("", "default"):
        return SetPolicyScheduler(load_set_policy(SHIPPED_SET), name="learned:default")
    if path == "edp":
        return SetPolicyScheduler(load_set_policy(SHIPPED_EDP), name="learned:edp")
    if path == "deepsocs-env":  # the fixed-size agent shipped before the set policy
        from .scheduler import LearnedScheduler

        return LearnedScheduler.from_path(path)
    file = Path(path)
    if file.is_dir() and (file / "policy.pt").is_file():
        file = file / "policy.pt"
    if file.is_file():
        state = read_checkpoint(file, FIX_CHECKPOINT)
        if is_set_checkpoint(state):
            return SetPolicyScheduler(set_policy_from_state(state, file), name=f"learned:{path}")
    from .scheduler import LearnedScheduler  # the fixed-size agents of 'socsim train'

    return LearnedScheduler.from_path(path)

