"""``etf-live`` (ETF on the live queues) and the view's queue-aware ``free_at``."""

from __future__ import annotations

import numpy as np
import pytest

from socsim.agents.learned.task_suite import Case
from socsim.placement import finish_on
from socsim.registry import make_scheduler
from socsim.scenario import Scenario


def test_etf_live_places_the_least_finishing_pair_each_time():
    case = Case("deepsocs/top5/25/0.5", horizon=600.0)
    sim = case.simulator(3)
    scheduler = make_scheduler("etf-live")
    sim.prepare(scheduler)
    view = sim.view
    checked = 0
    while sim.advance():
        for job, task, pe in scheduler.decide(view):
            # Against the state the choice was made in, nothing finishes earlier.
            best = min(finish_on(view.job(j), t, p, view.now, view.available_at(p),
                                 view.exec_time(j, t, p), view.transfer_time).finish
                       for j, t in view.ready for p in view.eligible_pes(j, t))
            mine = finish_on(view.job(job), task, pe, view.now, view.available_at(pe),
                             view.exec_time(job, task, pe), view.transfer_time).finish
            assert mine == pytest.approx(best)
            sim.assign(job, task, pe)
            checked += 1
    assert checked > 50


def test_etf_live_is_the_set_policys_finish_rule():
    torch = pytest.importorskip("torch")  # noqa: F841 (the learned package needs it)
    from socsim.agents.learned.set_scheduler import run_batched

    def least_finish(decisions, views):
        return [int(np.argmin(d.features[:, 0])) for d in decisions]
    for case in (Case("random-dag"), Case("papers-mix", jobs=6)):
        rule = run_batched([case.simulator(5)], least_finish)[0]
        live = case.simulator(5).run(make_scheduler("etf-live"))
        assert rule.metrics == pytest.approx(live.metrics, nan_ok=True)


def test_free_at_counts_the_input_waits_of_queued_tasks():
    # Two dependent tasks on different PEs: the successor queued behind nothing
    # still cannot start before its input arrives.
    scenario = Scenario(platform="canonical3", workload="canonical", arrival="batch", jobs=1,
                        max_in_system=0)
    sim = scenario.simulator(0)
    sim.prepare(None)
    view = sim.view
    gaps = 0
    while sim.advance():
        for job, task in list(view.ready):
            pe = view.eligible_pes(job, task)[(task * 7) % 3]
            sim.assign(job, task, pe)
        for pe in range(3):
            assert view.free_at(pe) >= view.available_at(pe) - 1e-9
            gaps += view.free_at(pe) > view.available_at(pe) + 1e-9
    assert gaps > 0
