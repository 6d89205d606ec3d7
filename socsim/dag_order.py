"""Order in a task DAG: topological order, cycle finding and HEFT's upward rank.

One implementation for the whole suite (workload loading, the runtime
heuristics, the observation builder), written against plain adjacency lists
so that the emulator core needs no graph library on its hot or start-up path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

Adjacency = Sequence[Sequence[tuple[int, float]]]
"""Per task, its ``(neighbour, volume)`` pairs (successors or predecessors)."""


def topological_order(succs: Adjacency) -> list[int]:
    """The tasks in topological order, by Kahn's rule with the lowest ready index first.

    The convention (smallest index among the tasks whose predecessors are
    all listed) makes the order unique for a given DAG, so every caller sees
    the same one.

    Raises:
        ValueError: The graph has a cycle.
    """
    import heapq

    n = len(succs)
    waiting = [0] * n
    for task in range(n):
        for succ, _ in succs[task]:
            waiting[succ] += 1
    heap = [t for t in range(n) if waiting[t] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        task = heapq.heappop(heap)
        order.append(task)
        for succ, _ in succs[task]:
            waiting[succ] -= 1
            if waiting[succ] == 0:
                heapq.heappush(heap, succ)
    if len(order) != n:
        raise ValueError("the graph has a cycle")
    return order


def find_cycle(num_tasks: int, edges: Sequence[tuple[int, int]]) -> list[int] | None:
    """One cycle of a directed graph as the list of its tasks in order, or ``None``.

    Tasks that Kahn's rule cannot order all lie on or behind a cycle, so each
    has a predecessor among them (a task behind a cycle may have no successor
    there); walking predecessors among them from any one must revisit a task,
    which closes a cycle. The cycle is returned in edge order, starting at its
    lowest task.
    """
    succs: list[list[int]] = [[] for _ in range(num_tasks)]
    preds: list[list[int]] = [[] for _ in range(num_tasks)]
    waiting = [0] * num_tasks
    for src, dst in edges:
        succs[src].append(dst)
        preds[dst].append(src)
        waiting[dst] += 1
    stack = [t for t in range(num_tasks) if waiting[t] == 0]
    while stack:
        for succ in succs[stack.pop()]:
            waiting[succ] -= 1
            if waiting[succ] == 0:
                stack.append(succ)
    left = {t for t in range(num_tasks) if waiting[t] > 0}
    if not left:
        return None
    task, seen, path = min(left), {}, []
    while task not in seen:
        seen[task] = len(path)
        path.append(task)
        task = next(p for p in preds[task] if p in left)
    cycle = path[seen[task]:][::-1]  # predecessors walked backwards: reverse to edge order
    start = cycle.index(min(cycle))
    return cycle[start:] + cycle[:start]


def upward_ranks(mean_cost: Sequence[float], succs: Adjacency,
                 mean_comm: Callable[[float], float]) -> list[float]:
    """HEFT's upward rank: a task's mean cost plus the longest mean path to an exit.

    ``rank_u(t) = w(t) + max over successors s of (c(t, s) + rank_u(s))``
    (Topcuoglu et al. 2002), 0 past the exits.

    Args:
        mean_cost: Per task, its mean execution time ``w``.
        succs: Per task, ``(successor, volume)`` pairs.
        mean_comm: An edge's mean communication time ``c`` from its volume
            (the callers' convention: :func:`mean_transfer` for runtime
            profiles, the static planners' own for their problems).
    """
    rank = [0.0] * len(mean_cost)
    for task in reversed(topological_order(succs)):
        tail = 0.0
        for succ, volume in succs[task]:
            tail = max(tail, mean_comm(volume) + rank[succ])
        rank[task] = mean_cost[task] + tail
    return rank


def mean_transfer(mean_bandwidth: float) -> Callable[[float], float]:
    """An edge's mean transfer time: its volume over the mean bandwidth between distinct PEs.

    HEFT's convention (average the rates, then divide); with one PE (no
    finite mean bandwidth) transfers cost nothing.
    """
    if not math.isfinite(mean_bandwidth):
        return lambda volume: 0.0
    return lambda volume: volume / mean_bandwidth
