"""Lower bounds and the clairvoyant schedule of streaming runs (socsim.agents.stream_bounds)."""

from __future__ import annotations

import math

import pytest

from socsim.agents.instance import instance_from_dict
from socsim.agents.scenario import DEEPSOCS, Scenario
from socsim.agents.stream_bounds import (
    clairvoyant,
    critical_path,
    record_episode,
    srpt_completions,
    stream_bound,
)
from socsim.jobs import Batch, JobSource
from socsim.simulator import Simulator

HEURISTICS = ("etf", "eft", "heft-rt", "met", "random")

SCENARIOS = {
    "deepsocs-300": DEEPSOCS.scenario.replace(horizon=300.0),
    "deepsocs-300-noisy": DEEPSOCS.scenario.replace(horizon=300.0, noise=0.5),
    "ds3-mix-uncapped": Scenario(jobs=8, interarrival=200.0, max_in_system=0, noise=0.3),
    "ds3-mix-horizon": Scenario(horizon=2000.0, interarrival=150.0, max_in_system=4),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_recorded_durations_are_the_ones_the_run_used(name: str) -> None:
    episode = record_episode(SCENARIOS[name].simulator(3, keep_trace=True), "etf")
    assert len(episode.jobs) == episode.result.metrics["injected"]
    by_id = {job.id: job for job in episode.jobs}
    for record in episode.result.trace or []:
        job = by_id[record.job]
        task = job.profile.profile.task_names.index(record.task)
        assert record.finish - record.start == pytest.approx(job.durations[task][record.pe])
        assert record.start >= job.arrival


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_bound_never_exceeds_a_censored_mean(name: str) -> None:
    for seed in range(4):
        for scheduler in HEURISTICS:
            episode = record_episode(SCENARIOS[name].simulator(seed, keep_trace=True), scheduler)
            bound = stream_bound(episode)
            censored = episode.result.metrics["censored_mean_latency"]
            assert bound.jobs == episode.result.metrics["completed"] + \
                episode.result.metrics["in_system"]
            assert bound.cp <= bound.bound + 1e-9 and bound.work <= bound.bound + 1e-9
            assert bound.bound <= censored + 1e-9, (name, seed, scheduler, bound, censored)


def _alone(doc: dict) -> Simulator:
    instance = instance_from_dict(doc)
    return Simulator(instance.platform, JobSource([instance.bound], arrivals=Batch(),
                                                  max_jobs=1), keep_trace=True)


@pytest.mark.parametrize("doc", [
    {"processors": 2, "tasks": {"a": [4, 6], "b": [3, 5]}, "edges": [["a", "b", 2]]},
    {"processors": 3, "tasks": {"a": [1, 5, 5], "b": [2, 9, 9], "c": [9, 3, 9],
                                "d": [4, 8, 8]},
     "edges": [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"]]},
])
def test_critical_path_is_exact_for_one_job_alone(doc: dict) -> None:
    episode = record_episode(_alone(doc), "etf")
    bound = stream_bound(episode)
    latency = episode.result.metrics["censored_mean_latency"]
    assert critical_path(episode.jobs[0]) == latency
    assert bound.cp == latency and bound.bound == latency


def test_srpt_leaves_work_to_the_shortest_job() -> None:
    # Job 0 (work 6) is preempted at t=1 by job 1 (work 1): 1 finishes at 2, 0 at 7 on speed 1.
    assert srpt_completions([0.0, 1.0, 3.0], [6.0, 1.0, 0.0], 1.0) == [7.0, 2.0, 3.0]
    assert srpt_completions([0.0, 0.0], [4.0, 2.0], 2.0) == [3.0, 1.0]


def test_censoring_caps_the_bound_at_the_horizon() -> None:
    scenario = DEEPSOCS.scenario.replace(horizon=20.0)
    episode = record_episode(scenario.simulator(0, keep_trace=True), "etf")
    bound = stream_bound(episode)
    ages = [20.0 - job.arrival for job in episode.counted]
    assert bound.bound <= sum(ages) / len(ages) + 1e-9


def test_uncapped_arrivals_are_the_same_for_every_scheduler() -> None:
    scenario = SCENARIOS["ds3-mix-uncapped"]
    episodes = [record_episode(scenario.simulator(1, keep_trace=True), s) for s in HEURISTICS]
    first = [(j.arrival, j.profile.name, j.durations) for j in episodes[0].jobs]
    for episode in episodes[1:]:
        assert [(j.arrival, j.profile.name, j.durations) for j in episode.jobs] == first


@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_clairvoyant_lies_between_the_bound_and_the_best_heuristic(noise: float) -> None:
    # No cap: every scheduler gets the same jobs, so one clairvoyant schedule serves all.
    scenario = Scenario(platform="canonical3", workload="canonical", horizon=120.0,
                        arrival="fixed", interarrival=40.0, max_in_system=0, noise=noise)
    episodes = {s: record_episode(scenario.simulator(2, keep_trace=True), s)
                for s in HEURISTICS}
    means = {s: e.result.metrics["censored_mean_latency"] for s, e in episodes.items()}
    best = min(means, key=means.__getitem__)
    cheap = stream_bound(episodes[best])
    plan = clairvoyant(episodes[best], time_limit=20, workers=2)
    assert plan.exact_times and plan.status in ("OPTIMAL", "FEASIBLE", "HINT")
    assert cheap.bound - 1e-9 <= plan.objective <= means[best] + 1e-9
    assert math.isfinite(plan.bound) and plan.bound <= plan.objective + 1e-9
    for value in means.values():
        assert plan.bound <= value + 1e-9 and cheap.bound <= value + 1e-9
