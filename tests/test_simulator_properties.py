"""Property-based tests of the emulator over random DAGs, platforms, arrivals and faults.

Every expected figure here is recomputed from the inputs (platform, DAGs,
fault schedule, DVFS policy) and the trace, not read back from the
simulator, except the task left running at the end of a run, which has no
trace record by design and is read from ``Simulator.pe_running``.

Set ``SOCSIM_EXAMPLES_SCALE`` (e.g. 10) to run more examples per test.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from hypothesis import event, given, settings
from strategies import FACTORIES, Scenario, scenarios

from socsim.records import JobRecord, TaskRecord
from socsim.results import SimulationResult
from socsim.scheduler import Assignment, Scheduler, SchedulerView
from socsim.simulator import Simulator
from socsim.workload import BoundProfile

SCALE = float(os.environ.get("SOCSIM_EXAMPLES_SCALE", "1"))
TOL = 1e-6


def examples(n: int) -> int:
    """``n`` scaled by ``SOCSIM_EXAMPLES_SCALE``."""
    return max(1, round(n * SCALE))


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=TOL)


# ---------------------------------------------------------------------- running
@dataclass
class Run:
    """One finished simulation with the scenario it came from."""

    scn: Scenario
    sim: Simulator
    result: SimulationResult

    @property
    def trace(self) -> list[TaskRecord]:
        assert self.result.trace is not None
        return self.result.trace

    @property
    def jobs(self) -> list[JobRecord]:
        assert self.result.jobs is not None
        return self.result.jobs

    def running_at_end(self) -> list[tuple[int, int, str, float]]:
        """``(pe, job, task name, start)`` of executions cut by the end of the run."""
        out = []
        for pe, running in enumerate(self.sim.pe_running):
            if running is not None:
                job, task, _, start, _, _ = running
                out.append((pe, job.id, job.profile.profile.task_names[task], start))
        return out

    def executions(self) -> list[tuple[int, int, str, float, float]]:
        """``(pe, job, task, start, end)`` of every execution, clipped at ``end_time``."""
        out = [(r.pe, r.job, r.task, r.start, r.finish) for r in self.trace]
        out += [(pe, job, task, start, self.result.end_time)
                for pe, job, task, start in self.running_at_end()]
        return out


def simulate(scn: Scenario, seed: int | None = None) -> Run:
    sim = scn.simulator(seed)
    result = sim.run(FACTORIES[scn.scheduler]())
    return Run(scn, sim, result)


def profiles_by_name(scn: Scenario) -> dict[str, BoundProfile]:
    return {p.name: p for p in scn.profiles}


def done_records(run: Run) -> dict[tuple[int, str], TaskRecord]:
    """The one "done" record per (job, task); fails if a task is done twice."""
    done: dict[tuple[int, str], TaskRecord] = {}
    for rec in run.trace:
        assert rec.status in ("done", "aborted"), rec
        if rec.status == "done":
            key = (rec.job, rec.task)
            assert key not in done, f"task {key} done twice: {done[key]} and {rec}"
            done[key] = rec
    return done


# ------------------------------------------------------------ fault timelines
def timelines(scn: Scenario) -> dict[int, list[tuple[float, bool]]]:
    """Per PE not subject to random faults: its effective state changes ``(time, up after)``.

    Replays the scheduled events in the simulator's documented order: by time,
    recoveries before failures at one instant. Each failure opens a down
    window, each recovery closes one (a recovery with none open changes
    nothing); the PE is up while no window is open.
    """
    random_pes = scn.random_fault_pes
    n = scn.platform.num_pes
    events = sorted(enumerate(scn.fault_events),
                    key=lambda ke: (ke[1].time, 0 if ke[1].kind == "recover" else 1, ke[0]))
    holds = [0] * n
    out: dict[int, list[tuple[float, bool]]] = {pe: [] for pe in range(n)
                                                if pe not in random_pes}
    for _, fault in events:
        if fault.pe in random_pes:
            continue
        was_up = holds[fault.pe] == 0
        holds[fault.pe] = holds[fault.pe] + 1 if fault.kind == "fail" else max(
            0, holds[fault.pe] - 1)
        if was_up != (holds[fault.pe] == 0):
            out[fault.pe].append((fault.time, not was_up))
    return out


def up_at(changes: list[tuple[float, bool]], t: float) -> bool:
    """Whether the PE is up at ``t``, after the events of that instant."""
    state = True
    for time, up in changes:
        if time > t:
            break
        state = up
    return state


def deaths_between(changes: list[tuple[float, bool]], lo: float, hi: float) -> list[float]:
    """Failure times in the open interval ``(lo, hi)``."""
    return [time for time, up in changes if not up and lo < time < hi]


def up_time(changes: list[tuple[float, bool]], end: float) -> float:
    """Time the PE is up within ``[0, end]``."""
    total, since, state = 0.0, 0.0, True
    for time, up in changes:
        if time > end:
            break
        if state and not up:
            total += time - since
        elif up and not state:
            since = time
        state = up
    return total + (end - since if state else 0.0)


def policy_powers(scn: Scenario) -> tuple[list[float], list[float], list[float]]:
    """Per PE: active power, idle power and slowdown under the scenario's DVFS policy."""
    platform = scn.platform
    active, idle, slowdown = [], [], []
    for pe in range(platform.num_pes):
        pe_type = platform.types[platform.pe_type[pe]]
        top = len(pe_type.opps) - 1
        busy_opp, idle_opp = {"performance": (top, top), "powersave": (0, 0),
                              "race-to-idle": (top, 0)}[scn.dvfs]
        active.append(pe_type.opps[busy_opp].active_w)
        idle.append(pe_type.opps[idle_opp].idle_w)
        slowdown.append(pe_type.opps[pe_type.reference_opp].mhz / pe_type.opps[busy_opp].mhz)
    return active, idle, slowdown


# ------------------------------------------------------------------- checks
def check_valid_schedule(run: Run) -> None:
    """Precedence, transfers, eligibility, no overlap on a PE, no start on a dead PE."""
    scn, platform = run.scn, run.scn.platform
    profiles = profiles_by_name(scn)
    jobs = {j.job: j for j in run.jobs}
    done = done_records(run)
    end = run.result.end_time
    active, _, slowdown = policy_powers(scn)
    for rec in run.trace:
        job = jobs[rec.job]
        assert rec.profile == job.profile
        profile = profiles[rec.profile]
        names = profile.profile.task_names
        task = names.index(rec.task)
        assert rec.pe in profile.eligible_pes[task], rec
        assert job.arrival <= rec.start <= rec.finish <= end + TOL, rec
        ready = job.arrival  # inputs of a source task are there from the job's arrival
        for pred, volume in profile.preds[task]:
            before = done.get((rec.job, names[pred]))
            assert before is not None, f"{rec} ran before its predecessor {names[pred]} finished"
            assert before.finish <= rec.start + TOL
            ready = max(ready, before.finish
                        + platform.transfer_time(before.pe, rec.pe, volume))
        assert close(rec.ready, ready), (rec, ready)
        assert rec.start >= rec.ready - TOL, rec
        assert close(rec.energy, active[rec.pe] * (rec.finish - rec.start)), rec
        if rec.status == "done" and scn.noise_sigma == 0.0:
            mu = profile.cost[task][platform.pe_type[rec.pe]] * slowdown[rec.pe]
            assert close(rec.finish - rec.start, mu), (rec, mu)
    by_pe: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for pe, _, _, start, finish in run.executions():
        by_pe[pe].append((start, finish))
    for pe, spans in by_pe.items():
        spans.sort()
        for (_, f1), (s2, _) in pairwise(spans):
            assert s2 >= f1 - TOL, f"overlap on PE {pe}: {spans}"
    changes = timelines(scn)
    faulty = {e.pe for e in scn.fault_events} | scn.random_fault_pes
    for rec in run.trace:
        if rec.status == "aborted":
            assert rec.pe in faulty, f"{rec} aborted on a PE that never fails"
        if rec.pe not in changes:
            continue
        pe_changes = changes[rec.pe]
        assert up_at(pe_changes, rec.start), f"{rec} started on a dead PE ({pe_changes})"
        assert not deaths_between(pe_changes, rec.start, rec.finish), (rec, pe_changes)
        if rec.status == "aborted":
            assert (rec.finish, False) in pe_changes, f"{rec} not cut at a failure {pe_changes}"
    for pe, _, _, start in run.running_at_end():
        if pe in changes:
            assert up_at(changes[pe], start) and up_at(changes[pe], end)


def check_tasks_once(run: Run) -> None:
    """Completed jobs ran every task once; failed jobs never ran the task that doomed them."""
    scn = run.scn
    profiles = profiles_by_name(scn)
    done = done_records(run)
    changes = timelines(scn)
    done_by_job: dict[int, set[str]] = defaultdict(set)
    for job, task in done:
        done_by_job[job].add(task)
    for job in run.jobs:
        profile = profiles[job.profile]
        names = profile.profile.task_names
        if job.status == "completed":
            assert done_by_job[job.job] == set(names), job
            assert close(job.finish, max(done[(job.job, n)].finish for n in names)), job
        else:
            assert math.isnan(job.finish), job
            assert done_by_job[job.job] < set(names), job
        if job.status == "failed":
            match = re.match(r"task (\S+) has no live eligible PE", job.reason)
            assert match, job.reason
            assert match.group(1) not in done_by_job[job.job], job
            scheduled_fails = {e.pe for e in scn.fault_events if e.kind == "fail"}
            for pe in profile.eligible_pes[names.index(match.group(1))]:
                # Down for good: dead after the last scheduled event; a random-fault PE
                # always has a repair ahead unless a scheduled failure took it.
                if pe in changes:
                    assert changes[pe] and not changes[pe][-1][1], (job, pe, changes)
                else:
                    assert pe in scheduled_fails, (job, pe)
        else:
            assert job.reason == ""
    if scn.horizon is None:
        assert all(j.status != "in_system" for j in run.jobs), "run ended with jobs stuck"
        zombies = run.running_at_end()
        if not any(j.status == "failed" for j in run.jobs):
            assert not zombies, zombies


def check_busy(run: Run) -> None:
    busy = [0.0] * run.scn.platform.num_pes
    for pe, _, _, start, finish in run.executions():
        busy[pe] += finish - start
    for pe, expected in enumerate(busy):
        assert close(run.result.pe_busy[pe], expected), (pe, run.result.pe_busy, busy)


def check_accounting(run: Run) -> None:
    """Job counts, latency statistics and other metrics agree with the job records."""
    scn, m, jobs = run.scn, run.result.metrics, run.jobs
    status = Counter(j.status for j in jobs)
    assert set(status) <= {"completed", "failed", "in_system"}
    assert m["injected"] == len(jobs) == run.sim.injected
    assert m["completed"] == status["completed"]
    assert m["failed"] == status["failed"]
    assert m["in_system"] == status["in_system"]
    assert m["injected"] == m["completed"] + m["in_system"] + m["failed"]
    assert sum(run.result.extra["failure_reasons"].values()) == status["failed"]
    assert [j.job for j in jobs] == list(range(len(jobs)))
    arrivals = [j.arrival for j in jobs]
    assert arrivals == sorted(arrivals)
    spec = scn.arrival
    if spec["max_jobs"] is not None:
        assert len(jobs) <= spec["max_jobs"]
    available = spec["max_jobs"]
    if spec["kind"] == "trace":
        available = min(available, len(spec["entries"]) + spec["prefill"])
    if scn.horizon is None:
        assert len(jobs) == available
    prefilled = min(spec["prefill"], spec["max_jobs"] or spec["prefill"])
    assert all(j.arrival == 0.0 for j in jobs[:prefilled])
    end = run.result.end_time
    if scn.horizon is not None:
        assert end == scn.horizon
    assert all(j.arrival <= end for j in jobs)
    latencies = [j.finish - j.arrival for j in jobs if j.status == "completed"]
    if latencies:
        assert close(m["mean_latency"], float(np.mean(latencies)))
        assert close(m["p95_latency"], float(np.percentile(latencies, 95)))
        assert close(m["makespan"], max(j.finish for j in jobs if j.status == "completed"))
        assert m["makespan"] <= end + TOL
    else:
        assert math.isnan(m["mean_latency"]) and m["makespan"] == 0.0
    ages = [end - j.arrival for j in jobs if j.status == "in_system"]
    if latencies or ages:
        assert close(m["censored_mean_latency"], (sum(latencies) + sum(ages))
                     / (len(latencies) + len(ages)))
    assert m["end_time"] == end
    if end > 0:
        assert close(m["utilisation"], float(np.mean([b / end for b in run.result.pe_busy])))
        assert close(m["throughput"], len(latencies) / end * 1e6)
    # The cap: a job injected at t finds fewer than max_in_system others that left after t.
    cap = spec["max_in_system"]
    if cap is not None:
        leave = [j.finish if j.status == "completed" else (math.inf if j.status == "in_system"
                                                           else -math.inf) for j in jobs]
        for k, job in enumerate(jobs):
            present = sum(1 for i in range(k) if leave[i] > job.arrival)
            assert present + 1 <= cap, (k, jobs)


def check_energy(run: Run) -> None:
    """Energy = active (per execution) + idle while up and not busy + data movement."""
    scn, result = run.scn, run.result
    platform = scn.platform
    active, idle, _ = policy_powers(scn)
    end = result.end_time
    profiles = profiles_by_name(scn)
    done = done_records(run)
    jobs = {j.job: j for j in run.jobs}
    moved_by_job: dict[int, float] = defaultdict(float)
    for pe, job, task, _, _ in run.executions():
        profile = profiles[jobs[job].profile]
        names = profile.profile.task_names
        for pred, volume in profile.preds[names.index(task)]:
            if volume > 0 and done[(job, names[pred])].pe != pe:
                moved_by_job[job] += volume
    data = platform.energy_per_unit * sum(moved_by_job.values())
    assert close(result.metrics["data_energy_uj"], data), (result.metrics, data)
    energy = result.metrics["energy_uj"]
    assert close(energy, sum(result.pe_energy) + data)
    assert energy >= 0
    assert close(result.metrics["energy_j"], energy * 1e-6)
    assert close(result.metrics["edp"], energy * 1e-6 * result.metrics["makespan"] * 1e-6)
    if end > 0:
        assert close(result.metrics["avg_power_w"], energy / end)
    changes = timelines(scn)
    for pe in range(platform.num_pes):
        busy = result.pe_busy[pe]
        floor = active[pe] * busy
        assert result.pe_energy[pe] >= floor - TOL * (1 + floor)
        if pe in changes:
            alive = up_time(changes[pe], end)
            assert busy <= alive + TOL
            assert close(result.pe_energy[pe], floor + idle[pe] * (alive - busy)), pe
        else:
            assert result.pe_energy[pe] <= floor + idle[pe] * (end - busy) + TOL
    energy_by_job: dict[int, float] = defaultdict(float)
    for rec in run.trace:
        energy_by_job[rec.job] += rec.energy
    for job in run.jobs:
        if job.status == "completed":
            expected = energy_by_job[job.job] + platform.energy_per_unit * moved_by_job[job.job]
            assert close(job.energy, expected), (job, expected)


def label(run: Run) -> None:
    """Record what a run exercised (see ``pytest --hypothesis-show-statistics``)."""
    jobs, trace = run.jobs, run.trace
    size = "0" if not jobs else "1" if len(jobs) == 1 else "2-9" if len(jobs) < 10 else "10+"
    event(f"jobs={size}")
    for status in sorted({j.status for j in jobs}):
        event(f"some job {status}")
    if any(r.status == "aborted" for r in trace):
        event("some task aborted")
    if run.running_at_end():
        event("task running at the end")
    if any(r.start > r.ready for r in trace):
        event("task queued after its inputs arrived")


def check_all(run: Run) -> None:
    label(run)
    check_valid_schedule(run)
    check_tasks_once(run)
    check_busy(run)
    check_accounting(run)
    check_energy(run)


# -------------------------------------------------------------------- tests
@settings(max_examples=examples(500))
@given(scenarios())
def test_random_runs_satisfy_every_invariant(scn: Scenario) -> None:
    check_all(simulate(scn))


@settings(max_examples=examples(120))
@given(scenarios(faults=False, noise=False))
def test_runs_without_faults_or_noise_satisfy_every_invariant(scn: Scenario) -> None:
    run = simulate(scn)
    check_all(run)
    assert not any(r.status == "aborted" for r in run.trace)
    assert run.result.metrics["failed"] == 0
    if scn.scheduler == "met":
        # MET puts each task on a PE where its expected time (cost x DVFS slowdown) is least.
        profiles = profiles_by_name(scn)
        pe_type = scn.platform.pe_type
        _, _, slowdown = policy_powers(scn)
        for rec in run.trace:
            profile = profiles[rec.profile]
            task = profile.profile.task_names.index(rec.task)
            row = profile.cost[task]
            best = min(row[pe_type[pe]] * slowdown[pe] for pe in profile.eligible_pes[task])
            assert row[pe_type[rec.pe]] * slowdown[rec.pe] == best, rec


@settings(max_examples=examples(300))
@given(scenarios(faults="always"))
def test_runs_with_faults_satisfy_every_invariant(scn: Scenario) -> None:
    check_all(simulate(scn))


@settings(max_examples=examples(120))
@given(scenarios(horizon=True))
def test_runs_cut_by_a_horizon_satisfy_every_invariant(scn: Scenario) -> None:
    check_all(simulate(scn))


def check_order_and_overlap(run: Run) -> None:
    """What holds whatever the speeds: precedence, transfers, no overlap on a PE."""
    platform, profiles = run.scn.platform, profiles_by_name(run.scn)
    done = done_records(run)
    by_pe: dict[int, list[tuple[float, float]]] = {}
    for rec in run.trace:
        profile = profiles[rec.profile]
        names = profile.profile.task_names
        for pred, volume in profile.preds[names.index(rec.task)]:
            before = done[(rec.job, names[pred])]
            assert before.finish + platform.transfer_time(before.pe, rec.pe, volume) \
                <= rec.start + TOL, rec
        by_pe.setdefault(rec.pe, []).append((rec.start, rec.finish))
    for spans in by_pe.values():
        spans.sort()
        assert all(a[1] <= b[0] + TOL for a, b in pairwise(spans)), spans


@settings(max_examples=examples(200))
@given(scenarios())
def test_runs_under_the_ondemand_governor_keep_the_speed_free_invariants(
        scn: Scenario) -> None:
    """Frequencies move mid-task here, so durations and per-task energies follow no table;
    the schedule, the job accounting and the energy books must still hold."""
    run = simulate(dataclasses.replace(scn, dvfs="ondemand"))
    check_order_and_overlap(run)
    check_tasks_once(run)
    check_busy(run)
    check_accounting(run)
    metrics = run.result.metrics
    assert close(metrics["energy_uj"], run.sim.energy_so_far())
    assert close(metrics["energy_uj"], sum(run.result.pe_energy) + metrics["data_energy_uj"])


def normalised(result: SimulationResult) -> tuple[object, ...]:
    """A NaN-safe, comparable digest of a result."""
    def fix(value: object) -> object:
        return "nan" if isinstance(value, float) and math.isnan(value) else value
    metrics = {k: fix(v) for k, v in result.metrics.items()}
    jobs = [tuple(fix(v) for v in j) for j in result.jobs or []]
    return (result.trace, jobs, metrics, result.pe_busy, result.pe_energy, result.end_time,
            result.extra)


@settings(max_examples=examples(120))
@given(scenarios())
def test_same_seed_gives_the_same_run(scn: Scenario) -> None:
    first = simulate(scn).result
    again = simulate(scn).result  # same scenario, same JobSource object
    assert normalised(first) == normalised(again)


@settings(max_examples=examples(120))
@given(scenarios(faults=False, noise=False, horizon=False))
def test_single_job_on_idle_platform(scn: Scenario) -> None:
    """Latency equals makespan, between the critical path and fully serial execution."""
    scn = dataclasses.replace(scn, arrival={"kind": "batch", "max_jobs": 1,
                                            "max_in_system": None, "prefill": 0},
                              profile_docs=scn.profile_docs[:1], weights=None)
    run = simulate(scn)
    m = run.result.metrics
    assert m["completed"] == 1
    assert close(m["mean_latency"], m["makespan"])
    assert close(m["makespan"], max(r.finish for r in run.trace))
    assert close(run.result.end_time, m["makespan"])
    platform, profile = scn.platform, scn.profiles[0]
    _, _, slowdown = policy_powers(scn)
    fastest = [min(profile.cost[t][platform.pe_type[pe]] * slowdown[pe]
                   for pe in profile.eligible_pes[t]) for t in range(profile.num_tasks)]
    slowest = [max(profile.cost[t][platform.pe_type[pe]] * slowdown[pe]
                   for pe in profile.eligible_pes[t]) for t in range(profile.num_tasks)]
    path = [0.0] * profile.num_tasks
    for t in range(profile.num_tasks):  # tasks are numbered in topological order
        path[t] = fastest[t] + max((path[p] for p, _ in profile.preds[t]), default=0.0)
    worst_transfers = sum(
        max(platform.transfer_time(a, b, v) for a in profile.eligible_pes[s]
            for b in profile.eligible_pes[d])
        for s, d, v in profile.profile.edges)
    assert max(path) - TOL <= m["makespan"] <= sum(slowest) + worst_transfers + TOL


@settings(max_examples=examples(60))
@given(scenarios(timing="ds3", faults=False))
def test_ds3_noise_gives_whole_durations_of_at_least_one(scn: Scenario) -> None:
    scn = dataclasses.replace(scn, noise_sigma=0.5)
    run = simulate(scn)
    for rec in run.trace:
        duration = rec.finish - rec.start
        assert duration >= 1.0 - TOL and abs(duration - round(duration)) < 1e-6, rec


class Auditor:
    """Wraps a scheduler; checks the view at every decision and records its predictions."""

    def __init__(self, inner: Scheduler) -> None:
        self.inner = inner
        self.name = inner.name
        self.predicted: dict[tuple[int, int, int], float] = {}

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        self.inner.reset(view, rng)

    def decide(self, view: SchedulerView) -> list[Assignment | tuple[int, int, int]]:
        present = set(view.jobs())
        assert set(view.new_jobs) <= present
        assert view.ready or view.new_jobs, "a decision point with nothing to decide"
        for job, task in view.ready:
            state = view.job(job)
            assert task in view.unplaced_tasks(job)
            assert all(state.finish[p] >= 0 for p, _ in view.profile(job).preds[task])
        out = list(self.inner.decide(view))
        for job, task, pe in out:
            if (job, task) in view.ready:  # inputs all finished: the prediction is exact
                self.predicted[(job, task, pe)] = view.inputs_ready_at(job, task, pe)
        return out


@settings(max_examples=examples(150))
@given(scenarios())
def test_view_tells_schedulers_the_truth(scn: Scenario) -> None:
    sim = scn.simulator()
    auditor = Auditor(FACTORIES[scn.scheduler]())
    result = sim.run(auditor)
    run = Run(scn, sim, result)
    for rec in run.trace:
        task = profiles_by_name(scn)[rec.profile].profile.task_names.index(rec.task)
        predicted = auditor.predicted.get((rec.job, task, rec.pe))
        if predicted is not None:
            assert close(rec.ready, predicted), (rec, predicted)
    assert normalised(result) == normalised(simulate(scn).result)  # auditing changes nothing
