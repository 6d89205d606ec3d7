"""PEFT: Predict Earliest Finish Time (Arabnejad and Barbosa, IEEE TPDS 25(3), 2014).

The optimistic cost table OCT(t, p) is the longest path from ``t`` to an
exit when ``t`` runs on ``p`` and every later task takes the best PE for it,
communication counted (as an average, HEFT's c̄) only where two consecutive
tasks change PE:

    OCT(t, p) = max over successors s of
                min over PEs q of (OCT(s, q) + w(s, q) + (c̄(t, s) if q != p else 0))

with OCT = 0 at exits. Ready tasks are taken by decreasing rank_oct (the
mean of their OCT row over their eligible PEs; ties to the lower id) and
each goes to the PE minimising EFT(t, p) + OCT(t, p), insertion-based,
lower PE index on ties.
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
    earliest_finish,
    list_schedule,
)


def optimistic_cost_table(problem: Problem) -> list[list[float]]:
    """PEFT's OCT table, ``oct[task][pe]``.

    The inner minimum over q is min(A[p], min over all q of A[q] + c̄) with
    A[q] = OCT(s, q) + w(s, q), which equals the definition because c̄ >= 0;
    this keeps the table O(edges x PEs).
    """
    comm = problem.mean_comm()
    pes = range(problem.num_pes)
    table = [[0.0] * problem.num_pes for _ in range(problem.num_tasks)]
    for t in reversed(problem.topological_order()):
        row = table[t]
        for s, volume in problem.succs[t]:
            cost_s, oct_s = problem.cost[s], table[s]
            through = [oct_s[q] + cost_s[q] if cost_s[q] < INF else INF for q in pes]
            moved = min(through) + comm(volume)
            for p in pes:
                value = min(through[p], moved)
                if value > row[p]:
                    row[p] = value
    return table


def profile_oct(profile: BoundProfile) -> list[list[float]]:
    """:func:`optimistic_cost_table` of one bound profile (costs at reference operating points)."""
    return optimistic_cost_table(Problem.from_profiles(profile))


def plan_peft(instance: Problem | BoundProfile | Sequence[BoundProfile], *,
              pe_ready: Sequence[float] | None = None) -> Plan:
    """Plan one or more DAGs with PEFT.

    Args:
        instance: A bound profile, several, or a :class:`Problem`.
        pe_ready: Per PE, when it can take new work (default: all at 0).

    Returns:
        The plan; ``plan.priority`` holds rank_oct, ``plan.info["oct"]`` the
        OCT table and ``plan.order`` the selection order.
    """
    problem = as_problem(instance, pe_ready)
    table = optimistic_cost_table(problem)
    rank = [sum(row[p] for p in pes) / len(pes)
            for row, pes in zip(table, problem.eligible, strict=True)]

    def choose(timeline: Timeline, task: int) -> Choice:
        return earliest_finish(timeline, task, problem.eligible[task], penalty=table[task])

    timeline = list_schedule(problem, rank, choose)
    return timeline.plan("peft", rank, {"oct": table, "rank_oct": rank})
