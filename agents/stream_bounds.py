"""How far a streaming run is from the best possible: lower bounds and a clairvoyant schedule.

Everything here works on one *episode*: the jobs a run admitted, each with
its arrival time, its (activity) profile and its realised execution times
(the noise the run drew), recorded by :func:`record_episode`. The figure
bounded is the run's **censored mean latency** over the jobs it counts
(completed or still in the system at the end; failed jobs are left out, as
:func:`socsim.metrics.compute_metrics` does): job ``j`` counts
``min(C_j, T) - a_j``, with ``a_j`` its arrival, ``C_j`` its completion and
``T`` the end of the run (the horizon; ``inf`` without one).

Which jobs arrive, and when, is a property of the run: with a cap on the
jobs in the system (the DeepSoCS protocol's three, with DS3Gym's retrying
generator) an arrival that finds the system full is dropped and retried, so
arrivals depend on the scheduler. Every bound here is therefore a bound for
*one run's* jobs at *that run's* arrival times (any schedule of those jobs
released at those times does no better); each scheduler is measured
against the bound of its own runs. Without a cap, arrivals, job mix and
noise come from the seed alone and the bound is the same for every
scheduler.

The bounds (:func:`stream_bound`), all valid for every non-preemptive
schedule on the platform, with any transfers, faults or queue rule:

- **Critical path** (``cp``): job ``j`` cannot finish before ``a_j +
  CP_j``, where ``CP_j`` is the longest path through its DAG when each task
  takes its least realised time over its eligible PEs, with no transfers
  and no contention (inputs never arrive before their producers finish; a
  task never starts before its job arrives). Its censored latency is thus
  at least ``min(CP_j, T - a_j)``; ``cp`` is the mean of those. Exact for a
  job alone on an idle platform when its fastest PEs need no transfers.
- **Work / capacity** (``work``): for a class ``S`` of PEs, let the
  class-work of job ``j`` be the sum, over its tasks that only PEs of ``S``
  can run, of each task's least realised time ``w_t``. A PE ``p`` of ``S``
  running such a task ``t`` for time ``d(t, p) >= w_t`` removes ``w_t``
  class-work, i.e. at most one unit per unit time; so the PEs of ``S``
  remove at most ``|S|`` units per unit time in total, and job ``j`` is in
  the system at least until its class-work is gone. Any schedule therefore
  induces a preemptive schedule of the class-work on one machine of speed
  ``|S|`` (each job released at ``a_j``) in which no job finishes later.
  On one preemptive machine, shortest-remaining-processing-time (SRPT)
  leaves the fewest jobs in the system at *every* instant (Schrage, Oper.
  Res. 16(3), 1968), so ``N_S(t)``, SRPT's count of unfinished jobs at
  ``t``, is at most the run's count ``N(t)``. Classes used: every distinct
  set of eligible PEs of a task, their pairwise unions, and all PEs.
- **Combined** (``bound``): the censored latency sum equals ``∫_0^T N(t)
  dt`` (a job counts from its arrival until it completes or the run ends),
  and ``N(t) >= max(N_cp(t), max_S N_S(t))`` at every ``t``, where
  ``N_cp(t)`` counts the jobs with ``a_j <= t < a_j + CP_j``. The integral
  of that maximum, over the number of jobs counted, is ``bound``; it is at
  least both ``cp`` and ``work``.

The clairvoyant schedule (:func:`clairvoyant`) is a CP-SAT model of the
same jobs, knowing every arrival and realised execution time in advance:
one PE per task, no overlap on a PE, a task starts no earlier than its
job's arrival and its inputs (the platform's transfer times between
distinct PEs, as the simulator times them), and the objective is the
censored latency sum. The cap on jobs in the system and the timing of
decision points are not modelled (arrivals are fixed), so the model is a
relaxation of what any scheduler can do with that run's jobs: CP-SAT's
proven bound is a lower bound on the run's censored mean, and its
objective is what a clairvoyant planner reaches within the time limit. The
run's own schedule is the solver's hint, so the objective is never worse
than the run's.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socsim.platform import Platform
from socsim.records import TaskRecord
from socsim.registry import make_scheduler
from socsim.results import SimulationResult
from socsim.scheduler import Scheduler, SchedulerView
from socsim.simulator import Simulator
from socsim.workload import BoundProfile

from .exact import add_placements, add_precedences, scale_for, solve
from .planning import Problem

INF = math.inf
#: At most this many PE classes enter the work bound (distinct eligibility sets first).
MAX_CLASSES = 64


def realised_duration(mu: float, z: float | None, sigma: float, ds3: bool) -> float:
    """How long a task of expected time ``mu`` lasts given its noise draw ``z``.

    The simulator's rule (``socsim.simulator``, where a task starts):
    ``mu * (1 + sigma * z)``, at least ``mu / 1000``; under DS3 timing
    ``max(1, round(...))``. Without noise (``z`` is ``None``): ``mu``.
    """
    if z is None:
        return mu
    duration = mu * (1.0 + sigma * z)
    return max(1.0, float(round(duration))) if ds3 else max(duration, mu * 1e-3)


@dataclass(frozen=True)
class StreamJob:
    """One admitted job of an episode.

    Attributes:
        id: Job id in the run.
        arrival: When it entered the system (us).
        profile: Its bound profile (the activity variant it ran with).
        durations: ``durations[task][pe]``: realised execution time of the
            task on that PE (``inf``: not eligible).
        status: ``"completed"``, ``"in_system"`` (at the end) or ``"failed"``.
        finish: Completion time (``nan`` unless completed).
    """

    id: int
    arrival: float
    profile: BoundProfile
    durations: list[list[float]]
    status: str
    finish: float = math.nan

    def least(self) -> list[float]:
        """Per task, its least realised time over its eligible PEs."""
        return [min(row) for row in self.durations]


@dataclass
class Episode:
    """The jobs of one run and how the run ended.

    Attributes:
        platform: The platform.
        end: The end of the run for censoring (the horizon, or ``inf`` without one).
        jobs: Every job the run admitted, in id order.
        result: The run's result (trace kept).
    """

    platform: Platform
    end: float
    jobs: list[StreamJob]
    result: SimulationResult

    @property
    def counted(self) -> list[StreamJob]:
        """The jobs the censored mean counts: completed or still in the system."""
        return [job for job in self.jobs if job.status != "failed"]


class _Recorder:
    """Wraps a scheduler; notes each new job's profile and noise draws at its first decision."""

    def __init__(self, inner: Scheduler, sim: Simulator) -> None:
        self._inner = inner
        self._sim = sim
        self.seen: dict[int, tuple[float, BoundProfile, list[float] | None]] = {}

    def __getattr__(self, name: str) -> Any:  # name, in_order_queues, ... of the inner one
        return getattr(self._inner, name)

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        self._inner.reset(view, rng)

    def decide(self, view: SchedulerView) -> Any:
        jobs = self._sim.jobs
        for job_id in view.new_jobs:
            state = jobs[job_id]
            noise = None if state.noise is None else list(state.noise)
            self.seen[job_id] = (state.arrival, state.profile, noise)
        return self._inner.decide(view)


def record_episode(sim: Simulator, scheduler: Scheduler | str) -> Episode:
    """Run ``sim`` under ``scheduler`` and record the jobs it admitted.

    Args:
        sim: A fresh simulator; it should keep a trace (``keep_trace=True``)
            if the episode is to hint :func:`clairvoyant`, and keeps job records.
        scheduler: A scheduler or a registered name.

    Returns:
        The episode.

    Raises:
        RuntimeError: A job the run admitted was never shown to the scheduler
            (then its execution times are unknown here).
    """
    if isinstance(scheduler, str):
        scheduler = make_scheduler(scheduler)
    sim.record(jobs=True)
    recorder = _Recorder(scheduler, sim)
    result = sim.run(recorder)  # type: ignore[arg-type]
    platform, sigma = sim.platform, sim.source.noise_sigma
    ds3 = platform.timing == "ds3"
    jobs = []
    for record in result.jobs or []:
        if record.job not in recorder.seen:
            if record.status == "failed":
                continue  # failed on arrival (no live PE): not counted anyway
            raise RuntimeError(f"job {record.job} was admitted but never seen by the scheduler")
        arrival, profile, noise = recorder.seen[record.job]
        durations = []
        for task in range(profile.num_tasks):
            row = [INF] * platform.num_pes
            z = None if noise is None else noise[task]
            for pe in profile.eligible_pes[task]:
                mu = profile.cost[task][platform.pe_type[pe]] * sim.pes.slowdown[pe]
                row[pe] = realised_duration(mu, z, sigma, ds3)
            durations.append(row)
        jobs.append(StreamJob(record.job, arrival, profile, durations, record.status,
                              record.finish))
    end = result.end_time if sim.horizon is not None else INF
    return Episode(platform, end, jobs, result)


# ----------------------------------------------------------------- cheap bounds


def critical_path(job: StreamJob) -> float:
    """Longest path of ``job`` with each task at its least realised time, no transfers."""
    least = job.least()
    profile = job.profile
    finish = [0.0] * profile.num_tasks
    for task in _topological(profile):
        start = max((finish[p] for p, _ in profile.preds[task]), default=0.0)
        finish[task] = start + least[task]
    return max(finish, default=0.0)


def _topological(profile: BoundProfile) -> list[int]:
    n = profile.num_tasks
    waiting = [len(profile.preds[t]) for t in range(n)]
    order = [t for t in range(n) if waiting[t] == 0]
    for t in order:  # grows while iterating
        for s, _ in profile.succs[t]:
            waiting[s] -= 1
            if waiting[s] == 0:
                order.append(s)
    return order


def srpt_completions(releases: Sequence[float], work: Sequence[float],
                     speed: float) -> list[float]:
    """Completion times under preemptive SRPT on one machine of the given speed.

    Jobs without work complete at their release.
    """
    order = sorted(range(len(releases)), key=lambda j: releases[j])
    done = [0.0] * len(releases)
    heap: list[tuple[float, int]] = []
    now, k = 0.0, 0
    while k < len(order) or heap:
        if not heap:
            now = max(now, releases[order[k]])
        while k < len(order) and releases[order[k]] <= now:
            j = order[k]
            k += 1
            if work[j] > 0:
                heapq.heappush(heap, (work[j], j))
            else:
                done[j] = releases[j]
        if not heap:
            continue
        left, j = heap[0]
        finish = now + left / speed
        upcoming = releases[order[k]] if k < len(order) else INF
        if finish <= upcoming:
            heapq.heappop(heap)
            done[j] = finish
            now = finish
        else:
            heapq.heapreplace(heap, (left - (upcoming - now) * speed, j))
            now = upcoming
    return done


def pe_classes(jobs: Sequence[StreamJob], num_pes: int) -> list[frozenset[int]]:
    """The PE classes of the work bound: eligibility sets, their pairwise unions, all PEs."""
    sets: list[frozenset[int]] = []
    for job in jobs:
        for row in job.durations:
            pes = frozenset(pe for pe, d in enumerate(row) if d < INF)
            if pes not in sets:
                sets.append(pes)
    classes = list(sets)
    for a, b in itertools.combinations(sets, 2):
        union = a | b
        if union not in classes:
            classes.append(union)
    everything = frozenset(range(num_pes))
    classes = [c for c in classes if c != everything][:MAX_CLASSES - 1]
    return [*classes, everything]


@dataclass(frozen=True)
class StreamBound:
    """Lower bounds on one run's censored mean latency (us); see the module docstring.

    Attributes:
        cp: Mean of ``min(CP_j, T - a_j)``.
        work: The best single work/capacity bound (largest over the PE classes).
        bound: The combined bound, at least ``cp`` and ``work``.
        jobs: Jobs counted.
    """

    cp: float
    work: float
    bound: float
    jobs: int


def stream_bound(episode: Episode) -> StreamBound:
    """The critical-path, work and combined lower bounds of an episode's censored mean."""
    jobs, end = episode.counted, episode.end
    if not jobs:
        return StreamBound(math.nan, math.nan, math.nan, 0)
    arrivals = [job.arrival for job in jobs]
    curves = [[a + critical_path(job) for a, job in zip(arrivals, jobs, strict=True)]]
    for pes in pe_classes(jobs, episode.platform.num_pes):
        work = [sum(w for w, row in zip(job.least(), job.durations, strict=True)
                    if all(pe in pes for pe, d in enumerate(row) if d < INF))
                for job in jobs]
        curves.append(srpt_completions(arrivals, work, float(len(pes))))
    starts = np.sort(np.array(arrivals))
    ends = [np.sort(np.minimum(np.array(c), end)) for c in curves]
    limit = end if math.isfinite(end) else max(float(e[-1]) for e in ends)
    points = np.unique(np.concatenate([starts, *ends, [limit]]))
    points = points[points <= limit]
    if points.size < 2:
        return StreamBound(0.0, 0.0, 0.0, len(jobs))
    mids, widths = (points[1:] + points[:-1]) / 2, np.diff(points)
    arrived = np.searchsorted(starts, mids, side="right")
    counts = np.array([arrived - np.searchsorted(e, mids, side="right") for e in ends])
    n = len(jobs)
    integrals = counts @ widths
    return StreamBound(cp=float(integrals[0]) / n, work=float(integrals[1:].max()) / n,
                       bound=float(counts.max(axis=0) @ widths) / n, jobs=n)


# ------------------------------------------------------------ clairvoyant CP-SAT


@dataclass
class Clairvoyant:
    """The clairvoyant CP-SAT schedule of an episode's jobs.

    Attributes:
        objective: Censored mean latency of the best schedule found (us).
        bound: CP-SAT's proven lower bound on it (us; ``nan`` when times had
            to be rounded, where the bound is the rounded model's).
        status: CP-SAT's status (``OPTIMAL``, ``FEASIBLE``, ...), or
            ``HINT`` when the solver found nothing better than the run's own
            schedule, which is then the objective.
        wall_s: Solver wall time.
        tasks: Tasks in the model.
        exact_times: Whether every time was an exact integer after scaling.
        info: Further figures (``scale``, ``hint``: the run's censored mean).
    """

    objective: float
    bound: float
    status: str
    wall_s: float
    tasks: int
    exact_times: bool
    info: dict[str, Any] = field(default_factory=dict)


def clairvoyant(episode: Episode, *, time_limit: float = 10.0, workers: int | None = None,
                seed: int = 0, cheap: StreamBound | None = None) -> Clairvoyant:
    """Solve the episode's jobs offline with every arrival and duration known.

    Args:
        episode: A recorded episode (with its trace, for the hint).
        time_limit: CP-SAT wall-clock limit (s).
        workers: CP-SAT workers (default: CPUs, at most 8).
        seed: CP-SAT's random seed.
        cheap: The episode's :func:`stream_bound`, given to the solver as a
            floor on the objective (computed if ``None``).

    Returns:
        The schedule's figures; see :class:`Clairvoyant`.
    """
    from ortools.sat.python import cp_model

    jobs = episode.counted
    if not jobs:
        return Clairvoyant(math.nan, math.nan, "EMPTY", 0.0, 0, True)
    cheap = cheap or stream_bound(episode)
    problem = Problem._build(episode.platform, [(job.id, job.profile, job.durations)
                                                for job in jobs], None)
    end = episode.end
    if not math.isfinite(end):
        end = None
    arrivals = [job.arrival for job in jobs]
    extra = arrivals + ([end] if end is not None else [])
    scale, exact = scale_for(_model_times(problem) + extra)
    model = _StreamModel(problem, scale, jobs, end)
    hint = _hint_schedule(problem, jobs, episode.result.trace or [], end)
    model.build(cheap.bound * len(jobs), hint)
    solver, status, wall = solve(model.model, time_limit, workers, seed)
    arrived = sum(arrivals)
    hinted = episode.result.metrics["censored_mean_latency"]
    info = {"scale": scale, "hint": hinted}
    n = len(jobs)
    proven = (solver.best_objective_bound / scale - arrived) / n if exact else math.nan
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        objective = (solver.objective_value / scale - arrived) / n
        name = solver.status_name(status)
        if objective > hinted:
            objective, name = hinted, "HINT"
    else:
        objective, name = hinted, "HINT"
    return Clairvoyant(objective, proven, name, wall, problem.num_tasks, exact, info)


def _model_times(problem: Problem) -> list[float]:
    """Execution and transfer times of the model (what must be integers once scaled)."""
    values = [c for row in problem.cost for c in row if c < INF]
    pes = range(problem.num_pes)
    for t in range(problem.num_tasks):
        for _, volume in problem.succs[t]:
            values.extend(problem.transfer(a, b, volume) for a in pes for b in pes if a != b)
    return values


def _hint_schedule(problem: Problem, jobs: Sequence[StreamJob], trace: Sequence[TaskRecord],
                   end: float | None) -> tuple[list[int], list[float]]:
    """The run's own schedule as ``(pe, start)`` per task, completed after the end of the run.

    Tasks the run finished keep their PE and start; the others are put one
    after another, in topological order, on their fastest PE after the end
    of the run (where they no longer change the censored objective).
    """
    index = {}
    offset = 0
    for job in jobs:
        for local, name in enumerate(job.profile.profile.task_names):
            index[(job.id, name)] = offset + local
        offset += job.profile.num_tasks
    pe = [-1] * problem.num_tasks
    start = [0.0] * problem.num_tasks
    finish = [-1.0] * problem.num_tasks
    for record in trace:
        t = index.get((record.job, record.task))
        if t is not None and record.status == "done":
            pe[t], start[t], finish[t] = record.pe, record.start, record.finish
    free = max([*(f for f in finish if f >= 0), end or 0.0, 0.0])
    pe_free = [free] * problem.num_pes
    for t in problem.topological_order():
        if pe[t] >= 0:
            continue
        q = min(problem.eligible[t], key=lambda p: problem.cost[t][p])
        ready = max((finish[u] + problem.transfer(pe[u], q, v) for u, v in problem.preds[t]),
                    default=0.0)
        pe[t], start[t] = q, max(ready, pe_free[q])
        finish[t] = pe_free[q] = start[t] + problem.cost[t][q]
    return pe, start


class _StreamModel:
    """CP-SAT model: release times, censored completion objective (scaled integer time)."""

    def __init__(self, problem: Problem, scale: int, jobs: Sequence[StreamJob],
                 end: float | None) -> None:
        from ortools.sat.python import cp_model

        self.problem, self.scale, self.jobs, self.end = problem, scale, jobs, end
        self.model = cp_model.CpModel()

    def ticks(self, value: float) -> int:
        """A time in scaled integer units."""
        return round(value * self.scale)

    def build(self, floor: float, hint: tuple[list[int], list[float]]) -> None:
        """Variables, constraints, objective (``>= floor``, in us) and the hint."""
        problem, model = self.problem, self.model
        n, pes = problem.num_tasks, range(problem.num_pes)
        release = []
        for job in self.jobs:
            release.extend([self.ticks(job.arrival)] * job.profile.num_tasks)
        horizon = max(release) + sum(max(self.ticks(problem.cost[t][p])
                                         for p in problem.eligible[t]) for t in range(n))
        horizon += sum(max((self.ticks(problem.transfer(a, b, v)) for a in pes for b in pes),
                           default=0) for t in range(n) for _, v in problem.succs[t])
        hint_pe, hint_start = hint
        horizon = max(horizon, max(self.ticks(s + problem.cost[t][hint_pe[t]])
                                   for t, s in enumerate(hint_start)))
        self.start = [model.new_int_var(release[t], horizon, f"S{t}") for t in range(n)]
        self.end_var = [model.new_int_var(0, horizon, f"E{t}") for t in range(n)]
        self.on = add_placements(model, problem, self.start, self.end_var, self.ticks)
        add_precedences(model, problem, self.on, self.start, self.end_var, self.ticks)
        censored, offset = [], 0
        for k, job in enumerate(self.jobs):
            tasks = range(offset, offset + job.profile.num_tasks)
            offset += job.profile.num_tasks
            done = model.new_int_var(0, horizon, f"C{k}")
            model.add_max_equality(done, [self.end_var[t] for t in tasks])
            if self.end is None:
                censored.append(done)
            else:
                cut = model.new_int_var(0, self.ticks(self.end), f"D{k}")
                model.add_min_equality(cut, [done, self.ticks(self.end)])
                censored.append(cut)
        total = sum(censored)
        arrived = sum(self.ticks(job.arrival) for job in self.jobs)
        model.add(total >= arrived + math.floor(floor * self.scale * (1 - 1e-9)))
        model.minimize(total)
        for t in range(n):
            model.add_hint(self.start[t], self.ticks(hint_start[t]))
            for p, x in self.on[t].items():
                model.add_hint(x, p == hint_pe[t])


# ------------------------------------------------------------------ one run row


def bound_row(sim: Simulator, scheduler: str, clairvoyant_s: float = 0.0,
              workers: int = 1) -> dict[str, float]:
    """A run's metrics with its bounds (``socsim compare --bound``).

    Args:
        sim: A fresh simulator of the run.
        scheduler: Registered scheduler name.
        clairvoyant_s: CP-SAT time limit; ``0`` skips the clairvoyant schedule.
        workers: CP-SAT workers.

    Returns:
        The run's metrics plus ``lower_bound`` (the combined bound),
        ``cp_bound``, ``work_bound``, ``bound_gap`` (censored mean over the
        bound, minus one), and with ``clairvoyant_s``: ``clairvoyant``,
        ``clairvoyant_bound``, ``clairvoyant_gap`` and ``clairvoyant_optimal``
        (1 if proven optimal).
    """
    sim.record(trace=True)
    episode = record_episode(sim, scheduler)
    metrics = dict(episode.result.metrics)
    cheap = stream_bound(episode)
    censored = metrics["censored_mean_latency"]
    best = cheap.bound
    row = {**metrics, "cp_bound": cheap.cp, "work_bound": cheap.work}
    if clairvoyant_s > 0:
        plan = clairvoyant(episode, time_limit=clairvoyant_s, workers=workers, cheap=cheap)
        if math.isfinite(plan.bound):
            best = max(best, plan.bound)
        row |= {"clairvoyant": plan.objective, "clairvoyant_bound": plan.bound,
                "clairvoyant_gap": _gap(censored, plan.objective),
                "clairvoyant_optimal": float(plan.status == "OPTIMAL")}
    row |= {"lower_bound": best, "bound_gap": _gap(censored, best)}
    return row


def _gap(value: float, reference: float) -> float:
    """``value / reference - 1`` (``nan`` when undefined)."""
    if not (math.isfinite(value) and math.isfinite(reference)) or reference <= 0:
        return math.nan
    return value / reference - 1.0
