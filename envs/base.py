"""The Gymnasium environment all three registered environments are made of.

:class:`SchedulingEnv` turns an :class:`~socsim.envs.core.Engine` into a
:class:`gymnasium.Env`: it defines the two action modes, the mask (one
function, offered as :meth:`SchedulingEnv.action_masks`,
``info["action_mask"]`` and ``obs["action_mask"]``), decision-to-decision
stepping, the end-of-episode ``info`` and rendering. The registered
environments (:mod:`.dag_schedule`, :mod:`.soc_stream`, :mod:`.deepsocs`)
only choose defaults and document them.
"""

from __future__ import annotations

import abc
import math
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from socsim.faults import FaultModel
from socsim.jobs import ArrivalProcess
from socsim.scheduler import SchedulerView
from socsim.simulator import Simulator

from .baseline import BaselineCache, ratios
from .core import PLACEMENTS, Engine, InvalidAction
from .generator import InstanceGenerator, apply_overrides
from .observation import GraphObservation
from .render import HumanWindow, render_gantt, render_text
from .rewards import RewardSpec
from .spaces import (
    Limits,
    MaskedDiscrete,
    ObservationLimitError,
    observation_space,
)

ACTION_MODES = ("order", "assign")
INVALID_ACTION_POLICIES = ("remap", "raise", "noop")


class SchedulingEnv(gym.Env[dict[str, np.ndarray], np.int64], abc.ABC):
    """Schedule DAG jobs on a heterogeneous SoC, one decision per step.

    Subclasses set the defaults (class attributes) and the scenario
    (:meth:`default_scenario`); see :class:`~socsim.envs.DAGScheduleEnv`
    for the full manual.

    Args:
        scenario: A :class:`socsim.agents.scenario.Scenario` replacing the
            environment's default one.
        action_mode: ``"order"`` (pick a ready task; ``placement`` chooses
            its PE) or ``"assign"`` (pick a (task, PE) pair, or wait).
        placement: ``order`` mode's PE choice: ``"eft"`` (earliest finish
            over live eligible PEs, inputs' arrival included) or
            ``"eft-blind"`` (the same, blind to input transfers, as DS3's
            HEFT_RT and the released DeepSoCS map tasks).
        reward: ``"latency"``, ``"makespan"``, ``"energy"``, ``"edp"``, or a
            mapping of them to weights.
        time_scale: Microseconds per unit of time in features and rewards
            (default: a typical job's work on its fastest PEs).
        energy_scale: Microjoules per unit of energy rewards (default:
            ``time_scale`` x the mean active power of the PEs).
        max_jobs: Jobs the observation holds (default: from the scenario's cap).
        max_nodes: Task slots (default: ``max_jobs`` x the largest job).
        max_edges: Edge slots (default: ``max_jobs`` x the most edges of a job).
        max_pes: PE rows (default: the platform's PE count).
        arrivals: An arrival process object replacing ``arrival``/``interarrival``.
        faults: A :class:`socsim.FaultModel` replacing ``fail``/``mtbf``/``mttr``.
        baseline: Scheduler whose result on the same instance goes into
            the final ``info`` (``"default"``: the environment's; ``None``: none).
        in_order_queues: Start each PE's queued tasks in queue order even
            under the ``first-ready`` queue discipline (default: in ``order``
            mode, whose placement plans each PE's order as HEFT_RT does).
        invalid_action: What a masked-out (but in-range integer) action does.
            ``"remap"`` (default): it is replaced by the valid action
            ``valid[action % len(valid)]`` (``valid``: the valid actions in
            increasing order), and ``info["invalid_action"]`` says why and
            which action ran; agents that respect the mask never see it, and
            agents that ignore it (Gymnasium's checker, an unmasked PPO)
            always make progress. ``"raise"``: it raises
            :class:`~socsim.envs.core.InvalidAction` (strict, for
            developing agents); ``"noop"``: it changes nothing, earns 0 and
            ``info["invalid_action"]`` says why. Out-of-range actions and
            actions that are not integers always raise.
        render_mode: ``"ansi"``, ``"rgb_array"`` or ``"human"``.
        keep_trace: Keep the task trace (implied by ``render_mode="rgb_array"``).
        copy: Return fresh arrays in every observation and ``info["action_mask"]``
            (default; what Gymnasium's checker demands, and safe for code that
            keeps observations). ``False`` returns the environment's own arrays,
            updated in place: no copies, but an observation is only valid until
            the next ``step`` or ``reset`` (copy what you keep). The native vector
            environment (:mod:`.vector`) steps its sub-environments this way.
        **scenario_fields: Fields of the scenario to change: ``platform``,
            ``workload``, ``mix``, ``jobs``, ``horizon``, ``arrival``,
            ``interarrival``, ``trace_file``, ``max_in_system``, ``prefill``,
            ``retry_when_full``, ``noise``, ``dvfs``, ``fail``, ``mtbf``,
            ``mttr``, ``queue_discipline``.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "rgb_array", "human"],
                                          "render_fps": 4}
    #: Defaults of the concrete environment.
    default_action_mode: ClassVar[str] = "order"
    default_reward: ClassVar[str | Mapping[str, float]] = "latency"
    default_baseline: ClassVar[str | None] = "heft-rt"

    def __init__(self, *, scenario: Any = None, action_mode: str | None = None,
                 placement: str = "eft", reward: str | Mapping[str, float] | None = None,
                 time_scale: float | None = None, energy_scale: float | None = None,
                 max_jobs: int | None = None, max_nodes: int | None = None,
                 max_edges: int | None = None, max_pes: int | None = None,
                 arrivals: ArrivalProcess | None = None, faults: FaultModel | None = None,
                 baseline: str | None = "default", in_order_queues: bool | None = None,
                 invalid_action: str = "remap", render_mode: str | None = None,
                 keep_trace: bool = False, copy: bool = True, **scenario_fields: Any) -> None:
        self.action_mode = action_mode or self.default_action_mode
        if self.action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode must be one of {ACTION_MODES}, got {action_mode!r}")
        if placement not in PLACEMENTS:
            raise ValueError(f"placement must be one of {PLACEMENTS}, got {placement!r}")
        if invalid_action not in INVALID_ACTION_POLICIES:
            raise ValueError(f"invalid_action must be one of {INVALID_ACTION_POLICIES}, "
                             f"got {invalid_action!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or "
                             f"None, got {render_mode!r}")
        self.render_mode = render_mode
        self._window: HumanWindow | None = None
        self.copy = bool(copy)
        self.placement = placement
        self.invalid_action = invalid_action
        self.in_order_queues = (self.action_mode == "order" if in_order_queues is None
                                else in_order_queues)
        scenario = apply_overrides(scenario if scenario is not None else self.default_scenario(),
                                   scenario_fields)
        drawn = render_mode in ("rgb_array", "human")  # the Gantt chart needs the trace
        self.generator = self._make_generator(scenario, arrivals=arrivals, faults=faults,
                                              keep_trace=keep_trace or drawn)
        self.limits = self._limits(max_jobs, max_nodes, max_edges, max_pes)
        time_scale = (self.generator.typical_job_time() if time_scale is None
                      else _positive_scale("time_scale", time_scale, "microseconds"))
        if energy_scale is None:
            probe = self.generator.simulator(0)
            energy_scale = time_scale * float(np.mean(probe.pes.active_w)) or 1.0
        else:
            energy_scale = _positive_scale("energy_scale", energy_scale, "microjoules")
        self.time_scale, self.energy_scale = float(time_scale), float(energy_scale)
        self.reward_spec = RewardSpec.parse(reward if reward is not None
                                            else self.default_reward)
        self.engine = Engine(self.generator, self.limits, self.reward_spec, self.time_scale,
                             self.energy_scale)
        baseline = self.default_baseline if baseline == "default" else baseline
        self.baseline = BaselineCache(self.generator, baseline) if baseline else None

        n, p = self.limits.max_nodes, self.limits.max_pes
        size = n if self.action_mode == "order" else n * p + 1
        self._mask = np.zeros(size, np.int8)
        self._pairs = self._mask[:n * p].reshape(n, p) if self.action_mode == "assign" else None
        self.wait_action: int | None = n * p if self.action_mode == "assign" else None
        self.action_space = MaskedDiscrete(size, self._current_mask)
        self.observation_space = observation_space(self.limits, size,
                                                   len(self.generator.platform.types))
        self._started = False

    # ------------------------------------------------------------ defaults
    @classmethod
    @abc.abstractmethod
    def default_scenario(cls) -> Any:
        """The scenario simulated unless the caller gives one."""

    def _make_generator(self, scenario: Any, **kwargs: Any) -> InstanceGenerator:
        """What builds each episode's simulator (an environment drawing instances overrides it).

        Args:
            scenario: The scenario, overrides applied.
            **kwargs: ``arrivals``, ``faults`` and ``keep_trace`` of :class:`InstanceGenerator`.
        """
        return InstanceGenerator(scenario, **kwargs)

    def _limits(self, max_jobs: int | None, max_nodes: int | None, max_edges: int | None,
                max_pes: int | None) -> Limits:
        for name, value in (("max_jobs", max_jobs), ("max_nodes", max_nodes),
                            ("max_edges", max_edges), ("max_pes", max_pes)):
            if value is not None and (isinstance(value, bool) or not isinstance(
                    value, int | np.integer) or value < 1):
                raise ValueError(f"{name} must be an integer >= 1 (or None for the default), "
                                 f"got {value!r}")
        profiles = self.generator.profiles()
        jobs = max_jobs or self.generator.default_max_jobs()
        nodes = max_nodes or jobs * max(p.num_tasks for p in profiles)
        edges = max_edges or max(1, jobs * max(len(p.profile.edges) for p in profiles))
        num_pes = self.generator.platform.num_pes
        pes = max_pes or num_pes
        if pes < num_pes:
            raise ObservationLimitError(f"platform '{self.generator.platform.name}' has "
                                        f"{num_pes} PEs but max_pes={pes}", "max_pes", num_pes)
        return Limits(jobs, nodes, edges, pes)

    # ----------------------------------------------------------- Gymnasium
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode and run the emulator to its first decision.

        Args:
            seed: Seeds ``self.np_random``, from which the simulator's seed is drawn.
            options: ``{"sim_seed": int}`` to use that simulator seed instead;
                ``{"in_order_queues": bool}`` to override the constructor's choice
                (what a heuristic that declares ``in_order_queues`` needs).

        Returns:
            The first observation and ``info`` (``action_mask``, ``sim_time``, ``sim_seed``).
        """
        super().reset(seed=seed)
        options = options or {}
        unknown = sorted(set(options) - {"sim_seed", "in_order_queues"})
        if unknown:  # a warning, not an error: wrappers and checkers pass their own options
            warnings.warn(f"reset(options=...): ignoring unknown option(s) {unknown}; the "
                          "options are 'sim_seed' (int >= 0) and 'in_order_queues' (bool)",
                          UserWarning, stacklevel=2)
        sim_seed = int(self.np_random.integers(2**31 - 1))
        if options.get("sim_seed") is not None:
            sim_seed = _sim_seed(options["sim_seed"])
        in_order = options.get("in_order_queues", self.in_order_queues)
        if not isinstance(in_order, bool | np.bool_):
            raise ValueError(f"reset(options=...): 'in_order_queues' must be True or False, "
                             f"got {in_order!r}")
        self.engine.start(sim_seed, in_order_queues=bool(in_order))
        self._started = True
        self._settle()  # the first step's reward counts from t = 0
        if not self.engine.running:
            self._started = False
            sim = self.engine.sim
            raise ValueError(
                f"the episode of simulator seed {sim_seed} is over before its first decision "
                f"(t={sim.now:g} us, {sim.counters.injected} job(s) injected, "
                f"{sim.counters.failed} failed: "
                f"{'; '.join(sim.failure_reasons) or 'no task to place'}); fix the scenario "
                "(e.g. faults that leave a live PE for every task, a later horizon)")
        info = self._info()
        info["sim_seed"] = sim_seed
        if self.render_mode == "human":
            self.render()
        return self._observation(), info

    def step(self, action: int | np.integer) -> tuple[dict[str, np.ndarray], float, bool, bool,
                                                      dict[str, Any]]:
        """Apply one decision, then run the emulator until the next decision (or the end).

        Raises:
            InvalidAction: ``action`` is masked out (with ``invalid_action="raise"``).
            RuntimeError: The episode is over or was never started.
        """
        engine = self.engine
        if not self._started or not engine.running:
            raise RuntimeError("the episode is over (or not started): call reset() first")
        action = _as_action(action)
        problem = self._problem(action)
        if problem:
            if self.invalid_action == "raise" or not 0 <= action < self._mask.size \
                    or not self._mask.any():
                raise InvalidAction(problem)
            if self.invalid_action == "noop":
                info = self._info()
                info["invalid_action"] = problem
                return self._observation(), 0.0, False, False, info
            valid = np.flatnonzero(self._mask)
            action = int(valid[action % valid.size])
            problem = f"{problem}; ran action {action} instead (invalid_action='remap')"
        if self.action_mode == "order":
            engine.place_eft(action, comm_aware=self.placement == "eft")
        elif action == self.wait_action:
            engine.advance()
        else:
            engine.place(*divmod(action, self.limits.max_pes))
        self._settle()
        over = not engine.running
        reward = engine.tracker.collect(final=over)
        info = self._info()
        truncated = over and self._cut_by_horizon()
        if over:
            info.update(self._final_info())
        if problem:
            info["invalid_action"] = problem
        if self.render_mode == "human":
            self.render()
        return self._observation(), float(reward), over and not truncated, truncated, info

    def _cut_by_horizon(self) -> bool:
        """Whether the horizon stopped the run with jobs in the system or still to come."""
        return self.engine.sim.truncated

    def render(self) -> str | np.ndarray | None:
        """``ansi``: a text summary; ``rgb_array``: the Gantt chart so far; ``human``: a window.

        ``human`` opens a matplotlib window with the Gantt chart so far where a
        display exists (:class:`~socsim.envs.render.HumanWindow`), and prints
        the text summary where none does.
        """
        if not self._started or self.render_mode is None:
            return None
        if self.render_mode == "rgb_array":
            return render_gantt(self.engine.sim)
        text = render_text(self.engine.sim, self.engine.tracker.episode_return)
        if self.render_mode == "human":
            if self._window is None:
                self._window = HumanWindow(self.metadata["render_fps"])
            self._window.show(self.engine.sim, text)
            return None
        return text

    def close(self) -> None:
        """Close the ``human`` window, if one is open (the emulator holds nothing else)."""
        if getattr(self, "_window", None) is not None:
            self._window.close()

    # ------------------------------------------------- driven from outside
    def attach_simulator(self, run: Simulator | SchedulerView) -> None:
        """Act inside a run someone else drives: mirror it (see :meth:`Engine.attach`).

        Used by schedulers that wrap a policy trained in this environment
        (``learned:PATH``): in ``Scheduler.reset`` pass the view (or the
        simulator); at each of the run's decision points call
        :meth:`decision_observation`, turn the policy's action into a
        placement with :meth:`placement_for`, *yield* it from ``decide`` (the run
        queues it), and call :meth:`decision_observation` again, until it
        returns ``None`` or the policy waits. The environment never writes
        into the run. The run must use this environment's platform and job
        profiles.
        """
        sim = Simulator.behind(run) if isinstance(run, SchedulerView) else run
        self.engine.attach(sim)
        self._started = True
        self._pending: tuple[int, int, float] | None = None

    def decision_observation(self, new_decision: bool = False) -> dict[str, np.ndarray] | None:
        """The observation of the attached run now, or ``None`` if no task can be placed.

        Records the placement :meth:`placement_for` last returned, which the run
        has queued since.

        Args:
            new_decision: The driver reached a new decision point since the
                last call (the simulator moved): refresh the arrays first.
        """
        pending, self._pending = getattr(self, "_pending", None), None
        if new_decision:
            self.engine.external_decision()
        elif pending is not None:
            self.engine.note_placed(*pending)
        if not self._update_mask():
            return None
        return self._observation()

    def placement_for(self, action: int) -> tuple[int, int, int] | None:
        """The ``(job, task, pe)`` that ``action`` places in the attached run, or ``None``.

        ``None`` for the wait action (or a task no live PE can run). Nothing
        is written: the caller hands the placement to the run (a scheduler
        yields it), then calls :meth:`decision_observation`.
        """
        engine = self.engine
        if self.action_mode == "order":
            slot = int(action)
            choice = engine.choose_eft(slot, comm_aware=self.placement == "eft")
            if choice.pe < 0:
                return None
            pe, wait = choice.pe, choice.start - choice.floor
        elif action == self.wait_action:
            return None
        else:
            slot, pe = divmod(int(action), self.limits.max_pes)
            wait = 0.0
        state, task = engine.task_at(slot)  # type: ignore[misc]
        self._pending = (slot, pe, wait)
        return state.id, task, pe

    # --------------------------------------------------------------- masks
    def bind_mask(self, out: np.ndarray) -> None:
        """Keep the action mask in ``out`` from now on (a vector environment's row).

        ``out`` must be a contiguous int8 array of the mask's size; it takes
        the present mask's content.
        """
        if out.shape != self._mask.shape or out.dtype != np.int8 or not out.flags.c_contiguous:
            raise ValueError(f"the mask buffer must be contiguous int8 of shape "
                             f"{self._mask.shape}, got {out.dtype} of shape {out.shape}")
        out[...] = self._mask
        self._mask = out
        if self._pairs is not None:
            self._pairs = out[:self._pairs.size].reshape(self._pairs.shape)

    def action_masks(self) -> np.ndarray:
        """The current action mask as booleans (the sb3-contrib ``MaskablePPO`` hook)."""
        return self._mask.astype(bool)

    def _current_mask(self) -> np.ndarray | None:
        return self._mask if self._started else None

    def _update_mask(self) -> bool:
        """Recompute the mask; return whether some task can be placed now."""
        engine = self.engine
        obs, mask = engine.obs, self._mask
        # Without faults only the rows of slots whose readiness changed are rewritten
        # (a few per step; all of them after a reset), where they are few against the
        # slots (a small mask is cheaper recomputed whole); with faults a PE's failure
        # or recovery changes whole columns, so the mask is recomputed in full.
        changed = obs.ready_changes()
        partial = (not engine.fault_prone and changed is not None
                   and 8 * len(changed) <= self.limits.max_nodes)
        if self.action_mode == "order":
            if engine.fault_prone:
                live = (obs.eligible & engine.alive_row()).any(axis=1)
                np.multiply(obs.ready, live, out=mask, casting="unsafe")
                return bool(mask.any())
            if partial:
                ready = obs.ready
                for slot in changed:  # type: ignore[union-attr]
                    mask[slot] = ready[slot]
            else:
                np.copyto(mask, obs.ready, casting="unsafe")
            return bool(engine.sim.ready)
        pairs = self._pairs
        if partial:
            ready, eligible = obs.ready, obs.eligible
            for slot in changed:  # type: ignore[union-attr]
                if ready[slot]:
                    pairs[slot] = eligible[slot]
                else:
                    pairs[slot] = 0
        else:
            np.multiply(obs.ready[:, None], obs.eligible, out=pairs, casting="unsafe")
        if engine.fault_prone:
            pairs *= engine.alive_row()
            placeable = bool(pairs.any())
        else:
            placeable = bool(engine.sim.ready)
        mask[-1] = engine.can_wait()
        return placeable

    def _settle(self) -> None:
        """Advance the emulator until some task can be placed, or the run ends."""
        engine = self.engine
        while not self._update_mask() and engine.running:
            engine.advance()
        if not engine.running:
            self._mask.fill(0)

    def _problem(self, action: int) -> str:
        """Why ``action`` is invalid now (empty if it is valid)."""
        size = self._mask.size
        if 0 <= action < size and self._mask[action]:
            return ""
        valid = int(self._mask.sum())
        hint = (f"{valid} of {size} actions are valid now (see env.action_masks() or "
                f"info['action_mask'])")
        if not 0 <= action < size:
            return f"action {action} is out of range 0..{size - 1}; {hint}"
        if action == self.wait_action:
            return (f"action {action} (wait) is invalid: nothing would happen without a new "
                    f"placement; {hint}")
        if self.action_mode == "order":
            return f"action {action} is invalid: {self.engine.why_invalid(action, None)}; {hint}"
        slot, pe = divmod(action, self.limits.max_pes)
        return (f"action {action} (slot {slot}, PE {pe}) is invalid: "
                f"{self.engine.why_invalid(slot, pe)}; {hint}")

    # ------------------------------------------------------- observation
    def _observation(self) -> dict[str, np.ndarray]:
        engine = self.engine
        engine.obs.refresh(engine.sim)
        return engine.obs.observation(self._mask, copy=self.copy)

    def graph_observation(self) -> GraphObservation:
        """The current state as a graph without padding (for custom graph agents)."""
        engine = self.engine
        engine.obs.refresh(engine.sim)
        return engine.obs.graph(self._mask, engine.sim.platform.num_pes)

    def _info(self) -> dict[str, Any]:
        mask = self._mask.copy() if self.copy else self._mask
        return {"action_mask": mask, "sim_time": self.engine.sim.now}

    def _final_info(self) -> dict[str, Any]:
        """Episode totals, the run's metrics and the baseline's on the same instance."""
        engine = self.engine
        metrics = dict(engine.result().metrics)
        info: dict[str, Any] = {
            "metrics": metrics,
            "reward_totals": engine.tracker.totals(final=True),
            "episode_return": engine.tracker.episode_return,
        }
        if self.baseline is not None:
            theirs = self.baseline.metrics(engine.seed)
            info["baseline"] = {"scheduler": self.baseline.scheduler, **theirs}
            info["vs_baseline"] = ratios(metrics, theirs)
        return info

    # ------------------------------------------------------------ helpers
    @property
    def simulator(self) -> Any:
        """The current episode's :class:`socsim.Simulator` (read it, do not drive it)."""
        return self.engine.sim

    @property
    def decision_index(self) -> int:
        """Decision points reached this episode; it changes exactly when the emulator advanced."""
        return self.engine.decision_index

    def action_for(self, job: int, task: int, pe: int | None = None) -> int:
        """The action that picks ``task`` of job ``job`` (on ``pe`` in ``assign`` mode).

        Raises:
            ValueError: The job is not in the system, or ``pe`` is missing in
                ``assign`` mode.
        """
        try:
            slot = self.engine.slot_of(job, task)
        except KeyError:
            raise ValueError(f"job {job} is not in the system") from None
        if self.action_mode == "order":
            return slot
        if pe is None:
            raise ValueError("assign mode needs a PE: action_for(job, task, pe)")
        return slot * self.limits.max_pes + pe

    def __repr__(self) -> str:
        scenario = self.generator.scenario
        return (f"{type(self).__name__}({scenario.describe()}; action_mode={self.action_mode!r}, "
                f"max_nodes={self.limits.max_nodes}, max_pes={self.limits.max_pes})")


def _as_action(action: Any) -> int:
    """``action`` as an ``int``: integers, NumPy integers and one-element integer arrays.

    Floats, strings and booleans are refused rather than truncated (``0.7``
    must not quietly mean action 0).
    """
    if isinstance(action, np.ndarray) and action.size == 1:
        action = action.reshape(()).item() if action.dtype.kind in "iu" else action
    if isinstance(action, bool | np.bool_) or not isinstance(action, int | np.integer):
        raise InvalidAction(f"action must be an integer (a Discrete action index), got "
                            f"{action!r} of type {type(action).__name__}")
    return int(action)


def _sim_seed(value: Any) -> int:
    """A simulator seed from ``reset(options={"sim_seed": ...})``: an integer >= 0."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer) \
            or value < 0:
        raise ValueError(f"reset(options=...): 'sim_seed' must be an integer >= 0, "
                         f"got {value!r}")
    return int(value)


def _positive_scale(name: str, value: Any, unit: str) -> float:
    """A reward/feature scale: a finite number > 0 (NaN, 0 or a sign flip would corrupt rewards)."""
    try:
        scale = float(value)
    except (TypeError, ValueError):
        scale = math.nan
    if isinstance(value, bool) or not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"{name} must be a finite number > 0 ({unit} per unit), got "
                         f"{value!r}; leave it None for the default")
    return scale
