"""Order mode's EFT on wide platforms: scoring a cluster's PEs together picks what the loop picks.

``Engine.choose_eft`` scores the PEs of one cluster together when a task
has many eligible PEs in few clusters (``_choose_grouped``). It must return
the very choice of the one-by-one loop (PE, start, finish, floor), ties
included, at every state a run reaches: queued and idle PEs, inputs on one
of the candidate PEs (no transfer from itself), blind placement, and
operating points that change under a governor.
"""

from __future__ import annotations

import re
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import socsim  # noqa: F401  (registers the environments)
from socsim import catalog
from socsim.envs import core


def wide_platform(folder: Path, factor: int) -> str:
    """``mobile_soc`` with every cluster ``factor`` times as large (a platform file)."""
    source = Path(catalog.__file__).parent / "data" / "platforms" / "mobile_soc.yaml"
    head, clusters = source.read_text(encoding="utf-8").split("\nclusters:", 1)
    clusters = re.sub(r"count: (\d+)", lambda m: f"count: {int(m.group(1)) * factor}", clusters)
    head = re.sub(r"^name: .*$", f"name: mobile_soc_x{factor}", head, count=1, flags=re.M)
    path = folder / f"mobile_soc_x{factor}.yaml"
    path.write_text(head + "\nclusters:" + clusters, encoding="utf-8")
    return str(path)


def loop_choice(engine: core.Engine, slot: int, comm_aware: bool) -> core.Choice:
    """The one-by-one loop's choice (grouping switched off for one call)."""
    engine._grouped = False
    try:
        return engine.choose_eft(slot, comm_aware)
    finally:
        engine._grouped = True


@pytest.mark.parametrize(("placement", "dvfs"), [("eft", None), ("eft-blind", None),
                                                 ("eft", "race-to-idle")])
def test_grouped_eft_equals_the_loop_at_every_state(tmp_path: Path, placement: str,
                                                    dvfs: str | None) -> None:
    kwargs = {"dvfs": dvfs} if dvfs else {}
    env = gym.make("socsim/SoCStream-v0", baseline=None, action_mode="order",
                   platform=wide_platform(tmp_path, 8), horizon=60000.0, placement=placement,
                   **kwargs)
    engine = env.unwrapped.engine
    comm_aware = placement == "eft"
    rng = np.random.default_rng(0)
    compared = grouped_calls = 0
    original = engine._choose_grouped

    def counted(*args: object) -> object:
        nonlocal grouped_calls
        found = original(*args)
        grouped_calls += found is not None
        return found

    engine._choose_grouped = counted
    for episode in range(2):
        _, info = env.reset(seed=episode)
        assert engine._grouped
        done = False
        while not done:
            mask = info["action_mask"]
            slots = np.flatnonzero(mask[:-1]) if mask.size > 1 else np.array([], int)
            for slot in slots[:4]:
                assert engine.choose_eft(int(slot), comm_aware) == \
                    loop_choice(engine, int(slot), comm_aware)
                compared += 1
            action = int(rng.choice(np.flatnonzero(mask)))
            _, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
    assert compared > 200
    assert grouped_calls > compared // 2  # the grouped path did the work, not the loop


def test_grouped_eft_runs_reproduce_the_loops_runs(tmp_path: Path, monkeypatch) -> None:
    platform = wide_platform(tmp_path, 8)

    def run(grouped_from: int) -> list[tuple[float, ...]]:
        monkeypatch.setattr(core, "GROUPED_FROM", grouped_from)
        env = gym.make("socsim/SoCStream-v0", baseline=None, action_mode="order",
                       platform=platform, horizon=60000.0)
        rng = np.random.default_rng(1)
        _, info = env.reset(seed=3)
        trace, done = [], False
        while not done:
            action = int(rng.choice(np.flatnonzero(info["action_mask"])))
            _, _, terminated, truncated, info = env.step(action)
            sim = env.unwrapped.engine.sim
            trace.append((action, sim.now, *(len(q) for q in sim.pes.queue)))
            done = terminated or truncated
        metrics = info["metrics"]
        return [*trace, (metrics["makespan"], metrics["completed"], metrics["energy_uj"])]

    assert run(core.GROUPED_FROM) == run(10**9)
