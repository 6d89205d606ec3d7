"""ETF and EFT's incremental candidate evaluation makes exactly the naive choices.

The references below re-evaluate every (task, PE) pair through the
scheduler view each round (what ``etf`` and ``eft`` did before issue 13);
the shipped schedulers must return the same assignments, in the same
order, at every decision point, on streaming, faulty and noisy scenarios.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from socsim.agents import runtime
from socsim.agents.scenario import DEEPSOCS, Scenario
from socsim.scheduler import Assignment, SchedulerView

SCENARIOS = {
    "ds3-default": Scenario(jobs=40),
    "ds3-noisy-faults": Scenario(jobs=40, noise=0.2, mtbf=20000.0, mttr=500.0),
    "deepsocs": DEEPSOCS.scenario.replace(horizon=3000.0),
    "burst": Scenario(jobs=30, interarrival=20.0, max_in_system=0),
}


class NaiveEtf:
    """ETF re-evaluating every pair every round (the reference)."""

    name = "naive-etf"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        self.plan = runtime.PlannedAvailability(view.platform.num_pes)

    def decide(self, view: SchedulerView) -> list[Assignment]:
        left = [jt for jt in view.ready if view.eligible_pes(*jt)]
        out = []
        while left:
            best = (math.inf, -1, -1)
            for index, (job, task) in enumerate(left):
                for pe in view.eligible_pes(job, task):
                    finish = self.plan.finish(view, job, task, pe)
                    if finish < best[0]:
                        best = (finish, index, pe)
            finish, index, pe = best
            job, task = left.pop(index)
            self.plan.book(pe, finish)
            out.append(Assignment(job, task, pe))
        return out


class NaiveEft(NaiveEtf):
    """EFT through :meth:`PlannedAvailability.finish` per pair (the reference)."""

    name = "naive-eft"

    def decide(self, view: SchedulerView) -> list[Assignment]:
        out = []
        for job, task in view.ready:
            scores = [(self.plan.finish(view, job, task, pe), pe)
                      for pe in view.eligible_pes(job, task)]
            if scores:
                finish, pe = min(scores)
                self.plan.book(pe, finish)
                out.append(Assignment(job, task, pe))
        return out


class Recording:
    """Wraps a scheduler and records what it returns at each decision point."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[attr-defined]
        self.decisions: list[list[tuple[int, int, int]]] = []

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        self.inner.reset(view, rng)  # type: ignore[attr-defined]

    def decide(self, view: SchedulerView) -> list[Assignment]:
        out = list(self.inner.decide(view))  # type: ignore[attr-defined]
        self.decisions.append([tuple(a) for a in out])
        return out


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize(("fast", "naive"), [(runtime.EarliestTaskFirst, NaiveEtf),
                                             (runtime.EarliestFinishTime, NaiveEft)])
def test_incremental_choices_equal_the_naive_ones(scenario: str, fast: type,
                                                  naive: type) -> None:
    for seed in (0, 1, 2):
        runs = []
        for scheduler in (fast(), naive()):
            recording = Recording(scheduler)
            result = SCENARIOS[scenario].simulator(seed).run(recording)
            runs.append((recording.decisions, result.metrics))
        (ours, our_metrics), (theirs, their_metrics) = runs
        assert sum(map(len, ours)) > 0
        assert ours == theirs
        assert our_metrics == their_metrics
