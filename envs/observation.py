"""The observation builder: fixed-shape arrays kept up to date incrementally, and a graph view.

Each job in the system owns a contiguous range of node slots (one per task)
and of edge slots (one per DAG edge), in arrival order. A job's static rows
(costs, ranks, edges) are copied in once from per-profile tables when it
arrives; afterwards only the rows of a job whose tasks finished are
rescanned, and per-PE and global features are refreshed from the
simulator's read API (:attr:`socsim.simulator.Simulator.pes`). When a new
job does not fit after the last used slot, the live jobs are packed to the
front (rare; their slot numbers, and so the actions that name them, change
only then, before the agent sees the observation).

What the arrays hold, and the spaces they fill, are defined in
:mod:`socsim.envs.spaces`. :class:`GraphObservation` is the same state
without padding, for custom graph agents.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from socsim.workload import BoundProfile

from .spaces import ARRAY_KEYS, Limits, ObservationLimitError, array_shapes

if TYPE_CHECKING:
    from socsim.simulator import Simulator
    from socsim.state import JobState

#: Platforms with more PEs than this rewrite their PE rows column by column (NumPy).
_COLUMNS_FROM = 32

@dataclass(frozen=True)
class GraphObservation:
    """The state as a graph without padding, for custom (torch) graph agents.

    Node ``i`` is the task in slot ``node_slot[i]`` of the padded
    observation: in ``order`` mode the action that picks it is
    ``node_slot[i]``; in ``assign`` mode placing it on PE ``p`` is
    ``node_slot[i] * max_pes + p``.

    Attributes:
        node_features: ``(n, len(NODE_FEATURES))`` float32.
        node_pe_time: ``(n, num_pes)`` expected time on each PE (-1: cannot run).
        node_pe: ``(n,)`` PE a task is placed on or ran on (-1: none).
        node_slot: ``(n,)`` slot of each node in the padded arrays.
        node_job: ``(n,)`` index of each node's job in ``job_ids``.
        job_ids: ``(k,)`` emulator job ids, in arrival order.
        task_ids: ``(n,)`` task index of each node within its job.
        edge_index: ``(2, m)`` parent and child node of each edge (node indices).
        edge_features: ``(m, len(EDGE_FEATURES))`` float32.
        pe_features: ``(num_pes, len(PE_FEATURES))`` float32.
        pe_type: ``(num_pes,)`` PE type index.
        global_features: ``(len(GLOBAL_FEATURES),)`` float32.
        action_mask: The environment's action mask (int8).
    """

    node_features: np.ndarray
    node_pe_time: np.ndarray
    node_pe: np.ndarray
    node_slot: np.ndarray
    node_job: np.ndarray
    job_ids: np.ndarray
    task_ids: np.ndarray
    edge_index: np.ndarray
    edge_features: np.ndarray
    pe_features: np.ndarray
    pe_type: np.ndarray
    global_features: np.ndarray
    action_mask: np.ndarray


class _ProfileTables:
    """Static per-task rows of one bound profile, scaled, for one set of PE slowdowns."""

    __slots__ = ("edge_features", "edges", "eligible", "inv_preds_list", "m", "n", "pe_time",
                 "profile", "static")

    def __init__(self, profile: BoundProfile, slowdown: list[float], max_pes: int,
                 inv_scale: float) -> None:
        platform = profile.platform
        n = profile.num_tasks
        self.profile = profile  # keeps the id used as cache key alive
        self.n = n
        pe_type = platform.pe_type
        times = np.full((n, max_pes), math.inf)
        for task, row in enumerate(profile.cost):
            for pe in profile.eligible_pes[task]:
                times[task, pe] = row[pe_type[pe]] * slowdown[pe]
        finite = np.isfinite(times)
        self.eligible = finite.astype(np.int8)
        self.pe_time = np.where(finite, times * inv_scale, -1.0).astype(np.float32)
        counts = finite.sum(axis=1)
        mean = np.where(finite, times, 0.0).sum(axis=1) / counts
        self.static = np.stack([mean * inv_scale, times.min(axis=1) * inv_scale,
                                np.asarray(profile.upward_rank) * inv_scale],
                               axis=1).astype(np.float32)
        self.inv_preds_list = [1.0 / k if k else 0.0 for k in profile.num_preds]
        edges = profile.profile.edges
        self.m = len(edges)
        self.edges = np.array([[s for s, _, _ in edges], [d for _, d, _ in edges]],
                              dtype=np.int64).reshape(2, self.m)
        bandwidth = platform.mean_bandwidth()
        self.edge_features = np.array(
            [[v / bandwidth * inv_scale if math.isfinite(bandwidth) else 0.0]
             for _, _, v in edges], dtype=np.float32).reshape(self.m, 1)


class JobSlots:
    """Where one job in the system sits in the padded arrays.

    Attributes:
        state: The simulator's job state (read only).
        index: Job slot (``node_job`` value), 0..max_jobs-1.
        node0: First node slot; task ``t`` is slot ``node0 + t``.
        n: Number of tasks.
        edge0: First edge slot.
        m: Number of edges.
        remaining: The job's unfinished task count when last scanned.
        tables: The profile's static rows.
        inflight: Tasks placed through the builder and not seen finished yet.
    """

    __slots__ = ("edge0", "index", "inflight", "m", "n", "node0", "remaining", "state",
                 "tables")

    def __init__(self, state: JobState, index: int, tables: _ProfileTables) -> None:
        self.state = state
        self.index = index
        self.tables = tables
        self.n = tables.n
        self.m = tables.m
        self.node0 = 0
        self.edge0 = 0
        self.remaining = -1
        self.inflight: list[int] = []


class ObservationBuilder:
    """The padded observation arrays of one environment, updated in place.

    The arrays are allocated once (or given, see :meth:`bind`) and only the
    rows an event changed are rewritten: a job's rows when it arrives,
    leaves or has tasks finish, a PE's row when it gets a task, every PE
    row after the simulator advanced, ages when the clock moved.
    :meth:`observation` returns copies by default, or the arrays themselves
    (``copy=False``), valid until the next update.

    Args:
        limits: Array sizes.
        time_scale: Microseconds per unit of every time feature.
        horizon: The run's horizon (us), for ``horizon_fraction``, or ``None``.
        buffers: Arrays to write into, by :data:`ARRAY_KEYS` name (see :meth:`bind`).

    Attributes:
        ready: ``(max_nodes,)`` float32 view of ``node_features[:, 0]``: 1 where the
            slot's task is ready and unplaced.
        eligible: ``(max_nodes, max_pes)`` int8, 1 where the slot's task can run on the PE.
        slot_job: Per node slot, its :class:`JobSlots` or ``None``.
        jobs: Job id to :class:`JobSlots`, in arrival order.
    """

    def __init__(self, limits: Limits, time_scale: float, horizon: float | None,
                 buffers: Mapping[str, np.ndarray] | None = None) -> None:
        self.limits = limits
        self.inv_scale = 1.0 / time_scale
        self.horizon = horizon
        self.eligible = np.zeros((limits.max_nodes, limits.max_pes), np.int8)
        self._arrival = np.zeros(limits.max_nodes, np.float32)  # arrival over the time scale
        self.slot_job: list[JobSlots | None] = [None] * limits.max_nodes
        self.jobs: dict[int, JobSlots] = {}
        self._free_index = list(range(limits.max_jobs))
        self._node_top = 0
        self._edge_top = 0
        self._tables: dict[int, _ProfileTables] = {}
        self._slowdown: list[float] = []
        self._age_time = -1.0
        self._pes_stale = True  # every PE row must be rewritten at the next refresh
        self._pes_moved = False  # the simulator advanced: unsettled rows must be rewritten
        self._touched: set[int] = set()  # PEs given a task since the last refresh
        self._unsettled: set[int] = set()  # PEs whose last row was not idle with nothing due
        self._pe_idle: list[bool] = []
        self._idle_count = 0
        self._ready_changed: set[int] | None = None  # None: every slot
        self.bind(buffers or {})

    def bind(self, buffers: Mapping[str, np.ndarray]) -> None:
        """Keep the arrays in ``buffers`` (by :data:`ARRAY_KEYS` name) instead of private ones.

        The builder writes into the given arrays from now on; their present
        content is replaced by the builder's. A vector environment binds
        each sub-environment to one row of its stacked arrays, so the
        sub-environments' updates land in the batch without a copy. Names
        not given keep (or get) a private array.

        Raises:
            ValueError: A buffer has the wrong shape or dtype.
        """
        shapes = array_shapes(self.limits)
        old = dict(getattr(self, "_views", {}))
        for key in ARRAY_KEYS:
            shape, dtype, fill = shapes[key]
            array = buffers.get(key)
            if array is None:
                array = old.get(key)
            if array is None:
                array = np.full(shape, fill, dtype)
            elif array.shape != shape or array.dtype != dtype:
                raise ValueError(f"buffer {key!r} must be {dtype.__name__} of shape {shape}, "
                                 f"got {array.dtype} of shape {array.shape}")
            elif key in old and old[key] is not array:
                array[...] = old[key]
            elif key not in old:
                array[...] = fill
            setattr(self, key, array)
        self.ready = self.node_features[:, 0]  # a view: 1.0 where ready and unplaced
        self._views = {key: getattr(self, key) for key in ARRAY_KEYS}
        self._ready_changed = None

    # --------------------------------------------------------------- episode
    def reset(self, sim: Simulator) -> None:
        """Clear every array and describe ``sim``'s PEs; no job is present yet."""
        platform = sim.platform
        num_pes = platform.num_pes
        if num_pes > self.limits.max_pes:
            raise ObservationLimitError(
                f"platform '{platform.name}' has {num_pes} PEs but max_pes={self.limits.max_pes}",
                "max_pes", num_pes)
        pes = sim.pes
        if pes.slowdown != self._slowdown or len(self._tables) > 256:
            # another DVFS setting (tables change), or many profiles seen (an environment
            # drawing a new DAG per episode): start afresh rather than grow without bound
            self._tables.clear()
            self._slowdown = list(pes.slowdown)
        self._clear_nodes(0, self.limits.max_nodes)
        self._clear_edges(0, self.limits.max_edges)
        self._ready_changed = None
        self.jobs.clear()
        self._free_index = list(range(self.limits.max_jobs))
        self._node_top = self._edge_top = 0
        self._age_time = -1.0
        self._pes_stale = True
        self._touched.clear()
        self._unsettled.clear()
        self.pe_features.fill(0.0)
        self.pe_type.fill(-1)
        self.pe_mask.fill(0)
        self.pe_type[:num_pes] = platform.pe_type
        self.pe_mask[:num_pes] = 1
        top = max(pes.active_w) or 1.0
        self.pe_features[:num_pes, 5] = [w / top for w in pes.active_w]
        self.global_features.fill(0.0)

    def tables(self, profile: BoundProfile) -> _ProfileTables:
        """The static rows of ``profile`` (built on first use)."""
        tables = self._tables.get(id(profile))
        if tables is None:
            tables = _ProfileTables(profile, self._slowdown, self.limits.max_pes,
                                    self.inv_scale)
            self._tables[id(profile)] = tables
        return tables

    # ------------------------------------------------------------------ jobs
    def add_job(self, state: JobState) -> JobSlots:
        """Give a newly arrived job its slots and write its rows.

        Raises:
            ObservationLimitError: The job does not fit; the message names the limit to raise.
        """
        limits = self.limits
        if not self._free_index:
            raise ObservationLimitError(
                f"more than max_jobs={limits.max_jobs} jobs are in the system", "max_jobs",
                cap=True)
        tables = self.tables(state.profile)
        self._check_fits(state.profile, tables)
        if (self._node_top + tables.n > limits.max_nodes
                or self._edge_top + tables.m > limits.max_edges):
            self._compact()
        used_nodes = sum(job.n for job in self.jobs.values()) + tables.n
        used_edges = sum(job.m for job in self.jobs.values()) + tables.m
        if used_nodes > limits.max_nodes:
            raise ObservationLimitError(
                f"the jobs in the system need {used_nodes} task slots but max_nodes="
                f"{limits.max_nodes}", "max_nodes", used_nodes, cap=True)
        if used_edges > limits.max_edges:
            raise ObservationLimitError(
                f"the jobs in the system need {used_edges} edge slots but max_edges="
                f"{limits.max_edges}", "max_edges", used_edges, cap=True)
        job = JobSlots(state, heapq.heappop(self._free_index), tables)
        self._place(job)
        self.jobs[state.id] = job
        return job

    def remove_job(self, job_id: int) -> None:
        """Free the slots of a job that left the system."""
        job = self.jobs.pop(job_id)
        self._clear_nodes(job.node0, job.node0 + job.n)
        self._clear_edges(job.edge0, job.edge0 + job.m)
        heapq.heappush(self._free_index, job.index)
        if job.node0 + job.n == self._node_top:
            self._node_top = job.node0
        if job.edge0 + job.m == self._edge_top:
            self._edge_top = job.edge0

    def rescan(self, job: JobSlots) -> None:
        """Rewrite the progress columns of a job (after a task finished or a PE failed)."""
        state = job.state
        a = job.node0
        rows = []
        for finish, pe, waiting, inv in zip(state.finish, state.task_pe, state.waiting,
                                            job.tables.inv_preds_list, strict=True):
            if finish >= 0:
                rows.append((0.0, 0.0, 1.0, 0.0))
            elif pe >= 0:
                rows.append((0.0, 1.0, 0.0, waiting * inv))
            else:
                rows.append((float(waiting == 0), 0.0, 0.0, waiting * inv))
        features = self.node_features
        features[a:a + job.n, 0:4] = rows
        features[a:a + job.n, 8] = state.remaining / job.n
        self._changed(a, a + job.n)
        self.node_pe[a:a + job.n] = state.task_pe
        job.remaining = state.remaining
        job.inflight = [t for t, (f, pe) in enumerate(zip(state.finish, state.task_pe,
                                                           strict=True)) if pe >= 0 and f < 0]

    def update(self, job: JobSlots) -> None:
        """Update a job whose tasks finished, touching only those tasks and their successors.

        Only tasks placed through :meth:`mark_placed` can finish, so the
        job's in-flight list says which rows changed; :meth:`rescan` is the
        full rewrite (used after PE failures, which return placed tasks).
        """
        state = job.state
        finish, task_pe, waiting = state.finish, state.task_pe, state.waiting
        inv = job.tables.inv_preds_list
        succs = state.profile.succs
        features = self.node_features
        changed = self._ready_changed
        a = job.node0
        still = []
        for task in job.inflight:
            if finish[task] < 0:
                still.append(task)
                continue
            features[a + task, 0:4] = (0.0, 0.0, 1.0, 0.0)
            for succ, _ in succs[task]:
                left = waiting[succ]
                if task_pe[succ] < 0 and finish[succ] < 0:
                    features[a + succ, 0] = float(left == 0)
                    if changed is not None:
                        changed.add(a + succ)
                features[a + succ, 3] = left * inv[succ]
        job.inflight = still
        features[a:a + job.n, 8] = state.remaining / job.n
        job.remaining = state.remaining

    def mark_placed(self, slot: int, pe: int) -> None:
        """Record that the task in ``slot`` was queued on ``pe``."""
        self.node_features[slot, 0:2] = (0.0, 1.0)
        self.node_pe[slot] = pe
        self._touched.add(pe)
        if self._ready_changed is not None:
            self._ready_changed.add(slot)
        job = self.slot_job[slot]
        job.inflight.append(slot - job.node0)  # type: ignore[union-attr]

    def ready_changes(self) -> set[int] | None:
        """The node slots whose ``ready`` or ``eligible`` entries may have changed since last asked.

        ``None`` means every slot (after a reset or a rebinding). The
        environment rewrites only those rows of its action mask.
        """
        changed = self._ready_changed
        self._ready_changed = set()
        return changed

    def _changed(self, a: int, b: int) -> None:
        """Note that slots ``a..b-1`` may have changed (see :meth:`ready_changes`)."""
        if self._ready_changed is not None:
            self._ready_changed.update(range(a, b))

    # -------------------------------------------------------------- refresh
    def invalidate(self, everything: bool = True) -> None:
        """Say that the simulator moved (events ran), so PE rows are rewritten at the next refresh.

        The engine calls it after each advance. Between two advances a PE's
        row changes only when a task is queued on it, which
        :meth:`mark_placed` records, so :meth:`refresh` rewrites just those rows.

        Args:
            everything: Rewrite every PE row. Without faults (``False``) only
                rows that can have changed are: a PE that was idle with
                nothing due at its last write (no running task, an empty
                queue, zero time to free) and was given no task since stays so
                however the clock moves, so its row is kept.
        """
        if everything:
            self._pes_stale = True
        else:
            self._pes_moved = True

    def refresh(self, sim: Simulator) -> None:
        """Update PE features, global features and job ages from the simulator.

        Only what can have changed is written: every PE row after a full
        :meth:`invalidate`; after a partial one the rows of PEs that were not
        settled or were given a task; between advances only the rows of PEs
        given a task since the last refresh; job ages when the clock moved.
        """
        now = sim.now
        inv = self.inv_scale
        if self._pes_stale:
            self._pes_stale = self._pes_moved = False
            self._touched.clear()
            self._write_pes(sim, range(sim.platform.num_pes), now, inv)
        elif self._pes_moved or self._touched:
            rows = self._touched | self._unsettled if self._pes_moved else self._touched
            self._pes_moved = False
            if rows:
                pes = sorted(rows)
                self._touched.clear()
                self._write_pes(sim, pes, now, inv)
        if now != self._age_time:  # ages move with the clock only
            self._age_time = now
            age = self.node_features[:, 7]
            np.subtract(np.float32(now * inv), self._arrival, out=age)
            np.multiply(age, self.node_mask, out=age)
        limits = self.limits
        self.global_features[:] = (
            now * inv, now / self.horizon if self.horizon else 0.0,
            len(sim.jobs) / limits.max_jobs, len(sim.ready) / limits.max_nodes,
            self._idle_count / len(self._pe_idle))

    def _write_pes(self, sim: Simulator, pes: Sequence[int], now: float, inv: float) -> None:
        """Rewrite the first five columns of ``pe_features`` for ``pes`` (ascending)."""
        alive, running, queues, end, backlog = sim.pes[:5]
        idle_flags = self._pe_idle
        if len(idle_flags) != len(alive):
            idle_flags[:] = [False] * len(alive)
            self._idle_count = 0
        if isinstance(pes, range) and len(pes) > _COLUMNS_FROM:
            self._write_all_pes(sim, now, inv)
            return
        rows = []
        count = self._idle_count
        unsettled = self._unsettled
        for pe in pes:
            queued = len(queues[pe])
            busy = running[pe] is not None
            idle = alive[pe] and not busy and not queued
            count += idle - idle_flags[pe]
            idle_flags[pe] = idle
            free = end[pe] if end[pe] > now else now
            due = (free + backlog[pe] - now) * inv
            if idle and due == 0.0:
                unsettled.discard(pe)
            else:
                unsettled.add(pe)
            rows.append((alive[pe], idle, busy, queued, due))
        self._idle_count = count
        if isinstance(pes, range):
            self.pe_features[:len(rows), 0:5] = rows
        elif len(rows) == 1:
            self.pe_features[pes[0], 0:5] = rows[0]
        else:
            self.pe_features[pes, 0:5] = rows

    def _write_all_pes(self, sim: Simulator, now: float, inv: float) -> None:
        """:meth:`_write_pes` for every PE of a large platform, column by column."""
        pes = sim.pes
        n = len(pes.alive)
        alive = np.fromiter(pes.alive, np.bool_, n)
        busy = np.fromiter((r is not None for r in pes.running), np.bool_, n)
        queued = np.fromiter(map(len, pes.queue), np.float64, n)
        idle = alive & ~busy & (queued == 0)
        free = np.fromiter(pes.expected_end, np.float64, n)
        np.maximum(free, now, out=free)
        free += np.fromiter(pes.backlog, np.float64, n)
        free -= now
        free *= inv
        block = self.pe_features[:n]
        block[:, 0] = alive
        block[:, 1] = idle
        block[:, 2] = busy
        block[:, 3] = queued
        block[:, 4] = free
        self._pe_idle[:] = idle.tolist()
        self._idle_count = int(idle.sum())
        self._unsettled = set(np.flatnonzero(~idle | (free != 0.0)).tolist())

    def observation(self, action_mask: np.ndarray, copy: bool = True) -> dict[str, np.ndarray]:
        """The ``Dict`` observation: every array plus ``action_mask``.

        Args:
            action_mask: The environment's mask, returned as ``action_mask``.
            copy: Fresh copies of every array (the default: the caller may
                keep them). ``False`` returns the builder's own arrays (and
                ``action_mask`` itself): no copy, but they are overwritten
                in place by the next step or reset.
        """
        if copy:
            obs = {key: array.copy() for key, array in self._views.items()}
            obs["action_mask"] = action_mask.copy()
            return obs
        obs = dict(self._views)
        obs["action_mask"] = action_mask
        return obs

    def graph(self, action_mask: np.ndarray, num_pes: int) -> GraphObservation:
        """The present state as a :class:`GraphObservation` (copies, no padding)."""
        slots = np.flatnonzero(self.node_mask)
        position = np.full(self.limits.max_nodes, -1, np.int64)
        position[slots] = np.arange(slots.size)
        edges = np.flatnonzero(self.edge_mask)
        job_index = self.node_job[slots]
        order = list(dict.fromkeys(job_index.tolist()))  # job slots in node (arrival) order
        compact = np.full(self.limits.max_jobs, -1, np.int64)
        compact[order] = np.arange(len(order))
        by_index = {job.index: job for job in self.jobs.values()}
        job_ids = np.array([by_index[i].state.id for i in order], dtype=np.int64)
        task_ids = np.array([slot - self.slot_job[slot].node0 for slot in slots.tolist()],
                            dtype=np.int64)
        return GraphObservation(
            node_features=self.node_features[slots].copy(),
            node_pe_time=self.node_pe_time[slots, :num_pes].copy(),
            node_pe=self.node_pe[slots].copy(), node_slot=slots.astype(np.int64),
            node_job=compact[job_index], job_ids=job_ids, task_ids=task_ids,
            edge_index=position[self.edge_index[:, edges]],
            edge_features=self.edge_features[edges].copy(),
            pe_features=self.pe_features[:num_pes].copy(),
            pe_type=self.pe_type[:num_pes].copy(),
            global_features=self.global_features.copy(), action_mask=action_mask.copy())

    # ------------------------------------------------------------- internals
    def _check_fits(self, profile: BoundProfile, tables: _ProfileTables) -> None:
        limits = self.limits
        if tables.n > limits.max_nodes:
            raise ObservationLimitError(
                f"a job of profile '{profile.name}' has {tables.n} tasks but max_nodes="
                f"{limits.max_nodes}", "max_nodes", tables.n)
        if tables.m > limits.max_edges:
            raise ObservationLimitError(
                f"a job of profile '{profile.name}' has {tables.m} edges but max_edges="
                f"{limits.max_edges}", "max_edges", tables.m)

    def _place(self, job: JobSlots) -> None:
        """Write a job's rows at the current tops and move the tops past it."""
        tables = job.tables
        a, b = self._node_top, self._node_top + job.n
        e0, e1 = self._edge_top, self._edge_top + job.m
        job.node0, job.edge0 = a, e0
        self._node_top, self._edge_top = b, e1
        self.node_features[a:b, 4:7] = tables.static
        self.node_pe_time[a:b] = tables.pe_time
        self.eligible[a:b] = tables.eligible
        self.node_job[a:b] = job.index
        self.node_mask[a:b] = 1
        self._arrival[a:b] = job.state.arrival * self.inv_scale
        self._age_time = -1.0
        self.slot_job[a:b] = [job] * job.n
        self.edge_index[:, e0:e1] = tables.edges + a
        self.edge_features[e0:e1] = tables.edge_features
        self.edge_mask[e0:e1] = 1
        self.rescan(job)

    def _compact(self) -> None:
        """Pack the live jobs to the front of the node and edge slots."""
        jobs = list(self.jobs.values())
        self._clear_nodes(0, self._node_top)
        self._clear_edges(0, self._edge_top)
        self._node_top = self._edge_top = 0
        for job in jobs:
            self._place(job)

    def _clear_nodes(self, a: int, b: int) -> None:
        self._changed(a, b)
        self.node_features[a:b] = 0.0
        self.node_pe_time[a:b] = -1.0
        self.node_pe[a:b] = -1
        self.node_job[a:b] = -1
        self.node_mask[a:b] = 0
        self.eligible[a:b] = 0
        self._arrival[a:b] = 0.0
        self.slot_job[a:b] = [None] * (b - a)

    def _clear_edges(self, a: int, b: int) -> None:
        self.edge_index[:, a:b] = 0
        self.edge_features[a:b] = 0.0
        self.edge_mask[a:b] = 0
