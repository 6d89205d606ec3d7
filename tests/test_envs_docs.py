"""The examples in docs/environments.md and in the environment docstrings run."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from socsim.envs import dag_schedule, deepsocs, soc_stream

DOC = Path(__file__).resolve().parents[1] / "docs" / "environments.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_document_has_its_examples() -> None:
    text = "\n".join(BLOCKS)
    for needle in ("gym.make(", "gym.make_vec(", "MaskablePPO", "parallel_env(", "aec_env("):
        assert needle in text


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_documented_example_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(BLOCKS[index], f"{DOC.name} example {index}", "exec"), {})


@pytest.mark.parametrize("module", [dag_schedule, soc_stream, deepsocs])
def test_docstring_examples(module: object) -> None:
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
