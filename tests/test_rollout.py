"""The ``rollout:BASE`` lookahead scheduler (issue: headroom)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import scenarios

from socsim.agents.rollout import RolloutConfig, RolloutScheduler
from socsim.agents.scenario import PRESETS
from socsim.registry import make_scheduler

SHORT = PRESETS["deepsocs"].scenario.replace(horizon=600.0)


@pytest.mark.parametrize(("name", "message"), [
    ("rollout:", "needs a base heuristic"),
    ("rollout:etf,k=0", "k and samples must be >= 1"),
    ("rollout:etf,width=2", "unknown option 'width'"),
    ("rollout:etf,h=-5", "h must be a finite time > 0"),
    ("rollout:etf,objective=speed", "objective must be one of"),
    ("rollout:etf,depth=3", "depth must be 1 or 2"),
    ("rollout:etf,depth=2,objective=edp", "depth=2 looks ahead for objective=latency only"),
    ("rollout:etf,k=x", "k='x' is not a number"),
    ("rollout:ettf", "did you mean 'etf'"),
])
def test_bad_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_scheduler(name)


def test_name_round_trip_and_options() -> None:
    scheduler = make_scheduler("rollout:eft,k=2,h=300,samples=1,objective=edp")
    assert isinstance(scheduler, RolloutScheduler)
    assert scheduler.config == RolloutConfig("eft", 2, 300.0, 1, "edp")
    assert scheduler.name == "rollout:eft,k=2,h=300.0,samples=1,objective=edp"
    assert make_scheduler("rollout:etf").name == "rollout:etf"


@pytest.mark.parametrize("base", ["etf", "eft", "heft-rt"])
def test_one_candidate_is_the_base_heuristic(base: str) -> None:
    for seed in (0, 1):
        ours = SHORT.replace(noise=0.5).simulator(seed, keep_trace=True).run(
            make_scheduler(f"rollout:{base},k=1"))
        theirs = SHORT.replace(noise=0.5).simulator(seed, keep_trace=True).run(
            make_scheduler(base))
        assert ours.trace == theirs.trace


def test_the_same_placement_scores_the_same_under_common_random_numbers() -> None:
    sim = SHORT.replace(noise=0.5).simulator(3)
    scheduler = make_scheduler("rollout:etf")
    scheduler.reset(sim.view, sim.scheduler_rng)
    assert sim.advance()
    view = sim.view
    before = (sim.now, list(sim._events), dict(sim.ready), sim.tasks_done)
    first = tuple(next(iter(scheduler._clone(view).decide(view))))
    candidates = scheduler._candidates(view, first)
    assert candidates[0] == first and len(candidates) == 3
    horizon = scheduler._horizon(view)
    again = [scheduler._score(view, first, [11, 12], horizon) for _ in range(2)]
    assert again[0] == again[1]  # same candidate, same sampled futures: same score
    other = scheduler._score(view, first, [13, 14], horizon)
    assert np.isfinite(other)
    assert (sim.now, list(sim._events), dict(sim.ready), sim.tasks_done) == before  # untouched


def test_pick_keeps_the_base_unless_clearly_beaten() -> None:
    pick = RolloutScheduler._pick
    assert pick(np.array([[10.0, 10.0], [10.0, 10.0]])) == 0  # ties: the base
    assert pick(np.array([[10.0, 12.0], [9.0, 11.0]])) == 1  # better in every future
    assert pick(np.array([[10.0, 12.0], [12.0, 8.0]])) == 0  # better on average, not clearly
    assert pick(np.array([[10.0], [np.inf]])) == 0


@settings(max_examples=25)
@given(scenarios(horizon=True))
def test_rollout_never_proposes_an_invalid_placement(scn) -> None:
    # The run refuses any invalid placement with a SchedulingError; faults and noise included.
    result = scn.simulator().run(make_scheduler("rollout:etf,k=2,samples=2"))
    assert result.metrics["completed"] >= 0


def test_rollout_is_available_in_compare(tmp_path, capsys) -> None:
    from socsim.agents.compare_cmd import split_scheduler_list
    from socsim.cli import main
    assert split_scheduler_list("etf,rollout:etf,k=2,samples=1,heft-rt") == [
        "etf", "rollout:etf,k=2,samples=1", "heft-rt"]
    assert main(["compare", "--preset", "deepsocs", "--horizon", "300", "--seeds", "1",
                 "--workers", "1", "--schedulers", "etf,rollout:etf,k=2,samples=1",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "rollout:etf,k=2,samples=1" in out


def test_energy_objectives_offer_the_frugal_placements_and_compare_equal_intervals(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranking candidates by finish alone would never offer the slow, low-energy PEs."""
    from socsim.agents.runtime import task_energy
    from socsim.scenario import Scenario

    scenario = Scenario(platform="mobile_soc", mix="edge_ai", interarrival=8000.0,
                        max_in_system=12, jobs=3)
    sim = scenario.simulator(0)
    scheduler = make_scheduler("rollout:etf,k=2,objective=energy")
    scheduler.reset(sim.view, sim.scheduler_rng)
    assert sim.advance()
    view = sim.view
    first = tuple(next(iter(scheduler._clone(view).decide(view))))
    _, second = scheduler._candidates(view, first)
    pairs = [(job, task, pe) for job, task in view.ready
             for pe in view.eligible_pes(job, task) if (job, task, pe) != first]
    assert task_energy(view, *second) == min(task_energy(view, *p) for p in pairs)
    # Every candidate's energy is read at one common time, the latest time the jobs
    # present are done under any candidate; a latency rollout stops once they are.
    horizon = scheduler._horizon(view)
    forks = []
    real_fork = type(view).fork

    def recording_fork(self: object, seed: int, horizon: float | None = None) -> object:
        forks.append(real_fork(self, seed, horizon=horizon))
        return forks[-1]

    monkeypatch.setattr(type(view), "fork", recording_fork)
    scores = scheduler._scores(view, [first, second], [5], horizon)
    assert scores.shape == (2, 1) and np.all(np.isfinite(scores)) and np.all(scores > 0)
    # Two rollouts to find when each candidate's jobs are done, then both again to the later.
    assert len(forks) == 4
    assert view.now < forks[2].now == forks[3].now <= max(f.now for f in forks[:2])
    latency = make_scheduler("rollout:etf,k=2,h=1e9")
    latency.reset(view, sim.scheduler_rng)
    forks.clear()
    latency._score(view, first, [5], 1e9)
    assert forks[0].now < 1e9 and not any(job.remaining for job in forks[0].jobs.values()
                                          if job.id in view.jobs())


def test_appraise_gives_the_choice_with_every_candidates_mean_score() -> None:
    sims = [SHORT.replace(noise=0.5).simulator(4) for _ in range(2)]
    experts = [make_scheduler("rollout:etf,samples=3") for _ in range(2)]
    for sim, expert in zip(sims, experts, strict=True):
        expert.reset(sim.view, sim.scheduler_rng)
        assert sim.advance()
    appraisal = experts[0].appraise(sims[0].view)
    chosen = experts[1].choose(sims[1].view)  # the same state and streams
    assert appraisal is not None and appraisal.choice == chosen
    assert appraisal.candidates[0] == tuple(next(iter(
        experts[0]._clone(sims[0].view).decide(sims[0].view))))
    assert appraisal.choice in appraisal.candidates
    assert appraisal.scores.shape == (len(appraisal.candidates),)
    assert np.all(np.isfinite(appraisal.scores))
    # The scores are what the rollouts measure: the chosen one is never clearly worse.
    assert appraisal.scores[appraisal.candidates.index(appraisal.choice)] <= \
        appraisal.scores[0] + 1e-9


def test_a_lone_candidate_is_appraised_without_a_rollout() -> None:
    sim = SHORT.replace(noise=0.5).simulator(4)
    expert = make_scheduler("rollout:etf,k=1")
    expert.reset(sim.view, sim.scheduler_rng)
    assert sim.advance()
    appraisal = expert.appraise(sim.view)
    base = tuple(next(iter(expert._clone(sim.view).decide(sim.view))))
    assert appraisal.choice == base and appraisal.candidates == [base]
    assert np.isnan(appraisal.scores).all()  # nothing was rolled out


def test_depth_two_scores_each_candidate_by_its_best_follow_up() -> None:
    shallow = make_scheduler("rollout:etf")
    deep = make_scheduler("rollout:etf,depth=2")
    assert deep.name == "rollout:etf,depth=2" and deep.config.depth == 2
    sim = SHORT.simulator(3)
    sim.prepare(None)
    assert sim.advance()
    checked = 0
    while checked < 4:
        view = sim.view
        if len(view.ready) >= 2:  # something is left to place after the first placement
            for scheduler in (shallow, deep):
                scheduler.reset(view, np.random.default_rng(1))
            first = tuple(next(iter(shallow._clone(view).decide(view))))
            candidates = shallow._candidates(view, first)
            horizon = shallow._horizon(view)
            one = shallow._scores(view, candidates, [11, 12], horizon)
            two = deep._scores(view, candidates, [11, 12], horizon)
            # The base's own next placement is among the follow-ups, so looking one
            # placement deeper never scores a candidate worse on these futures.
            assert np.all(two.mean(axis=1) <= one.mean(axis=1) + 1e-9)
            checked += 1
        etf = make_scheduler("etf")
        etf.reset(view, np.random.default_rng(0))
        for placement in etf.decide(view):
            sim.assign(*placement)
        assert sim.advance()
    run = SHORT.replace(noise=0.5, horizon=300.0).simulator(0).run(
        make_scheduler("rollout:etf,depth=2,samples=2"))
    assert run.metrics["completed"] > 0  # a whole run: every placement was valid
