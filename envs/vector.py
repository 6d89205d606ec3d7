"""A native vector environment: N socsim environments in one process, stepped in lock step.

``gym.make_vec("socsim/DeepSoCS-v0", num_envs=N)`` builds a
:class:`SchedulingVectorEnv` (the ids' ``vector_entry_point``); Gymnasium's
own ``vectorization_mode="sync"`` / ``"async"`` still work. Each
sub-environment writes its observation straight into its row of stacked,
preallocated arrays (its :class:`~socsim.envs.observation.ObservationBuilder`
and action mask are bound to that row), so a step copies nothing per
sub-environment; the batch is returned as one ``Dict`` of ``(N, ...)``
arrays, the same layout as Gymnasium's ``SyncVectorEnv`` gives.

What it returns, per step (Gymnasium 1.x ``VectorEnv`` API):

- observations: ``Dict`` of ``(N, ...)`` arrays, ``action_mask`` included;
  copies by default (``copy=True``), else the live stacked arrays, valid
  until the next ``step``/``reset``;
- rewards (float64), terminations and truncations (bool), each ``(N,)``;
- infos: Gymnasium's batched info dict: ``action_mask`` ``(N, A)`` and
  ``sim_time`` ``(N,)`` for every sub-environment, plus the end-of-episode
  keys (``metrics``, ``episode_return``...) and ``invalid_action`` where a
  sub-environment produced them, each with its ``_key`` mask.

:meth:`SchedulingVectorEnv.action_masks` gives the ``(N, A)`` boolean masks
(the sb3-contrib hook). Autoreset follows ``autoreset_mode`` (see
``gymnasium.vector.AutoresetMode``): ``next-step`` (default: the step after
an episode ended resets that sub-environment, reward 0, and ignores its
action), ``same-step`` (reset at once; the final observation and info go
to ``infos["final_obs"]`` / ``infos["final_info"]``) or ``disabled``.

Made for training, so the end-of-episode yardstick is off unless a
``baseline`` is passed (see :mod:`.baseline`).

On a machine with free cores, ``workers=K`` runs the sub-environments in K
processes, a slice each, writing their observations into shared memory
(:mod:`.vector_workers`); results are the same as in one process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .base import SchedulingEnv
from .spaces import ARRAY_KEYS

if TYPE_CHECKING:
    from .vector_workers import WorkerPool


class SchedulingVectorEnv(VectorEnv):
    """``num_envs`` copies of a socsim environment, batched in this process.

    Args:
        env_class: The environment class (a :class:`~socsim.envs.base.SchedulingEnv`).
        num_envs: Number of sub-environments.
        autoreset_mode: ``"NextStep"`` (default), ``"SameStep"``, ``"Disabled"`` or an
            :class:`~gymnasium.vector.AutoresetMode`.
        copy: Return fresh arrays from ``reset``/``step`` (default); ``False``
            returns the stacked arrays themselves, overwritten in place by the
            next call (copy what you keep).
        max_episode_steps: Truncate an episode after this many steps (``None``: never).
        baseline: The end-of-episode yardstick (default ``None``: off, for training).
        workers: Processes to step the sub-environments in (``0`` or ``1``: this
            one, the default). With K > 1 each of K worker processes runs a
            contiguous slice of them in lock step, over shared-memory
            observation arrays (:mod:`.vector_workers`): the same results,
            K slices at once. Worth it when a step's work outweighs one message
            per worker (a few tens of microseconds) and K cores are free.
        context: The :mod:`multiprocessing` start method of the workers
            (``"fork"``, ``"spawn"``, ``"forkserver"``; ``None``: the platform's default).
        buffers: Arrays ``(num_envs, ...)`` by observation key (``action_mask``
            included) to write the batch into instead of private ones (what a
            worker does with its slice of the shared arrays).
        **env_kwargs: Keyword arguments of every sub-environment (the
            environment's constructor arguments and scenario fields).
    """

    env_class: ClassVar[type[SchedulingEnv] | None] = None

    def __init__(self, env_class: type[SchedulingEnv] | None = None, num_envs: int = 1, *,
                 autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP,
                 copy: bool = True, max_episode_steps: int | None = None,
                 baseline: str | None = None, workers: int = 0, context: str | None = None,
                 buffers: dict[str, np.ndarray] | None = None, **env_kwargs: Any) -> None:
        env_class = env_class or type(self).env_class
        if env_class is None:
            raise TypeError("SchedulingVectorEnv needs an env_class")
        if isinstance(num_envs, bool) or not isinstance(num_envs, int | np.integer) \
                or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        if "copy" in env_kwargs:
            raise ValueError("pass copy= to the vector environment (sub-environments never copy)")
        self.autoreset_mode = (autoreset_mode if isinstance(autoreset_mode, AutoresetMode)
                               else AutoresetMode(autoreset_mode))
        self.copy = bool(copy)
        self.max_episode_steps = max_episode_steps
        self.num_envs = int(num_envs)
        if isinstance(workers, bool) or not isinstance(workers, int | np.integer) \
                or workers < 0:
            raise ValueError(f"workers must be an integer >= 0 (0 or 1: in this process), "
                             f"got {workers!r}")
        self.workers = min(int(workers), self.num_envs)
        self._pool: WorkerPool | None = None
        if self.workers > 1:
            # One environment here gives the spaces and checks the arguments before any
            # process starts; the workers build and step the real ones.
            self.envs = []
            first = env_class(copy=False, baseline=baseline, **env_kwargs)
        else:
            self.envs = [env_class(copy=False, baseline=baseline, **env_kwargs)
                         for _ in range(self.num_envs)]
            first = self.envs[0]
        self.metadata = {**first.metadata, "autoreset_mode": self.autoreset_mode}
        self.render_mode = first.render_mode
        self.single_observation_space = first.observation_space
        self.single_action_space = first.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        layout = {key: ((self.num_envs, *space.shape), np.dtype(space.dtype).str)
                  for key, space in self.single_observation_space.spaces.items()}
        if self.workers > 1:
            from .vector_workers import WorkerPool

            options = {"autoreset_mode": self.autoreset_mode.value,
                       "max_episode_steps": max_episode_steps, "baseline": baseline,
                       **env_kwargs}
            self._pool = WorkerPool(env_class, self.num_envs, self.workers, layout, options,
                                    context)
            self._obs = self._pool.arrays
        else:
            self._obs = {key: _buffer(buffers, key, shape, dtype)
                         for key, (shape, dtype) in layout.items()}
            for index, env in enumerate(self.envs):
                env.engine.obs.bind({key: self._obs[key][index] for key in ARRAY_KEYS})
                env.bind_mask(self._obs["action_mask"][index])
        self._masks = self._obs["action_mask"]
        self._rewards = np.zeros(self.num_envs, np.float64)
        self._terminations = np.zeros(self.num_envs, np.bool_)
        self._truncations = np.zeros(self.num_envs, np.bool_)
        self._autoreset = np.zeros(self.num_envs, np.bool_)
        self._steps = [0] * self.num_envs
        self._all = np.ones(self.num_envs, np.bool_)

    # ---------------------------------------------------------- Gymnasium
    def reset(self, *, seed: int | Sequence[int | None] | None = None,
              options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Reset every sub-environment (or those in ``options["reset_mask"]``).

        Args:
            seed: ``None`` (each draws its own), an ``int`` (``seed + i`` for
                sub-environment ``i``) or one seed per sub-environment.
            options: Passed to every sub-environment's ``reset``; a
                ``reset_mask`` entry (bool array of shape ``(num_envs,)``)
                resets only those sub-environments.

        Returns:
            The batched observation and infos.
        """
        n = self.num_envs
        if seed is None:
            seeds: list[int | None] = [None] * n
        elif isinstance(seed, int | np.integer):
            seeds = [int(seed) + i for i in range(n)]
        else:
            seeds = list(seed)
            if len(seeds) != n:
                raise ValueError(f"reset(seed=[...]) needs {n} seeds (num_envs), got {len(seeds)}")
        options = dict(options or {})
        reset_mask = options.pop("reset_mask", None)
        if reset_mask is None:
            reset_mask = self._all
        elif (not isinstance(reset_mask, np.ndarray) or reset_mask.shape != (n,)
              or reset_mask.dtype != np.bool_ or not reset_mask.any()):
            raise ValueError(f"options['reset_mask'] must be a bool array of shape ({n},) with "
                             f"at least one True, got {reset_mask!r}")
        if self._pool is not None:
            # The workers keep each sub-environment's ends and autoreset themselves.
            infos = self._pool.reset(seeds, options or None,
                                     None if reset_mask is self._all else reset_mask)
            masks = np.zeros_like(self._masks)
            masks[reset_mask] = self._masks[reset_mask]
            return self._observations(), {"action_mask": masks,
                                          "_action_mask": reset_mask.copy(), **infos}
        infos: dict[str, Any] = {}
        for index in np.flatnonzero(reset_mask).tolist():
            _, info = self.envs[index].reset(seed=seeds[index], options=options or None)
            self._terminations[index] = self._truncations[index] = False
            self._autoreset[index] = False
            self._steps[index] = 0
            infos = self._add_info(infos, info, index)
        return self._observations(), infos

    def step(self, actions: Any) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray,
                                          np.ndarray, dict[str, Any]]:
        """Step every sub-environment with its action, autoresetting per ``autoreset_mode``.

        Args:
            actions: One integer action per sub-environment (``(num_envs,)``).

        Returns:
            observations, rewards, terminations, truncations, infos (see the module).
        """
        if isinstance(actions, np.ndarray) and actions.dtype.kind in "iu":
            actions = actions.reshape(-1).tolist()
        else:
            actions = list(actions)
        if len(actions) != self.num_envs:
            raise ValueError(f"step() needs {self.num_envs} actions (num_envs), got "
                             f"{len(actions)}")
        if self._pool is not None:
            rewards, terminations, truncations, merged = self._pool.step(actions)
            infos = {"action_mask": self._masks.copy() if self.copy else self._masks,
                     "_action_mask": self._all.copy(), **merged}
            return self._observations(), rewards, terminations, truncations, infos
        rewards, terminations, truncations = self._rewards, self._terminations, self._truncations
        limit, mode = self.max_episode_steps, self.autoreset_mode
        times = [0.0] * self.num_envs
        extras: list[tuple[int, dict[str, Any]]] = []
        for index, (env, action) in enumerate(zip(self.envs, actions, strict=True)):
            if self._autoreset[index]:
                if mode == AutoresetMode.DISABLED:
                    raise RuntimeError(f"sub-environment {index} is done and autoreset_mode is "
                                       "disabled: reset it (options={'reset_mask': ...})")
                _, info = env.reset()
                self._steps[index] = 0
                rewards[index] = 0.0
                terminations[index] = truncations[index] = False
            else:
                _, reward, terminated, truncated, info = env.step(action)
                self._steps[index] += 1
                if limit is not None and self._steps[index] >= limit and not terminated:
                    truncated = True
                rewards[index] = reward
                terminations[index] = terminated
                truncations[index] = truncated
                if mode == AutoresetMode.SAME_STEP and (terminated or truncated):
                    info["action_mask"] = info["action_mask"].copy()  # the row is reset next
                    final = {"final_obs": self._row(index), "final_info": info}
                    extras.append((index, final))
                    _, info = env.reset()
                    self._steps[index] = 0
            times[index] = info["sim_time"]
            if len(info) > 2:
                extras.append((index, {k: v for k, v in info.items()
                                       if k not in ("action_mask", "sim_time")}))
        if mode != AutoresetMode.SAME_STEP:  # same-step has already reset them
            self._autoreset = terminations | truncations
        infos: dict[str, Any] = {
            "action_mask": self._masks.copy() if self.copy else self._masks,
            "_action_mask": self._all.copy(),
            "sim_time": np.array(times, np.float64),
            "_sim_time": self._all.copy(),
        }
        for index, extra in extras:
            infos = self._add_info(infos, extra, index)
        return (self._observations(), rewards.copy(), terminations.copy(), truncations.copy(),
                infos)

    def action_masks(self) -> np.ndarray:
        """The current ``(num_envs, A)`` action masks as booleans (the sb3-contrib hook)."""
        return self._masks.astype(bool)

    def render(self) -> tuple[Any, ...]:
        """Each sub-environment's :meth:`~socsim.envs.base.SchedulingEnv.render`."""
        if self._pool is not None:
            return self._pool.call("render")
        return tuple(env.render() for env in self.envs)

    def close_extras(self, **kwargs: Any) -> None:
        """Close every sub-environment, and stop the worker processes if there are any."""
        if self._pool is not None:
            self._pool.close()
        for env in self.envs:
            env.close()

    # ----------------------------------------------- SyncVectorEnv-style access
    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Call method ``name`` of every sub-environment (or read the attribute)."""
        if self._pool is not None:
            return self._pool.call(name, *args, **kwargs)
        out = []
        for env in self.envs:
            attr = getattr(env, name)
            out.append(attr(*args, **kwargs) if callable(attr) else attr)
        return tuple(out)

    def get_attr(self, name: str) -> tuple[Any, ...]:
        """Attribute ``name`` of every sub-environment."""
        if self._pool is not None:
            return self._pool.get_attr(name)
        return tuple(getattr(env, name) for env in self.envs)

    def set_attr(self, name: str, values: Any) -> None:
        """Set attribute ``name`` on every sub-environment (one value each, or one for all)."""
        if not isinstance(values, list | tuple):
            values = [values] * self.num_envs
        if len(values) != self.num_envs:
            raise ValueError(f"set_attr needs {self.num_envs} values, got {len(values)}")
        if self._pool is not None:
            self._pool.set_attr(name, values)
            return
        for env, value in zip(self.envs, values, strict=True):
            setattr(env, name, value)

    # ------------------------------------------------------------ internals
    def _observations(self) -> dict[str, np.ndarray]:
        obs = self._obs
        if self.copy:
            return {key: array.copy() for key, array in obs.items()}
        return dict(obs)

    def _row(self, index: int) -> dict[str, np.ndarray]:
        """Copies of sub-environment ``index``'s observation (its final one, for ``same-step``)."""
        return {key: array[index].copy() for key, array in self._obs.items()}

    def __repr__(self) -> str:
        where = f", workers={self.workers}" if self._pool is not None else ""
        inner = self.envs[0] if self.envs else self.single_action_space
        return f"{type(self).__name__}({inner!r}, num_envs={self.num_envs}{where})"


def _buffer(buffers: dict[str, np.ndarray] | None, key: str, shape: tuple[int, ...],
            dtype: str) -> np.ndarray:
    """The given array for ``key`` (checked), or a fresh zero one."""
    if buffers is None:
        return np.zeros(shape, dtype)
    array = buffers[key]
    if array.shape != shape or array.dtype != np.dtype(dtype):
        raise ValueError(f"buffer {key!r} must be {np.dtype(dtype)} of shape {shape}, got "
                         f"{array.dtype} of shape {array.shape}")
    return array


class DAGScheduleVectorEnv(SchedulingVectorEnv):
    """``socsim/DAGSchedule-v0`` batched (see :class:`SchedulingVectorEnv`)."""

    def __init__(self, num_envs: int = 1, **kwargs: Any) -> None:
        from .dag_schedule import DAGScheduleEnv

        super().__init__(DAGScheduleEnv, num_envs, **kwargs)


class SoCStreamVectorEnv(SchedulingVectorEnv):
    """``socsim/SoCStream-v0`` batched (see :class:`SchedulingVectorEnv`)."""

    def __init__(self, num_envs: int = 1, **kwargs: Any) -> None:
        from .soc_stream import SoCStreamEnv

        super().__init__(SoCStreamEnv, num_envs, **kwargs)


class DeepSoCSVectorEnv(SchedulingVectorEnv):
    """``socsim/DeepSoCS-v0`` batched (see :class:`SchedulingVectorEnv`)."""

    def __init__(self, num_envs: int = 1, **kwargs: Any) -> None:
        from .deepsocs import DeepSoCSEnv

        super().__init__(DeepSoCSEnv, num_envs, **kwargs)


class RandomDAGVectorEnv(SchedulingVectorEnv):
    """``socsim/RandomDAG-v0`` batched (see :class:`SchedulingVectorEnv`)."""

    def __init__(self, num_envs: int = 1, **kwargs: Any) -> None:
        from .random_dag import RandomDAGEnv

        super().__init__(RandomDAGEnv, num_envs, **kwargs)
