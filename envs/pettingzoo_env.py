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
  each pull applied at once, so the next agent sees it and no conflict
  arises. Only agents with something to pull are selected; when every such
  agent has passed since the last pull (or nothing is left to pull) the
  emulator runs to the next decision point.

Every agent gets the same (team) reward: the single-agent environment's
reward for the time that passed. Observations are the single-agent flat
``Dict`` (without its ``action_mask``) plus ``agent_pes`` (the agent's PEs)
and ``action_mask`` (the agent's own, ``max_nodes + 1`` long). Keywords are
those of the Gymnasium environment named by ``base`` (``"soc-stream"``,
``"deepsocs"`` or ``"dag-schedule"``), plus ``max_cycles``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils import wrappers

from .base import SchedulingEnv
from .core import InvalidAction
from .dag_schedule import DAGScheduleEnv
from .deepsocs import DeepSoCSEnv
from .render import render_gantt, render_text
from .soc_stream import SoCStreamEnv
from .spaces import observation_space

#: Which single-agent environment supplies the scenario, limits, reward and baseline.
BASES: dict[str, type[SchedulingEnv]] = {
    "soc-stream": SoCStreamEnv, "deepsocs": DeepSoCSEnv, "dag-schedule": DAGScheduleEnv}


class ClusterGame:
    """The dynamics both PettingZoo environments share, over a single-agent env's engine.

    Args:
        base: Key of :data:`BASES`.
        max_cycles: Truncate the episode after this many agent rounds (``None``: never).
        render_mode: ``"ansi"``, ``"rgb_array"`` or ``"human"``.
        **kwargs: Keywords of the base environment.
    """

    def __init__(self, base: str, max_cycles: int | None, render_mode: str | None,
                 **kwargs: Any) -> None:
        if base not in BASES:
            raise ValueError(f"base must be one of {sorted(BASES)}, got {base!r}")
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

    def check(self, agent: str, action: int) -> int:
        """The agent's action as an int, or :class:`InvalidAction` saying why it is not allowed."""
        index = self.agents.index(agent)
        action = int(action)
        mask = self.masks[index]
        if 0 <= action < mask.size and mask[action]:
            return action
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
        best = (math.inf, -1)
        for pe in self.cluster_pes[agent_index]:
            if not (engine.obs.eligible[slot, pe] and view.is_idle(pe)):
                continue
            start = max(now, view.inputs_ready_at(state.id, task, pe))
            best = min(best, (start + view.exec_time(state.id, task, pe), pe))
        return best

    def pull(self, agent_index: int, slot: int) -> None:
        """Place the task in ``slot`` on the agent's best idle PE."""
        _, pe = self.best_pe(agent_index, slot)
        self.engine.place(slot, pe)

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
        """Text summary or Gantt chart, as in the single-agent environment."""
        if render_mode is None or not self.env._started:
            return None
        if render_mode == "rgb_array":
            return render_gantt(self.engine.sim)
        text = render_text(self.engine.sim, self.engine.tracker.episode_return)
        if render_mode == "human":
            print(text)
            return None
        return text


class SoCParallelEnv(ParallelEnv):
    """PE clusters pull ready tasks simultaneously (see the module docstring for the rules).

    Args:
        base: ``"soc-stream"`` (default), ``"deepsocs"`` or ``"dag-schedule"``.
        max_cycles: Truncate after this many rounds (``None``: never).
        render_mode: ``"ansi"``, ``"rgb_array"`` or ``"human"``.
        **kwargs: Keywords of the base Gymnasium environment (scenario fields,
            reward, limits...).
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "socsim_clusters_v0",
                                "render_modes": ["ansi", "rgb_array", "human"],
                                "is_parallelizable": True}

    def __init__(self, base: str = "soc-stream", max_cycles: int | None = None,
                 render_mode: str | None = None, **kwargs: Any) -> None:
        self.game = ClusterGame(base, max_cycles, render_mode, **kwargs)
        self.render_mode = render_mode
        self.possible_agents = list(self.game.agents)
        self.agents: list[str] = []

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
        picks = {game.agents.index(agent): game.check(agent, actions.get(agent, game.none_action))
                 for agent in self.agents}
        placed = game.resolve(picks)
        game.cycles += 1
        if not placed:
            game.engine.advance()
        game.settle()
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
        if terminated or truncated:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | np.ndarray | None:
        """``ansi`` text, ``rgb_array`` Gantt chart, or ``human`` (prints the text)."""
        return self.game.render(self.render_mode)

    def close(self) -> None:
        """Nothing to release."""

    def state(self) -> np.ndarray:
        """The global state: the flattened shared observation arrays."""
        self.game.refresh()
        obs = self.game.engine.obs.observation(self.game.masks[0])
        del obs["action_mask"]
        return np.concatenate([np.asarray(v, np.float32).ravel() for v in obs.values()])


class SoCAECEnv(AECEnv):
    """PE clusters pull ready tasks in turn, each pull applied at once (no conflicts).

    Args:
        base: ``"soc-stream"`` (default), ``"deepsocs"`` or ``"dag-schedule"``.
        max_cycles: Truncate after this many agent turns (``None``: never).
        render_mode: ``"ansi"``, ``"rgb_array"`` or ``"human"``.
        **kwargs: Keywords of the base Gymnasium environment.
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "socsim_clusters_aec_v0",
                                "render_modes": ["ansi", "rgb_array", "human"],
                                "is_parallelizable": False}

    def __init__(self, base: str = "soc-stream", max_cycles: int | None = None,
                 render_mode: str | None = None, **kwargs: Any) -> None:
        super().__init__()
        self.game = ClusterGame(base, max_cycles, render_mode, **kwargs)
        self.render_mode = render_mode
        self.possible_agents = list(self.game.agents)
        self.agents = []

    def observation_space(self, agent: str) -> spaces.Space:
        """The agent's observation space (the same object every call)."""
        return self.game.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """``Discrete(max_nodes + 1)``: a node slot to pull, or the last action to pull nothing."""
        return self.game.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Start an episode; the first agent selected is the first that can pull a task."""
        game = self.game
        game.start(seed, options)
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: {} for a in self.agents}
        self._passed: set[int] = set()
        self._skip_agent_selection = None
        self.agent_selection = self.agents[self._next_puller(-1)]
        self._check_end()

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        """The agent's observation now (fresh copies)."""
        self.game.refresh()
        return self.game.observation(agent)

    def step(self, action: Any) -> None:
        """The selected agent pulls a task (at once) or passes."""
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        game = self.game
        index = game.agents.index(agent)
        slot = game.check(agent, action)
        self._cumulative_rewards[agent] = 0.0
        self._clear_rewards()
        game.cycles += 1
        if slot == game.none_action:
            self._passed.add(index)
        else:
            game.pull(index, slot)
            self._passed.clear()
            game.update_masks()
        following = self._next_puller(index)
        if following < 0:  # nobody left to pull at this instant: time moves on
            game.engine.advance()
            game.settle()
            self._passed.clear()
            reward = game.reward()
            for name in self.agents:
                self.rewards[name] = reward
            following = self._next_puller(index)
        self._accumulate_rewards()
        self.agent_selection = self.agents[max(following, 0)]
        self._check_end()
        if self.render_mode == "human":
            self.render()

    def _next_puller(self, after: int) -> int:
        """The next agent after ``after`` (cyclically) that can pull and has not passed, or -1."""
        masks, count = self.game.masks, len(self.game.agents)
        for k in range(1, count + 1):
            index = (after + k) % count
            if index not in self._passed and masks[index, :self.game.none_action].any():
                return index
        return -1

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
        """Nothing to release."""


def parallel_env(**kwargs: Any) -> SoCParallelEnv:
    """The parallel environment (PettingZoo's ``parallel_env()`` convention)."""
    return SoCParallelEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC environment wrapped in PettingZoo's standard checks (``env()`` convention)."""
    raw = SoCAECEnv(**kwargs)
    return wrappers.OrderEnforcingWrapper(wrappers.AssertOutOfBoundsWrapper(raw))
