"""The `--backend` and `--address` flags, and a clear message when Ray is missing (no Ray)."""

from __future__ import annotations

import sys

import pytest

from socsim.agents.compare import compare
from socsim.agents.distributed import INSTALL_HINT, RayUnavailableError, import_ray
from socsim.agents.learned.train_reinforce import LocalRollouts, rollout_pool
from socsim.agents.scenario import DEEPSOCS
from socsim.cli import build_parser, main


@pytest.fixture
def no_ray(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # "import ray" now raises ImportError


def test_missing_ray_says_how_to_install(no_ray) -> None:
    with pytest.raises(RayUnavailableError, match=r"pip install 'socsim\[ray\]'"):
        import_ray()
    with pytest.raises(ImportError, match="socsim"):
        compare(DEEPSOCS.scenario, ["etf"], [0], backend="ray")
    with pytest.raises(ImportError, match="socsim"):
        rollout_pool(2, "ray")


@pytest.mark.parametrize("argv", [
    ["compare", "--backend", "ray", "--seeds", "1", "--schedulers", "etf"],
    ["train", "--algo", "reinforce", "--backend", "ray", "--out", "unused"],
])
def test_cli_without_ray_fails_in_one_line(no_ray, argv, capsys, tmp_path) -> None:
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    assert INSTALL_HINT in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize("argv", [
    ["compare", "--address", "auto", "--seeds", "1", "--schedulers", "etf"],
    ["train", "--algo", "bc", "--backend", "ray"],
    ["train", "--algo", "reinforce", "--workers", "0"],
])
def test_cli_refuses_misused_flags(argv, tmp_path) -> None:
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2


def test_flags_and_defaults() -> None:
    args = build_parser().parse_args(["compare", "--backend", "ray", "--address", "auto"])
    assert (args.backend, args.address) == ("ray", "auto")
    args = build_parser().parse_args(["train", "--out", "x"])
    assert (args.backend, args.address) == ("local", None)
    with pytest.raises(ValueError, match="unknown backend"):
        compare(DEEPSOCS.scenario, ["etf"], [0], backend="dask")
    with pytest.raises(ValueError, match="backend='ray'"):
        rollout_pool(1, "local", "auto")
    assert isinstance(rollout_pool(1), LocalRollouts)


def test_the_package_imports_ray_only_in_the_backend_module() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    statement = re.compile(r"^\s*(import|from) ray\b", re.MULTILINE)
    importers = sorted(str(p.relative_to(root)) for folder in ("socsim", "envs", "agents")
                       for p in (root / folder).rglob("*.py")
                       if statement.search(p.read_text(encoding="utf-8")))
    assert importers == ["agents/distributed.py"]
