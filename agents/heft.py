"""HEFT: Heterogeneous Earliest Finish Time (Topcuoglu, Hariri and Wu, IEEE TPDS 2002).

Tasks are ranked by their upward rank rank_u (average execution time plus
the longest average path to an exit, communication included) and, in
decreasing rank order, each goes to the PE where it finishes earliest,
possibly in an idle gap left between tasks already placed there
(insertion-based). Tie rules follow the project's reference: ranks equal
within a relative tolerance go to the lower task id, equal finish times to
the lower PE index. With them the paper's example gives makespan 80.
"""

from __future__ import annotations

from collections.abc import Sequence

from socsim.workload import BoundProfile

from .planning import (
    Choice,
    Plan,
    Problem,
    Timeline,
    as_problem,
    earliest_finish,
    list_schedule,
    upward_ranks,
)


def plan_heft(instance: Problem | BoundProfile | Sequence[BoundProfile], *,
              pe_ready: Sequence[float] | None = None) -> Plan:
    """Plan one or more DAGs with insertion-based HEFT.

    Args:
        instance: A bound profile, several (planned as one DAG made of their
            union), or a :class:`Problem`.
        pe_ready: Per PE, when it can take new work (default: all at 0).

    Returns:
        The plan; ``plan.priority`` holds rank_u, also in ``plan.info["rank_u"]``.
    """
    problem = as_problem(instance, pe_ready)
    rank = upward_ranks(problem)

    def choose(timeline: Timeline, task: int) -> Choice:
        return earliest_finish(timeline, task, problem.eligible[task])

    timeline = list_schedule(problem, rank, choose)
    return timeline.plan("heft", rank, {"rank_u": rank})
