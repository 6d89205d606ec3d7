"""CPOP: Critical Path On a Processor (Topcuoglu, Hariri and Wu, IEEE TPDS 2002).

A task's priority is rank_u + rank_d, the average length of the longest
path through it. The tasks whose priority equals the entry task's (within
the tolerance) form the critical path; the *critical processor* is the PE
that runs them all in the least total time (lower index on ties). Ready
tasks are taken by decreasing priority; critical-path tasks go to the
critical processor, the others to the PE of earliest finish time, both
insertion-based.

Several jobs planned together each get their own critical path and
critical processor. If no single PE can run every task of a critical
path, that job's critical tasks are placed by earliest finish time too.
"""

from __future__ import annotations

from collections.abc import Sequence

from socsim.workload import BoundProfile

from .planning import (
    INF,
    Choice,
    Plan,
    Problem,
    Timeline,
    as_problem,
    downward_ranks,
    earliest_finish,
    less_than,
    list_schedule,
    nearly_equal,
    priority_order,
    upward_ranks,
)


def critical_path(problem: Problem, priority: Sequence[float], job: int) -> list[int]:
    """The critical path of one job: from its entry of highest priority, along equal priority.

    At each step the successor whose priority equals the path's (within the
    tolerance) is taken, the lower id first.
    """
    entries = [t for t in range(problem.num_tasks)
               if problem.job_of[t] == job and not problem.preds[t]]
    first = priority_order([priority[t] for t in entries])[0]
    task = entries[first]
    length = priority[task]
    path = [task]
    while True:
        nxt = sorted(s for s, _ in problem.succs[task] if nearly_equal(priority[s], length))
        if not nxt:
            return path
        task = nxt[0]
        path.append(task)


def critical_processor(problem: Problem, path: Sequence[int]) -> int | None:
    """The PE running every task of ``path`` in the least total time (lower index on ties).

    Returns ``None`` when no PE can run them all.
    """
    best, best_total = None, INF
    for pe in range(problem.num_pes):
        total = sum(problem.cost[t][pe] for t in path)
        if total < INF and (best is None or less_than(total, best_total)):
            best, best_total = pe, total
    return best


def plan_cpop(instance: Problem | BoundProfile | Sequence[BoundProfile], *,
              pe_ready: Sequence[float] | None = None) -> Plan:
    """Plan one or more DAGs with CPOP.

    Args:
        instance: A bound profile, several, or a :class:`Problem`.
        pe_ready: Per PE, when it can take new work (default: all at 0).

    Returns:
        The plan; ``plan.priority`` holds rank_u + rank_d and ``plan.info``
        has ``rank_u``, ``rank_d``, ``critical_path`` (task ids, per job in
        job order, concatenated) and ``critical_pe`` (per job key).
    """
    problem = as_problem(instance, pe_ready)
    up, down = upward_ranks(problem), downward_ranks(problem)
    priority = [u + d for u, d in zip(up, down, strict=True)]
    on_path: dict[int, int] = {}  # task -> its job's critical processor
    paths: list[int] = []
    critical_pes: dict[int, int | None] = {}
    for job in dict.fromkeys(problem.job_of):
        path = critical_path(problem, priority, job)
        pe = critical_processor(problem, path)
        paths.extend(path)
        critical_pes[job] = pe
        if pe is not None:
            on_path.update(dict.fromkeys(path, pe))

    def choose(timeline: Timeline, task: int) -> Choice:
        pe = on_path.get(task)
        return earliest_finish(timeline, task, problem.eligible[task] if pe is None else [pe])

    timeline = list_schedule(problem, priority, choose)
    return timeline.plan("cpop", priority, {"rank_u": up, "rank_d": down,
                                            "critical_path": paths,
                                            "critical_pe": critical_pes})
