"""Shared machinery of the static schedulers: problems, plans, ranks and insertion.

A static scheduler sees a whole job (or several) before anything runs and
*plans* it: each task gets a PE and a start time. This module holds what
HEFT, CPOP, PEFT and the exact solver share:

- :class:`Problem`: the tasks of one or more DAGs flattened into one graph,
  with a cost per (task, PE) and, per PE, the earliest time it can take new
  work. Built from bound profiles (the pure planning API) or from a
  :class:`~socsim.scheduler.SchedulerView` (inside the simulator).
- :class:`Plan`: per task a PE, start and finish, the per-PE order, the
  makespan, and the priority values (ranks) that produced it.
- :class:`Timeline`: insertion-based placement (a task may fill an idle gap
  on a PE when the gap is long enough and starts after its inputs arrive).
- Rank helpers (average costs, upward and downward ranks) and
  :func:`priority_order`, which applies the tie rules of the reference:
  values closer than a relative tolerance are equal, and equal values go to
  the lower task id.
- :func:`compact_plan`, which turns a PE assignment and per-PE orders into
  the schedule the simulator would execute, and :func:`check_plan`, which
  lists every way a plan breaks the rules.

Communication always goes through :meth:`socsim.platform.Platform.transfer_time`
so that a plan uses the simulator's own arithmetic (DS3 integer timing
included); a plan executed by the simulator without noise then reproduces
its start and finish times exactly.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice, pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

from socsim import dag_order
from socsim.platform import Platform
from socsim.scheduler import SchedulerView
from socsim.workload import BoundProfile

if TYPE_CHECKING:
    import networkx as nx

INF = math.inf
RANK_TOLERANCE = 1e-9
"""Relative tolerance under which two ranks or two finish times count as equal."""


def nearly_equal(a: float, b: float, tol: float = RANK_TOLERANCE) -> bool:
    """Whether ``a`` and ``b`` are equal up to a relative tolerance (absolute near 0)."""
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def less_than(a: float, b: float, tol: float = RANK_TOLERANCE) -> bool:
    """Whether ``a`` is smaller than ``b`` by more than the tolerance."""
    return a < b and not nearly_equal(a, b, tol)


# --------------------------------------------------------------------------- problem


@dataclass
class Problem:
    """Tasks of one or more DAGs to plan on a platform, as flat lists.

    Task ``t`` of the problem is task ``local[t]`` of job ``job_of[t]``; a
    single-profile problem numbers its tasks as the profile does.

    Attributes:
        platform: The platform (its links give transfer times).
        names: Display name per task (``"n3"``, or ``"j2:n3"`` with several jobs).
        job_of: Per task, the job key (job id in the simulator, profile index
            in the pure API).
        local: Per task, its index inside its job's profile.
        cost: ``cost[t][pe]``: expected execution time of ``t`` on ``pe``
            (``inf``: not eligible, or the PE is down).
        eligible: Per task, the PEs that can run it, in index order.
        succs: Per task, ``(successor, volume)`` pairs.
        preds: Per task, ``(predecessor, volume)`` pairs.
        pe_ready: Per PE, the earliest time it can start new work (0 on an
            idle platform; later when work is already queued there).
    """

    platform: Platform
    names: list[str]
    job_of: list[int]
    local: list[int]
    cost: list[list[float]]
    eligible: list[list[int]]
    succs: list[list[tuple[int, float]]]
    preds: list[list[tuple[int, float]]]
    pe_ready: list[float]
    _topo: list[int] | None = field(default=None, init=False, repr=False)

    @property
    def num_tasks(self) -> int:
        """Number of tasks (over all jobs)."""
        return len(self.names)

    @property
    def num_pes(self) -> int:
        """Number of PEs of the platform."""
        return self.platform.num_pes

    @classmethod
    def from_profiles(cls, profiles: BoundProfile | Sequence[BoundProfile], *,
                      pe_ready: Sequence[float] | None = None) -> Problem:
        """A problem from bound profiles, costs at each type's reference operating point.

        Args:
            profiles: One bound profile, or several bound to the same platform
                (planned together, as one DAG made of their union).
            pe_ready: Per PE, when it can take new work (default: all at 0).
        """
        if isinstance(profiles, BoundProfile):
            profiles = [profiles]
        if not profiles:
            raise ValueError("nothing to plan: give at least one profile")
        platform = profiles[0].platform
        if any(p.platform is not platform for p in profiles):
            raise ValueError("all profiles of one problem must be bound to the same platform")
        jobs = []
        for key, profile in enumerate(profiles):
            costs = []
            for row, pes in zip(profile.cost, profile.eligible_pes, strict=True):
                costs.append([INF] * platform.num_pes)
                for pe in pes:
                    costs[-1][pe] = row[platform.pe_type[pe]]
            jobs.append((key, profile, costs))
        return cls._build(platform, jobs, pe_ready)

    @classmethod
    def from_view(cls, view: SchedulerView, jobs: Iterable[int],
                  pe_ready: Sequence[float]) -> Problem:
        """A problem from jobs in the simulator, with their live PEs and expected times.

        Args:
            view: The simulator's view.
            jobs: Job ids to plan; every task of each must have a live eligible PE.
            pe_ready: Per PE, when it can take new work.
        """
        platform = view.platform
        built = []
        for job in jobs:
            profile = view.profile(job)
            costs = []
            for task in range(profile.num_tasks):
                row = [INF] * platform.num_pes
                for pe in view.eligible_pes(job, task):
                    row[pe] = view.exec_time(job, task, pe)
                costs.append(row)
            built.append((job, profile, costs))
        return cls._build(platform, built, pe_ready)

    @classmethod
    def _build(cls, platform: Platform, jobs: list[tuple[int, BoundProfile, list[list[float]]]],
               pe_ready: Sequence[float] | None) -> Problem:
        names, job_of, local, cost, eligible = [], [], [], [], []
        succs: list[list[tuple[int, float]]] = []
        preds: list[list[tuple[int, float]]] = []
        several = len(jobs) > 1
        for key, profile, costs in jobs:
            offset = len(names)
            for task, task_name in enumerate(profile.profile.task_names):
                names.append(f"j{key}:{task_name}" if several else task_name)
                job_of.append(key)
                local.append(task)
                row = costs[task]
                cost.append(row)
                pes = [pe for pe, c in enumerate(row) if c < INF]
                if not pes:
                    raise ValueError(f"task {names[-1]} has no PE that can run it")
                eligible.append(pes)
                succs.append([(offset + s, v) for s, v in profile.succs[task]])
                preds.append([(offset + p, v) for p, v in profile.preds[task]])
        ready = [0.0] * platform.num_pes if pe_ready is None else [float(r) for r in pe_ready]
        if len(ready) != platform.num_pes:
            raise ValueError(f"pe_ready needs one time per PE ({platform.num_pes}), "
                             f"got {len(ready)}")
        return cls(platform, names, job_of, local, cost, eligible, succs, preds, ready)

    def topological_order(self) -> list[int]:
        """Tasks in topological order, computed once (see :mod:`socsim.dag_order`)."""
        if self._topo is None:
            self._topo = dag_order.topological_order(self.succs)
        return self._topo

    def transfer(self, src_pe: int, dst_pe: int, volume: float) -> float:
        """Transfer time of ``volume`` between two PEs (the platform's own rule)."""
        return self.platform.transfer_time(src_pe, dst_pe, volume)

    def mean_cost(self) -> list[float]:
        """Per task, the mean execution time over its eligible PEs (HEFT's w̄)."""
        return [sum(row[pe] for pe in pes) / len(pes)
                for row, pes in zip(self.cost, self.eligible, strict=True)]

    def mean_comm(self) -> Callable[[float], float]:
        """HEFT's average communication cost c̄ as a function of an edge's volume.

        c̄ = mean latency + volume / mean transfer rate, both over ordered
        pairs of distinct PEs (the paper averages rates, not times); 0 for an
        empty edge or a single-PE platform.
        """
        platform = self.platform
        n = platform.num_pes
        if n < 2:
            return lambda volume: 0.0
        rate = platform.mean_bandwidth()
        latency = sum(platform.link(a, b).latency for a in range(n) for b in range(n)
                      if a != b) / (n * (n - 1))
        return lambda volume: latency + volume / rate if volume > 0 else 0.0


def as_problem(instance: Problem | BoundProfile | Sequence[BoundProfile],
               pe_ready: Sequence[float] | None = None) -> Problem:
    """Accept a :class:`Problem`, a bound profile or a list of them."""
    if isinstance(instance, Problem):
        if pe_ready is not None:
            raise ValueError("give pe_ready when building the Problem, not with it")
        return instance
    return Problem.from_profiles(instance, pe_ready=pe_ready)


# --------------------------------------------------------------------------- ranks


def upward_ranks(problem: Problem) -> list[float]:
    """HEFT's rank_u: w̄(t) + max over successors s of (c̄(t, s) + rank_u(s))."""
    return dag_order.upward_ranks(problem.mean_cost(), problem.succs, problem.mean_comm())


def downward_ranks(problem: Problem) -> list[float]:
    """CPOP's rank_d: max over predecessors p of (rank_d(p) + w̄(p) + c̄(p, t)); 0 at entries."""
    w = problem.mean_cost()
    comm = problem.mean_comm()
    rank = [0.0] * problem.num_tasks
    for t in problem.topological_order():
        for p, volume in problem.preds[t]:
            rank[t] = max(rank[t], rank[p] + w[p] + comm(volume))
    return rank


def priority_order(values: Sequence[float], tol: float = RANK_TOLERANCE) -> list[int]:
    """Task ids by decreasing value; values within ``tol`` (relative) tie, lower id first.

    Ties are grouped from the largest value down: a task joins the group of
    the group's first (largest) value if it is within the tolerance of it,
    so the grouping is well defined even for chains of near-equal values.
    """
    order = sorted(range(len(values)), key=lambda t: (-values[t], t))
    out: list[int] = []
    i = 0
    while i < len(order):
        head = values[order[i]]
        j = i + 1
        while j < len(order) and nearly_equal(head, values[order[j]], tol):
            j += 1
        out.extend(sorted(order[i:j]))
        i = j
    return out


# --------------------------------------------------------------------------- plans


class PlannedTask(NamedTuple):
    """One row of a plan: a task, where it runs and when."""

    task: int
    name: str
    pe: int
    start: float
    finish: float


@dataclass
class Plan:
    """A static schedule of a :class:`Problem`.

    Attributes:
        scheduler: Name of the method that made it (``heft``, ``optimal``...).
        problem: What was planned.
        pe: Per task, its PE.
        start: Per task, its planned start time.
        finish: Per task, its planned finish time.
        sequence: Per PE, its tasks in planned order: the order to queue them in.
        order: The order in which the method placed the tasks.
        makespan: Latest finish time (0 for an empty plan).
        priority: The per-task value that ordered the tasks (rank_u for
            HEFT, rank_u + rank_d for CPOP, rank_oct for PEFT), if any.
        info: Method-specific figures (rank tables, critical path, OCT
            table, solver statistics...).
        status: ``"heuristic"``, or for the exact solver ``"optimal"`` or
            ``"feasible"``.
        lower_bound: A proven lower bound on the makespan, when known.
    """

    scheduler: str
    problem: Problem
    pe: list[int]
    start: list[float]
    finish: list[float]
    sequence: list[list[int]]
    order: list[int]
    priority: list[float] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    status: str = "heuristic"
    lower_bound: float | None = None

    @property
    def makespan(self) -> float:
        """Latest planned finish time."""
        return max(self.finish, default=0.0)

    def rows(self) -> list[PlannedTask]:
        """Every task with its PE and times, by start time (then PE, then queue position)."""
        position = {t: k for seq in self.sequence for k, t in enumerate(seq)}
        rows = [PlannedTask(t, self.problem.names[t], self.pe[t], self.start[t], self.finish[t])
                for t in range(self.problem.num_tasks)]
        return sorted(rows, key=lambda r: (r.start, r.pe, position[r.task]))

    def assignments(self) -> list[tuple[int, int, int]]:
        """``(job, task, pe)`` triples in an order that queues each PE's tasks as planned."""
        problem = self.problem
        return [(problem.job_of[r.task], problem.local[r.task], r.pe) for r in self.rows()]

    def by_name(self) -> dict[str, tuple[int, float, float]]:
        """Task name -> (PE, start, finish)."""
        return {r.name: (r.pe, r.start, r.finish) for r in self.rows()}


# --------------------------------------------------------------------------- insertion


class Timeline:
    """Per-PE busy intervals of a plan under construction, with insertion-based placement.

    Each PE keeps its intervals sorted by start; since they do not overlap,
    their ends are sorted too, which lets :meth:`earliest_start` skip by
    bisection the gaps that end too early.
    """

    def __init__(self, problem: Problem) -> None:
        n, p = problem.num_tasks, problem.num_pes
        self.problem = problem
        self.pe = [-1] * n
        self.start = [0.0] * n
        self.finish = [0.0] * n
        self.order: list[int] = []
        self._starts: list[list[float]] = [[] for _ in range(p)]
        self._ends: list[list[float]] = [[] for _ in range(p)]
        self._tasks: list[list[int]] = [[] for _ in range(p)]

    def data_ready(self, task: int) -> list[float]:
        """Per PE, when all inputs of ``task`` would be there (and the PE takes work).

        Every predecessor must be placed already.
        """
        problem = self.problem
        ready = list(problem.pe_ready)
        pes = range(problem.num_pes)
        for pred, volume in problem.preds[task]:
            src, done = self.pe[pred], self.finish[pred]
            for pe in pes:
                at = done if pe == src else done + problem.transfer(src, pe, volume)
                if at > ready[pe]:
                    ready[pe] = at
        return ready

    def earliest_start(self, pe: int, ready: float, duration: float) -> tuple[float, int]:
        """Earliest start of a task of ``duration`` on ``pe`` at or after ``ready``.

        Returns:
            The start time and the position in the PE's sequence where the
            task goes (an idle gap, or the end).
        """
        starts, ends = self._starts[pe], self._ends[pe]
        count = len(starts)
        # Gaps before intervals that start earlier than ready + duration are too short.
        # A zero-length task also goes after the intervals starting at ``ready``: one
        # of them may be a zero-length predecessor, which must stay ahead in the queue.
        first = (bisect_right(starts, ready) if duration == 0
                 else bisect_left(starts, ready + duration))
        if first == count:
            return (ready if not ends else max(ready, ends[-1])), count
        begin = ready if first == 0 else max(ready, ends[first - 1])
        if begin + duration <= starts[first]:
            return begin, first
        # Later gaps open at the end of an interval that ends after ``ready``.
        later = zip(islice(ends, first, None), islice(starts, first + 1, None), strict=False)
        for i, (end, start) in enumerate(later, first + 1):
            if end + duration <= start:
                return end, i
        return max(ready, ends[-1]), count

    def place(self, task: int, pe: int, start: float, position: int) -> None:
        """Put ``task`` on ``pe`` at ``start``, at ``position`` in the PE's sequence."""
        finish = start + self.problem.cost[task][pe]
        self.pe[task], self.start[task], self.finish[task] = pe, start, finish
        self._starts[pe].insert(position, start)
        self._ends[pe].insert(position, finish)
        self._tasks[pe].insert(position, task)
        self.order.append(task)

    def plan(self, scheduler: str, priority: list[float] | None = None,
             info: dict[str, Any] | None = None) -> Plan:
        """The finished plan."""
        return Plan(scheduler, self.problem, list(self.pe), list(self.start), list(self.finish),
                    [list(seq) for seq in self._tasks], list(self.order), priority,
                    info or {})


@dataclass
class Choice:
    """Where a placement rule puts a task: PE, start and position in the PE's sequence."""

    pe: int
    start: float
    position: int


def earliest_finish(timeline: Timeline, task: int, pes: Iterable[int],
                    penalty: Sequence[float] | None = None) -> Choice:
    """The PE giving the least finish time (plus an optional per-PE penalty), insertion-based.

    Ties within the tolerance go to the lower PE index (PEs are tried in
    index order and a later one must be strictly better). PEFT passes its
    OCT row as ``penalty``.
    """
    ready = timeline.data_ready(task)
    cost = timeline.problem.cost[task]
    best: Choice | None = None
    best_key = INF
    for pe in pes:
        start, position = timeline.earliest_start(pe, ready[pe], cost[pe])
        key = start + cost[pe] + (penalty[pe] if penalty is not None else 0.0)
        if best is None or less_than(key, best_key):
            best, best_key = Choice(pe, start, position), key
    if best is None:
        raise ValueError(f"task {timeline.problem.names[task]} has no PE to run on")
    return best


def list_schedule(problem: Problem, priority: Sequence[float],
                  choose: Callable[[Timeline, int], Choice]) -> Timeline:
    """Generic list scheduling: repeatedly place the ready task of highest priority.

    A task is ready once all its predecessors are placed. Among ready tasks
    the highest ``priority`` wins, ties (within the tolerance) to the lower
    id. With priorities that decrease along every edge (rank_u with positive
    costs) this is the same as walking the tasks in decreasing priority;
    the ready set keeps the walk valid when zero costs make ranks tie along
    an edge.

    Args:
        problem: What to plan.
        priority: Per task, its priority value.
        choose: Picks the PE and slot of a ready task.
    """
    position = [0] * problem.num_tasks
    for k, t in enumerate(priority_order(priority)):
        position[t] = k
    waiting = [len(p) for p in problem.preds]
    heap = [(position[t], t) for t in range(problem.num_tasks) if waiting[t] == 0]
    heapq.heapify(heap)
    timeline = Timeline(problem)
    while heap:
        _, task = heapq.heappop(heap)
        choice = choose(timeline, task)
        timeline.place(task, choice.pe, choice.start, choice.position)
        for succ, _ in problem.succs[task]:
            waiting[succ] -= 1
            if waiting[succ] == 0:
                heapq.heappush(heap, (position[succ], succ))
    if len(timeline.order) != problem.num_tasks:
        raise ValueError("the task graph has a cycle")
    return timeline


# --------------------------------------------------------------------------- executing


def compact_plan(problem: Problem, pe: Sequence[int], sequence: Sequence[Sequence[int]],
                 scheduler: str) -> Plan:
    """The schedule the simulator runs for a PE assignment and per-PE queue orders.

    Each task starts as soon as its PE has finished the task before it in
    the sequence, the PE can take work and all its inputs have arrived:
    exactly what the simulator's PE queues do without noise.

    Raises:
        ValueError: The per-PE orders contradict the task graph.
    """
    import networkx as nx

    n = problem.num_tasks
    graph = _queue_graph(problem, sequence)
    try:
        order = list(nx.topological_sort(graph))
    except nx.NetworkXUnfeasible:
        raise ValueError("the per-PE orders contradict the task graph") from None
    start, finish = [0.0] * n, [0.0] * n
    pe_free = list(problem.pe_ready)
    for t in order:
        p = pe[t]
        begin = pe_free[p]
        for pred, volume in problem.preds[t]:
            at = finish[pred] if pe[pred] == p else \
                finish[pred] + problem.transfer(pe[pred], p, volume)
            begin = max(begin, at)
        start[t], finish[t] = begin, begin + problem.cost[t][p]
        pe_free[p] = finish[t]
    return Plan(scheduler, problem, list(pe), start, finish, [list(s) for s in sequence], order)


def check_plan(plan: Plan, tol: float = 1e-6) -> list[str]:
    """Every way ``plan`` breaks the rules (an empty list for a valid plan).

    Checks: each task placed once, on an eligible PE, with finish = start +
    cost, not before the PE can take work; inputs arrived (predecessor
    finish plus transfer time) before it starts; the per-PE sequences list
    each task once, in start order, without overlap.
    """
    problem, problems = plan.problem, []
    seen = [t for seq in plan.sequence for t in seq]
    if sorted(seen) != list(range(problem.num_tasks)):
        problems.append("the per-PE sequences do not list every task exactly once")
    for t in range(problem.num_tasks):
        problems.extend(_check_task(plan, t, tol))
    for p, seq in enumerate(plan.sequence):
        for a, b in pairwise(seq):
            if plan.finish[a] > plan.start[b] + tol:
                problems.append(f"{problem.names[a]} and {problem.names[b]} overlap on PE {p}")
        problems.extend(f"{problem.names[t]} is in the sequence of PE {p} but placed on "
                        f"PE {plan.pe[t]}" for t in seq if plan.pe[t] != p)
    if not problems and not _runnable(problem, plan.sequence):
        problems.append("the per-PE orders contradict the task graph: PE queues in this "
                        "order would wait for each other forever")
    return problems


def _queue_graph(problem: Problem, sequence: Sequence[Sequence[int]]) -> nx.DiGraph:
    """The task graph plus an edge between consecutive tasks of each PE's queue."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(range(problem.num_tasks))
    graph.add_edges_from((t, s) for t in range(problem.num_tasks) for s, _ in problem.succs[t])
    for seq in sequence:
        graph.add_edges_from(pairwise(seq))
    return graph


def _runnable(problem: Problem, sequence: Sequence[Sequence[int]]) -> bool:
    """Whether the queues never wait for each other forever (the graph is acyclic)."""
    import networkx as nx

    return nx.is_directed_acyclic_graph(_queue_graph(problem, sequence))


def _check_task(plan: Plan, t: int, tol: float) -> list[str]:
    problem, name, p = plan.problem, plan.problem.names[t], plan.pe[t]
    if not 0 <= p < problem.num_pes or problem.cost[t][p] == INF:
        return [f"{name} is on PE {p}, which cannot run it"]
    out = []
    if abs(plan.finish[t] - plan.start[t] - problem.cost[t][p]) > tol:
        out.append(f"{name} lasts {plan.finish[t] - plan.start[t]}, not {problem.cost[t][p]}")
    if plan.start[t] < problem.pe_ready[p] - tol:
        out.append(f"{name} starts before PE {p} can take work")
    for pred, volume in problem.preds[t]:
        arrive = plan.finish[pred] + (0.0 if plan.pe[pred] == p else
                                      problem.transfer(plan.pe[pred], p, volume))
        if plan.start[t] < arrive - tol:
            out.append(f"{name} starts at {plan.start[t]} before its input from "
                       f"{problem.names[pred]} arrives at {arrive}")
    return out
