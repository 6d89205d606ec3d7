"""Exact reference: minimum makespan of a small static instance with OR-Tools CP-SAT.

The model (one per problem):

- ``x[t, p]``: task ``t`` runs on PE ``p`` (one per task, eligible PEs only);
- one optional fixed-size interval per (task, eligible PE), present iff
  ``x[t, p]``, all sharing the task's start ``S[t]``; ``E[t] = S[t] +
  sum_p cost(t, p) x[t, p]``;
- ``NoOverlap`` of the intervals of each PE (zero-length tasks included:
  CP-SAT does not let them sit strictly inside another interval, just as a
  PE queue cannot run them in the middle of another task);
- ``S[t] >= ready(p)`` when ``t`` is on ``p`` (busy PEs);
- for each edge ``u -> v``: ``S[v] >= E[u]``, and ``S[v] >= E[u] +
  transfer(p, q)`` when ``u`` is on ``p``, ``v`` on ``q != p``;
- minimise the makespan ``C >= E[t]``, with ``C`` at least the cheap lower
  bounds of :mod:`socsim.agents.bounds`.

CP-SAT works on integers, so every duration is multiplied by a scale
factor: the least one (up to 10^6) that makes all execution, transfer and
ready times integers, else 1000 per unit of the smallest positive duration
with times rounded (``plan.info["exact_times"]`` is then ``False`` and the
optimum is that of the rounded model). HEFT's plan is given as a hint, so a
time-limited run returns at least a HEFT-quality schedule. The solver's
PE assignment and per-PE order are then turned into the schedule the
simulator executes with the true (unscaled) times, by
:func:`~socsim.agents.planning.compact_plan`.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from socsim.workload import BoundProfile

from .bounds import lower_bound
from .heft import plan_heft
from .planning import Plan, Problem, as_problem, compact_plan

if TYPE_CHECKING:  # OR-Tools (0.5 s to import) loads only when the solver runs
    from ortools.sat.python import cp_model

MAX_SCALE = 10**6
ROUNDED_TICKS = 1000


def plan_optimal(instance: Problem | BoundProfile | Sequence[BoundProfile], *,
                 time_limit: float = 10.0, workers: int | None = None,
                 pe_ready: Sequence[float] | None = None, seed: int = 0) -> Plan:
    """The minimum-makespan plan of a small instance, or the best found in ``time_limit``.

    Args:
        instance: A bound profile, several (planned together), or a :class:`Problem`.
        time_limit: Wall-clock seconds CP-SAT may search.
        workers: CP-SAT search workers (default: CPU count, at most 8).
        pe_ready: Per PE, when it can take new work (default: all at 0).
        seed: CP-SAT's random seed.

    Returns:
        A plan with ``status`` ``"optimal"`` (proven) or ``"feasible"``, and
        ``lower_bound`` the best proven bound (the solver's, or the cheap
        bounds if larger). ``plan.info`` holds ``scale``, ``exact_times``,
        ``wall_s``, ``solver_status`` and ``objective`` (in scaled units).
    """
    from ortools.sat.python import cp_model

    problem = as_problem(instance, pe_ready)
    heft = plan_heft(problem)
    cheap = lower_bound(problem)
    scale, exact = _scale(problem)
    model = _Model(problem, scale)
    model.build(cheap, heft)
    solver, status, wall = solve(model.model, time_limit, workers, seed)
    info = {"scale": scale, "exact_times": exact, "wall_s": wall,
            "solver_status": solver.status_name(status)}
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # No solution within the limit: HEFT's plan is the incumbent.
        heft.scheduler, heft.status, heft.lower_bound = "optimal", "feasible", cheap
        heft.info = info | {"incumbent": "heft"}
        return heft
    plan = model.extract(solver)
    proven = solver.best_objective_bound / scale if exact else 0.0
    plan.status = "optimal" if status == cp_model.OPTIMAL else "feasible"
    plan.lower_bound = max(cheap, proven)
    plan.info = info | {"objective": solver.objective_value}
    return plan


def _times(problem: Problem) -> list[float]:
    """Every duration the model uses: costs, transfers between distinct PEs, ready times."""
    values = [c for row in problem.cost for c in row if c < math.inf]
    pes = range(problem.num_pes)
    for t in range(problem.num_tasks):
        for _, volume in problem.succs[t]:
            values.extend(problem.transfer(a, b, volume) for a in pes for b in pes if a != b)
    values.extend(problem.pe_ready)
    return values


def _scale(problem: Problem) -> tuple[int, bool]:
    """The integer factor to multiply times by, and whether it makes them all exact."""
    return scale_for(_times(problem))


def scale_for(values: Sequence[float]) -> tuple[int, bool]:
    """The least factor (up to 10^6) making every value an integer, and whether one exists.

    Without one: 1000 per unit of the smallest positive value, and ``False``.
    """
    scale = 1
    for value in values:
        fraction = Fraction(value).limit_denominator(MAX_SCALE)
        if abs(float(fraction) - value) > 1e-9 * max(1.0, abs(value)):
            break
        scale = math.lcm(scale, fraction.denominator)
        if scale > MAX_SCALE:
            break
    else:
        return scale, True
    smallest = min((v for v in values if v > 0), default=1.0)
    return max(1, round(ROUNDED_TICKS / smallest)), False


def solve(model: cp_model.CpModel, time_limit: float, workers: int | None, seed: int
          ) -> tuple[cp_model.CpSolver, int, float]:
    """Run CP-SAT on ``model``: the solver, its status and the wall time (s).

    Args:
        model: The model.
        time_limit: Wall-clock seconds CP-SAT may search.
        workers: Search workers (default: CPU count, at most 8).
        seed: CP-SAT's random seed.
    """
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = workers or min(8, os.cpu_count() or 1)
    solver.parameters.random_seed = seed
    began = time.perf_counter()
    status = solver.solve(model)
    return solver, status, time.perf_counter() - began


def add_placements(model: cp_model.CpModel, problem: Problem, start: Sequence[Any],
                   end: Sequence[Any], ticks: Callable[[float], int],
                   pe_ready: Sequence[int] | None = None) -> list[dict[int, Any]]:
    """Each task on exactly one eligible PE, tasks of one PE never overlapping.

    Args:
        model: The CP-SAT model.
        problem: The tasks, their eligible PEs and costs.
        start: Per task, its start variable.
        end: Per task, its end variable (constrained to start + cost on its PE).
        ticks: A time in the model's scaled integer units.
        pe_ready: Per PE, the earliest start of a task there (scaled), if any.

    Returns:
        Per task, its PE -> "runs there" Boolean variable.
    """
    on: list[dict[int, Any]] = []
    per_pe: list[list[Any]] = [[] for _ in range(problem.num_pes)]
    for t in range(problem.num_tasks):
        on.append({})
        for p in problem.eligible[t]:
            x = model.new_bool_var(f"x{t}_{p}")
            on[t][p] = x
            per_pe[p].append(model.new_optional_fixed_size_interval_var(
                start[t], ticks(problem.cost[t][p]), x, f"I{t}_{p}"))
            if pe_ready is not None and pe_ready[p] > 0:
                model.add(start[t] >= pe_ready[p]).only_enforce_if(x)
        model.add_exactly_one(on[t].values())
        model.add(end[t] == start[t] + sum(ticks(problem.cost[t][p]) * x
                                           for p, x in on[t].items()))
    for intervals in per_pe:
        if len(intervals) > 1:
            model.add_no_overlap(intervals)
    return on


def add_precedences(model: cp_model.CpModel, problem: Problem, on: Sequence[dict[int, Any]],
                    start: Sequence[Any], end: Sequence[Any],
                    ticks: Callable[[float], int]) -> None:
    """A task starts after each predecessor ends, plus the transfer when their PEs differ."""
    for u in range(problem.num_tasks):
        for v, volume in problem.succs[u]:
            model.add(start[v] >= end[u])
            for p, x_u in on[u].items():
                for q, x_v in on[v].items():
                    delay = ticks(problem.transfer(p, q, volume)) if p != q else 0
                    if delay > 0:
                        model.add(start[v] >= end[u] + delay).only_enforce_if([x_u, x_v])


class _Model:
    """The CP-SAT model of one problem, in scaled integer time."""

    def __init__(self, problem: Problem, scale: int) -> None:
        from ortools.sat.python import cp_model

        self.problem = problem
        self.scale = scale
        self.model = cp_model.CpModel()

    def ticks(self, value: float) -> int:
        """A time in scaled integer units."""
        return round(value * self.scale)

    def build(self, cheap_bound: float, hint: Plan) -> None:
        """Create variables and constraints; hint the solver with ``hint``."""
        problem, model = self.problem, self.model
        n, pes = problem.num_tasks, range(problem.num_pes)
        ready = [self.ticks(r) for r in problem.pe_ready]
        horizon = max(ready) + sum(max(self.ticks(problem.cost[t][p]) for p in problem.eligible[t])
                                   for t in range(n))
        horizon += sum(max((self.ticks(problem.transfer(a, b, v)) for a in pes for b in pes),
                           default=0) for t in range(n) for _, v in problem.succs[t])
        self.start = [model.new_int_var(0, horizon, f"S{t}") for t in range(n)]
        self.end = [model.new_int_var(0, horizon, f"E{t}") for t in range(n)]
        self.on = add_placements(model, problem, self.start, self.end, self.ticks, ready)
        add_precedences(model, problem, self.on, self.start, self.end, self.ticks)
        self.makespan = model.new_int_var(0, horizon, "C")
        model.add_max_equality(self.makespan, self.end)
        model.add(self.makespan >= math.floor(cheap_bound * self.scale + 1e-9))
        model.minimize(self.makespan)
        self._hint(hint)

    def _hint(self, plan: Plan) -> None:
        for t in range(self.problem.num_tasks):
            self.model.add_hint(self.start[t], self.ticks(plan.start[t]))
            for p, x in self.on[t].items():
                self.model.add_hint(x, p == plan.pe[t])

    def extract(self, solver: cp_model.CpSolver) -> Plan:
        """The solver's assignment and per-PE order, executed with the true times."""
        problem = self.problem
        topo = {t: k for k, t in enumerate(problem.topological_order())}
        pe = [next(p for p, x in self.on[t].items() if solver.boolean_value(x))
              for t in range(problem.num_tasks)]
        start = [solver.value(s) for s in self.start]
        end = [solver.value(e) for e in self.end]
        sequence = [sorted((t for t in range(problem.num_tasks) if pe[t] == p),
                           key=lambda t: (start[t], end[t], topo[t]))
                    for p in range(problem.num_pes)]
        return compact_plan(problem, pe, sequence, "optimal")
