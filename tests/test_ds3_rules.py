"""DS3's own MET, STF and ETF_LB rules, and the job-id first-ready queue discipline."""

from __future__ import annotations

import pytest

from socsim.agents.ds3_rules import drop_busy
from socsim.agents.scenario import PRESETS
from socsim.jobs import Batch, JobSource, Trace
from socsim.platform import Platform
from socsim.registry import make_scheduler
from socsim.scheduler import Assignment, SchedulerView
from socsim.simulator import Simulator
from socsim.workload import JobProfile

_OPP = [{"mhz": 1000, "active_w": 1.0, "idle_w": 0.1}]


def _platform(clusters: list[dict]) -> Platform:
    types = sorted({c["type"] for c in clusters})
    return Platform.from_dict({
        "name": "hand", "timing": "ds3",
        "pe_types": [{"name": name, "opps": _OPP} for name in types],
        "clusters": clusters, "interconnect": {"default_bandwidth": 1.0},
    })


def _profile(name: str, tasks: dict[str, dict[str, float]], edges: list | None = None,
             platform: Platform | None = None) -> object:
    doc = {"name": name, "tasks": [{"name": t, "cost": c} for t, c in tasks.items()],
           "edges": edges or []}
    return JobProfile.from_dict(doc).bind(platform)


class _Scripted:
    """Plays a fixed script at the first decision, then hands over to ``inner``."""

    def __init__(self, script: list[Assignment], inner: str) -> None:
        self.name = f"scripted+{inner}"
        self.script = script
        self.inner = make_scheduler(inner)
        self.decisions: list[tuple[float, list[Assignment]]] = []

    def reset(self, view: SchedulerView, rng: object) -> None:
        self.first = True
        self.inner.reset(view, rng)

    def decide(self, view: SchedulerView) -> list[Assignment]:
        if self.first:
            self.first = False
            return self.script
        out = [Assignment(*a) for a in self.inner.decide(view)]
        self.decisions.append((view.now, out))
        return out


# ------------------------------------------------------------------ ds3-met
@pytest.mark.parametrize(("busy", "left"), [
    ([False, True, False, True], [0, 3]),   # idle PE 2 dropped, busy PE 3 kept (DS3's removal)
    ([False, True, True, False], [0, 3]),   # busy PEs side by side: exactly those dropped
    ([True, False, True, False], [2, 3]),   # idle PE 1 dropped, busy PE 2 kept
    ([True, True, True, True], [0, 1, 2, 3]),   # all busy: nothing dropped
    ([False, False, False, False], [0, 1, 2, 3]),
])
def test_drop_busy_follows_ds3s_list_removal(busy: list[bool], left: list[int]) -> None:
    assert drop_busy([0, 1, 2, 3], busy) == left


def _met_case() -> tuple[Platform, JobSource]:
    """Four identical cores; job 0 keeps cores 1 and 3 busy, starts b on core 2 at t=10.

    Job 1 (three 5-us tasks) arrives at t=10.
    """
    platform = _platform([{"name": "c", "type": "C", "count": 4}])
    warm = _profile("warm", {"a": {"C": 10}, "b": {"C": 10}, "l1": {"C": 100},
                             "l2": {"C": 100}}, [["a", "b", 0]], platform)
    burst = _profile("burst", {"t0": {"C": 5}, "t1": {"C": 5}, "t2": {"C": 5}},
                     platform=platform)
    source = JobSource([warm, burst], arrivals=Trace([(0.0, "warm"), (10.0, "burst")]),
                       max_jobs=2)
    return platform, source


def test_ds3_met_tie_rules_on_a_hand_built_case() -> None:
    platform, source = _met_case()
    # a, b on core 2 (b starts at 10, the instant job 1 arrives), l1 on core 1, l2 on core 3.
    script = [Assignment(0, 0, 2), Assignment(0, 1, 2), Assignment(0, 2, 1), Assignment(0, 3, 3)]
    scheduler = _Scripted(script, "ds3-met")
    result = Simulator(platform, source, keep_trace=True).run(scheduler)
    now, placed = scheduler.decisions[0]
    assert now == 10.0
    # Candidates 0..3; busy (running since before t=10): 1 and 3. Core 2 started b at
    # t=10, so DS3 still sees it idle. DS3's removal drops two entries from the first
    # busy position: cores 1 and 2. Left: 0 and 3 (busy, but kept); then fewest tasks
    # assigned in this call, then lowest index: t0 -> 0, t1 -> 3, t2 -> 0.
    assert [a.pe for a in placed] == [0, 3, 0]
    assert result.metrics["completed"] == 2
    # socsim's own met looks at queued work instead and spreads over the free cores.
    scheduler = _Scripted(script, "met")
    Simulator(platform, source).run(scheduler)
    assert [a.pe for a in scheduler.decisions[0][1]] != [0, 3, 0]


def test_ds3_met_unique_fastest_pe_and_blind_to_queues() -> None:
    platform = _platform([{"name": "c", "type": "C", "count": 2},
                          {"name": "f", "type": "F"}])
    profile = _profile("p", {f"t{k}": {"C": 5, "F": 2} for k in range(4)}, platform=platform)
    source = JobSource([profile], arrivals=Batch(), max_jobs=1)
    result = Simulator(platform, source, keep_trace=True).run(make_scheduler("ds3-met"))
    assert {r.pe for r in result.trace} == {2}  # all four queue on the one fastest PE


# ------------------------------------------------------------------ ds3-stf
def test_ds3_stf_first_pe_with_the_minimum_and_ready_order() -> None:
    # PE 0 (C) and PE 2 (D) tie at 4 for task q: strict < keeps the first one.
    platform = _platform([{"name": "c", "type": "C", "count": 2},
                          {"name": "d", "type": "D"}])
    profile = _profile("p", {"long": {"C": 9, "D": 20}, "q": {"C": 4, "D": 4},
                             "short": {"C": 3, "D": 1}}, platform=platform)
    source = JobSource([profile], arrivals=Batch(), max_jobs=1)
    scheduler = _Scripted([], "ds3-stf")
    scheduler.first = False  # no script: ds3-stf from the first decision
    scheduler.reset = lambda view, rng: scheduler.inner.reset(view, rng)
    result = Simulator(platform, source, keep_trace=True).run(scheduler)
    _, placed = scheduler.decisions[0]
    # Ready order kept (no reordering by time); each on its first fastest PE.
    assert [(a.task, a.pe) for a in placed] == [(0, 0), (1, 0), (2, 2)]
    starts = {r.task: (r.pe, r.start) for r in result.trace}
    assert starts["long"] == (0, 0.0) and starts["q"] == (0, 9.0)  # PE 1 stays unused


# --------------------------------------------------------------- ds3-etf-lb
def test_ds3_etf_lb_counts_superseded_candidates() -> None:
    platform = _platform([{"name": "c", "type": "C", "count": 2}])
    profile = _profile("p", {"slow": {"C": 8}, "fast": {"C": 5}}, platform=platform)
    source = JobSource([profile], arrivals=Batch(), max_jobs=1)
    pes = {}
    for name in ("etf", "ds3-etf-lb"):
        result = Simulator(platform, source, keep_trace=True).run(make_scheduler(name))
        pes[name] = {r.task: r.pe for r in result.trace}
    # Both place "fast" first (finish 5). ETF breaks the PE tie by index; ETF_LB by its
    # run-long count, which "slow" raised for PE 0 while it was the best candidate.
    assert pes["etf"] == {"fast": 0, "slow": 1}
    assert pes["ds3-etf-lb"] == {"fast": 1, "slow": 0}


# ------------------------------------------------ first-ready-job discipline
def _two_jobs() -> tuple[Platform, JobSource]:
    """PE 0 (A) makes x; PE 1 (B) runs y (needs x's output, there at 15) and z."""
    platform = _platform([{"name": "a", "type": "A"}, {"name": "b", "type": "B"}])
    profile = _profile("p", {"x": {"A": 5}, "y": {"B": 3}, "z": {"B": 4}},
                       [["x", "y", 10]], platform)
    return platform, JobSource([profile], arrivals=Batch(), max_jobs=2)


class _Queue:
    """Queues job 1's z, then job 0's z, then job 0's x and y, at the first decision."""

    name = "queue"

    def reset(self, view: SchedulerView, rng: object) -> None:
        self.done = False

    def decide(self, view: SchedulerView) -> list[Assignment]:
        if self.done:
            return []
        self.done = True
        return [Assignment(1, 2, 1), Assignment(0, 2, 1), Assignment(0, 0, 0),
                Assignment(0, 1, 1), Assignment(1, 0, 0), Assignment(1, 1, 1)]


@pytest.mark.parametrize(("discipline", "order"), [
    ("fifo", ["1z", "0z", "0y", "1y"]),
    ("first-ready", ["1z", "0z", "0y", "1y"]),
    ("first-ready-job", ["0z", "1z", "0y", "1y"]),
])
def test_first_ready_job_starts_the_oldest_jobs_ready_task(discipline: str,
                                                           order: list[str]) -> None:
    platform, source = _two_jobs()
    result = Simulator(platform, source, keep_trace=True,
                       queue_discipline=discipline).run(_Queue())
    on_b = sorted((r.start, f"{r.job}{r.task}") for r in result.trace if r.pe == 1)
    assert [name for _, name in on_b] == order


def test_first_ready_job_skips_an_older_job_still_waiting_for_data() -> None:
    platform, source = _two_jobs()

    class Late(_Queue):
        def decide(self, view: SchedulerView) -> list[Assignment]:
            if self.done:  # job 0's z at the next decision (t=10, PE 0 idle)
                return [Assignment(0, 2, 1)] if (0, 2) in view.ready else []
            self.done = True  # job 0's y heads PE 1's queue, waiting for x until t=15
            return [Assignment(0, 0, 0), Assignment(0, 1, 1), Assignment(1, 2, 1),
                    Assignment(1, 0, 0), Assignment(1, 1, 1)]

    result = Simulator(platform, source, keep_trace=True,
                       queue_discipline="first-ready-job").run(Late())
    starts = {f"{r.job}{r.task}": r.start for r in result.trace}
    assert starts["1z"] == 0.0  # job 0's queued y is not data-ready: job 1's z goes first
    assert starts["0y"] == 15.0 and starts["0z"] == 10.0


def test_ds3_default_preset_uses_ds3s_conventions() -> None:
    preset = PRESETS["ds3-default"]
    assert preset.scenario.queue_discipline == "first-ready-job"
    for name in ("ds3-met", "ds3-stf", "etf", "eft", "met", "stf"):
        assert name in preset.schedulers
    sim = preset.scenario.replace(jobs=10).simulator(0)
    for name in ("ds3-met", "ds3-stf", "ds3-etf-lb"):
        result = preset.scenario.replace(jobs=10).simulator(0).run(make_scheduler(name))
        assert result.metrics["completed"] == 10
    assert sim.queue_discipline == "first-ready-job"
