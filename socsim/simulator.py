"""The discrete-event emulator: a next-event loop over jobs, PE queues and faults.

Time jumps from event to event; nothing ticks. Events, in the order they are
handled when several fall on the same instant: a task finishes, a PE
recovers, a PE fails, a job arrives, a PE wakes up to start a task whose
inputs have arrived. After all events of one instant, if a job arrived, a
task became ready or a PE went idle, and something is left to decide, the
simulator stops at a *decision point* and a scheduler places tasks on PE
queues (see :mod:`socsim.scheduler` for the contract).

Transfers: a task's input from a predecessor is on the task's PE at the
predecessor's finish time plus the transfer time between the two PEs
(zero on the same PE). Outputs survive the failure of the PE that made them.

Energy: each PE draws idle power at its idle operating point while up and
not running, and active power at its busy operating point while running;
a failed PE draws nothing. Moving data between distinct PEs costs the
platform's energy per unit of volume. A platform with DS3's power model
(:mod:`socsim.power`) is charged by cluster instead: a busy core's power
depends on how many cores of its cluster are busy, leakage on voltage and
temperature, and the always-on rails add a base power.

Failed jobs: a job that can no longer finish leaves at once with its
reason; its queued tasks are dropped, and any of its tasks already running
elsewhere finish (no preemption) and appear in the trace, their energy
counted in the run's totals but not in the job's record.

Memory: jobs leave the simulator when they complete or fail; only their
latency (8 bytes) is kept unless job records or a trace are asked for.
"""

from __future__ import annotations

import copy
import dataclasses
import heapq
import math
from array import array
from collections import deque
from collections.abc import Callable

import numpy as np

from socsim.dvfs import DVFSPolicy, Performance
from socsim.errors import SchedulingError
from socsim.faults import FaultModel
from socsim.fields import MAX_NUMBER
from socsim.jobs import JobSource
from socsim.metrics import compute_metrics
from socsim.platform import PEType, Platform
from socsim.power import ClusterEnergy
from socsim.records import JobRecord, TaskRecord
from socsim.results import SimulationResult
from socsim.scheduler import Scheduler, SchedulerView
from socsim.state import Counters, JobState, PEColumns, PEState, RunningTask
from socsim.workload import BoundProfile

QUEUE_DISCIPLINES = ("fifo", "first-ready", "first-ready-job")

#: Random fault events in a row, with no other event between them, after which a
#: run without a horizon is declared stuck (they alone never end it).
FAULT_ONLY_LIMIT = 100_000

#: What code outside the simulator may use of it: the read
#: API that environments, reward trackers and renderers are held to (a test checks
#: ``socsim.envs``), plus the step-by-step driving calls. Schedulers see a run only
#: through :class:`~socsim.scheduler.SchedulerView`. Everything else on a simulator
#: is its own business and may change.
READ_API = frozenset({
    # configuration
    "platform", "source", "horizon", "seed", "fault_prone",
    # the state now
    "now", "jobs", "ready", "pes", "pe_state", "counters", "latencies", "makespan",
    "failure_reasons", "energy_so_far", "can_progress", "has_pending_events", "all_alive",
    "truncated", "trace", "down_intervals",
    # driving the run step by step
    "run", "view", "scheduler_rng", "prepare", "advance", "assign", "fork", "result", "behind",
    "record",
})

# Event kinds double as priorities among events at the same instant.
_FINISH, _RECOVER, _FAIL, _ARRIVE, _WAKE = range(5)


class Simulator:
    """One simulation run of a job source on a platform.

    Drive it with :meth:`run` and a scheduler, or step by step with
    :meth:`advance`, :meth:`assign` and :attr:`view` (as the Gymnasium
    environments do).

    Args:
        platform: The SoC.
        source: The jobs (profiles must be bound to ``platform``).
        seed: Seeds every random draw: arrivals, profile choice, noise,
            faults, per-job activity and the scheduler's own stream, each from its own
            generator so that one does not shift another.
        horizon: Stop at this time (us); ``None`` runs until the source is
            exhausted and every job has left.
        dvfs: DVFS policy (default: performance).
        faults: PE failures and recoveries (default: none).
        keep_trace: Keep one :class:`TaskRecord` per execution.
        keep_jobs: Keep one :class:`JobRecord` per job.
        warmup: Measure from this time on (us; DS3's ``warmup_period``): jobs that
            arrive before it are left out of every latency statistic and job
            count, and energy, busy time, throughput and power cover the run
            from ``warmup`` to its end. The run itself is unchanged.
        throttling: With DS3's power model and trip points: whether the trips
            cap the clusters' frequencies (``None``: as the platform says; DS3's
            default configuration has them off).
        power_gating: With DS3's power model: idle cores are power-gated (draw
            nothing) and busy ones are charged from the clusters' gated profiles
            (DS3's ``PG_profile``); see :mod:`socsim.power`.
        queue_discipline: How a free PE picks from its queue. ``"fifo"``
            (default): only the head may start, once its inputs are there.
            ``"first-ready"``: the first queued task whose inputs are there
            starts (DS3's executable list), unless the scheduler running
            declares ``in_order_queues = True`` (its plan fixes each PE's
            order, as DS3's HEFT_RT does with dynamic dependencies).
            ``"first-ready-job"``: the same, but among the queued tasks whose
            inputs are there the oldest job's (lowest id) starts first, then
            queue order (DS3's executable list: one list ordered by job id).
    """

    def __init__(self, platform: Platform, source: JobSource, *, seed: int = 0,
                 horizon: float | None = None, dvfs: DVFSPolicy | None = None,
                 faults: FaultModel | None = None, keep_trace: bool = False,
                 keep_jobs: bool = False, queue_discipline: str = "fifo",
                 warmup: float = 0.0, throttling: bool | None = None,
                 power_gating: bool = False) -> None:
        for profile in source.profiles:
            if profile.platform is not platform:
                raise ValueError(f"profile '{profile.name}' is bound to platform "
                                 f"'{profile.platform.name}', not to '{platform.name}'")
        if source.max_jobs is None and horizon is None:
            raise ValueError("an endless job source needs a horizon: set max_jobs or horizon")
        if horizon is not None and not (0 <= horizon <= MAX_NUMBER):
            raise ValueError(f"horizon must be a time in [0, {MAX_NUMBER:g}] us (about 32 "
                             f"years), got {horizon!r}")
        if not (0 <= warmup <= MAX_NUMBER):
            raise ValueError(f"warmup must be a time in [0, {MAX_NUMBER:g}] us, got {warmup!r}")
        self.warmup = float(warmup)
        self._throttling_asked = throttling
        if power_gating and platform.power_model is None:
            raise ValueError(f"power_gating needs DS3's cluster power model; platform "
                             f"'{platform.name}' charges per PE (use a ds3_* platform)")
        if power_gating:
            ungated = [cluster.name for cluster, spec in zip(
                platform.clusters, platform.power_model.clusters, strict=True)  # type: ignore[union-attr]
                       if spec.profile and not spec.gated_profile]
            if ungated:
                raise ValueError(f"{platform.source or platform.name}: power gating needs a "
                                 f"power_model.clusters.<name>.gated_profile for cluster(s) "
                                 f"{', '.join(ungated)}; add one (the power with the other "
                                 "cores gated, per MHz and busy-core count), or leave power "
                                 "gating off")
        self.power_gating = bool(power_gating)
        self.platform = platform
        self.source = source
        self.seed = seed
        self.horizon = horizon
        self.dvfs = dvfs or Performance()
        self.faults = faults or FaultModel()
        self.faults.validate(platform.num_pes)
        self.keep_trace = keep_trace
        self.keep_jobs = keep_jobs
        if queue_discipline not in QUEUE_DISCIPLINES:
            raise ValueError(f"queue_discipline must be one of {QUEUE_DISCIPLINES}, "
                             f"got {queue_discipline!r}")
        self.queue_discipline = queue_discipline
        self._first_ready = queue_discipline != "fifo"
        self._by_job = queue_discipline == "first-ready-job"
        streams = np.random.SeedSequence(seed).spawn(6)  # the 6th (activity) came last
        (self._arrival_rng, self._mix_rng, self._noise_rng, self._fault_rng,
         self.scheduler_rng, self._activity_rng) = (np.random.default_rng(s) for s in streams)
        self._init_pes()
        self._init_state()
        if self._power is not None:
            self._power.trace = self.power_series
        if self._governor is not None and self.power_series is not None:
            for cluster, opp in zip(platform.clusters, self._cluster_opp, strict=True):
                point = platform.types[cluster.type_index].opps[opp]
                self.power_series.append((0.0, f"frequency_mhz:{cluster.name}", point.mhz))
        self.view = SchedulerView(self)

    # ------------------------------------------------------------------ setup
    def _init_pes(self) -> None:
        platform, n = self.platform, self.platform.num_pes
        self.pe_slowdown: list[float] = []
        self.pe_active_w: list[float] = []
        self.pe_idle_w: list[float] = []
        for pe in range(n):
            pe_type = platform.types[platform.pe_type[pe]]
            busy = self.dvfs.busy_opp(pe_type, pe)
            idle = self.dvfs.idle_opp(pe_type, pe)
            self.pe_slowdown.append(pe_type.slowdown(busy))
            self.pe_active_w.append(pe_type.opps[busy].active_w)
            self.pe_idle_w.append(pe_type.opps[idle].idle_w)
        self.pe_alive = [True] * n
        self._pe_columns: PEColumns | None = None  # built on first read of ``pes``
        self._down = 0
        self.pe_queue: list[deque[tuple[JobState, int]]] = [deque() for _ in range(n)]
        self.pe_running: list[RunningTask | None] = [None] * n
        self.pe_expected_end = [0.0] * n
        self.pe_backlog = [0.0] * n
        self.pe_busy = [0.0] * n
        self.pe_energy = [0.0] * n
        self.pe_idle_since = [0.0] * n
        self._pe_epoch = [0] * n
        self._pe_wake = [-1.0] * n
        # Fault holds: a PE is up only while no scheduled window and no random
        # failure holds it down (overlapping windows combine).
        self._scheduled_holds = [0] * n
        self._random_holds = [0] * n
        self._future_faults: list[list[tuple[float, int, int]]] = [[] for _ in range(n)]
        # (bandwidth, latency) by cluster pair: links are per cluster, so nothing here
        # grows with the square of the PE count.
        self._pe_cluster = platform.pe_cluster
        self._pe_type = platform.pe_type  # static: read in the hot loop
        self._links = [[(link.bandwidth, link.latency) for link in row] for row in platform.links]
        self._ds3 = platform.timing == "ds3"
        self._random_fault_pes = set(self.faults.random_pes(n))
        self._fastest: dict[int, list[list[int]]] = {}
        # A governor (ondemand) moves each cluster's operating point at run time.
        self._governor = self.dvfs if hasattr(self.dvfs, "next_opp") else None
        thermal = platform.power_model.thermal if platform.power_model is not None else None
        self._throttling = bool(thermal is not None and thermal.trips_c and (
            thermal.throttling if self._throttling_asked is None else self._throttling_asked))
        # Each cluster's operating point now, and the one its policy or governor wants
        # (they differ while a thermal trip caps it). Only kept when they can move.
        first = 0
        self._cluster_opp: list[int] = []
        for cluster in platform.clusters:
            pe_type = platform.types[cluster.type_index]
            self._cluster_opp.append(self.dvfs.busy_opp(pe_type, first)
                                     if self._governor or self._throttling else -1)
            first += cluster.size
        self._wanted_opp = list(self._cluster_opp)
        self._cap_opp: list[int | None] = [None] * len(platform.clusters)
        self._throttle_state = -1
        self._pe_end = [0.0] * n  # when the running task will actually end
        # (cluster, first PE, size, type) of the clusters a governor can move (>1 point).
        self._governed: list[tuple[int, int, int, PEType]] = []
        first = 0
        for c, cluster in enumerate(platform.clusters):
            pe_type = platform.types[cluster.type_index]
            if self._governor is not None and len(pe_type.opps) > 1:
                self._governed.append((c, first, cluster.size, pe_type))
            first += cluster.size
        self._busy_at_tick = [0.0] * n  # busy time at the last governor decision
        self._next_tick = self._governor.period_us if self._governor else math.inf  # type: ignore[union-attr]
        self._power = self._cluster_energy()
        self._busy_mark = [0.0] * n  # cluster model: the busy-core integral at each start
        self._idle_mark = [0.0] * n  # ... and the idle-core integral when each went idle

    def _cluster_energy(self) -> ClusterEnergy | None:
        """The energy integrals of DS3's cluster model, if the platform declares it."""
        platform, model = self.platform, self.platform.power_model
        if model is None:
            return None
        first = 0
        busy, idle, voltages = [], [], []
        for cluster in platform.clusters:
            pe_type = platform.types[cluster.type_index]
            b = pe_type.opps[self.dvfs.busy_opp(pe_type, first)]
            i = pe_type.opps[self.dvfs.idle_opp(pe_type, first)]
            busy.append((b.mhz, b.mv))
            idle.append((i.mhz, i.mv))
            voltages.append({p.mhz: p.mv for p in pe_type.opps})
            first += cluster.size
        return ClusterEnergy(model, [c.size for c in platform.clusters], busy, idle, voltages,
                             power_gating=self.power_gating)

    def _init_state(self) -> None:
        self.now = 0.0
        self.jobs: dict[int, JobState] = {}
        self.ready: dict[tuple[int, int], None] = {}
        self.new_jobs: list[int] = []
        self.injected = 0
        self.completed = 0
        self.failed = 0
        self.tasks_done = 0
        self.data_energy = 0.0
        self.base_energy = 0.0
        self._early = [0, 0, 0]  # jobs arrived before the warm-up: injected, completed, failed
        self._at_warmup: tuple[list[float], list[float], float, float] | None = None
        self._arrival_epoch = 0  # arrival events of an older epoch are stale (inject_asap)
        self._special = self._next_special()  # the event loop checks one number per event
        self.makespan = 0.0
        self.latencies = array("d")
        self.trace: list[TaskRecord] | None = [] if self.keep_trace else None
        #: With the trace: ``(time, series, value)`` samples of what a governor or the
        #: thermal model changes (``frequency_mhz:CLUSTER``, ``temperature_c``, ``power_w``).
        self.power_series: list[tuple[float, str, float]] | None = (
            [] if self.keep_trace else None)
        self.job_records: list[JobRecord] | None = [] if self.keep_jobs else None
        self.failure_reasons: dict[str, int] = {}
        # Down intervals of PEs (pe, failed at, recovered at), and when each down PE failed.
        self.pe_down: list[tuple[int, float, float]] = []
        self._down_since: dict[int, float] = {}
        self._events: list[tuple[float, int, int, int, int]] = []
        self._seq = 0  # event tie-breaker: insertion order among equal (time, kind)
        self._dirty: set[int] = set()
        self._decision = False
        self._arrival_pending = False
        self._turned_away = False
        # Random fault events in a row with nothing else pushed or finished between them
        # (see _count_random_fault), and the (event counter, tasks done) after the last.
        self._fault_only = 0
        self._fault_mark = (0, 0)
        self._blocked = 0
        self._started = False
        self._finished = False
        self.end_time = 0.0

    def _push(self, time: float, kind: int, a: int = 0, b: int = 0) -> None:
        self._seq += 1
        heapq.heappush(self._events, (time, kind, self._seq, a, b))

    def _start(self) -> None:
        self._started = True
        source = self.source
        reset = getattr(source.arrivals, "reset", None)
        if reset is not None:  # a stateful process (Trace) starts over, prefill or not
            reset()
        for _ in range(source.prefill):
            if source.max_jobs is not None and self.injected >= source.max_jobs:
                break
            self._inject(0.0)
        if source.prefill:
            if source.max_jobs is None or self.injected < source.max_jobs:
                self._schedule_arrival(source.arrivals.after_injection(0.0, self._arrival_rng))
        else:
            self._schedule_arrival(source.arrivals.first(self._arrival_rng))
        for event in self.faults.scheduled:
            kind = _FAIL if event.kind == "fail" else _RECOVER
            self._push(event.time, kind, event.pe)
            self._future_faults[event.pe].append((event.time, kind, +1 if kind == _FAIL else -1))
        for future in self._future_faults:
            future.sort(reverse=True)  # popped from the end in the heap's order
        for pe in sorted(self._random_fault_pes):
            self._push(self.faults.time_to_failure(self._fault_rng), _FAIL, pe, 1)

    def _schedule_arrival(self, time: float | None) -> None:
        if time is None or (self.source.max_jobs is not None
                            and self.injected >= self.source.max_jobs):
            self._arrival_pending = False
            return
        self._arrival_pending = True
        self._push(max(time, self.now), _ARRIVE, self._arrival_epoch)

    # ------------------------------------------------------------------- fork
    def fork(self, seed: int | None = None, *, horizon: float | None = None,
             history: bool = False) -> Simulator:
        """An independent copy of the run at this point, to look ahead without touching it.

        Costs O(jobs in the system + PEs + pending events), not O(history):
        jobs that have left, and (unless ``history``) the latencies, trace and
        job records collected so far, are not copied. Running the fork never
        changes this simulator.

        What a fork may know: everything the simulator has already drawn. The
        arrival process draws the *next* arrival time when the previous job is
        injected (or turned away), random faults draw each failure and repair
        time one event ahead, and noise is drawn for all tasks of a job when it
        arrives. An exact fork (``seed=None``) therefore replays the parent's
        future exactly, true noise included: use it for tests and
        equivalence, never inside a scheduler. A *what-if* fork (``seed``
        given) re-seeds every random stream, so arrivals, job mixes,
        activities, faults and noise beyond the pending events are sampled
        afresh; it redraws the noise of every task of the present jobs that
        has not started and the end of every running task (not before now).
        It still knows the time of the one pending arrival and of pending
        fault events, nothing else of the future.

        Args:
            seed: ``None`` for an exact copy; else the seed of the what-if streams.
            horizon: The fork's own horizon (default: this run's).
            history: Also copy the latencies, trace and job records so far
                (so that the fork's :meth:`result` covers the whole run).

        Returns:
            The fork, positioned at the same decision point.
        """
        twin = object.__new__(Simulator)
        twin.__dict__.update(self.__dict__)
        twin._pe_columns = None  # its lists are copied below
        copies: dict[int, JobState] = {}

        def own(job: JobState) -> JobState:
            twin_job = copies.get(id(job))
            if twin_job is None:
                twin_job = copies[id(job)] = job.copy()
            return twin_job

        twin.jobs = {job_id: own(job) for job_id, job in self.jobs.items()}
        twin.pe_queue = [deque((own(job), task) for job, task in queue)
                         for queue in self.pe_queue]
        twin.pe_running = [None if r is None else r._replace(job=own(r.job))
                           for r in self.pe_running]
        for name in ("pe_alive", "pe_expected_end", "pe_backlog", "pe_busy", "pe_energy",
                     "pe_idle_since", "_pe_epoch", "_pe_wake", "_scheduled_holds",
                     "_random_holds", "new_jobs", "_events", "pe_slowdown", "pe_active_w",
                     "pe_idle_w", "_pe_end", "_busy_at_tick", "_cluster_opp", "_wanted_opp",
                     "_cap_opp"):
            setattr(twin, name, list(getattr(self, name)))
        twin._future_faults = [list(f) for f in self._future_faults]
        twin._early = list(self._early)
        if history:
            twin.power_series = None if self.power_series is None else list(self.power_series)
        else:
            twin.power_series = None if self.power_series is None else []
        if self._power is not None:
            twin._power = self._power.copy()
            twin._power.trace = twin.power_series
            twin._busy_mark, twin._idle_mark = list(self._busy_mark), list(self._idle_mark)
        twin.ready = dict(self.ready)
        twin._dirty = set(self._dirty)
        twin.failure_reasons = dict(self.failure_reasons)
        twin._down_since = dict(self._down_since)
        if history:
            twin.latencies = array("d", self.latencies)
            twin.trace = None if self.trace is None else list(self.trace)
            twin.job_records = None if self.job_records is None else list(self.job_records)
            twin.pe_down = list(self.pe_down)
        else:
            twin.latencies = array("d")
            twin.trace = None if self.trace is None else []
            twin.job_records = None if self.job_records is None else []
            twin.pe_down = []
        if getattr(self.source.arrivals, "reset", None) is not None:  # stateful (a trace)
            twin.source = dataclasses.replace(self.source,
                                              arrivals=copy.copy(self.source.arrivals))
        if horizon is not None:
            if not (horizon >= self.now and math.isfinite(horizon)):
                raise ValueError(f"fork horizon must be finite and >= now ({self.now:g}), "
                                 f"got {horizon!r}")
            twin.horizon = horizon
        if seed is None:
            for name in ("_arrival_rng", "_mix_rng", "_noise_rng", "_fault_rng",
                         "scheduler_rng", "_activity_rng"):
                setattr(twin, name, copy.deepcopy(getattr(self, name)))
        else:
            twin._reseed(seed)
        twin.view = SchedulerView(twin)
        return twin

    def _reseed(self, seed: int) -> None:
        """Fresh random streams from ``seed``; redraw the noise of every unstarted task."""
        streams = np.random.SeedSequence(seed).spawn(6)
        (self._arrival_rng, self._mix_rng, self._noise_rng, self._fault_rng,
         self.scheduler_rng, self._activity_rng) = (np.random.default_rng(s) for s in streams)
        if not self.source.noise_sigma:
            return
        # A running task's actual end is in the event queue: draw it again, not before now.
        for pe, running in enumerate(self.pe_running):
            if running is None or running.job.noise is None:
                continue
            duration = self._noisy(running.expected, float(self._noise_rng.standard_normal()))
            end = max(running.start + duration, self.now)
            self._pe_end[pe] = end
            self.pe_running[pe] = running._replace(
                energy=self.pe_active_w[pe] * (end - running.start))
            epoch = self._pe_epoch[pe]
            self._events = [(end, kind, seq, a, b) if kind == _FINISH and a == pe
                            and b == epoch else (time, kind, seq, a, b)
                            for time, kind, seq, a, b in self._events]
            heapq.heapify(self._events)
        started = {(r.job.id, r.task) for r in self.pe_running if r is not None}
        for job in self.jobs.values():
            if job.noise is None:
                continue
            fresh = self.source.draw_noise(job.profile.num_tasks, self._noise_rng)
            if fresh is None:
                continue
            job.noise = [old if job.finish[t] >= 0 or (job.id, t) in started else new
                         for t, (old, new) in enumerate(zip(job.noise, fresh, strict=True))]

    # -------------------------------------------------------------- main loop
    def run(self, scheduler: Scheduler,
            progress: Callable[[SimulationResult | None, Simulator], None] | None = None
            ) -> SimulationResult:
        """Run to completion (or the horizon) under ``scheduler``.

        Args:
            scheduler: Places tasks at each decision point.
            progress: Called every 1,000 decision points with ``(None, self)``,
                and once at the end with the result, e.g. to drive a progress bar.

        Returns:
            The run's metrics, per-PE figures, and trace or job records if kept.
        """
        view = self.view
        self.prepare(scheduler)
        assign = self.assign
        decisions = 0
        while self.advance():
            for job, task, pe in scheduler.decide(view):
                assign(job, task, pe)
            decisions += 1
            if progress is not None and decisions % 1000 == 0:
                progress(None, self)
        result = self.result(getattr(scheduler, "name", type(scheduler).__name__))
        if progress is not None:
            progress(result, self)
        return result

    def prepare(self, scheduler: Scheduler | None) -> None:
        """Set up a run that a driver steps with :meth:`advance` and :meth:`assign`.

        :meth:`run` calls it; drivers that step several simulators at once
        (batched learned schedulers) call it before the first ``advance``.
        It applies the scheduler's queue contract (``in_order_queues``) and
        resets the scheduler with the run's scheduler stream.
        """
        self._first_ready = (self.queue_discipline != "fifo"
                             and not getattr(scheduler, "in_order_queues", False))
        if scheduler is not None:
            scheduler.reset(self.view, self.scheduler_rng)

    def advance(self) -> bool:
        """Run the emulator to the next decision point.

        Starts whatever the last decision made startable, then handles events
        instant by instant until one leaves something to decide.

        Returns:
            ``True`` at a decision point (see :attr:`view`), ``False`` when
            the run is over.
        """
        if self._finished:
            return False
        self.new_jobs = []
        self._decision = False
        events = self._events
        defer = False
        if not self._started:
            self._start()
            # Prefilled jobs belong to instant 0: decide after its events (faults, arrivals).
            defer = bool(events) and events[0][0] == self.now
        self._start_dirty()
        horizon = self.horizon
        while True:
            if defer:
                defer = False
            elif self._decision and (self.ready or self.new_jobs):
                return True
            else:
                self._decision = False
            # With a horizon, the events up to it (faults, tasks of failed jobs still
            # running) still shape busy time and energy once the system is empty.
            if not events and horizon is None and self.jobs:
                raise SchedulingError(self._stall_message())
            if not events or (horizon is None and not self.jobs
                              and not self._arrival_pending and not self._blocked):
                self._finish(self.now if horizon is None else horizon)
                return False
            time = events[0][0]
            if time >= self._special:  # the warm-up, a governor decision or a trip check
                thermal = self._power.next_update if self._throttling else math.inf  # type: ignore[union-attr]
                due = min(self._next_tick, thermal)
                if self._at_warmup is None and time >= self.warmup > 0 \
                        and self.warmup <= due and (horizon is None or self.warmup <= horizon):
                    self._measure_from_warmup()  # first: nothing has moved since the warm-up
                if due <= time and (horizon is None or due <= horizon):
                    # Either may move finish events earlier than ``time``: look again after.
                    if self._next_tick == due:
                        self._tick()
                    else:
                        self._thermal_update()
                    self._special = self._next_special()
                    continue
                self._special = self._next_special()
            if horizon is not None and time > horizon:
                self._finish(horizon)
                return False
            self.now = time
            if self._power is not None:
                self._power.advance(time)
            while events and events[0][0] == time:
                _, kind, _, a, b = heapq.heappop(events)
                if kind == _FINISH:
                    self._on_finish(a, b)
                elif kind == _WAKE:
                    if b == self._pe_epoch[a]:
                        self._dirty.add(a)
                elif kind == _ARRIVE:
                    if a == self._arrival_epoch:
                        self._on_arrival()
                elif kind == _FAIL:
                    self._on_fail(a, b)
                else:
                    self._on_recover(a, b)
            self._start_dirty()
            if self._turned_away:
                self._turned_away = False
                # Retrying arrivals never let the event queue run dry: without a
                # horizon, a stall would spin for ever. The retry stays queued, so a
                # driver that places tasks after the error may go on.
                if horizon is None and not (self._decision and (self.ready or self.new_jobs)) \
                        and not self.can_progress():
                    raise SchedulingError(self._stall_message())

    def assign(self, job: int, task: int, pe: int) -> None:
        """Queue ``task`` of ``job`` on ``pe`` (see :mod:`socsim.scheduler` for the rules).

        Raises:
            SchedulingError: The job is not present, the task is already
                placed or finished, or the PE is down or cannot run it.
        """
        state = self.jobs.get(job)
        if state is None:
            raise SchedulingError(f"job {job} is not in the system")
        profile = state.profile
        if not 0 <= task < profile.num_tasks:
            raise SchedulingError(f"job {job} ({profile.name}) has no task {task}")
        if state.task_pe[task] >= 0 or state.finish[task] >= 0:
            raise SchedulingError(f"task {profile.profile.task_names[task]} of job {job} is "
                                  f"already placed on PE {state.task_pe[task]}")
        if not 0 <= pe < len(self._pe_type):
            raise SchedulingError(f"PE {pe} does not exist (0..{len(self._pe_type) - 1})")
        mu = profile.cost[task][self._pe_type[pe]]
        if mu == math.inf:
            raise SchedulingError(f"PE {pe} ({self.platform.pe_names[pe]}) cannot run task "
                                  f"{profile.profile.task_names[task]}; eligible PEs: "
                                  f"{profile.eligible_pes[task]}")
        if not self.pe_alive[pe]:
            raise SchedulingError(f"PE {pe} ({self.platform.pe_names[pe]}) is down")
        state.task_pe[task] = pe
        if state.waiting[task] == 0:
            self.ready.pop((job, task), None)
        self.pe_queue[pe].append((state, task))
        self.pe_backlog[pe] += mu * self.pe_slowdown[pe]
        if self.pe_running[pe] is None:  # a busy PE looks at its queue when its task ends
            self._dirty.add(pe)

    @property
    def all_alive(self) -> bool:
        """Whether every PE is up."""
        return self._down == 0

    @property
    def has_pending_events(self) -> bool:
        """Whether an event (finish, arrival, wake-up, fault) is still to come.

        Without one, nothing happens unless the scheduler places a task: a
        step-by-step driver (the Gymnasium environments) must not wait then.
        """
        return bool(self._events)

    @property
    def pes(self) -> PEColumns:
        """Every PE's live state as columns (the simulator's own lists: read, never write)."""
        columns = self._pe_columns
        if columns is None:  # the lists live as long as the simulator: one record serves
            columns = self._pe_columns = PEColumns(
                self.pe_alive, self.pe_running, self.pe_queue, self.pe_expected_end,
                self.pe_backlog, self.pe_slowdown, self.pe_active_w)
        return columns

    @property
    def counters(self) -> Counters:
        """Jobs injected, completed and failed, and tasks finished, so far."""
        return Counters(self.injected, self.completed, self.failed, self.tasks_done)

    @property
    def fault_prone(self) -> bool:
        """Whether a PE may fail in this run (scheduled fault windows or random faults)."""
        return bool(self.faults.scheduled) or self.faults.mtbf is not None

    @property
    def truncated(self) -> bool:
        """Whether the horizon cut the run short: jobs were left in the system or still to come.

        Meaningful once the run is over; always ``False`` for a run without a horizon.
        """
        if self.horizon is None:
            return False
        max_jobs = self.source.max_jobs
        return bool(self.jobs) or max_jobs is None or self.injected < max_jobs

    def record(self, *, jobs: bool = False, trace: bool = False) -> None:
        """Keep job records (``jobs``) or the task trace (``trace``) from now on.

        For analyses handed a simulator built without them (the streaming
        bounds need every job's record). What ran before the call is not recovered.
        """
        if jobs and self.job_records is None:
            self.keep_jobs, self.job_records = True, []
        if trace and self.trace is None:
            self.keep_trace, self.trace = True, []

    @staticmethod
    def behind(view: SchedulerView) -> Simulator:
        """The run a scheduler view looks at, for adapters that mirror a run.

        An environment that builds observations of a run driven by someone
        else (a ``learned:`` scheduler's) attaches to it this way; it reads the
        run through :data:`READ_API` and never writes into it.
        """
        return view._sim

    def pe_state(self, pe: int) -> PEState:
        """A snapshot of one PE (what renderers and environments read)."""
        return PEState(self.pe_alive[pe], self.pe_running[pe], len(self.pe_queue[pe]),
                       self.pe_expected_end[pe], self.pe_backlog[pe], self.pe_busy[pe],
                       self.pe_idle_since[pe])

    def energy_so_far(self) -> float:
        """Energy (uJ) spent up to now: booked energy plus the running and idle parts.

        After the run, the booked total (every PE's account is closed at the end).
        """
        booked = sum(self.pe_energy) + self.data_energy + self.base_energy
        if self._finished:
            return booked
        now = self.now
        if self._power is not None:
            booked += self._power.base_energy(now)
        return booked + sum(self._open_energy(pe, now) for pe in range(self.platform.num_pes))

    def can_progress(self) -> bool:
        """Whether time alone, with no new placement, can change what may be decided.

        True while a task runs, a queued task can start (its predecessors
        are done; FIFO queues: the head), a down PE has a recovery ahead, or
        an arrival is due that the system can take in. False when only
        arrivals that a full system turns away, failures of idle PEs or stale
        events are left: waiting would then spin for ever (without a
        horizon) or idle to the horizon, so the environments mask "wait" and
        :meth:`run` reports the run as stuck.
        """
        if any(running is not None for running in self.pe_running):
            return True
        for pe, queue in enumerate(self.pe_queue):  # placed tasks that will start
            if queue and self.pe_alive[pe] and any(
                    not job.failed and not job.waiting[task]
                    for job, task in (queue if self._first_ready else (queue[0],))):
                return True
        cap = self.source.max_in_system
        has_room = cap is None or len(self.jobs) < cap
        epoch, alive = self._pe_epoch, self.pe_alive
        for _, kind, _, a, b in self._events:
            if kind == _WAKE:
                if b == epoch[a]:
                    return True
            elif kind == _ARRIVE:
                if has_room and a == self._arrival_epoch:
                    return True
            elif kind == _RECOVER and not alive[a]:
                return True
        return False

    def fastest_pes(self, profile: BoundProfile) -> list[list[int]]:
        """Per task of ``profile``, the PEs with the least expected time (all PEs, live or not)."""
        table = self._fastest.get(id(profile))
        if table is None:
            table = []
            for row, pes in zip(profile.cost, profile.eligible_pes, strict=True):
                times = [row[self.platform.pe_type[pe]] * self.pe_slowdown[pe] for pe in pes]
                best = min(times)
                table.append([pe for pe, t in zip(pes, times, strict=True) if t == best])
            self._fastest[id(profile)] = table
        return table

    # ----------------------------------------------------------------- events
    def _on_arrival(self) -> None:
        cap = self.source.max_in_system
        if cap is not None and len(self.jobs) >= cap:
            retry = getattr(self.source.arrivals, "after_blocked", None)
            again = retry(self.now, self._arrival_rng) if retry is not None else None
            if again is not None:  # the process tries again later (DS3's generator)
                self._schedule_arrival(again)
                self._turned_away = True  # advance() checks for a stall after the instant
                return
            self._blocked += 1
            self._arrival_pending = False
            return
        self._arrival_pending = False
        self._inject(self.now)
        self._schedule_arrival(self.source.arrivals.after_injection(self.now,
                                                                    self._arrival_rng))

    def _inject(self, time: float) -> None:
        source = self.source
        profile = source.job_profile(source.pick_profile(self._mix_rng), self._activity_rng)
        state = JobState(self.injected, profile, time,
                         source.draw_noise(profile.num_tasks, self._noise_rng))
        self.injected += 1
        if time < self.warmup:
            self._early[0] += 1
        self.jobs[state.id] = state
        self.new_jobs.append(state.id)
        self._decision = True
        if self._down:
            reason = self._doomed(state)
            if reason:
                self._fail_job(state, reason)
                return
        ready = self.ready
        for task in profile.sources:
            ready[(state.id, task)] = None

    def _on_finish(self, pe: int, epoch: int) -> None:
        if epoch != self._pe_epoch[pe]:
            return
        now = self.now
        job, task, inputs_at, start, _, energy = self.pe_running[pe]
        self.pe_running[pe] = None
        if self._power is not None:
            energy = self._stop_busy(pe, now, down=False)
        self.pe_busy[pe] += now - start
        self.pe_energy[pe] += energy
        self.pe_idle_since[pe] = now
        job.energy += energy
        job.finish[task] = now
        job.remaining -= 1
        self.tasks_done += 1
        if self.trace is not None:
            self.trace.append(TaskRecord(job.id, job.profile.name,
                                         job.profile.profile.task_names[task], pe, inputs_at,
                                         start, now, energy))
        if not self.pe_queue[pe]:
            self._decision = True
        self._dirty.add(pe)
        if job.failed:
            return
        waiting = job.waiting
        task_pe = job.task_pe
        for succ, _ in job.profile.succs[task]:
            left = waiting[succ] - 1
            waiting[succ] = left
            if left == 0:
                placed = task_pe[succ]
                if placed < 0:
                    self.ready[(job.id, succ)] = None
                    self._decision = True
                elif self.pe_running[placed] is None:  # a busy PE looks when its task ends
                    self._dirty.add(placed)
        if job.remaining == 0:
            self._complete(job)

    def _complete(self, job: JobState) -> None:
        now = self.now
        del self.jobs[job.id]
        self.completed += 1
        if job.arrival < self.warmup:
            self._early[1] += 1
        else:
            self.latencies.append(now - job.arrival)
        self.makespan = now
        if self.job_records is not None:
            self.job_records.append(JobRecord(job.id, job.profile.name, job.arrival, now,
                                              "completed", job.energy))
        self._release_slot()
        if self.source.inject_asap and self._arrival_pending:
            self._arrival_epoch += 1  # the pending arrival comes now instead
            self._on_arrival()

    def _release_slot(self) -> None:
        if self._blocked:
            self._blocked -= 1
            self._inject(self.now)
            self._schedule_arrival(self.source.arrivals.after_injection(self.now,
                                                                        self._arrival_rng))

    def _count_random_fault(self) -> None:
        """Stop a run without a horizon that only random failures and repairs keep going.

        Each random fault event pushes exactly one event (the repair, or the
        next failure). If nothing else was pushed (no task started, no job
        came) and no task finished since the previous one, the count of such
        events in a row grows; past :data:`FAULT_ONLY_LIMIT` the run cannot
        end (the scheduler places nothing, or nothing it placed can start)
        and it ends with the stuck error. Counted here, on fault events only,
        to keep the event loop free of it.
        """
        if (self._seq, self.tasks_done) == self._fault_mark:
            self._fault_only += 1
            if self._fault_only > FAULT_ONLY_LIMIT and self.horizon is None and self.jobs:
                raise SchedulingError(self._stall_message())
        else:
            self._fault_only = 0
        self._fault_mark = (self._seq + 1, self.tasks_done)  # after this event's own push

    def _on_fail(self, pe: int, random_fault: int) -> None:
        if random_fault:
            self._count_random_fault()
            self._random_holds[pe] += 1
            self._push(self.now + self.faults.time_to_repair(self._fault_rng), _RECOVER, pe, 1)
        else:
            self._scheduled_holds[pe] += 1
            self._future_faults[pe].pop()
        if not self.pe_alive[pe]:
            # Already down: the new hold keeps it down longer, for good if it is a
            # scheduled failure that no recovery closes (then jobs that need it are doomed).
            if not random_fault and not self._comes_back(pe):
                self._fail_doomed_jobs()
            return
        now = self.now
        self.pe_alive[pe] = False
        self._down_since[pe] = now
        self._down += 1
        self._pe_epoch[pe] += 1
        self._pe_wake[pe] = -1.0
        running = self.pe_running[pe]
        if running is None:
            self.pe_energy[pe] += self._idle_energy(pe, now)
            if self._power is not None:
                self._power.change(self._pe_cluster[pe], now, alive=-1)
        else:
            self._abort(pe, running)
        for job, task in self.pe_queue[pe]:
            self._unplace(job, task)
        self.pe_queue[pe].clear()
        self.pe_backlog[pe] = 0.0
        self.pe_expected_end[pe] = now
        self._decision = True
        if not self._comes_back(pe):
            self._fail_doomed_jobs()

    def _fail_doomed_jobs(self) -> None:
        """Give up every job in the system that can no longer finish."""
        for job in list(self.jobs.values()):
            reason = self._doomed(job)
            if reason:
                self._fail_job(job, reason)

    def _abort(self, pe: int, running: RunningTask) -> None:
        job, task, inputs_at, start, _, _ = running
        now = self.now
        energy = (self._running_energy(pe, now) if self._power is None
                  else self._stop_busy(pe, now, down=True))
        self.pe_running[pe] = None
        self.pe_busy[pe] += now - start
        self.pe_energy[pe] += energy
        job.energy += energy
        if self.trace is not None:
            self.trace.append(TaskRecord(job.id, job.profile.name,
                                         job.profile.profile.task_names[task], pe, inputs_at,
                                         start, now, energy, "aborted"))
        self._unplace(job, task)

    def _unplace(self, job: JobState, task: int) -> None:
        if job.failed:
            return
        job.task_pe[task] = -1
        if job.waiting[task] == 0:
            self.ready[(job.id, task)] = None

    def _on_recover(self, pe: int, random_fault: int) -> None:
        if random_fault:
            self._count_random_fault()
            self._random_holds[pe] -= 1
            self._push(self.now + self.faults.time_to_failure(self._fault_rng), _FAIL, pe, 1)
        else:
            self._future_faults[pe].pop()
            # A recovery with no window open (a stray event) changes nothing.
            self._scheduled_holds[pe] = max(0, self._scheduled_holds[pe] - 1)
        if self.pe_alive[pe] or self._scheduled_holds[pe] or self._random_holds[pe]:
            return
        self.pe_alive[pe] = True
        self.pe_down.append((pe, self._down_since.pop(pe), self.now))
        self._down -= 1
        self.pe_idle_since[pe] = self.now
        if self._power is not None:
            cluster = self._pe_cluster[pe]
            self._power.change(cluster, self.now, alive=1)
            self._idle_mark[pe] = self._power.idle_mark(cluster, self.now)
        self._decision = True

    def _comes_back(self, pe: int) -> bool:
        """Whether down ``pe`` will be up again: its scheduled windows all close.

        Random failures always end in a repair; a scheduled failure without a
        later recovery that closes it keeps the PE down for good.
        """
        holds = self._scheduled_holds[pe]
        if holds == 0:
            return True
        for _, _, delta in reversed(self._future_faults[pe]):
            holds = max(0, holds + delta)
            if holds == 0:
                return True
        return False

    def _doomed(self, job: JobState) -> str:
        """Why ``job`` can never finish (empty if it still can)."""
        alive, comes_back = self.pe_alive, self._comes_back
        profile = job.profile
        for task in range(profile.num_tasks):
            if job.finish[task] >= 0:
                continue
            pes = profile.eligible_pes[task]
            if not any(alive[pe] or comes_back(pe) for pe in pes):
                names = ", ".join(self.platform.pe_names[pe] for pe in pes)
                return (f"task {profile.profile.task_names[task]} has no live eligible PE "
                        f"(all of {names} are down for good)")
        return ""

    def _fail_job(self, job: JobState, reason: str) -> None:
        job.failed = True
        del self.jobs[job.id]
        self.failed += 1
        if job.arrival < self.warmup:
            self._early[2] += 1
        self.failure_reasons[reason] = self.failure_reasons.get(reason, 0) + 1
        if job.id in self.new_jobs:
            self.new_jobs.remove(job.id)
        for task in range(job.profile.num_tasks):
            self.ready.pop((job.id, task), None)
            if job.task_pe[task] >= 0 and job.finish[task] < 0:
                self._dirty.add(job.task_pe[task])  # drop its queued tasks (_try_start)
        if self.job_records is not None:
            self.job_records.append(JobRecord(job.id, job.profile.name, job.arrival, math.nan,
                                              "failed", job.energy, reason))
        self._release_slot()

    # ------------------------------------------------------------ PE starting
    def _start_dirty(self) -> None:
        """Start what the PEs touched since the last call can start, lowest PE index first.

        The order is a function of the set's contents alone (not of its
        history, as ``set.pop`` would be), so that a fork replays its parent.
        """
        dirty = self._dirty
        while dirty:
            pe = min(dirty)
            dirty.discard(pe)
            self._try_start(pe)

    def _try_start(self, pe: int) -> None:
        if self.pe_running[pe] is not None or not self.pe_alive[pe]:
            return
        queue = self.pe_queue[pe]
        while queue and queue[0][0].failed:
            job, task = queue.popleft()
            self.pe_backlog[pe] -= job.profile.cost[task][self._pe_type[pe]] \
                * self.pe_slowdown[pe]
            if not queue:
                self._decision = True  # the PE went idle
        if not queue:
            return
        now = self.now
        if self._first_ready and len(queue) > 1:
            index, inputs_at = self._first_startable(pe)
        else:
            job, task = queue[0]
            index, inputs_at = (-1, math.inf) if job.waiting[task] else (
                0, self._inputs_at(job, task, pe))
        if inputs_at > now:
            if inputs_at < math.inf and self._pe_wake[pe] != inputs_at:
                self._pe_wake[pe] = inputs_at
                self._push(inputs_at, _WAKE, pe, self._pe_epoch[pe])
            return
        if index == 0:
            job, task = queue.popleft()
        else:
            job, task = queue[index]
            del queue[index]
        mu = job.profile.cost[task][self._pe_type[pe]] * self.pe_slowdown[pe]
        duration = mu if job.noise is None else self._noisy(mu, job.noise[task])
        self.pe_backlog[pe] -= mu
        self.pe_expected_end[pe] = now + mu
        if self._power is None:
            self.pe_energy[pe] += self.pe_idle_w[pe] * (now - self.pe_idle_since[pe])
        else:
            cluster = self._pe_cluster[pe]
            self.pe_energy[pe] += self._idle_energy(pe, now)
            self._power.change(cluster, now, busy=1)
            self._busy_mark[pe] = self._power.busy_mark(cluster, now)
        self.pe_running[pe] = RunningTask(job, task, inputs_at, now, mu,
                                          self.pe_active_w[pe] * duration)
        self._pe_end[pe] = now + duration
        self._push(now + duration, _FINISH, pe, self._pe_epoch[pe])
        dram = job.profile.dram_energy[task][self._pe_type[pe]]
        if dram:  # weights streamed from DRAM by op-based tasks (cost model)
            job.energy += dram
            self.data_energy += dram

    def _noisy(self, mu: float, draw: float) -> float:
        """A task's actual duration from its expected one and its standard normal draw."""
        duration = mu * (1.0 + self.source.noise_sigma * draw)
        return max(1.0, float(round(duration))) if self._ds3 else max(duration, mu * 1e-3)

    def _first_startable(self, pe: int) -> tuple[int, float]:
        """First-ready discipline: the first queued task whose inputs are on ``pe`` now.

        Returns its queue index and input time; if none can start now, ``-1``
        and the earliest time a queued task's inputs will be there (``inf``
        while every queued task still waits for a predecessor). Tasks of
        failed jobs are dropped on the way. Under ``first-ready-job`` the
        queue is scanned by job id, then queue order, so the oldest job's
        startable task is the one found.
        """
        queue, now = self.pe_queue[pe], self.now
        if any(job.failed for job, _ in queue):
            for job, task in [entry for entry in queue if entry[0].failed]:
                queue.remove((job, task))
                self.pe_backlog[pe] -= job.profile.cost[task][self._pe_type[pe]] \
                    * self.pe_slowdown[pe]
            if not queue:
                self._decision = True  # the PE went idle
        earliest = math.inf
        order: range | list[int] = range(len(queue))
        if self._by_job:  # stable: queue order within a job
            order = sorted(order, key=lambda i: queue[i][0].id)
        for index in order:
            job, task = queue[index]
            if job.waiting[task]:
                continue
            inputs_at = self._inputs_at(job, task, pe)
            if inputs_at <= now:
                return index, inputs_at
            earliest = min(earliest, inputs_at)
        return -1, earliest

    def _stall_message(self) -> str:
        """Why the run cannot go on: jobs remain but nothing will ever happen."""
        lines = []
        for job in list(self.jobs.values())[:3]:
            names = job.profile.profile.task_names
            unplaced = [names[t] for t in range(job.profile.num_tasks)
                        if job.task_pe[t] < 0 and job.finish[t] < 0]
            queued = [f"{names[t]}@PE{job.task_pe[t]}" for t in range(job.profile.num_tasks)
                      if job.task_pe[t] >= 0 and job.finish[t] < 0]
            lines.append(f"job {job.id} ({job.profile.name}): unplaced {unplaced[:5]}, "
                         f"queued {queued[:5]}")
        return (f"the run is stuck at t={self.now:g} us: {len(self.jobs)} job(s) remain, no "
                f"task runs and no event that could change that is pending (arrivals are "
                f"turned away while the system is full). The scheduler left ready tasks unplaced, "
                f"or a PE queue holds a task behind one that waits for it. "
                + "; ".join(lines))

    def _inputs_at(self, job: JobState, task: int, pe: int) -> float:
        """When the last input of ``task`` is on ``pe``; also books data-movement energy.

        A task without predecessors has its inputs from the job's arrival.
        """
        inputs_at = job.arrival
        links, cluster = self._links, self._pe_cluster
        finish, task_pe = job.finish, job.task_pe
        moved = 0.0
        for pred, volume in job.profile.preds[task]:
            at = finish[pred]
            src = task_pe[pred]
            if src != pe and volume > 0:
                bandwidth, latency = links[cluster[src]][cluster[pe]]
                if self._ds3:
                    at += int(volume / bandwidth) + int(latency)
                else:
                    at += latency + volume / bandwidth
                moved += volume
            if at > inputs_at:
                inputs_at = at
        if moved and self.platform.energy_per_unit and inputs_at <= self.now:
            energy = moved * self.platform.energy_per_unit
            job.energy += energy
            self.data_energy += energy
        return inputs_at

    # ---------------------------------------------------------------- results
    def _finish(self, end_time: float) -> None:
        self._finished = True
        self.end_time = end_time
        if self.horizon is not None:
            self.now = end_time
        if self._at_warmup is None and end_time >= self.warmup > 0:
            self._measure_from_warmup()
        power = self._power
        if power is not None:
            power.advance(end_time)
            self.base_energy = power.base_energy(end_time)
        for pe in range(self.platform.num_pes):
            # Count the part of the running task, or of the idle spell, inside the run.
            self.pe_energy[pe] += max(0.0, self._open_energy(pe, end_time))
            self.pe_busy[pe] = self._busy_so_far(pe, end_time)

    def _next_special(self) -> float:
        """The next time the event loop must stop for: a governor decision or the warm-up."""
        warmup = self.warmup if self._at_warmup is None and self.warmup > 0 else math.inf
        thermal = self._power.next_update if self._throttling else math.inf  # type: ignore[union-attr]
        return min(self._next_tick, warmup, thermal)

    def _measure_from_warmup(self) -> None:
        """Record busy time and energy at the warm-up instant (nothing happens in between).

        Called before the first event at or after :attr:`warmup`, or at the end
        of a run that reaches it without one; what the run draws from here on
        is what its metrics report.
        """
        saved, self.now = self.now, self.warmup
        if self._power is not None:
            self._power.advance(self.now)
        pes = range(self.platform.num_pes)
        busy = [self._busy_so_far(pe, self.now) for pe in pes]
        energy = [self.pe_energy[pe] + self._open_energy(pe, self.now) for pe in pes]
        base = self._power.base_energy(self.now) if self._power is not None else 0.0
        self._at_warmup = (busy, energy, self.data_energy, base)
        self.now = saved

    def _open_energy(self, pe: int, now: float) -> float:
        """What ``pe`` has drawn and not booked yet: its running task, or its idle spell."""
        if self.pe_running[pe] is not None:
            return self._running_energy(pe, now)
        return self._idle_energy(pe, now) if self.pe_alive[pe] else 0.0

    def _busy_so_far(self, pe: int, now: float) -> float:
        """Busy time of ``pe`` up to ``now``, its running task's part included."""
        running = self.pe_running[pe]
        return self.pe_busy[pe] + (now - running.start if running is not None else 0.0)

    def _running_energy(self, pe: int, now: float) -> float:
        """What the task ``pe`` runs has drawn from its start to ``now``."""
        running = self.pe_running[pe]
        if self._power is not None:  # DS3's cluster model: the busy-core integral
            return self._power.busy_mark(self._pe_cluster[pe], now) - self._busy_mark[pe]
        if self._governor is None:  # one power all along
            return self.pe_active_w[pe] * (now - running.start)  # type: ignore[union-attr]
        # ``energy`` is the whole run's at the current plan; take off what is still to come.
        return running.energy - self.pe_active_w[pe] * (self._pe_end[pe] - now)  # type: ignore[union-attr]

    # ------------------------------------------------------------- governor
    def _tick(self) -> None:
        """A governor decision at :attr:`_next_tick`: each cluster's point for the next period."""
        governor = self._governor
        now = self.now = self._next_tick
        if self._power is not None:
            self._power.advance(now)
        period = governor.period_us  # type: ignore[union-attr]
        busy_at = self._busy_at_tick
        for c, first, size, pe_type in self._governed:
            utilisation = 0.0
            for pe in range(first, first + size):
                busy = self._busy_so_far(pe, now)
                utilisation += busy - busy_at[pe]
                busy_at[pe] = busy
            wanted = governor.next_opp(pe_type, self._wanted_opp[c],  # type: ignore[union-attr]
                                       utilisation / period)
            self._wanted_opp[c] = wanted
            cap = self._cap_opp[c]
            opp = wanted if cap is None else min(wanted, cap)
            if opp != self._cluster_opp[c]:
                self._set_cluster_opp(c, first, opp)
        self._next_tick = now + period

    def _thermal_update(self) -> None:
        """DS3's throttling at a hotspot-model update: trips crossed cap the clusters.

        Above trip ``k`` (and not throttled there yet) every cluster is capped
        at its ``trip_mhz[k]``; a trip is released, one level at a time, once
        the chip is ``hysteresis_c[k]`` below it.
        """
        power = self._power
        now = self.now = power.next_update  # type: ignore[union-attr]
        power.advance(now)  # type: ignore[union-attr]
        thermal = self.platform.power_model.thermal  # type: ignore[union-attr]
        hottest, state = power.hottest, self._throttle_state  # type: ignore[union-attr]
        for k, trip in enumerate(thermal.trips_c):
            if hottest > trip:
                state = max(state, k)
            elif state == k and hottest < trip - thermal.hysteresis_c[k]:
                state -= 1
        if state == self._throttle_state:
            return
        self._throttle_state = state
        platform, first = self.platform, 0
        for c, (cluster, spec) in enumerate(zip(platform.clusters,
                                                platform.power_model.clusters, strict=True)):
            pe_type = platform.types[cluster.type_index]
            limit = spec.trip_mhz[state] if 0 <= state < len(spec.trip_mhz) else -1
            cap = None if limit < 0 else max(
                [k for k, point in enumerate(pe_type.opps) if point.mhz <= limit], default=0)
            self._cap_opp[c] = cap
            opp = self._wanted_opp[c] if cap is None else min(self._wanted_opp[c], cap)
            if opp != self._cluster_opp[c]:
                self._set_cluster_opp(c, first, opp)
            first += cluster.size

    def _set_cluster_opp(self, c: int, first: int, opp: int) -> None:
        """Move cluster ``c`` (PEs from ``first``) to operating point ``opp`` now.

        Running tasks keep their progress: the time left scales with the new
        speed (their finish events move), queued work too; energy so far is
        booked at the old powers.
        """
        now, platform = self.now, self.platform
        cluster = platform.clusters[c]
        pe_type = platform.types[cluster.type_index]
        point = pe_type.opps[opp]
        slowdown = pe_type.slowdown(opp)
        for pe in range(first, first + cluster.size):
            ratio = slowdown / self.pe_slowdown[pe]
            running = self.pe_running[pe]
            if running is not None:
                left = self._pe_end[pe] - now
                end = now + left * ratio
                expected_left = max(0.0, running.start + running.expected - now)
                energy = running.energy + (point.active_w * ratio - self.pe_active_w[pe]) * left
                self.pe_running[pe] = running._replace(
                    expected=now - running.start + expected_left * ratio, energy=energy)
                self.pe_expected_end[pe] = now + expected_left * ratio
                self._pe_end[pe] = end
                self._pe_epoch[pe] += 1  # the old finish is stale, and so is any wake-up
                self._pe_wake[pe] = -1.0
                self._push(end, _FINISH, pe, self._pe_epoch[pe])
            elif self.pe_alive[pe] and self._power is None:
                self.pe_energy[pe] += self._idle_energy(pe, now)
                self.pe_idle_since[pe] = now
            self.pe_backlog[pe] *= ratio
            self.pe_slowdown[pe] = slowdown
            self.pe_active_w[pe] = point.active_w
            self.pe_idle_w[pe] = point.idle_w
        self._cluster_opp[c] = opp
        self._fastest.clear()
        if self.power_series is not None:
            self.power_series.append((now, f"frequency_mhz:{cluster.name}", point.mhz))
        if self._power is not None:
            self._power.set_point(c, now, (point.mhz, point.mv))

    def _idle_energy(self, pe: int, now: float) -> float:
        """What ``pe`` drew idle since it last went idle (it is up and idle until ``now``)."""
        if self._power is None:
            return self.pe_idle_w[pe] * (now - self.pe_idle_since[pe])
        return self._power.idle_mark(self._pe_cluster[pe], now) - self._idle_mark[pe]

    def _stop_busy(self, pe: int, now: float, down: bool) -> float:
        """Cluster model: the energy of the task ``pe`` ran until ``now``; the core stops.

        It goes idle (its idle integral starts now), or ``down`` (it draws nothing).
        """
        power, cluster = self._power, self._pe_cluster[pe]
        energy = self._running_energy(pe, now)
        power.change(cluster, now, busy=-1, alive=-1 if down else 0)  # type: ignore[union-attr]
        if not down:
            self._idle_mark[pe] = power.idle_mark(cluster, now)  # type: ignore[union-attr]
        return energy

    def down_intervals(self, until: float | None = None) -> list[tuple[int, float, float]]:
        """When PEs were down so far: ``(pe, failed at, recovered at)`` in us, sorted.

        Args:
            until: Where an interval still open ends (default: now).
        """
        end = self.now if until is None else until
        return sorted(self.pe_down + [(pe, since, max(since, end))
                                      for pe, since in self._down_since.items()])

    def result(self, scheduler_name: str = "") -> SimulationResult:
        """The run's results; call after :meth:`advance` returned ``False``."""
        if not self._finished:
            raise RuntimeError("the run is not over: call advance() until it returns False")
        warmup = self.warmup
        unfinished_ages = [self.end_time - job.arrival for job in self.jobs.values()
                           if job.arrival >= warmup]
        pe_busy, pe_energy = self.pe_busy, self.pe_energy
        data_energy, base_energy = self.data_energy, self.base_energy
        if self._at_warmup is not None:  # measure from the warm-up on
            busy0, energy0, data0, base0 = self._at_warmup
            pe_busy = [b - b0 for b, b0 in zip(pe_busy, busy0, strict=True)]
            pe_energy = [e - e0 for e, e0 in zip(pe_energy, energy0, strict=True)]
            data_energy, base_energy = data_energy - data0, base_energy - base0
        early_injected, early_completed, early_failed = self._early
        metrics = compute_metrics(
            latencies=np.frombuffer(self.latencies, dtype=float) if self.latencies
            else np.empty(0),
            unfinished_ages=unfinished_ages, injected=self.injected - early_injected,
            completed=self.completed - early_completed, failed=self.failed - early_failed,
            end_time=self.end_time, makespan=self.makespan, pe_busy=pe_busy,
            pe_energy=pe_energy, data_energy=data_energy, base_energy=base_energy,
            start_time=min(warmup, self.end_time))
        jobs = self.job_records
        if jobs is not None:
            jobs = sorted(jobs + [JobRecord(j.id, j.profile.name, j.arrival, math.nan,
                                            "in_system", j.energy)
                                  for j in self.jobs.values()])
        return SimulationResult(platform=self.platform, scheduler=scheduler_name,
                                seed=self.seed, metrics=metrics, pe_busy=list(pe_busy),
                                pe_energy=list(pe_energy), trace=self.trace, jobs=jobs,
                                end_time=self.end_time,
                                pe_down=self.down_intervals(self.end_time),
                                extra={"failure_reasons": dict(self.failure_reasons),
                                       **({"power_series": list(self.power_series)}
                                          if self.power_series else {})})
