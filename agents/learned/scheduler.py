"""A trained policy acting as a :class:`socsim.scheduler.Scheduler` (``learned:PATH``).

The scheduler sees the simulator through the same observation the policy
was trained on: it keeps an environment of the run's configuration whose
engine is pointed at the simulator that ``socsim compare`` (or any
``Simulator.run``) drives. At each decision point it brings the
observation up to date and lets the policy act exactly as in the
environment: in ``order`` mode it picks ready tasks one by one (greedy) and
each goes to its earliest-finish PE, as the environment places them; in
``assign`` mode it picks (task, PE) pairs until the policy waits. It
yields each choice to the run, which queues it (the scheduler contract);
the environment never writes into the simulator. Runs therefore equal
the environment's episodes with the same simulator seed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from socsim.scheduler import SchedulerView

from .checkpoint import SHIPPED, load_policy, read_config
from .encoder import obs_to_tensors
from .features import FINISH_KEY, eft_finish_times
from .policy import SchedulingPolicy
from .rollout import make_env

#: The fixed-size agent shipped with the package (``learned:deepsocs-env``).
DEFAULT_CHECKPOINT = SHIPPED


class LearnedScheduler:
    """A trained policy as a scheduler.

    Args:
        policy: The trained policy.
        env_id: The environment it was trained in.
        env_kwargs: That environment's keywords (platform and job profiles
            must match the simulated scenario's).
        name: Name in tables.
    """

    def __init__(self, policy: SchedulingPolicy, env_id: str = "socsim/DeepSoCS-v0",
                 env_kwargs: dict[str, Any] | None = None, name: str = "learned") -> None:
        self.policy = policy
        self.name = name
        # One decision is a batch-1 pass through a small network: intra-op threads only
        # add overhead, and with one worker process per core they oversubscribe the CPUs
        # (10x slower runs measured on 2 cores).
        torch.set_num_threads(1)
        kwargs = {k: v for k, v in (env_kwargs or {}).items() if k not in ("noise",)}
        self.env = make_env(env_id, {**kwargs, "baseline": None},
                            policy.config.encoder.finish_features)
        self.base = self.env.unwrapped
        if self.base.action_mode != policy.config.action_mode:
            raise ValueError(f"policy acts in {policy.config.action_mode!r} mode but the "
                             f"environment in {self.base.action_mode!r} mode")
        self.in_order_queues = bool(self.base.in_order_queues)

    @classmethod
    def from_path(cls, path: str) -> LearnedScheduler:
        """From a run folder or checkpoint; ``deepsocs-env`` is the one shipped with socsim."""
        if path in ("", "deepsocs-env"):
            config = json.loads(DEFAULT_CHECKPOINT.with_suffix(".json").read_text())
            policy = load_policy(DEFAULT_CHECKPOINT)
        else:
            policy = load_policy(path)
            config = read_config(path)
        return cls(policy, config.get("env_id", "socsim/DeepSoCS-v0"),
                   config.get("env_kwargs", {}), name=f"learned:{path or 'deepsocs-env'}")

    def reset(self, view: SchedulerView, rng: np.random.Generator) -> None:
        """Point the environment at the simulator about to run."""
        self.base.attach_simulator(view)

    def decide(self, view: SchedulerView) -> Iterator[tuple[int, int, int]]:
        """Yield the policy's placements until it waits or nothing is left to place.

        The run queues each placement before asking for the next, and the
        environment's mirror records it: the observation of every choice is
        exactly the environment's.
        """
        base = self.base
        obs = base.decision_observation(new_decision=True)
        while obs is not None:
            if self.policy.config.encoder.finish_features:
                obs = {**obs, FINISH_KEY: eft_finish_times(base)}
            with torch.no_grad():
                action = int(self.policy(obs_to_tensors(obs))[0].argmax(-1)[0])
            placement = base.placement_for(action)
            if placement is None:
                break
            yield placement
            obs = base.decision_observation()
