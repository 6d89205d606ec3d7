"""The observation tables in the environment docstrings match the observation spaces.

One definition (``socsim.envs.spaces.observation_space``) builds the spaces;
each registered environment's docstring documents them in a table. This test
reads every table row (key, shape, dtype) and checks it against the space the
environment really has, so a change to one without the other fails here.
"""

from __future__ import annotations

import re

import gymnasium as gym
import pytest

import socsim  # noqa: F401  (registers the environments)
from socsim.envs import ENV_IDS
from socsim.envs.dag_schedule import DAGScheduleEnv

ROW = re.compile(r"^\s*\|\s*`(?P<key>\w+)`\s*\|\s*\((?P<shape>[^)]*)\)\s*\|\s*(?P<dtype>\w+)\s*\|")


def documented(doc: str) -> dict[str, tuple[tuple[str, ...], str]]:
    """``key -> (shape symbols, dtype)`` from the docstring's observation table."""
    rows = {}
    for line in doc.splitlines():
        match = ROW.match(line)
        if match:
            shape = tuple(s.strip() for s in match["shape"].split(",") if s.strip())
            rows[match["key"]] = (shape, match["dtype"])
    return rows


@pytest.mark.parametrize("env_id", sorted(ENV_IDS))
@pytest.mark.parametrize("mode", ["order", "assign"])
def test_docstring_table_matches_the_space(env_id: str, mode: str) -> None:
    env = gym.make(env_id, action_mode=mode).unwrapped
    doc = type(env).__doc__ or ""
    rows = documented(doc)
    if not rows and "As ``socsim/DAGSchedule-v0``" in doc:  # documented by reference
        rows = documented(DAGScheduleEnv.__doc__ or "")
    space = env.observation_space
    assert rows, f"{type(env).__name__} documents no observation table"
    assert set(rows) == set(space.spaces), (set(rows) ^ set(space.spaces))
    symbols = {"N": env.limits.max_nodes, "E": env.limits.max_edges,
               "P": env.limits.max_pes, "A": int(env.action_space.n)}
    for key, (shape, dtype) in rows.items():
        want = tuple(symbols[s] if s in symbols else int(s) for s in shape)
        assert space[key].shape == want, (key, space[key].shape, want)
        assert str(space[key].dtype) == dtype, (key, space[key].dtype, dtype)
