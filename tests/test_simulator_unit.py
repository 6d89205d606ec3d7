"""Unit tests of the emulator on tiny instances whose outcome is worked out by hand.

The ``two_pe_platform`` fixture (conftest.py): PE 0 is a CPU (1000 MHz,
1 W active, 0.1 W idle), PE 1 an ACC (500 MHz, 2 W active, 0.2 W idle);
transfers between them take ``1.5 + volume / 4`` us.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socsim.dvfs import Performance, Powersave, RaceToIdle
from socsim.errors import ConfigError, SchedulingError
from socsim.faults import FaultEvent, FaultModel
from socsim.jobs import Batch, FixedRate, JobSource, Poisson, Trace
from socsim.platform import Platform
from socsim.records import TaskRecord
from socsim.results import SimulationResult
from socsim.scheduler import SchedulerView
from socsim.schedulers import FirstIdle, MinimumExecutionTime
from socsim.simulator import Simulator
from socsim.workload import BoundProfile, JobProfile

CPU, ACC = 0, 1


# ------------------------------------------------------------------ helpers
def make_platform(*, timing: str = "continuous", cpus: int = 1,
                  cpu_opps: Sequence[Mapping[str, float]] | None = None,
                  cpu_reference_mhz: float | None = None,
                  **interconnect: Any) -> Platform:
    """A CPU cluster (``cpus`` PEs) and one ACC, as in ``two_pe_platform`` unless overridden."""
    cpu: dict[str, Any] = {"name": "CPU", "opps": list(cpu_opps or [
        {"mhz": 1000, "active_w": 1.0, "idle_w": 0.1}])}
    if cpu_reference_mhz is not None:
        cpu["reference_mhz"] = cpu_reference_mhz
    return Platform.from_dict({
        "name": "tiny",
        "timing": timing,
        "pe_types": [cpu, {"name": "ACC", "opps": [{"mhz": 500, "active_w": 2.0,
                                                    "idle_w": 0.2}]}],
        "clusters": [{"name": "cpu", "type": "CPU", "count": cpus},
                     {"name": "acc", "type": "ACC"}],
        "interconnect": {"default_bandwidth": 4.0, "latency": 1.5, **interconnect},
    })


def make_profile(platform: Platform, name: str, tasks: Mapping[str, Mapping[str, float]],
                 edges: Iterable[tuple[str, str, float]] = ()) -> BoundProfile:
    """Bind a profile given as ``{task: {type: cost}}`` and ``(src, dst, volume)`` edges."""
    return JobProfile.from_dict({
        "name": name,
        "tasks": [{"name": t, "cost": dict(c)} for t, c in tasks.items()],
        "edges": [list(e) for e in edges],
    }).bind(platform)


def run(platform: Platform, source: JobSource, scheduler: Any = None,
        **kwargs: Any) -> SimulationResult:
    sim = Simulator(platform, source, keep_trace=True, keep_jobs=True, **kwargs)
    return sim.run(scheduler or MinimumExecutionTime())


def done(result: SimulationResult) -> dict[tuple[int, str], TaskRecord]:
    assert result.trace is not None
    return {(r.job, r.task): r for r in result.trace if r.status == "done"}


class Plan:
    """Places the tasks of planned profiles at arrival, in the order given.

    Tasks of other profiles go, once ready, to the first idle eligible PE
    (like FirstIdle).
    """

    name = "plan"

    def __init__(self, plan: Mapping[str, Sequence[tuple[str, int]]]) -> None:
        self.plan = plan

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        pass

    def decide(self, view: SchedulerView) -> list[tuple[int, int, int]]:
        out = []
        for job in view.new_jobs:
            profile = view.profile(job)  # every job listed here must be present
            for task, pe in self.plan.get(profile.name, ()):
                out.append((job, profile.profile.task_names.index(task), pe))
        taken: set[int] = set()
        for job, task in view.ready:
            if view.profile(job).name in self.plan:
                continue
            for pe in view.eligible_pes(job, task):
                if pe not in taken and view.is_idle(pe):
                    taken.add(pe)
                    out.append((job, task, pe))
                    break
        return out


# --------------------------------------------------------- timing and queues
@pytest.mark.parametrize(("timing", "ready_b"), [
    ("continuous", 10 + 1.5 + 9 / 4),  # latency + volume / bandwidth = 3.75
    ("ds3", 10 + 2 + 1),               # int(9 / 4) + int(1.5) = 3
])
def test_chain_across_two_pes_waits_for_the_transfer(timing: str, ready_b: float) -> None:
    platform = make_platform(timing=timing)
    profile = make_profile(platform, "chain", {"a": {"CPU": 10}, "b": {"ACC": 6}},
                           [("a", "b", 9)])
    result = run(platform, JobSource([profile], max_jobs=1))
    records = done(result)
    a, b = records[(0, "a")], records[(0, "b")]
    assert (a.pe, a.ready, a.start, a.finish) == (CPU, 0.0, 0.0, 10.0)
    assert (b.pe, b.ready, b.start, b.finish) == (ACC, ready_b, ready_b, ready_b + 6)
    assert platform.transfer_time(CPU, ACC, 9) == ready_b - 10
    m = result.metrics
    assert m["makespan"] == m["mean_latency"] == ready_b + 6
    assert result.pe_busy == [10.0, 6.0]
    # Active 1 W x 10 + 2 W x 6; idle 0.1 W after a finishes, 0.2 W until b starts.
    assert result.pe_energy == pytest.approx([10 + 0.1 * (ready_b - 4), 12 + 0.2 * ready_b])
    assert m["energy_uj"] == pytest.approx(sum(result.pe_energy))


def test_queue_head_waiting_for_inputs_blocks_the_tasks_behind_it(
        two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "j", {"a": {"ACC": 10}, "b": {"CPU": 5},
                                                  "c": {"CPU": 2}}, [("a", "b", 4)])
    plan = Plan({"j": [("a", ACC), ("b", CPU), ("c", CPU)]})
    result = run(two_pe_platform, JobSource([profile], max_jobs=1), plan)
    records = done(result)
    # a: 0..10 on ACC; b's input reaches the CPU at 10 + 1.5 + 4 / 4 = 12.5.
    assert (records[(0, "b")].start, records[(0, "b")].finish) == (12.5, 17.5)
    # c was ready at 0 but queued behind b: FIFO, no overtaking.
    assert (records[(0, "c")].ready, records[(0, "c")].start) == (0.0, 17.5)
    assert records[(0, "c")].finish == 19.5
    assert [r.task for r in result.trace if r.pe == CPU] == ["b", "c"]


# -------------------------------------------------------------------- faults
def test_failure_mid_task_aborts_and_reruns_it_elsewhere() -> None:
    platform = make_platform(cpus=2)  # PEs 0, 1: CPU; PE 2: ACC
    profile = make_profile(platform, "one", {"a": {"CPU": 10}})
    faults = FaultModel([FaultEvent(4.0, 0, "fail"), FaultEvent(50.0, 0, "recover")])
    result = run(platform, JobSource([profile], max_jobs=1), faults=faults)
    assert result.trace == [
        TaskRecord(0, "one", "a", 0, 0.0, 0.0, 4.0, 4.0, "aborted"),  # 1 W x 4 us
        TaskRecord(0, "one", "a", 1, 0.0, 4.0, 14.0, 10.0, "done"),
    ]
    assert result.metrics["completed"] == 1 and result.metrics["failed"] == 0
    assert result.metrics["mean_latency"] == 14.0
    assert result.pe_busy == [4.0, 10.0, 0.0]
    # PE 0 draws nothing while down; PE 1 idles 0..4; the ACC idles 0..14.
    assert result.pe_energy == pytest.approx([4.0, 10.0 + 0.4, 0.2 * 14])
    assert result.jobs is not None and result.jobs[0].energy == pytest.approx(14.0)


def test_permanent_failure_of_the_only_eligible_pe_fails_the_job(
        two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "j", {"a": {"CPU": 5}, "b": {"ACC": 5}},
                           [("a", "b", 0)])
    faults = FaultModel([FaultEvent(2.0, ACC, "fail")])
    result = run(two_pe_platform, JobSource([profile], max_jobs=1), faults=faults)
    assert result.jobs is not None
    (job,) = result.jobs
    assert job.status == "failed" and math.isnan(job.finish)
    assert job.reason == "task b has no live eligible PE (all of acc are down for good)"
    assert result.extra["failure_reasons"] == {job.reason: 1}
    m = result.metrics
    assert (m["injected"], m["completed"], m["failed"], m["in_system"]) == (1, 0, 1, 0)
    assert math.isnan(m["mean_latency"])
    assert not any(r.task == "b" for r in result.trace or [])


def test_a_permanent_failure_of_a_pe_already_down_fails_the_jobs_that_need_it(
        two_pe_platform: Platform) -> None:
    """Regression: a scheduled failure for good, on a PE a random fault had taken down,
    left the jobs that need it in the system for ever (the run ended stuck)."""
    profile = make_profile(two_pe_platform, "j", {"a": {"CPU": 5}, "b": {"ACC": 5}},
                           [("a", "b", 0)])
    # Random faults every ~0.1 us, repaired after ~1e6 us: the ACC is down at t = 1.
    faults = FaultModel([FaultEvent(1.0, ACC, "fail")], mtbf=0.1, mttr=1e6, pes=[ACC])
    result = run(two_pe_platform, JobSource([profile], max_jobs=1), faults=faults, seed=0)
    assert result.jobs is not None
    (job,) = result.jobs
    assert job.status == "failed"
    assert job.reason == "task b has no live eligible PE (all of acc are down for good)"


def test_jobs_arriving_after_a_permanent_failure_fail_at_once_and_are_not_offered(
        two_pe_platform: Platform) -> None:
    """A job failed on arrival must not appear in ``view.new_jobs`` (Plan reads each one)."""
    doomed = make_profile(two_pe_platform, "doomed", {"x": {"ACC": 1}})
    fine = make_profile(two_pe_platform, "fine", {"y": {"CPU": 1}})
    source = JobSource([doomed, fine], arrivals=Trace([(10, "doomed"), (10, "fine")]),
                       max_jobs=2)
    plan = Plan({"doomed": [("x", ACC)], "fine": [("y", CPU)]})
    result = run(two_pe_platform, source, plan,
                 faults=FaultModel([FaultEvent(5.0, ACC, "fail")]))
    assert result.jobs is not None
    assert [(j.profile, j.status) for j in result.jobs] == [("doomed", "failed"),
                                                          ("fine", "completed")]
    assert result.jobs[1].finish == 11.0


def test_tasks_queued_behind_a_failed_jobs_task_still_run(two_pe_platform: Platform) -> None:
    """Regression: a failed job's task at the head of a queue must not block it forever."""
    j0 = make_profile(two_pe_platform, "j0", {"t0": {"ACC": 10}, "t1": {"CPU": 1}},
                      [("t0", "t1", 0)])
    j1 = make_profile(two_pe_platform, "j1", {"u0": {"CPU": 1}})
    plan = Plan({"j0": [("t0", ACC), ("t1", CPU)], "j1": [("u0", CPU)]})
    source = JobSource([j0, j1], arrivals=Trace([(0, "j0"), (0, "j1")]), max_jobs=2)
    result = run(two_pe_platform, source, plan,
                 faults=FaultModel([FaultEvent(5.0, ACC, "fail")]))
    # t0 aborted at 5 dooms j0; its t1 heads the CPU queue and is dropped, so u0 runs 5..6.
    assert result.jobs is not None
    assert [j.status for j in result.jobs] == ["failed", "completed"]
    assert done(result)[(1, "u0")][5:7] == (5.0, 6.0)
    assert result.metrics["in_system"] == 0 and result.end_time == 6.0


def test_dropping_a_failed_jobs_task_that_idles_a_pe_is_a_decision_point(
        two_pe_platform: Platform) -> None:
    """Regression: the CPU goes idle at 10 only by dropping f1; r must be placed then."""
    a = make_profile(two_pe_platform, "A", {"x": {"CPU": 10}})
    f = make_profile(two_pe_platform, "F", {"f0": {"ACC": 5}, "f1": {"CPU": 1}},
                     [("f0", "f1", 0)])
    r = make_profile(two_pe_platform, "R", {"r": {"CPU": 2}})
    plan = Plan({"A": [("x", CPU)], "F": [("f0", ACC), ("f1", CPU)]})  # R: idle PEs only
    source = JobSource([a, f, r], arrivals=Trace([(0, "A"), (0, "F"), (1, "R")]), max_jobs=3)
    result = run(two_pe_platform, source, plan,
                 faults=FaultModel([FaultEvent(3.0, ACC, "fail")]))
    assert result.jobs is not None
    assert [j.status for j in result.jobs] == ["completed", "failed", "completed"]
    assert done(result)[(2, "r")][5:7] == (10.0, 12.0)


def test_prefilled_jobs_are_decided_after_the_faults_at_time_zero(
        two_pe_platform: Platform) -> None:
    """Regression: with prefill, the first decision must see the CPU failed at t = 0."""
    profile = make_profile(two_pe_platform, "j", {"a": {"CPU": 3, "ACC": 4}})
    source = JobSource([profile], arrivals=Poisson(100.0), max_jobs=1, prefill=1)
    result = run(two_pe_platform, source, faults=FaultModel([FaultEvent(0.0, CPU, "fail")]))
    # MET falls back from the dead CPU to the ACC: one clean run, no aborted record at t = 0.
    assert result.trace == [TaskRecord(0, "j", "a", ACC, 0.0, 0.0, 4.0, 8.0)]


def test_faults_after_the_last_job_still_count_up_to_the_horizon(
        two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "j", {"a": {"CPU": 2}})
    result = run(two_pe_platform, JobSource([profile], max_jobs=1), horizon=20.0,
                 faults=FaultModel([FaultEvent(5.0, ACC, "fail")]))
    # CPU: 2 us at 1 W, then idle 18 us at 0.1 W. ACC: idle 0..5 at 0.2 W, then down.
    assert result.pe_energy == pytest.approx([2.0 + 1.8, 1.0])
    assert result.end_time == 20.0


def test_random_faults_are_reproducible_and_repaired() -> None:
    platform = make_platform(cpus=2)
    profile = make_profile(platform, "j", {"a": {"CPU": 30}, "b": {"CPU": 30}})
    source = JobSource([profile], arrivals=FixedRate(40.0), max_jobs=10)
    faults = FaultModel(mtbf=60.0, mttr=10.0, pes=[0, 1])
    first = run(platform, source, seed=3, faults=faults)
    again = run(platform, source, seed=3, faults=faults)
    assert first.trace == again.trace
    assert first.metrics["completed"] == 10  # every PE comes back: nothing fails for good
    assert any(r.status == "aborted" for r in first.trace or [])


# -------------------------------------------------------- arrivals and caps
def test_cap_with_prefill_keeps_at_most_three_jobs_in_the_system(
        two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "j", {"a": {"CPU": 4}, "b": {"CPU": 3, "ACC": 5}},
                           [("a", "b", 0)])
    source = JobSource([profile], arrivals=Poisson(2.0, integer=True), max_jobs=20,
                       max_in_system=3, prefill=3)
    sim = Simulator(two_pe_platform, source, seed=7, keep_jobs=True)
    scheduler = MinimumExecutionTime()
    scheduler.reset(sim.view, sim.scheduler_rng)
    peak = 0
    while sim.advance():
        peak = max(peak, len(sim.jobs))
        for assignment in scheduler.decide(sim.view):
            sim.assign(*assignment)
            assert len(sim.jobs) <= 3
    assert peak == 3
    result = sim.result()
    assert result.jobs is not None
    assert [j.arrival for j in result.jobs[:3]] == [0.0, 0.0, 0.0]
    # Integer costs, no transfers (volume 0), integer gaps: every time is whole.
    assert all(j.arrival == int(j.arrival) and j.finish == int(j.finish) for j in result.jobs)
    assert result.metrics["completed"] == 20
    # A job arrives only once a slot is free: at most 2 others present at its arrival.
    for k, job in enumerate(result.jobs):
        assert sum(1 for other in result.jobs[:k] if other.finish > job.arrival) <= 2


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_trace_arrivals_from_csv_and_json(tmp_path: Path, two_pe_platform: Platform) -> None:
    pa = make_profile(two_pe_platform, "pa", {"a": {"CPU": 1}})
    pb = make_profile(two_pe_platform, "pb", {"b": {"ACC": 1}})
    csv_path = _write(tmp_path, "arrivals.csv", "time,profile\n0,pb\n5,\n12.5,pa\n")
    json_path = _write(tmp_path, "arrivals.json",
                       json.dumps([0, {"time": 3, "profile": "pb"}, {"time": 3.5}]))
    for path, expected in [(csv_path, [(0.0, "pb"), (5.0, None), (12.5, "pa")]),
                           (json_path, [(0.0, None), (3.0, "pb"), (3.5, None)])]:
        trace = Trace.from_file(path)
        assert trace.entries == expected and trace.source == str(path)
        source = JobSource([pa, pb], arrivals=trace, max_jobs=10)
        result = run(two_pe_platform, source)
        assert result.jobs is not None
        assert [j.arrival for j in result.jobs] == [t for t, _ in expected]
        for job, (_, name) in zip(result.jobs, expected, strict=True):
            assert name is None or job.profile == name
        assert result.metrics["completed"] == 3


@pytest.mark.parametrize(("name", "text", "field"), [
    ("no_time.csv", "when,profile\n1,pa\n", "header"),
    ("bad_time.csv", "time\n1\nsoon\n", "row 3.time"),
    ("missing.json", json.dumps([1, {"profile": "pa"}]), "[1].time"),
    ("backwards.json", json.dumps([5, 2]), "arrivals[1].time"),
    ("negative.csv", "time\n-1\n", "arrivals[0].time"),
    ("text.json", json.dumps([{"time": "soon"}]), "arrivals[0].time"),
    ("syntax.json", "[0, 1,", "<file>"),
    ("object.json", json.dumps({"time": 3}), "<top level>"),
])
def test_bad_trace_files_name_the_file_and_field(tmp_path: Path, name: str, text: str,
                                                 field: str) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ConfigError) as info:
        Trace.from_file(path)
    assert info.value.source == str(path) and info.value.field == field
    assert str(path) in str(info.value)


def test_trace_naming_an_unknown_profile_or_a_missing_file(tmp_path: Path,
                                                           two_pe_platform: Platform) -> None:
    path = _write(tmp_path, "unknown.csv", "time,profile\n0,nope\n")
    profile = make_profile(two_pe_platform, "pa", {"a": {"CPU": 1}})
    with pytest.raises(ConfigError) as info:
        JobSource([profile], arrivals=Trace.from_file(path), max_jobs=1)
    assert (info.value.source, info.value.field) == (str(path), "arrivals[0].profile")
    with pytest.raises(ConfigError) as info:
        Trace.from_file(tmp_path / "absent.json")
    assert info.value.field == "<file>"


def test_trace_with_prefill_replays_identically(two_pe_platform: Platform) -> None:
    """Regression: a Trace reused across runs starts over even when prefill skips first()."""
    pa = make_profile(two_pe_platform, "pa", {"a": {"CPU": 1}})
    pb = make_profile(two_pe_platform, "pb", {"b": {"ACC": 1}})
    source = JobSource([pa, pb], arrivals=Trace([(1, "pb"), (2, "pb"), (3, "pa")]),
                       max_jobs=4, prefill=1, max_in_system=2)
    runs = [run(two_pe_platform, source, seed=1).jobs for _ in range(2)]
    assert runs[0] == runs[1]
    assert runs[0] is not None
    assert [(j.profile, j.arrival) for j in runs[0][1:]] == [("pb", 1.0), ("pb", 2.0),
                                                             ("pa", 3.0)]


def test_seed_decides_poisson_arrivals(two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "j", {"a": {"CPU": 1}})
    source = JobSource([profile], arrivals=Poisson(10.0), max_jobs=5)

    def arrivals(seed: int) -> list[float]:
        jobs = run(two_pe_platform, source, seed=seed).jobs
        assert jobs is not None
        return [j.arrival for j in jobs]

    assert arrivals(0) == arrivals(0)
    assert arrivals(0) != arrivals(1)


# ---------------------------------------------------------- DVFS and noise
@pytest.mark.parametrize(("policy", "reference", "duration", "energy"), [
    (Performance(), None, 10.0, 10.0 * 1.0),   # reference = fastest point
    (Powersave(), None, 20.0, 20.0 * 0.4),     # 1000 / 500 MHz: twice as long at 0.4 W
    (Performance(), 500, 5.0, 5.0 * 1.0),      # costs given at 500 MHz, run at 1000
    (RaceToIdle(), None, 10.0, 10.0 * 1.0),
])
def test_dvfs_scales_time_by_the_frequency_ratio(policy: Any, reference: float | None,
                                                 duration: float, energy: float) -> None:
    platform = make_platform(cpu_opps=[{"mhz": 500, "active_w": 0.4, "idle_w": 0.05},
                                       {"mhz": 1000, "active_w": 1.0, "idle_w": 0.1}],
                             cpu_reference_mhz=reference)
    profile = make_profile(platform, "j", {"a": {"CPU": 10}})
    result = run(platform, JobSource([profile], max_jobs=1), dvfs=policy, horizon=40.0)
    (record,) = result.trace or []
    assert record.finish - record.start == duration
    assert record.energy == pytest.approx(energy)
    # The CPU idles for the rest of the horizon at its idle point (0.05 W or 0.1 W).
    idle_w = 0.05 if isinstance(policy, (Powersave, RaceToIdle)) else 0.1
    assert result.pe_energy[CPU] == pytest.approx(energy + idle_w * (40.0 - duration))


def test_noise_in_ds3_timing_gives_whole_durations_of_at_least_one() -> None:
    platform = make_platform(timing="ds3")
    profile = make_profile(platform, "j", {"a": {"CPU": 1}, "b": {"CPU": 7}})
    source = JobSource([profile], max_jobs=40, noise_sigma=0.5)
    result = run(platform, source, seed=11)
    durations = {task: [r.finish - r.start for r in result.trace or [] if r.task == task]
                 for task in ("a", "b")}
    for values in durations.values():
        assert all(d >= 1 and d == int(d) for d in values)
    assert set(durations["a"]) <= {1.0, 2.0} and len(set(durations["b"])) > 2


def test_noise_in_continuous_timing_is_floored_at_a_thousandth_of_the_mean(
        two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "j", {"a": {"CPU": 8}})
    source = JobSource([profile], max_jobs=30, noise_sigma=5.0)
    result = run(two_pe_platform, source, seed=2)
    durations = [r.finish - r.start for r in result.trace or []]
    assert min(durations) == pytest.approx(8e-3)  # 1 + 5 z < 0 for some z
    assert max(durations) > 8.0
    assert all(d >= 8e-3 * (1 - 1e-9) for d in durations)


# ------------------------------------------------------------ data energy
def test_data_movement_energy_is_per_unit_of_volume_between_distinct_pes() -> None:
    platform = make_platform(energy_per_unit=0.5)
    cross = make_profile(platform, "cross", {"a": {"CPU": 2}, "b": {"ACC": 2}},
                         [("a", "b", 8)])
    local = make_profile(platform, "local", {"a": {"CPU": 2}, "b": {"CPU": 2}},
                         [("a", "b", 8)])
    moved = run(platform, JobSource([cross], max_jobs=1))
    assert moved.metrics["data_energy_uj"] == 0.5 * 8
    assert moved.metrics["energy_uj"] == pytest.approx(sum(moved.pe_energy) + 4.0)
    assert moved.jobs is not None
    assert moved.jobs[0].energy == pytest.approx(1.0 * 2 + 2.0 * 2 + 4.0)
    stayed = run(platform, JobSource([local], max_jobs=1))
    assert stayed.metrics["data_energy_uj"] == 0.0


# --------------------------------------------------------- API and errors
@pytest.fixture
def first_decision(two_pe_platform: Platform) -> Simulator:
    """A simulator at its first decision point: job 0 (a on CPU/ACC, b on CPU) just arrived;
    the ACC failed at t = 0 and recovers at 100."""
    profile = make_profile(two_pe_platform, "j", {"a": {"CPU": 1, "ACC": 1}, "b": {"CPU": 1}},
                           [("a", "b", 0)])
    sim = Simulator(two_pe_platform, JobSource([profile], max_jobs=1),
                    faults=FaultModel([FaultEvent(0.0, ACC, "fail"),
                                       FaultEvent(100.0, ACC, "recover")]))
    assert sim.advance()
    assert sim.view.new_jobs == [0] and list(sim.view.ready) == [(0, 0)]
    return sim


@pytest.mark.parametrize(("job", "task", "pe", "message"), [
    (0, 1, ACC, "cannot run task b"),
    (0, 0, ACC, "is down"),
    (7, 0, CPU, "job 7 is not in the system"),
    (0, 5, CPU, "has no task 5"),
    (0, 0, 9, "PE 9 does not exist"),
])
def test_invalid_assignments_raise(first_decision: Simulator, job: int, task: int, pe: int,
                                   message: str) -> None:
    with pytest.raises(SchedulingError, match=message):
        first_decision.assign(job, task, pe)


def test_a_task_is_placed_once(first_decision: Simulator) -> None:
    first_decision.assign(0, 0, CPU)
    first_decision.assign(0, 1, CPU)  # not ready yet: static placement is allowed
    with pytest.raises(SchedulingError, match="already placed on PE 0"):
        first_decision.assign(0, 1, CPU)
    with pytest.raises(SchedulingError, match="already placed on PE 0"):
        first_decision.assign(0, 0, CPU)
    while first_decision.advance():
        pass
    assert first_decision.result().metrics["makespan"] == 2.0


def test_endless_source_needs_a_horizon(two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "j", {"a": {"CPU": 1}})
    with pytest.raises(ValueError, match="needs a horizon"):
        Simulator(two_pe_platform, JobSource([profile], arrivals=Poisson(5.0)))
    for horizon in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="horizon"):
            Simulator(two_pe_platform, JobSource([profile], arrivals=Poisson(5.0)),
                      horizon=horizon)
    with pytest.raises(ValueError, match="batch arrival needs max_jobs"):
        JobSource([profile], arrivals=Batch())


def test_horizon_cuts_the_run_and_counts_unfinished_jobs(two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "j", {"a": {"CPU": 15}})
    source = JobSource([profile], arrivals=FixedRate(10.0))
    result = run(two_pe_platform, source, horizon=35.0)
    # Arrivals at 0, 10, 20, 30; runs 0-15, 15-30, 30-45 (cut at 35).
    m = result.metrics
    assert result.end_time == m["end_time"] == 35.0
    assert (m["injected"], m["completed"], m["in_system"]) == (4, 2, 2)
    assert m["mean_latency"] == (15 + 20) / 2
    assert m["censored_mean_latency"] == (15 + 20 + (35 - 20) + (35 - 30)) / 4
    assert result.pe_busy == [35.0, 0.0]
    assert result.pe_energy == pytest.approx([35.0, 0.2 * 35])
    assert [r.finish for r in result.trace or []] == [15.0, 30.0]
    assert result.jobs is not None
    assert [j.status for j in result.jobs] == ["completed", "completed", "in_system",
                                               "in_system"]


def test_first_idle_runs_one_task_per_idle_pe(two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "j", {"a": {"CPU": 4, "ACC": 8},
                                                  "b": {"CPU": 4, "ACC": 8}})
    result = run(two_pe_platform, JobSource([profile], max_jobs=1), FirstIdle())
    records = done(result)
    # a takes the CPU, b the ACC (the CPU is taken in this round), both at t = 0.
    assert (records[(0, "a")].pe, records[(0, "b")].pe) == (CPU, ACC)
    assert result.metrics["makespan"] == 8.0
    met = done(run(two_pe_platform, JobSource([profile], max_jobs=1)))
    # MET queues both on the CPU, the faster type: 0-4 and 4-8.
    assert [(r.pe, r.start) for r in met.values()] == [(CPU, 0.0), (CPU, 4.0)]


# ------------------------------------------------------------------ stalls and finite traces
class _NeverPlaces:
    """A scheduler that leaves every task unplaced (a bug a user could write)."""

    name = "never"

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Nothing to prepare."""

    def decide(self, view: SchedulerView) -> list[tuple[int, int, int]]:
        """Place nothing."""
        return []


def test_a_stuck_run_raises_instead_of_ending_silently(two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "p", {"a": {"CPU": 3}})
    sim = Simulator(two_pe_platform, JobSource([profile], arrivals=Batch(), max_jobs=1))
    with pytest.raises(SchedulingError, match=r"stuck at t=0 us: 1 job\(s\) remain.*"
                                              r"unplaced \['a'\]"):
        sim.run(_NeverPlaces())


def test_a_trace_source_is_finite_without_max_jobs(two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "p", {"a": {"CPU": 3}})
    source = JobSource([profile], arrivals=Trace([(0.0, None), (5.0, None)]))
    result = Simulator(two_pe_platform, source).run(MinimumExecutionTime())
    assert result.metrics["completed"] == 2 and source.max_jobs == 2


def test_source_task_ready_time_is_the_job_arrival(two_pe_platform: Platform) -> None:
    profile = make_profile(two_pe_platform, "p", {"a": {"CPU": 3}})
    source = JobSource([profile], arrivals=FixedRate(10.0), max_jobs=2)
    result = Simulator(two_pe_platform, source, keep_trace=True).run(MinimumExecutionTime())
    assert [(r.ready, r.start) for r in result.trace] == [(0.0, 0.0), (10.0, 10.0)]
