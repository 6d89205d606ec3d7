"""The decision a set policy faces: every (ready task, live PE) pair, each with its features.

At a decision point a scheduler that places one task at a time chooses
among the *candidates*: pairs of a ready, unplaced task and a live PE that
can run it. :func:`candidates` lists them with one feature row each, made
only of quantities that mean the same on any platform and workload, so a
policy scoring the rows has no parameter that depends on the number of
PEs, PE types, jobs, tasks or edges:

- times are divided by the *scenario scale*, the mean expected task cost
  (over eligible PEs) of the jobs present, so us-scale and ms-scale
  platforms look alike;
- a PE enters only through its own state (load, queue, speed and power on
  this task relative to the task's other PEs), never through its index or
  type, so renumbering PEs or tasks only renumbers the rows.

The expected finish time is the earliest-finish-time kernel of
:mod:`socsim.placement` applied to the emulator's current queues (what the
rollout expert's candidates and the environments' EFT placement use).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from socsim.placement import TransferMemo, inputs_ready_each
from socsim.scheduler import SchedulerView

from ..peft import profile_oct

#: Names of the feature columns, in order (documentation and tests).
FEATURES = (
    "finish",            # expected finish on this PE, from now
    "finish_gap",        # finish minus the least finish over all candidates
    "finish_gap_task",   # finish minus the least finish of this task over its PEs
    "exec",              # expected execution time on this PE
    "log_exec_ratio",    # log(exec / the task's least exec over its PEs)
    "input_wait",        # idle time the PE would wait for the task's inputs
    "pe_free",           # time until the PE has worked off its queue
    "pe_idle",           # 1 if the PE runs nothing and has an empty queue
    "log_queue",         # log(1 + tasks queued on the PE)
    "log_energy_ratio",  # log(energy here / the task's least energy over its PEs)
    "fastest",           # 1 if no PE of the task runs it faster
    "rank",              # the task's upward rank (mean costs)
    "rank_share",        # rank / the largest rank among ready tasks
    "succs",             # log(1 + successors)
    "age",               # the job's age
    "oldest",            # 1 if the job is the oldest present
    "job_left",          # fraction of the job's tasks not finished
    "job_work",          # the job's unfinished work (mean costs)
    "ready_pos",         # position in the ready list (0 first, 1 last)
    "log_ready",         # log(1 + ready tasks)
    "log_jobs",          # log(1 + jobs present)
    "log_pes",           # log(1 + live PEs)
    "load",              # mean over live PEs of pe_free
    "horizon_left",      # time to the horizon, capped at 100 scales (100 without one)
    "sufferage",         # the task's second-least finish minus its least (0 with one PE)
    "log_contested",     # log(1 + other ready tasks whose least finish is on this PE)
    "queue_gaps",        # idle time the PE's queued tasks will wait for their inputs
    "free_finish",       # finish on this PE once its queued tasks' input waits are counted
    "free_finish_gap",   # free_finish minus the least free_finish over all candidates
    "oct",               # PEFT's optimistic cost of the rest of the DAG if the task runs here
    "oct_finish_gap",    # free_finish + oct minus the least of it over the task's PEs
)
NUM_FEATURES = len(FEATURES)
_CONTESTED = FEATURES.index("log_contested")
_FREE_FINISH = FEATURES.index("free_finish")
_FREE_FINISH_GAP = FEATURES.index("free_finish_gap")
HORIZON_CAP = 100.0


@dataclass
class Candidates:
    """The candidates of one decision.

    Attributes:
        pairs: ``(job, task, pe)`` of each row.
        features: ``(len(pairs), NUM_FEATURES)`` float32 rows.
        task: Per row, its task, numbered 0.. in this decision.
        pe: Per row, its PE, numbered 0.. in this decision (``pairs`` has the PE itself).
    """

    pairs: list[tuple[int, int, int]]
    features: np.ndarray
    task: np.ndarray
    pe: np.ndarray

    def __len__(self) -> int:
        return int(self.features.shape[0])


class ScaleCache:
    """What stays true across a run's decisions, computed once.

    Per profile, the mean expected task cost, the per-task costs and PEFT's
    optimistic cost table; the platform's transfer times.
    """

    def __init__(self) -> None:
        self._mean: dict[object, tuple[float, list[float]]] = {}
        self._oct: dict[object, list[list[float]]] = {}
        self._memo: tuple[object, TransferMemo] | None = None

    def of(self, profile: object) -> tuple[float, list[float]]:
        """``(mean task cost, per-task mean cost)`` of a bound profile."""
        found = self._mean.get(profile)
        if found is None:
            costs = [c if math.isfinite(c) else 0.0 for c in profile.mean_cost]  # type: ignore
            found = self._mean[profile] = (sum(costs) / max(len(costs), 1), costs)
        return found

    def oct(self, profile: object) -> list[list[float]]:
        """PEFT's optimistic cost table ``oct[task][pe]`` of a bound profile.

        OCT(t, p) is the longest path from ``t`` to an exit when ``t`` runs on
        ``p`` and every later task on its best PE, mean communication counted
        where consecutive tasks change PE (Arabnejad and Barbosa, IEEE TPDS
        2014): what placing ``t`` on ``p`` costs the rest of the DAG, the
        lookahead a candidate's own finish time does not see.
        """
        found = self._oct.get(profile)
        if found is None:
            table = profile_oct(profile)  # type: ignore[arg-type]
            found = self._oct[profile] = [[c if math.isfinite(c) else 0.0 for c in row]
                                          for row in table]
        return found

    def transfers(self, view: SchedulerView) -> TransferMemo:
        """The platform's transfer times, memoised (the same numbers as ``view.transfer_time``)."""
        platform = view.platform
        if self._memo is None or self._memo[0] is not platform:
            self._memo = (platform, TransferMemo(platform.num_pes, view.transfer_time))
        return self._memo[1]


def candidates(view: SchedulerView, cache: ScaleCache | None = None) -> Candidates:
    """Every (ready task, live eligible PE) pair of the decision, with its features.

    Args:
        view: The simulator's view at a decision point.
        cache: Per-profile scales and transfer times kept across calls (a run's
            profiles repeat).
    """
    cache = cache or ScaleCache()
    now = view.now
    ready = list(view.ready)
    jobs = {job: view.job(job) for job in view.jobs()}
    scales = [cache.of(state.profile)[0] for state in jobs.values()]
    scale = sum(scales) / len(scales) if scales else 1.0
    if not scale > 0:
        scale = 1.0
    inv = 1.0 / scale
    log, log1p = math.log, math.log1p
    # Per live PE (lists indexed by PE), what every one of its rows repeats: when it can
    # start a task (not before now), the same with its queued tasks' input waits counted
    # (what ETF's own plan would say: on a static DAG the least finish from it is ETF's
    # choice, tested), the gap between the two, idleness, queue length and active power.
    num_pes = view.platform.num_pes
    floors, free_floors, gaps, power = ([0.0] * num_pes for _ in range(4))
    pe_part: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)] * num_pes
    live, load = [], 0.0
    for pe in range(num_pes):
        if not view.is_alive(pe):
            continue
        live.append(pe)
        free = view.available_at(pe)
        queued = view.queue_length(pe)
        free_at = view.free_at(pe) if queued else free
        gaps[pe] = (free_at - free) * inv
        floors[pe] = floor = max(free, now)
        free_floors[pe] = max(free_at, now)
        pe_part[pe] = ((floor - now) * inv, 1.0 if view.is_idle(pe) else 0.0, log1p(queued))
        power[pe] = view.active_power(pe)
        load += free - now
    load = load * inv / max(len(live), 1)
    oldest = min((state.arrival for state in jobs.values()), default=now)
    horizon = view.horizon
    horizon_left = HORIZON_CAP if horizon is None else min((horizon - now) * inv, HORIZON_CAP)
    job_info: dict[int, tuple[float, float]] = {}
    rows: list[list[float]] = []
    pairs: list[tuple[int, int, int]] = []
    task_of: list[int] = []
    best_pe: list[int] = []  # per placeable task, the PE where it finishes first
    pe_of: list[int] = []
    memo = cache.transfers(view)
    ranks = [view.profile(job).upward_rank[task] for job, task in ready]
    top_rank = max(ranks, default=1.0) or 1.0
    n_ready = len(ready)
    glob = [log1p(n_ready), log1p(len(jobs)), log1p(len(live)), load, horizon_left]
    inf = -math.inf
    # Absolute finishes (columns 1 and 27) become gaps to their least over all rows below.
    least_end = least_free_end = math.inf
    for index, (job, task) in enumerate(ready):
        state = jobs[job]
        profile = state.profile
        info = job_info.get(job)
        if info is None:
            costs = cache.of(profile)[1]
            work = sum(c for t, c in enumerate(costs) if state.finish[t] < 0)
            info = job_info[job] = (state.remaining / profile.num_tasks, work * inv)
        pes = view.eligible_pes(job, task)
        if not pes:
            continue
        octs = cache.oct(profile)[task]
        slot = len(best_pe)  # this task's number among the placeable ones
        execs = view.exec_times(job, task, pes)
        # finish_on's start, for every PE at once: the inputs' arrival, not before the floor.
        arrivals = inputs_ready_each(state, task, pes, memo, inf)
        starts = [at if at > floors[pe] else floors[pe]
                  for pe, at in zip(pes, arrivals, strict=True)]
        ends = [start + t for start, t in zip(starts, execs, strict=True)]
        least_exec = min(execs)
        energies = [t * power[pe] for pe, t in zip(pes, execs, strict=True)]
        least_energy = min(energies)
        finishes = sorted(ends)
        least_finish = finishes[0]
        if least_finish < least_end:
            least_end = least_finish
        sufferage = (finishes[1] - least_finish) * inv if len(finishes) > 1 else 0.0
        best_pe.append(pes[ends.index(least_finish)])
        # ETF's own finish (queued tasks' input waits counted), and that plus PEFT's OCT.
        free_ends = [(at if at > free_floors[pe] else free_floors[pe]) + t
                     for pe, at, t in zip(pes, arrivals, execs, strict=True)]
        least = min(free_ends)
        if least < least_free_end:
            least_free_end = least
        aheads = [end + octs[pe] for pe, end in zip(pes, free_ends, strict=True)]
        least_ahead = min(aheads)
        base = [ranks[index] * inv, ranks[index] / top_rank,
                log1p(len(profile.succs[task])), (now - state.arrival) * inv,
                1.0 if state.arrival == oldest else 0.0, info[0], info[1],
                index / max(n_ready - 1, 1), *glob]
        for pe, t, start, end, energy, free_end, ahead in zip(
                pes, execs, starts, ends, energies, free_ends, aheads, strict=True):
            rows.append([
                (end - now) * inv, end, (end - least_finish) * inv,
                t * inv, log(t / least_exec) if least_exec > 0 and t > 0 else 0.0,
                (start - floors[pe]) * inv, *pe_part[pe],
                log(energy / least_energy) if least_energy > 0 and energy > 0 else 0.0,
                1.0 if t == least_exec else 0.0, *base, sufferage, 0.0, gaps[pe],
                free_end, 0.0, octs[pe] * inv, (ahead - least_ahead) * inv])
            pairs.append((job, task, pe))
            task_of.append(slot)
            pe_of.append(pe)
    wanted: dict[int, int] = {}
    for pe in best_pe:
        wanted[pe] = wanted.get(pe, 0) + 1
    for row, t, pe in zip(rows, task_of, pe_of, strict=True):
        row[1] = (row[1] - least_end) * inv
        row[_CONTESTED] = log1p(wanted[pe] - 1 if best_pe[t] == pe else wanted.get(pe, 0))
        free_end = row[_FREE_FINISH]
        row[_FREE_FINISH_GAP] = (free_end - least_free_end) * inv
        row[_FREE_FINISH] = (free_end - now) * inv
    slots: dict[int, int] = {}
    pe_slot = [slots.setdefault(pe, len(slots)) for pe in pe_of]
    features = np.array(rows, dtype=np.float32).reshape(len(rows), NUM_FEATURES)
    return Candidates(pairs, features, np.array(task_of, np.int64),
                      np.array(pe_slot, np.int64))
