"""Cheap lower bounds on the makespan of a static instance, for any size.

Both ignore communication (two tasks may share a PE, where transfers are
free) and are valid for every schedule, so no heuristic or exact plan can
beat them:

- :func:`critical_path_bound`: the longest path when every task runs on its
  fastest eligible PE (and, with busy PEs, no earlier than that PE can
  take work).
- :func:`total_work_bound`: the least total work (each task at its least
  cost) spread perfectly over all PEs, after the earliest time any PE can
  take work.
"""

from __future__ import annotations

from collections.abc import Sequence

from socsim.workload import BoundProfile

from .planning import Problem, as_problem

Instance = Problem | BoundProfile | Sequence[BoundProfile]


def critical_path_bound(instance: Instance) -> float:
    """Longest path with each task at its least finish over its eligible PEs.

    A task cannot finish before min over its PEs p of max(p's ready time,
    its predecessors' bound) + cost on p, since inputs never arrive before
    their producers finish.
    """
    problem = as_problem(instance)
    finish = [0.0] * problem.num_tasks
    for t in problem.topological_order():
        inputs = max((finish[p] for p, _ in problem.preds[t]), default=0.0)
        finish[t] = min(max(inputs, problem.pe_ready[pe]) + problem.cost[t][pe]
                        for pe in problem.eligible[t])
    return max(finish, default=0.0)


def total_work_bound(instance: Instance) -> float:
    """Earliest PE ready time plus the least total work divided by the number of PEs."""
    problem = as_problem(instance)
    work = sum(min(row[pe] for pe in pes) for row, pes in zip(problem.cost, problem.eligible,
                                                              strict=True))
    return min(problem.pe_ready) + work / problem.num_pes


def lower_bound(instance: Instance) -> float:
    """The larger of :func:`critical_path_bound` and :func:`total_work_bound`."""
    problem = as_problem(instance)
    return max(critical_path_bound(problem), total_work_bound(problem))
