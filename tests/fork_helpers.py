"""Drive a run by hand, fork it midway, and finish both: the fork-replay checks share this."""

from __future__ import annotations

from socsim.scheduler import Scheduler
from socsim.simulator import Simulator


def step(sim: Simulator, scheduler: Scheduler) -> bool:
    """One decision point: advance, then apply the scheduler's placements."""
    if not sim.advance():
        return False
    for job, task, pe in scheduler.decide(sim.view):
        sim.assign(job, task, pe)
    return True


def fork_and_finish(sim: Simulator, scheduler: Scheduler, decisions: int,
                    history: bool = False) -> tuple[Simulator, Simulator]:
    """Run ``decisions`` decision points, fork exactly, then run both to the end.

    ``scheduler`` must keep no state between decisions (it serves both runs).
    """
    sim.prepare(scheduler)
    for _ in range(decisions):
        assert step(sim, scheduler), "the run ended before the fork"
    twin = sim.fork(history=history)
    for run_ in (sim, twin):
        while step(run_, scheduler):
            pass
    return sim, twin
