"""Dependencies point one way (``socsim`` <- ``envs`` <- ``agents``) and folders tell the truth.

Parsed from the source with :mod:`ast`, so a new import that breaks the
layering fails here, whoever adds it:

- nothing under ``socsim/`` imports ``socsim.envs`` or ``socsim.agents``
  except the registry hooks that load installed extensions;
- nothing under ``envs/`` imports ``socsim.agents``;
- inside ``envs/`` and ``agents/``, modules of the same package are imported
  relatively, so the tree's real structure is what readers and tools see;
- the environments and agents read a simulator only through its read API
  (:data:`socsim.simulator.READ_API`), never its internals.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: (file, imported module) pairs that are the extension hooks themselves.
HOOKS = {
    ("socsim/__init__.py", "socsim.envs.registration"),  # register the Gymnasium ids
    ("socsim/cli.py", "socsim.agents.cli"),  # the agents' subcommands
    ("socsim/registry.py", "socsim.agents"),  # the agents' schedulers
}


def imports(path: Path) -> list[str]:
    """Absolute module names ``path`` imports (``import``, ``from``, ``import_module("...")``)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.append(str(node.args[0].value))
    return names


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def offending(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in sources(folder):
        rel = path.relative_to(ROOT).as_posix()
        for name in imports(path):
            if name.startswith(forbidden) and (rel, name) not in HOOKS \
                    and not any(rel == f and name.startswith(m) for f, m in HOOKS):
                out.append(f"{rel} imports {name}")
    return out


def test_the_emulator_does_not_import_the_layers_above() -> None:
    assert offending("socsim", ("socsim.envs", "socsim.agents")) == []


def test_environments_do_not_import_the_agents() -> None:
    assert offending("envs", ("socsim.agents",)) == []


@pytest.mark.parametrize(("folder", "package"), [("envs", "socsim.envs"),
                                                 ("agents", "socsim.agents")])
def test_own_package_is_imported_relatively(folder: str, package: str) -> None:
    assert offending(folder, (package,)) == []


#: Names that hold a simulator in the environments' code (``sim``, ``self.sim``,
#: ``engine.sim``, ``env.simulator``, ``self._sim``).
SIMULATOR_NAMES = ("sim", "simulator", "_sim")


def simulator_reads(path: Path) -> list[tuple[int, str]]:
    """(line, attribute) of every attribute read off a simulator-holding name in ``path``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Attribute):
            continue
        base = node.value
        held = (base.id if isinstance(base, ast.Name)
                else base.attr if isinstance(base, ast.Attribute) else None)
        if held in SIMULATOR_NAMES:
            out.append((node.lineno, node.attr))
    return out


@pytest.mark.parametrize("folder", ["envs", "agents"])
def test_environments_and_agents_use_only_the_simulators_read_api(folder: str) -> None:
    from socsim.scenario import Scenario
    from socsim.simulator import READ_API

    sim = Scenario(jobs=2).simulator(0)
    assert [name for name in sorted(READ_API) if not hasattr(sim, name)] == []
    outside = [f"{path.relative_to(ROOT).as_posix()}:{line} reads simulator.{attr}"
               for path in sources(folder) for line, attr in simulator_reads(path)
               if attr not in READ_API]
    assert not outside, "\n".join(outside)


def test_the_read_api_check_sees_a_raw_read(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f(engine):\n    return engine.sim.pe_backlog[0] + engine.sim.now\n")
    assert sorted(simulator_reads(bad)) == [(2, "now"), (2, "pe_backlog")]


def test_scheduler_and_simulator_do_not_import_each_other() -> None:
    assert not any(n.startswith("socsim.simulator")
                   for n in imports(ROOT / "socsim" / "scheduler.py"))


def test_an_uninstalled_checkout_says_how_to_install() -> None:
    # Hide the editable install's finder, as in a fresh clone used without pip install.
    code = ("import sys, warnings\n"
            "sys.meta_path = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    import socsim\n"
            "print([str(w.message) for w in caught])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "without being installed" in out.stdout and "pip install -e" in out.stdout


def test_scenario_errors_name_the_field_in_python_and_the_flag_on_the_command_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    import gymnasium as gym

    import socsim  # noqa: F401
    from socsim.cli import main
    from socsim.errors import ScenarioError
    with pytest.raises(ScenarioError, match=r"Scenario.trace_file: arrival 'trace' needs an "
                                            r"arrival trace; set trace_file=FILE"):
        gym.make("socsim/SoCStream-v0", arrival="trace")
    assert main(["simulate", "--arrival", "trace"]) == 2
    assert "--trace-file: arrival 'trace' needs an arrival trace; give --trace-file FILE" \
        in capsys.readouterr().err


HEAVY = ("ortools", "matplotlib", "pandas", "torch", "networkx")


def heavy_modules_after(code: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """The heavy libraries a fresh interpreter has imported after running ``code``."""
    probe = f"import sys\n{code}\nprint(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def test_making_an_environment_imports_no_solver_and_no_plotting() -> None:
    assert heavy_modules_after("import gymnasium as gym, socsim\n"
                               "gym.make('socsim/DeepSoCS-v0').reset(seed=0)") == []


def test_simulate_imports_no_solver_no_plotting_no_graph_library() -> None:
    assert heavy_modules_after("import io, contextlib\nfrom socsim.cli import main\n"
                               "with contextlib.redirect_stdout(io.StringIO()):\n"
                               "    main(['simulate', '--jobs', '5'])") == []


def test_simulate_loads_neither_gymnasium_nor_pyyaml() -> None:
    """The built-ins come from their JSON bundle (socsim.bundle) while it is current."""
    assert heavy_modules_after("import io, contextlib\nfrom socsim.cli import main\n"
                               "with contextlib.redirect_stdout(io.StringIO()):\n"
                               "    main(['simulate', '--jobs', '5'])",
                               ("gymnasium", "yaml")) == []


@pytest.mark.parametrize("imports", [
    "import socsim\nimport gymnasium",
    "import gymnasium\nimport socsim",
    "import socsim\nfrom gymnasium.envs.registration import make",
    "import socsim, importlib\nimportlib.import_module('gymnasium')",
])
def test_the_ids_are_registered_whichever_is_imported_first(imports: str) -> None:
    probe = (f"{imports}\nimport gymnasium\n"
             "print(sorted(k for k in gymnasium.registry if k.startswith('socsim/')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    from socsim.envs.registration import ENV_IDS

    assert ast.literal_eval(out.stdout.strip()) == sorted(ENV_IDS)


def test_import_socsim_loads_nothing_heavy_until_used() -> None:
    assert heavy_modules_after("import socsim", ("numpy", "gymnasium", "yaml", "rich")) == []
    assert heavy_modules_after("import socsim\nsocsim.Simulator", ("numpy",)) == ["numpy"]


def test_the_command_line_asks_for_one_blas_thread_unless_told_otherwise() -> None:
    probe = ("import os, sys\nfrom socsim import launch\nsys.argv = ['socsim', 'platforms']\n"
             "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):\n"
             "    launch.main(['platforms'])\nprint(os.environ.get('OPENBLAS_NUM_THREADS'))")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    for given, expected in ((None, "1"), ("3", "3")):
        if given is not None:
            env["OPENBLAS_NUM_THREADS"] = given
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().splitlines()[-1] == expected


def test_simulate_builds_no_extension_parsers_but_help_lists_them(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert heavy_modules_after("import io, contextlib\nfrom socsim.cli import main\n"
                               "with contextlib.redirect_stdout(io.StringIO()):\n"
                               "    main(['simulate', '--jobs', '2'])",
                               ("socsim.agents.cli",)) == []
    from socsim.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    assert "compare" in capsys.readouterr().out
