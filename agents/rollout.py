"""``rollout:BASE``: a lookahead scheduler that improves on any heuristic by simulating ahead.

At each decision point it places the ready tasks one at a time. For each
placement it takes the ``k`` most promising candidate (task, PE) pairs by the
objective's one-step estimate (earliest finish for latency; the task's energy,
or energy x time to finish, for the energy objectives), the base heuristic's
own first choice always among them, and for each it
forks the run (:meth:`socsim.simulator.Simulator.fork`, a *what-if* fork that
samples future arrivals and noise afresh), applies the candidate, lets BASE
schedule everything else for a horizon, and scores the outcome. The
candidate with the best mean score over ``samples`` sampled futures wins;
every candidate sees the same sampled futures (common random numbers), so
two candidates that are the same placement score identically. Ties go to
the base heuristic's choice, so with ``k=1`` the scheduler is BASE.

Score (lower is better), over the jobs present at the decision (later
arrivals act on them through contention only): ``latency``, the censored
latency sum (a finished job's latency, an unfinished one's age when the
rollout stops); ``energy``, the run's energy up to one common time; ``edp``,
that energy times the time the last of those jobs finishes (the run's own
energy x makespan, restricted to them). A rollout stops when the jobs
present have all finished, or at its horizon; for the energy objectives
every candidate's rollout is then rerun to the latest of the candidates'
finishing times, so that all energies cover the same interval (see
:meth:`RolloutScheduler._energy_scores`).

Name: ``rollout:BASE[,k=K][,h=US][,samples=S][,objective=latency|energy|edp][,depth=D]``,
e.g. ``rollout:etf`` or ``rollout:etf,k=4,h=300,samples=2``. Defaults:
``k=3``, ``samples=4``, ``objective=latency``, ``h`` twice the longest
critical path (mean costs) of the jobs present, ``depth=1``. A candidate
displaces the base's choice only if it beats it by more than one paired
standard error over the samples (see :meth:`RolloutScheduler._pick`).

``depth=2`` (latency only) looks two placements deep where the decision
point has more to place: each candidate is scored by its best follow-up,
the ``k`` most promising second placements each rolled out from an exact
copy of the candidate's fork (the same sampled future), and the follow-up
chosen by its mean over the samples, as the scheduler itself would choose
it then (not per sample, which would let it see the future). It costs about
``k`` times ``depth=1``.

This is the classic rollout algorithm of approximate dynamic programming
(Bertsekas, Tsitsiklis and Wu, "Rollout algorithms for combinatorial
optimization", J. Heuristics 3, 1997): a rollout of a base policy is never
worse than the base policy in expectation when its estimates are exact.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from socsim.errors import SchedulingError
from socsim.placement import finish_on
from socsim.registry import make_scheduler, register_scheduler_prefix
from socsim.scheduler import Scheduler, SchedulerView
from socsim.simulator import Simulator
from socsim.state import JobState

from .runtime import task_energy

OBJECTIVES = ("latency", "energy", "edp")


@dataclass(frozen=True)
class RolloutConfig:
    """Options of a rollout scheduler (see the module docstring).

    Attributes:
        base: Name of the base heuristic.
        k: Candidate placements evaluated per placement.
        horizon: Rollout length (us); ``None``: twice the longest critical path present.
        samples: Sampled futures per candidate.
        objective: ``latency``, ``energy`` or ``edp``.
        depth: Placements looked ahead within a decision point (1 or 2).
    """

    base: str = "etf"
    k: int = 3
    horizon: float | None = None
    samples: int = 4
    objective: str = "latency"
    depth: int = 1

    @classmethod
    def parse(cls, text: str) -> RolloutConfig:
        """From ``BASE[,k=K][,h=US][,samples=S][,objective=O][,depth=D]``.

        Raises:
            ValueError: An unknown option or a bad value; the message names it.
        """
        base, *options = [part.strip() for part in text.split(",")]
        if not base:
            raise ValueError("rollout:BASE needs a base heuristic, e.g. rollout:etf")
        values: dict[str, object] = {"base": base}
        for option in options:
            key, _, value = option.partition("=")
            try:
                if key == "k":
                    values["k"] = int(value)
                elif key == "h":
                    values["horizon"] = float(value)
                elif key == "samples":
                    values["samples"] = int(value)
                elif key == "objective":
                    values["objective"] = value
                elif key == "depth":
                    values["depth"] = int(value)
                else:
                    raise KeyError(key)
            except KeyError:
                raise ValueError(f"rollout:{text}: unknown option {key!r}; options are k=, h=, "
                                 "samples=, objective=, depth=") from None
            except ValueError:
                raise ValueError(f"rollout:{text}: {key}={value!r} is not a number") from None
        config = cls(**values)  # type: ignore[arg-type]
        config.check(text)
        return config

    def check(self, text: str = "") -> None:
        """Raise ``ValueError`` for values out of range."""
        where = f"rollout:{text or self.base}"
        if self.k < 1 or self.samples < 1:
            raise ValueError(f"{where}: k and samples must be >= 1")
        if self.horizon is not None and not (self.horizon > 0 and math.isfinite(self.horizon)):
            raise ValueError(f"{where}: h must be a finite time > 0 (us)")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"{where}: objective must be one of {OBJECTIVES}")
        if self.depth not in (1, 2):
            raise ValueError(f"{where}: depth must be 1 or 2")
        if self.depth == 2 and self.objective != "latency":
            raise ValueError(f"{where}: depth=2 looks ahead for objective=latency only")
        if self.base.startswith("rollout:"):
            raise ValueError(f"{where}: the base cannot itself be a rollout")
        make_scheduler(self.base)  # unknown names: the registry's "did you mean"


@dataclass(frozen=True)
class Appraisal:
    """What a rollout decision weighed (see :meth:`RolloutScheduler.appraise`).

    Attributes:
        choice: The placement chosen.
        candidates: The candidate placements, the base heuristic's first.
        scores: Each candidate's mean objective over the sampled futures
            (lower is better; ``inf`` for a rollout that got stuck; ``nan``
            for a lone candidate, which is placed without a rollout). The
            choice need not have the least: a candidate displaces the base's
            only when it is better by more than one paired standard error.
    """

    choice: tuple[int, int, int]
    candidates: list[tuple[int, int, int]]
    scores: np.ndarray


class RolloutScheduler:
    """Lookahead by simulation over a base heuristic (see the module docstring).

    Attributes:
        decisions: Placements chosen so far this run.
        seconds: CPU time spent choosing them (``seconds / decisions`` is the
            cost per placement that ``socsim compare`` reports).
    """

    def __init__(self, config: RolloutConfig) -> None:
        config.check()
        self.config = config
        self.name = "rollout:" + config.base + "".join(
            f",{key}={value}" for key, value, default in (
                ("k", config.k, 3), ("h", config.horizon, None),
                ("samples", config.samples, 4), ("objective", config.objective, "latency"),
                ("depth", config.depth, 1))
            if value != default)
        base = make_scheduler(config.base)
        self.in_order_queues = bool(getattr(base, "in_order_queues", False))
        self.decisions = 0
        self.seconds = 0.0

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Start a run: the base heuristic for the real run, and the stream of sample seeds."""
        self.base = make_scheduler(self.config.base)
        self.base.reset(view, rng)
        self.rng = rng
        self.decisions, self.seconds = 0, 0.0

    def decide(self, view: SchedulerView) -> Iterator[tuple[int, int, int]]:
        """Place the ready tasks one by one, each by the best of its candidates' rollouts."""
        horizon = self._horizon(view)
        base_plan: list[tuple[int, int, int]] = []
        while True:
            clock = time.process_time()
            if not base_plan:
                # What the base would do now, asked of a copy: deciding books plans in it.
                base_plan = [tuple(a) for a in self._clone(view).decide(view)] \
                    if view.ready else []
                if not base_plan:
                    return
            first = base_plan[0]
            choice = self._appraise_around(view, first, horizon).choice
            self._book(view, choice)
            # Agreeing with the base keeps the rest of its plan (so k=1 is the base
            # exactly); a different choice makes the base plan again from the new state.
            base_plan = base_plan[1:] if choice == first else []
            self.decisions += 1
            self.seconds += time.process_time() - clock
            yield choice

    # --------------------------------------------------- as a teacher (DAgger)
    def choose(self, view: SchedulerView) -> tuple[int, int, int] | None:
        """The placement this scheduler would make next in the state of ``view``.

        Nothing is committed: a learner labelled by this expert (DAgger) may
        then place something else; :meth:`commit` tells the expert what was
        placed. ``None`` when no ready task can be placed.
        """
        found = self.appraise(view)
        return None if found is None else found.choice

    def appraise(self, view: SchedulerView) -> Appraisal | None:
        """:meth:`choose`'s placement with the candidates it weighed and their scores.

        The scores say how much each alternative would cost: what a user
        inspecting the lookahead, or a cost-sensitive imitation learner
        (a wrong pick between near-equal candidates matters less than one
        between far-apart ones), needs beyond the choice itself. ``None``
        when no ready task can be placed.
        """
        if not view.ready:
            return None
        base_plan = [tuple(a) for a in self._clone(view).decide(view)]
        if not base_plan:
            return None
        return self._appraise_around(view, base_plan[0], self._horizon(view))

    def commit(self, view: SchedulerView, placement: tuple[int, int, int]) -> None:
        """Record a placement about to be applied (the base heuristic's plan follows it)."""
        self._book(view, placement)

    # ------------------------------------------------------------------ parts
    def _appraise_around(self, view: SchedulerView, first: tuple[int, int, int],
                         horizon: float) -> Appraisal:
        """The placement to make, with every candidate weighed and its mean score.

        The choice is ``first`` (the base's) unless a candidate's rollouts beat it.
        """
        candidates = self._candidates(view, first)
        if len(candidates) == 1:
            return Appraisal(first, candidates, np.full(1, np.nan))
        seeds = [int(s) for s in self.rng.integers(2**31 - 1, size=self.config.samples)]
        scores = self._scores(view, candidates, seeds, horizon)
        return Appraisal(candidates[self._pick(scores)], candidates, scores.mean(axis=1))

    @staticmethod
    def _pick(scores: np.ndarray) -> int:
        """The candidate to place: the best mean score, if it beats the base's clearly.

        ``scores[c, s]``: candidate ``c`` (0: the base's own choice) in sampled
        future ``s``. Picking the least of noisy estimates favours whichever
        one the noise flattered (the winner's curse), so a candidate displaces
        the base's choice only if its paired mean difference is below zero
        by more than one standard error over the samples.
        """
        means = scores.mean(axis=1)
        best = int(np.argmin(means))  # first of equals: the base's own
        if best == 0 or not np.isfinite(means[best]):
            return 0
        diff = scores[best] - scores[0]
        se = diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else 0.0
        return best if diff.mean() < -se else 0

    def _candidates(self, view: SchedulerView, first: tuple[int, int, int]
                    ) -> list[tuple[int, int, int]]:
        """The base's choice, then the other most promising (task, PE) pairs, k in all.

        Promise is the objective's one-step estimate: the earliest finish
        (``latency``), the task's own energy there (``energy``: active power x
        time plus input transfers), or their product with the time to finish
        (``edp``). Ranking by finish alone would never offer an energy
        objective the slower, frugal PEs it needs.
        """
        now = view.now
        objective = self.config.objective
        scored = []
        for job, task in view.ready:
            state = view.job(job)
            for pe in view.eligible_pes(job, task):
                if (job, task, pe) == first:
                    continue
                done = finish_on(state, task, pe, now, view.available_at(pe),
                                 view.exec_time(job, task, pe), view.transfer_time).finish
                if objective == "latency":
                    key = done
                else:
                    energy = task_energy(view, job, task, pe)
                    key = energy if objective == "energy" else energy * (done - now)
                scored.append((key, job, task, pe))
        scored.sort()
        return [first] + [(j, t, p) for _, j, t, p in scored[:self.config.k - 1]]

    def _score(self, view: SchedulerView, candidate: tuple[int, int, int], seeds: list[int],
               horizon: float) -> float:
        """Mean objective of ``candidate`` over the sampled futures ``seeds``."""
        if self.config.objective != "latency":
            return float(np.mean(self._energy_scores(view, [candidate], seeds, horizon)[0]))
        total = 0.0
        for seed in seeds:
            rolled = self._rollout(view, candidate, seed, horizon, until_done=True)
            if rolled is None:
                return math.inf
            fork, present = rolled
            total += self._present_latency(fork, present)[0]
        return total / len(seeds)

    def _scores(self, view: SchedulerView, candidates: list[tuple[int, int, int]],
                seeds: list[int], horizon: float) -> np.ndarray:
        """``scores[c, s]``: candidate ``c``'s objective in sampled future ``s``."""
        if self.config.objective != "latency":
            return self._energy_scores(view, candidates, seeds, horizon)
        if self.config.depth == 2:
            return np.array([self._deep_scores(view, c, seeds, horizon) for c in candidates])
        return np.array([[self._score(view, c, [seed], horizon) for seed in seeds]
                         for c in candidates])

    def _deep_scores(self, view: SchedulerView, candidate: tuple[int, int, int],
                     seeds: list[int], horizon: float) -> np.ndarray:
        """Per sampled future, ``candidate``'s latency with its best follow-up (``depth=2``).

        The follow-ups are the base's next placement after ``candidate`` and
        the other most promising ones (:meth:`_candidates` in the candidate's
        fork); each is rolled out from an exact copy of that fork, so every
        follow-up of a sample meets the same future. The follow-up kept is
        the one with the least mean over the samples; with no ready task
        left to place, the candidate's plain rollout is its score.
        """
        table: list[list[float]] = []
        follow_ups: list[tuple[int, int, int]] | None = None
        for seed in seeds:
            fork = view.fork(seed, horizon=horizon)
            base = self._clone(view)
            self._book(view, candidate, base)
            fork.assign(*candidate)
            if follow_ups is None:
                plan = [tuple(a) for a in self._clone(view, base).decide(fork.view)] \
                    if fork.view.ready else []
                follow_ups = self._candidates(fork.view, plan[0]) if plan else []
            if not follow_ups:
                return np.array([self._score(view, candidate, [seed], horizon)
                                 for seed in seeds])
            row = []
            for follow_up in follow_ups:
                twin = fork.fork(None)  # exact: the same sampled future as the fork
                deeper = self._clone(view, base)
                self._book(twin.view, follow_up, deeper)
                twin.assign(*follow_up)
                present = list(twin.jobs.values())
                row.append(math.inf if not self._finish(twin, deeper, present, True)
                           else self._present_latency(twin, present)[0])
            table.append(row)
        scores = np.array(table).T  # [follow-up, sample]
        return scores[int(np.argmin(scores.mean(axis=1)))]

    def _energy_scores(self, view: SchedulerView, candidates: list[tuple[int, int, int]],
                       seeds: list[int], horizon: float) -> np.ndarray:
        """Energy or EDP scores, every candidate's energy over the same interval.

        First each candidate's rollout runs until the jobs present finish (at
        most to the horizon): that gives its drain time, when the last of them
        is done. Then, per sampled future, every candidate's rollout is run
        again to the latest of those drain times, and its energy is read
        there. Reading energy at each rollout's own end would credit a fast
        schedule with idle energy it has not yet spent, and reading it at a
        horizon the jobs have not reached would leave their remaining work
        uncharged, rewarding schedules that defer it. EDP is that energy times
        the candidate's drain time: the run's own energy x makespan,
        restricted to the jobs present.
        """
        drains = np.empty((len(candidates), len(seeds)))
        for c, candidate in enumerate(candidates):
            for s, seed in enumerate(seeds):
                rolled = self._rollout(view, candidate, seed, horizon, until_done=True)
                drains[c, s] = math.inf if rolled is None else \
                    self._present_latency(*rolled)[1]
        scores = np.full_like(drains, math.inf)
        for s, seed in enumerate(seeds):
            finite = drains[np.isfinite(drains[:, s]), s]
            if not finite.size:
                continue
            end = float(finite.max())
            for c, candidate in enumerate(candidates):
                if not math.isfinite(drains[c, s]):
                    continue
                rolled = self._rollout(view, candidate, seed, end, until_done=False)
                if rolled is None:
                    continue
                energy = rolled[0].energy_so_far()
                scores[c, s] = energy if self.config.objective == "energy" \
                    else energy * drains[c, s]
        return scores

    def _rollout(self, view: SchedulerView, candidate: tuple[int, int, int], seed: int,
                 horizon: float, until_done: bool) -> tuple[Simulator, list[JobState]] | None:
        """A what-if fork with ``candidate`` placed, then the base heuristic to the end.

        The end: the horizon, or (``until_done``) as soon as the jobs present
        at the fork have all finished. ``None`` if the rollout got stuck.
        """
        fork = view.fork(seed, horizon=horizon)
        present = list(fork.jobs.values())  # the fork's own job records
        base = self._clone(view)  # the base as it stands in the run, plans included
        self._book(view, candidate, base)
        fork.assign(*candidate)
        return (fork, present) if self._finish(fork, base, present, until_done) else None

    @staticmethod
    def _finish(fork: Simulator, base: Scheduler, present: list[JobState],
                until_done: bool) -> bool:
        """Let ``base`` place the rest of this decision and run on; ``False`` if it got stuck.

        It stops at the fork's horizon or (``until_done``) once the jobs
        ``present`` have all finished.
        """
        try:
            for job, task, pe in base.decide(fork.view):  # the rest of this decision
                fork.assign(job, task, pe)
            while (not until_done or any(job.remaining and not job.failed
                                         for job in present)) and fork.advance():
                for job, task, pe in base.decide(fork.view):
                    fork.assign(job, task, pe)
        except SchedulingError:
            return False
        return True

    @staticmethod
    def _present_latency(fork: Simulator, present: list[JobState]) -> tuple[float, float]:
        """The censored latency sum of the jobs present at the fork, and when the last finished.

        Only those jobs count: later arrivals act on them through contention,
        but crediting or charging their own latency would reward holding the
        system's slots (under a cap, an early completion admits the next
        job earlier, whose age would then count against it). An unfinished
        (or given-up) job counts at its age when the rollout stopped.
        """
        end = fork.now
        latency, drained = 0.0, 0.0
        for job in present:
            done = max(job.finish) if job.remaining == 0 else end
            latency += done - job.arrival
            drained = max(drained, done)
        return latency, drained

    def _horizon(self, view: SchedulerView) -> float:
        """Where rollouts stop: ``h`` after now, or twice the longest critical path present."""
        length = self.config.horizon
        if length is None:
            length = 2.0 * max((max(view.profile(j).upward_rank[t]
                                    for t in view.profile(j).sources) for j in view.jobs()),
                               default=1.0)
        end = view.now + length
        limit = view.horizon
        return end if limit is None else min(end, max(limit, view.now))

    def _clone(self, view: SchedulerView, base: Scheduler | None = None) -> Scheduler:
        """A copy of the run's base heuristic (or of ``base``) with its state, sharing the view."""
        return copy.deepcopy(self.base if base is None else base, {id(view): view})

    def _book(self, view: SchedulerView, choice: tuple[int, int, int],
              base: Scheduler | None = None) -> None:
        """Let the base's own plan follow a placement (before the run applies it).

        Heuristics that plan PE availability across decisions (DS3's ETF and
        EFT) book each placement's planned finish; stateless ones need nothing.
        """
        plan = getattr(self.base if base is None else base, "plan", None)
        if plan is not None and hasattr(plan, "book"):
            job, task, pe = choice
            plan.book(pe, plan.finish(view, job, task, pe))


def _make(argument: str) -> Scheduler:
    return RolloutScheduler(RolloutConfig.parse(argument))


def register() -> None:
    """Register the ``rollout:`` prefix with the scheduler registry."""
    try:
        register_scheduler_prefix("rollout", _make,
                                  usage="rollout:BASE[,k=K,h=US,samples=S,objective=O,depth=D]")
    except TypeError:  # a registry without usage texts
        register_scheduler_prefix("rollout", _make)
