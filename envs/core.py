"""The machinery every environment shares: one episode's emulator, observation and reward.

An :class:`Engine` owns the :class:`socsim.Simulator` of the current
episode, the :class:`~socsim.envs.observation.ObservationBuilder` that mirrors it
in fixed-shape arrays and the :class:`~socsim.envs.rewards.RewardTracker`.
Environments decide what an action means; the engine places tasks,
advances the emulator to its next decision point and keeps the arrays in
step with it.
"""

from __future__ import annotations

import math

import numpy as np

from socsim.errors import SchedulingError
from socsim.placement import NO_CHOICE, Choice, TransferMemo, inputs_ready, inputs_ready_each
from socsim.results import SimulationResult
from socsim.simulator import Simulator
from socsim.state import JobState
from socsim.workload import INELIGIBLE

from .generator import InstanceGenerator
from .observation import ObservationBuilder
from .rewards import RewardSpec, RewardTracker
from .spaces import Limits

#: How ``order`` mode chooses the PE of the task picked (see :meth:`Engine.place_eft`).
PLACEMENTS = ("eft", "eft-blind")
#: Eligible PEs from which :meth:`Engine.choose_eft` scores a cluster's PEs together
#: (when the task's PEs share clusters; below it the one-by-one loop is as fast).
GROUPED_FROM = 32


class InvalidAction(ValueError):  # noqa: N818  (the name Gymnasium users look for)
    """An action the current action mask rules out."""


class Engine:
    """One environment's emulator, observation arrays and reward accounting.

    Args:
        generator: Builds the simulator of each episode.
        limits: Observation array sizes.
        reward: The reward components and weights.
        time_scale: Microseconds per unit of time features and rewards.
        energy_scale: Microjoules per unit of energy rewards.

    Attributes:
        sim: The current episode's simulator.
        obs: The observation arrays.
        tracker: The reward accounting.
        running: Whether the episode's run is still going.
        decision_index: Number of decision points reached this episode; it
            changes exactly when the emulator has advanced.
    """

    def __init__(self, generator: InstanceGenerator, limits: Limits, reward: RewardSpec,
                 time_scale: float, energy_scale: float) -> None:
        self.generator = generator
        self.limits = limits
        self.obs = ObservationBuilder(limits, time_scale, generator.horizon)
        self.tracker = RewardTracker(reward, time_scale, energy_scale)
        self.fault_prone = generator.fault_prone
        self.running = False
        self.decision_index = 0
        self.seed = 0
        self._result: SimulationResult | None = None
        self._gap: list[float] = []
        self._groups: dict[tuple[int, ...], tuple[list[list[int]], dict[int, int]]] = {}
        self._grouped = False

    # --------------------------------------------------------------- episode
    def start(self, seed: int, *, in_order_queues: bool = False) -> None:
        """Start an episode with simulator seed ``seed`` and run to its first decision point."""
        self.seed = seed
        self.attach(self.generator.simulator(seed, in_order_queues=in_order_queues))
        self.advance()

    def attach(self, sim: Simulator) -> None:
        """Mirror ``sim`` from its start, whoever drives it.

        :meth:`start` attaches the simulator it creates; a scheduler that
        acts through the environment inside someone else's run (a learned
        policy under :meth:`Simulator.run`) attaches that run's simulator and
        calls :meth:`external_decision` at each of its decision points.
        A simulator with PE faults turns on the fault-aware mask and rescans
        even if the environment's own scenario has none.
        """
        self.sim = sim
        self.obs.reset(sim)
        self.tracker.reset(sim)
        self._result = None
        self._counts = (-1, -1)
        self._tasks_done = -1
        self._gap = [0.0] * sim.platform.num_pes
        self._groups = {}
        # Grouping a cluster's PEs needs them alike: the same type (always), transfer
        # times that depend on clusters only (Platform.transfer_time) and one slowdown per
        # cluster, which the simulator keeps once it holds at the start (it moves whole
        # clusters between operating points).
        clusters, slowdown = sim.platform.pe_cluster, sim.pes.slowdown
        first = {}
        self._grouped = all(slowdown[first.setdefault(c, pe)] == slowdown[pe]
                            for pe, c in enumerate(clusters))
        # The run's own platform (a random-DAG env draws one per episode), memoised, and
        # the memo kept across episodes on the same platform (transfer times are fixed).
        if getattr(self, "_transfer_platform", None) is not sim.platform:
            self._transfer_platform = sim.platform
            self._transfer = TransferMemo(sim.platform.num_pes, sim.platform.transfer_time)
        self.decision_index = 0
        self.running = True
        self.fault_prone = self.generator.fault_prone or sim.fault_prone

    def external_decision(self) -> None:
        """Bring the arrays up to date at a decision point reached by an outside driver.

        What :meth:`advance` does after the simulator has moved, for a
        simulator advanced by someone else (see :meth:`attach`).
        """
        self.decision_index += 1
        self._gap = [0.0] * len(self._gap)  # a new decision point: no idle gaps planned
        self._sync()

    def advance(self) -> bool:
        """Run the emulator to its next decision point and update the arrays.

        Returns:
            Whether the run goes on (``False``: it is over).
        """
        if not self.running:
            return False
        try:
            self.running = self.sim.advance()
        except SchedulingError:
            # Waiting met only stale events and time cannot move on; ready tasks are
            # left, so this is a decision point where waiting is no longer allowed.
            if not self.sim.ready:
                raise
        if self.running:
            self.decision_index += 1
            self._gap = [0.0] * len(self._gap)  # a new decision point: no idle gaps planned
        self._sync()
        return self.running

    def result(self) -> SimulationResult:
        """The finished run's result (cached)."""
        if self._result is None:
            self._result = self.sim.result("env")
        return self._result

    # ---------------------------------------------------------------- placing
    def task_at(self, slot: int) -> tuple[JobState, int] | None:
        """The job and task in node slot ``slot``, or ``None`` for an empty slot."""
        job = self.obs.slot_job[slot]
        if job is None:
            return None
        return job.state, slot - job.node0

    def slot_of(self, job: int, task: int) -> int:
        """The node slot of ``task`` of job ``job`` (``KeyError`` if the job is not present)."""
        return self.obs.jobs[job].node0 + task

    def place(self, slot: int, pe: int) -> None:
        """Queue the task in ``slot`` on ``pe`` (no validity check beyond the simulator's)."""
        state, task = self.task_at(slot)  # type: ignore[misc]
        self.sim.assign(state.id, task, pe)
        self.note_placed(slot, pe)

    def place_eft(self, slot: int, comm_aware: bool = True) -> int:
        """Queue the task in ``slot`` on the PE :meth:`choose_eft` picks.

        Returns:
            The PE chosen, or -1 if no live PE can run the task.
        """
        choice = self.choose_eft(slot, comm_aware)
        if choice.pe >= 0:
            state, task = self.task_at(slot)  # type: ignore[misc]
            self.sim.assign(state.id, task, choice.pe)
            self.note_placed(slot, choice.pe, choice.start - choice.floor)
        return choice.pe

    def choose_eft(self, slot: int, comm_aware: bool = True) -> Choice:
        """The live eligible PE where the task in ``slot`` finishes first (nothing is placed).

        A PE is free after its running task and queued work (expected times)
        plus, within one decision point, the idle time that earlier
        placements of this decision leave waiting for their inputs; with
        ``comm_aware`` the task also waits for its own inputs. Ties go to
        the lower PE index. This is exactly the PE choice of the runtime
        heuristics ``heft-rt-comm`` (``comm_aware``) and ``heft-rt`` /
        ``eft-fifo`` (not), so ordering tasks as they do reproduces them.
        With many eligible PEs in few clusters it scores each cluster's PEs
        together (:meth:`_choose_grouped`): the same choice, in a time that
        grows with the clusters rather than the PEs on a lightly loaded
        platform.
        """
        sim = self.sim
        job = self.obs.slot_job[slot]
        state = job.state  # type: ignore[union-attr]
        task = slot - job.node0  # type: ignore[union-attr]
        now = sim.now
        row = state.profile.cost[task]
        pe_type = sim.platform.pe_type
        pes = sim.pes
        alive, end, backlog, slowdown = pes.alive, pes.expected_end, pes.backlog, pes.slowdown
        gap = self._gap
        eligible = state.profile.eligible_pes[task]
        if self.fault_prone:
            eligible = [pe for pe in eligible if alive[pe]]
        elif self._grouped and len(eligible) >= GROUPED_FROM:
            grouped = self._choose_grouped(state, task, eligible, comm_aware)
            if grouped is not None:
                return grouped
        # earliest_finish (socsim.placement) inlined, inputs taken once for every PE:
        # the same numbers and tie-breaks; this is every order-mode step's hot path.
        arrivals = (inputs_ready_each(state, task, eligible, self._transfer, -math.inf)
                    if comm_aware else None)
        best_pe, best_start, best_finish, best_floor = -1, math.inf, math.inf, math.inf
        for i, pe in enumerate(eligible):
            if not alive[pe]:
                continue
            floor = ((end[pe] if end[pe] > now else now) + backlog[pe]) + gap[pe]
            if floor < now:
                floor = now
            start = floor
            if arrivals is not None and arrivals[i] > floor:
                start = arrivals[i]
            done = start + row[pe_type[pe]] * slowdown[pe]
            if done < best_finish:
                best_pe, best_start, best_finish, best_floor = pe, start, done, floor
        return NO_CHOICE if best_pe < 0 else Choice(best_pe, best_start, best_finish, best_floor)

    def _choose_grouped(self, state: JobState, task: int, eligible: list[int],
                        comm_aware: bool) -> Choice | None:
        """:meth:`choose_eft` scoring each cluster's PEs together: the same numbers and PE.

        Within a cluster every PE that holds none of the task's inputs has the
        same execution time and the same input arrival ``A``, so the task
        starts on it at ``max(floor, A)``: the first such PE whose floor is at
        most ``max(A, now)`` finishes as early as any later one, and the scan
        of the cluster stops there (on a wide, lightly loaded platform, at its
        first PE). PEs that hold an input (zero transfer from themselves) are
        scored one by one. The least finish wins, ties to the earlier PE in
        the eligible list, as in the loop.

        Returns:
            The choice, or ``None`` when the task's PEs are mostly in clusters of
            their own (the loop is then the faster way).
        """
        row = state.profile.cost[task]
        # A task's eligible PEs are every PE of its eligible types, in index order, so the
        # types name the grouping (jobs with drawn activity each bring their own profile).
        kinds = tuple(t for t, c in enumerate(row) if c < INELIGIBLE)
        entry = self._groups.get(kinds)
        if entry is None:
            entry = self._groups[kinds] = _group_by_cluster(eligible,
                                                           self.sim.platform.pe_cluster)
        groups, position = entry
        if 2 * len(groups) > len(eligible):
            return None
        sim = self.sim
        now = sim.now
        pe_type = sim.platform.pe_type
        pes = sim.pes
        end, backlog, slowdown, gap = pes.expected_end, pes.backlog, pes.slowdown, self._gap
        memo = self._transfer
        preds = state.profile.preds[task] if comm_aware else ()
        hosts = {state.task_pe[pred] for pred, _ in preds}
        inf = math.inf

        def floor_of(pe: int) -> float:  # when the PE can start it (the loop's floor)
            floor = ((end[pe] if end[pe] > now else now) + backlog[pe]) + gap[pe]
            return now if floor < now else floor

        def arrival_on(pe: int) -> float:  # when its inputs are on the PE (-inf: none)
            return inputs_ready(state, task, pe, memo, -inf) if comm_aware else -inf

        best_done, best_pos, best_pe, best_start, best_floor = inf, -1, -1, inf, inf
        for pe in hosts:
            pos = position.get(pe)
            if pos is None:
                continue
            # An input's own PE: its arrival differs (no transfer from itself).
            floor, ready = floor_of(pe), arrival_on(pe)
            start = ready if ready > floor else floor
            done = start + row[pe_type[pe]] * slowdown[pe]
            if done < best_done or (done == best_done and pos < best_pos):
                best_done, best_pos, best_pe, best_start, best_floor = done, pos, pe, start, floor
        # Clusters by run time (one type and slowdown each): once a cluster cannot finish
        # by the best so far even starting now, no slower one can.
        costs = [row[pe_type[members[0]]] * slowdown[members[0]] for members in groups]
        for index in sorted(range(len(groups)), key=costs.__getitem__):
            cost = costs[index]
            if now + cost > best_done:
                break
            members = groups[index]
            rep = members[0]
            if hosts:
                rep = next((pe for pe in members if pe not in hosts), -1)
                if rep < 0:
                    continue
            arrival = arrival_on(rep)
            ready = arrival if arrival > now else now
            # The cluster's first least finish, in list order.
            c_done, c_pe, c_start, c_floor = inf, -1, inf, inf
            for pe in members:
                if pe in hosts:
                    continue
                floor = floor_of(pe)
                if floor <= ready:  # it starts at `ready`: no later PE here finishes earlier
                    if ready + cost < c_done:
                        c_done, c_pe, c_start, c_floor = ready + cost, pe, ready, floor
                    break
                if floor + cost < c_done:
                    c_done, c_pe, c_start, c_floor = floor + cost, pe, floor, floor
            if c_pe >= 0:
                pos = position[c_pe]
                if c_done < best_done or (c_done == best_done and pos < best_pos):
                    best_done, best_pos, best_pe, best_start, best_floor = \
                        c_done, pos, c_pe, c_start, c_floor
        if best_pe < 0 or not best_done < inf:
            return NO_CHOICE
        return Choice(best_pe, best_start, best_done, best_floor)

    def note_placed(self, slot: int, pe: int, wait: float = 0.0) -> None:
        """Record in the arrays that the task in ``slot`` is queued on ``pe``.

        Args:
            slot: The task's node slot.
            pe: Its PE.
            wait: Idle time it leaves on ``pe`` waiting for its inputs (planned
                for the rest of this decision point; see :meth:`choose_eft`).
        """
        self._gap[pe] += wait
        self.obs.mark_placed(slot, pe)

    def can_wait(self) -> bool:
        """Whether waiting lets the platform make progress without a new placement.

        See :meth:`socsim.simulator.Simulator.can_progress`: a task runs or
        has inputs in transit, a down PE will recover, or an arrival can enter
        the system. Otherwise waiting would stall the platform, so it is masked.
        """
        return self.running and self.sim.can_progress()

    def alive_row(self) -> np.ndarray:
        """``(max_pes,)`` int8: 1 for live PEs."""
        row = np.zeros(self.limits.max_pes, np.int8)
        row[:self.sim.platform.num_pes] = self.sim.pes.alive
        return row

    def idle_row(self) -> np.ndarray:
        """``(max_pes,)`` int8: 1 for PEs that are up, run nothing and have an empty queue."""
        sim = self.sim
        pes = sim.pes
        row = np.zeros(self.limits.max_pes, np.int8)
        row[:sim.platform.num_pes] = [a and r is None and not q for a, r, q in
                                      zip(pes.alive, pes.running, pes.queue, strict=True)]
        return row

    def why_invalid(self, slot: int, pe: int | None) -> str:
        """Why placing the task in ``slot`` (on ``pe``, if given) is not allowed now."""
        found = self.task_at(slot) if 0 <= slot < self.limits.max_nodes else None
        if found is None:
            return f"node slot {slot} holds no task"
        state, task = found
        name = f"task {state.profile.profile.task_names[task]} of job {state.id}"
        if state.finish[task] >= 0:
            return f"{name} is finished"
        if state.task_pe[task] >= 0:
            return f"{name} is already placed on PE {state.task_pe[task]}"
        if state.waiting[task]:
            return f"{name} is not ready: {state.waiting[task]} predecessor(s) not finished"
        pes = state.profile.eligible_pes[task]
        if pe is not None:
            if pe >= self.sim.platform.num_pes:
                return f"PE {pe} does not exist (the platform has {self.sim.platform.num_pes})"
            if pe not in pes:
                return f"PE {pe} cannot run {name} (eligible PEs: {pes})"
            if not self.sim.pes.alive[pe]:
                return f"PE {pe} is down"
            return f"PE {pe} is not idle"
        return f"no live PE can run {name}"

    # ---------------------------------------------------------------- internals
    def _sync(self) -> None:
        """Bring the observation arrays in line with the simulator after it advanced."""
        sim, obs = self.sim, self.obs
        obs.invalidate(everything=self.fault_prone)  # events ran: PE rows may have changed
        jobs = sim.jobs
        injected, completed, failed, tasks_done = sim.counters
        counts = (injected, completed + failed)
        if counts != self._counts:
            self._counts = counts
            for job_id in [j for j in obs.jobs if j not in jobs]:
                obs.remove_job(job_id)
            for job_id, state in jobs.items():
                if job_id not in obs.jobs:
                    obs.add_job(state)
        if self.fault_prone:  # a failure may return placed tasks without a finish
            for job in obs.jobs.values():
                obs.rescan(job)
        elif tasks_done != self._tasks_done:
            self._tasks_done = tasks_done
            for job in obs.jobs.values():
                if job.state.remaining != job.remaining:
                    obs.update(job)


def _group_by_cluster(eligible: list[int], cluster_of: list[int]
                      ) -> tuple[list[list[int]], dict[int, int]]:
    """``eligible``'s PEs grouped by cluster, each group in list order; each PE's position."""
    groups: dict[int, list[int]] = {}
    for pe in eligible:
        groups.setdefault(cluster_of[pe], []).append(pe)
    return list(groups.values()), {pe: index for index, pe in enumerate(eligible)}
