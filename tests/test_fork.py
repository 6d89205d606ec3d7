"""Simulator.fork: an independent copy of a run, exact or what-if (issue: headroom)."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import FACTORIES, scenarios

from socsim.agents.scenario import PRESETS
from socsim.simulator import Simulator


def drive(sim: Simulator, scheduler: object, decisions: int | None = None) -> int:
    """Advance ``sim`` through ``decisions`` decision points (all if None) under ``scheduler``."""
    done = 0
    while (decisions is None or done < decisions) and sim.advance():
        for job, task, pe in scheduler.decide(sim.view):
            sim.assign(job, task, pe)
        done += 1
    return done


def start(sim: Simulator, name: str) -> object:
    scheduler = FACTORIES[name]()
    sim._first_ready = sim.queue_discipline != "fifo"
    scheduler.reset(sim.view, sim.scheduler_rng)
    return scheduler


@settings(max_examples=60)
@given(scenarios(), st.integers(0, 12))
def test_fork_replays_the_parent_and_leaves_it_alone(scn, at: int) -> None:
    reference = scn.simulator()
    scheduler = start(reference, scn.scheduler)
    drive(reference, scheduler)
    expected = reference.result("x")

    parent = scn.simulator()
    scheduler = start(parent, scn.scheduler)
    drive(parent, scheduler, at)
    twin = parent.fork(history=True)
    twin_scheduler = copy.deepcopy(scheduler)
    if getattr(scheduler, "rng", None) is not None:  # a scheduler drawing from the run's stream
        twin_scheduler.rng = twin.scheduler_rng
    drive(twin, twin_scheduler)  # run the fork to the end first: the parent must not notice
    drive(parent, scheduler)
    got, forked = parent.result("x"), twin.result("x")
    assert got.trace == expected.trace and got.jobs == expected.jobs
    assert forked.trace == expected.trace and forked.jobs == expected.jobs
    assert forked.metrics == expected.metrics or all(
        a == b or (a != a and b != b) for a, b in zip(forked.metrics.values(),
                                                      expected.metrics.values(), strict=True))


def test_what_if_fork_resamples_the_future_but_not_the_past() -> None:
    scenario = PRESETS["deepsocs"].scenario.replace(noise=0.5)
    parent = scenario.simulator(7)
    scheduler = FACTORIES["met"]()
    drive(parent, scheduler, 40)
    a, b, c = parent.fork(seed=1), parent.fork(seed=1), parent.fork(seed=2)
    assert {j: s.finish for j, s in a.jobs.items()} == {j: s.finish for j, s in parent.jobs.items()}
    for twin in (a, b, c):
        drive(twin, FACTORIES["met"]())
    ra, rb, rc = (t.result("met") for t in (a, b, c))
    assert ra.metrics == rb.metrics  # same seed: common random numbers
    assert ra.metrics != rc.metrics  # another seed: another future
    # Unstarted tasks of the jobs present got fresh noise; finished ones kept theirs.
    twin = parent.fork(seed=3)
    for job_id, job in parent.jobs.items():
        for t, done in enumerate(job.finish):
            if done >= 0:
                assert twin.jobs[job_id].noise[t] == job.noise[t]


def test_fork_horizon_and_history() -> None:
    parent = PRESETS["deepsocs"].scenario.simulator(0)
    drive(parent, FACTORIES["met"](), 200)
    assert parent.latencies
    twin = parent.fork(horizon=parent.now + 50)
    assert len(twin.latencies) == 0 and twin.horizon == parent.now + 50
    drive(twin, FACTORIES["met"]())
    assert twin.end_time == parent.now + 50 and not parent._finished
