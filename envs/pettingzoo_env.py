"""PettingZoo environments: each PE cluster of the platform is an agent that pulls ready tasks.

Agents are the platform's clusters, named ``<cluster>_<index>`` (``P1_0``,
``P2_1``, ``P3_2`` on ``canonical3``; ``A7_0``, ``A15_1``, ``MM_2``... on
``mobile_soc``). At a
decision point each agent may pull one ready task that one of its idle,
live PEs can run, or pull nothing (the last action). A pulled task goes to
the cluster's idle eligible PE where it finishes first (its inputs'
arrival included; ties to the lower PE). Pulling nothing is not allowed
when nothing is running or due (the platform would stall), unless the
agent has nothing to pull.

- :class:`SoCParallelEnv` (``socsim.envs.parallel_env(**kwargs)``): all
  agents act at once. **Conflicts**: when several agents pull the same
  task, the agent whose PE would finish it first gets it (ties: the
  cluster listed first); the others pull nothing this round. After a
  round that placed a task, the agents act again at the same instant while
  some can still pull; after a round that placed nothing, the emulator
  runs to the next decision point.
- :class:`SoCAECEnv` (``socsim.envs.env(**kwargs)``): agents act in turn,
  every agent once per cycle in the order of ``possible_agents`` (an agent
  with nothing to pull can only pass), each pull applied at once, so the
  next agent sees it and no conflict arises. After a cycle that placed a
  task, a new cycle starts at the same instant while some agent can still
  pull; after a cycle that placed nothing, the emulator runs to the next
  decision point (the parallel rule, one agent at a time).

``max_cycles`` counts rounds (parallel) or cycles (AEC: every agent one
turn), as PettingZoo's ``max_cycles_test`` expects.

**Invalid actions** (``invalid_action``, as in the Gymnasium
environments): a masked-out, in-range integer action is, with ``"remap"``
(default), replaced by the agent's valid action ``valid[action %
len(valid)]`` (``valid``: the agent's valid actions in increasing order),
and the agent's ``info["invalid_action"]`` says why and which action ran,
so agents that sample without the mask (PettingZoo's seed and max-cycles
tests) always make progress; ``"raise"`` raises
:class:`~socsim.envs.core.InvalidAction`; ``"noop"`` makes the agent pull
nothing this turn (even where pulling nothing is not allowed) and its
``info["invalid_action"]`` says why; a round or cycle that placed nothing
where waiting would stall the platform then changes nothing (time does not
move, the reward is 0). Out-of-range actions and actions that are not
integers always raise.

Every agent gets the same (team) reward: the single-agent environment's
reward for the time that passed. Observations are the single-agent flat
``Dict`` (without its ``action_mask``) plus ``agent_pes`` (the agent's PEs)
and ``action_mask`` (the agent's own, ``max_nodes + 1`` long). Keywords are
those of the Gymnasium environment named by ``base`` (``"soc-stream"``,
``"deepsocs"`` or ``"dag-schedule"``), plus ``max_cycles``;
``invalid_action`` is this module's (above). Both environments have a
global ``state()`` in ``state_space``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils import wrappers

from socsim.placement import earliest_finish

from .base import INVALID_ACTION_POLICIES, SchedulingEnv, _as_action
from .core import InvalidAction
from .dag_schedule import DAGScheduleEnv
from .deepsocs import DeepSoCSEnv
from .soc_stream import SoCStreamEnv
from .spaces import observation_space

#: Which single-agent environment supplies the scenario, limits, reward and baseline.
BASES: dict[str, type[SchedulingEnv]] = {
    "soc-stream": SoCStreamEnv, "deepsocs": DeepSoCSEnv, "dag-schedule": DAGScheduleEnv}


class ClusterGame:
    """The dynamics both PettingZoo environments share, over a single-agent env's engine.

    Args:
        base: Key of :data:`BASES`.
        max_cycles: Truncate the episode after this many rounds or cycles (``None``: never).
        render_mode: ``"ansi"``, ``"rgb_array"`` or ``"human"``.
        invalid_action: ``"remap"``, ``"raise"`` or ``"noop"`` (see the module docstring).
        **kwargs: Keywords of the base environment.
    """

    def __init__(self, base: str, max_cycles: int | None, render_mode: str | None,
                 invalid_action: str = "remap", **kwargs: Any) -> None:
        if base not in BASES:
            raise ValueError(f"base must be one of {sorted(BASES)}, got {base!r}")
        if invalid_action not in INVALID_ACTION_POLICIES:
            raise ValueError(f"invalid_action must be one of {INVALID_ACTION_POLICIES}, "
                             f"got {invalid_action!r}")
        if max_cycles is not None and (isinstance(max_cycles, bool)
                                       or not isinstance(max_cycles, int | np.integer)
                                       or max_cycles < 1):
            raise ValueError(f"max_cycles must be an integer >= 1 or None, got {max_cycles!r}")
        self.invalid_action = invalid_action
        # The base env never steps here; its own invalid_action policy is unused.
        self.env = BASES[base](render_mode=render_mode, **kwargs)
        self.engine = self.env.engine
        platform = self.env.generator.platform
        self.agents = [f"{cluster.name}_{k}" for k, cluster in enumerate(platform.clusters)]
        self.cluster_pes: list[list[int]] = [[] for _ in self.agents]
        for pe, cluster in enumerate(platform.pe_cluster):
            self.cluster_pes[cluster].append(pe)
        self.starts = np.array([pes[0] for pes in self.cluster_pes], dtype=np.intp)
        limits = self.env.limits
        self.none_action = limits.max_nodes
        self.masks = np.zeros((len(self.agents), limits.max_nodes + 1), np.int8)
        shared = dict(observation_space(limits, 1, len(platform.types)).spaces)
        del shared["action_mask"]
        shared["agent_pes"] = spaces.MultiBinary(limits.max_pes)
        shared["action_mask"] = spaces.MultiBinary(limits.max_nodes + 1)
        self.observation_spaces = {a: spaces.Dict(shared) for a in self.agents}
        global_part = {k: v for k, v in shared.items() if k not in ("agent_pes", "action_mask")}
        self.state_keys = sorted(global_part)
        flat = spaces.flatten_space(spaces.Dict(global_part))
        self.state_space = spaces.Box(flat.low.astype(np.float32), flat.high.astype(np.float32),
                                      dtype=np.float32)
        self.action_spaces = {a: spaces.Discrete(limits.max_nodes + 1) for a in self.agents}
        self.agent_pes = {}
        for agent, pes in zip(self.agents, self.cluster_pes, strict=True):
            row = np.zeros(limits.max_pes, np.int8)
            row[pes] = 1
            self.agent_pes[agent] = row
        self.max_cycles = max_cycles
        self.cycles = 0

    # ---------------------------------------------------------------- episode
    def start(self, seed: int | None, options: dict[str, Any] | None) -> None:
        """Reset the base environment's engine and run to the first decision."""
        self.env.reset(seed=seed, options=options)
        self.cycles = 0
        self.settle()

    def settle(self) -> None:
        """Advance until some agent can pull a task, or the run ends."""
        while not self.update_masks() and self.engine.running:
            self.engine.advance()
        if not self.engine.running:
            self.masks.fill(0)
            self.masks[:, self.none_action] = 1

    def update_masks(self) -> bool:
        """Recompute every agent's mask; return whether some agent can pull a task."""
        engine, obs = self.engine, self.engine.obs
        free = obs.eligible * engine.idle_row()
        num_pes = engine.sim.platform.num_pes
        per_cluster = np.maximum.reduceat(free[:, :num_pes], self.starts, axis=1)  # (N, C)
        picks = self.masks[:, :self.none_action]
        np.multiply(per_cluster.T, obs.ready, out=picks, casting="unsafe")
        can_pull = picks.any(axis=1)
        stall = not engine.can_wait()
        self.masks[:, self.none_action] = ~can_pull | (not stall)
        return bool(can_pull.any())

    def check(self, agent: str, action: Any) -> tuple[int, str]:
        """The action that runs for ``agent`` and, if ``action`` was not allowed, why.

        Returns:
            ``(action, "")`` for an allowed action; for a masked-out one, under
            ``"remap"`` the remapped action and the reason, under ``"noop"``
            :attr:`none_action` and the reason.

        Raises:
            InvalidAction: The action is out of range or not an integer, or masked
                out under ``invalid_action="raise"``.
        """
        action = _as_action(action)
        mask = self.masks[self.agents.index(agent)]
        if 0 <= action < mask.size and mask[action]:
            return action, ""
        try:
            self.refuse(agent, action)
        except InvalidAction as error:
            if self.invalid_action == "raise" or not 0 <= action < mask.size:
                raise
            problem = str(error)
        if self.invalid_action == "noop":
            return self.none_action, f"{problem}; pulled nothing (invalid_action='noop')"
        valid = np.flatnonzero(mask)
        ran = int(valid[action % valid.size])
        return ran, f"{problem}; ran action {ran} instead (invalid_action='remap')"

    def refuse(self, agent: str, action: int) -> None:
        """Raise :class:`InvalidAction` saying why ``agent`` may not take ``action`` now."""
        mask = self.masks[self.agents.index(agent)]
        valid = int(mask.sum())
        hint = f"{valid} of {mask.size} actions are valid for {agent} (see obs['action_mask'])"
        if not 0 <= action < mask.size:
            raise InvalidAction(f"{agent}: action {action} is out of range 0..{mask.size - 1}; "
                                f"{hint}")
        if action == self.none_action:
            raise InvalidAction(f"{agent}: pulling nothing is invalid: nothing is running or "
                                f"due, so the platform would stall; {hint}")
        why = self.engine.why_invalid(action, None)
        if why.startswith("no live PE"):  # the task is ready: the cluster cannot take it
            why = f"no idle live PE of cluster {agent} can run it"
        raise InvalidAction(f"{agent}: action {action} is invalid: {why}; {hint}")

    def best_pe(self, agent_index: int, slot: int) -> tuple[float, int]:
        """Earliest finish and PE for the task in ``slot`` on the agent's idle eligible PEs."""
        engine = self.engine
        sim = engine.sim
        state, task = engine.task_at(slot)  # type: ignore[misc]
        view, now = sim.view, sim.now
        eligible = engine.obs.eligible[slot]
        choice = earliest_finish(
            state, task, (pe for pe in self.cluster_pes[agent_index]
                          if eligible[pe] and view.is_idle(pe)), now,
            free=lambda pe: now, duration=lambda pe: view.exec_time(state.id, task, pe),
            transfer=view.transfer_time)
        return choice.finish, choice.pe

    def pull(self, agent_index: int, slot: int) -> None:
        """Place the task in ``slot`` on the agent's best idle PE."""
        _, pe = self.best_pe(agent_index, slot)
        self.engine.place(slot, pe)

    def finish_round(self, placed: bool) -> None:
        """End a round (cycle): run to the next decision point if it placed nothing.

        A round that placed nothing where waiting would stall (only possible
        with ``invalid_action="noop"``) changes nothing.
        """
        self.cycles += 1
        if not placed and self.engine.can_wait():
            self.engine.advance()
        self.settle()

    def resolve(self, picks: dict[int, int]) -> bool:
        """Apply one round of pulls (agent index to slot); return whether any was placed."""
        by_slot: dict[int, list[int]] = {}
        for index, slot in picks.items():
            if slot != self.none_action:
                by_slot.setdefault(slot, []).append(index)
        for slot, claimants in by_slot.items():
            winner = min(claimants, key=lambda c: (self.best_pe(c, slot)[0], c))
            self.pull(winner, slot)
        return bool(by_slot)

    # ------------------------------------------------------------ outputs
    def observation(self, agent: str) -> dict[str, np.ndarray]:
        """The agent's observation (fresh copies)."""
        obs = self.engine.obs.observation(self.masks[0])
        del obs["action_mask"]
        obs["agent_pes"] = self.agent_pes[agent].copy()
        obs["action_mask"] = self.masks[self.agents.index(agent)].copy()
        return obs

    def state(self) -> np.ndarray:
        """The global state: the shared arrays, flattened in ``state_keys`` order (float32)."""
        self.refresh()
        obs = self.engine.obs.observation(self.masks[0])
        return np.concatenate([np.asarray(obs[key], np.float32).ravel()
                               for key in self.state_keys])

    def refresh(self) -> None:
        """Bring PE and global features up to date before observations are taken."""
        self.engine.obs.refresh(self.engine.sim)

    def reward(self) -> float:
        """Team reward earned since the last call."""
        return float(self.engine.tracker.collect(final=not self.engine.running))

    def ended(self) -> tuple[bool, bool]:
        """``(terminated, truncated)`` of the episode."""
        if self.engine.running:
            cut = self.max_cycles is not None and self.cycles >= self.max_cycles
            return False, cut
        truncated = self.env._cut_by_horizon()
        return not truncated, truncated

    def final_info(self) -> dict[str, Any]:
        """The base environment's end-of-episode info (metrics, totals, baseline)."""
        if self.engine.running:
            return {"episode_return": self.engine.tracker.episode_return}
        return self.env._final_info()

    def render(self, render_mode: str | None) -> str | np.ndarray | None:
        """Text, Gantt chart or window: the single-agent environment's (built in that mode)."""
        if render_mode is None or not self.env._started:
            return None
        return self.env.render()

    def close(self) -> None:
        """Close the single-agent environment's ``human`` window, if one is open."""
        self.env.close()


class SoCParallelEnv(ParallelEnv):
    """PE clusters pull ready tasks simultaneously (see the module docstring for the rules).

    Args:
        base: ``"soc-stream"`` (default), ``"deepsocs"`` or ``"dag-schedule"``.
        max_cycles: Truncate after this many rounds (``None``: never).
        render_mode: ``"ansi"``, ``"rgb_array"`` or ``"human"``.
        invalid_action: ``"remap"`` (default), ``"raise"`` or ``"noop"`` (module docstring).
        **kwargs: Keywords of the base Gymnasium environment (scenario fields,
            reward, limits...).
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "socsim_clusters_v0",
                                "render_modes": ["ansi", "rgb_array", "human"],
                                "is_parallelizable": True}

    def __init__(self, base: str = "soc-stream", max_cycles: int | None = None,
                 render_mode: str | None = None, invalid_action: str = "remap",
                 **kwargs: Any) -> None:
        self.game = ClusterGame(base, max_cycles, render_mode, invalid_action, **kwargs)
        self.render_mode = render_mode
        self.possible_agents = list(self.game.agents)
        self.agents: list[str] = []
        self.state_space = self.game.state_space

    def observation_space(self, agent: str) -> spaces.Space:
        """The agent's observation space (the same object every call)."""
        return self.game.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """``Discrete(max_nodes + 1)``: a node slot to pull, or the last action to pull nothing."""
        return self.game.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start an episode at its first decision point."""
        game = self.game
        game.start(seed, options)
        self.agents = list(self.possible_agents)
        game.refresh()
        return ({a: game.observation(a) for a in self.agents},
                {a: {} for a in self.agents})

    def step(self, actions: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float],
                                                     dict[str, bool], dict[str, bool],
                                                     dict[str, Any]]:
        """One round: every agent pulls a task or nothing; conflicts go to the earliest finish."""
        game = self.game
        if not self.agents:
            raise RuntimeError("the episode is over: call reset() first")
        picks: dict[int, int] = {}
        problems: dict[str, str] = {}
        for agent in self.agents:
            picks[game.agents.index(agent)], problem = game.check(
                agent, actions.get(agent, game.none_action))
            if problem:
                problems[agent] = problem
        game.finish_round(game.resolve(picks))
        reward = game.reward()
        terminated, truncated = game.ended()
        game.refresh()
        agents = self.agents
        observations = {a: game.observation(a) for a in agents}
        rewards = dict.fromkeys(agents, reward)
        terminations = dict.fromkeys(agents, terminated)
        truncations = dict.fromkeys(agents, truncated)
        final = game.final_info() if terminated or truncated else {}
        infos = {a: dict(final) for a in agents}
        for agent, problem in problems.items():
            infos[agent]["invalid_action"] = problem
        if terminated or truncated:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | np.ndarray | None:
        """``ansi`` text, ``rgb_array`` Gantt chart, or ``human`` (prints the text)."""
        return self.game.render(self.render_mode)

    def close(self) -> None:
        """Close the ``human`` window, if one is open."""
        self.game.close()

    def state(self) -> np.ndarray:
        """The global state (in :attr:`state_space`): the shared arrays, flattened."""
        return self.game.state()


class SoCAECEnv(AECEnv):
    """PE clusters pull ready tasks in turn, each pull applied at once (no conflicts).

    Args:
        base: ``"soc-stream"`` (default), ``"deepsocs"`` or ``"dag-schedule"``.
        max_cycles: Truncate after this many cycles, every agent one turn (``None``: never).
        render_mode: ``"ansi"``, ``"rgb_array"`` or ``"human"``.
        invalid_action: ``"remap"`` (default), ``"raise"`` or ``"noop"`` (module docstring).
        **kwargs: Keywords of the base Gymnasium environment.
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "socsim_clusters_aec_v0",
                                "render_modes": ["ansi", "rgb_array", "human"],
                                "is_parallelizable": False}

    def __init__(self, base: str = "soc-stream", max_cycles: int | None = None,
                 render_mode: str | None = None, invalid_action: str = "remap",
                 **kwargs: Any) -> None:
        super().__init__()
        self.game = ClusterGame(base, max_cycles, render_mode, invalid_action, **kwargs)
        self.render_mode = render_mode
        self.possible_agents = list(self.game.agents)
        self.agents = []
        self.state_space = self.game.state_space

    def observation_space(self, agent: str) -> spaces.Space:
        """The agent's observation space (the same object every call)."""
        return self.game.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """``Discrete(max_nodes + 1)``: a node slot to pull, or the last action to pull nothing."""
        return self.game.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Start an episode at its first decision point; the first agent of the cycle acts."""
        game = self.game
        game.start(seed, options)
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: {} for a in self.agents}
        self._placed = False  # whether the current cycle placed a task
        self._skip_agent_selection = None
        self.agent_selection = self.agents[0]
        self._check_end()

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        """The agent's observation now (fresh copies)."""
        self.game.refresh()
        return self.game.observation(agent)

    def step(self, action: Any) -> None:
        """The selected agent pulls a task (at once) or passes; the cycle's last turn ends it."""
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        game = self.game
        index = game.agents.index(agent)
        slot, problem = game.check(agent, action)
        self._cumulative_rewards[agent] = 0.0
        self._clear_rewards()
        self.infos[agent] = {"invalid_action": problem} if problem else {}
        if slot != game.none_action:
            game.pull(index, slot)
            self._placed = True
            game.update_masks()
        if index == len(self.agents) - 1:  # the cycle is over
            game.finish_round(self._placed)
            self._placed = False
            reward = game.reward()
            for name in self.agents:
                self.rewards[name] = reward
        self._accumulate_rewards()
        self.agent_selection = self.agents[(index + 1) % len(self.agents)]
        self._check_end()
        if self.render_mode == "human":
            self.render()

    def state(self) -> np.ndarray:
        """The global state (in :attr:`state_space`): the shared arrays, flattened."""
        return self.game.state()

    def _check_end(self) -> None:
        terminated, truncated = self.game.ended()
        if terminated or truncated:
            final = self.game.final_info()
            for name in self.agents:
                self.terminations[name] = terminated
                self.truncations[name] = truncated
                self.infos[name] = dict(final)
            self._deads_step_first()

    def render(self) -> str | np.ndarray | None:
        """``ansi`` text, ``rgb_array`` Gantt chart, or ``human`` (prints the text)."""
        return self.game.render(self.render_mode)

    def close(self) -> None:
        """Close the ``human`` window, if one is open."""
        self.game.close()


def parallel_env(**kwargs: Any) -> SoCParallelEnv:
    """The parallel environment (PettingZoo's ``parallel_env()`` convention)."""
    return SoCParallelEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC environment wrapped in PettingZoo's standard checks (``env()`` convention)."""
    raw = SoCAECEnv(**kwargs)
    return wrappers.OrderEnforcingWrapper(wrappers.AssertOutOfBoundsWrapper(raw))
