"""Dependencies point one way (``socsim`` <- ``envs`` <- ``agents``) and folders tell the truth.

Parsed from the source with :mod:`ast`, so a new import that breaks the
layering fails here, whoever adds it:

- nothing under ``socsim/`` imports ``socsim.envs`` or ``socsim.agents``
  except the registry hooks that load installed extensions;
- nothing under ``envs/`` imports ``socsim.agents``;
- inside ``envs/`` and ``agents/``, modules of the same package are imported
  relatively, so the tree's real structure is what readers and tools see.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: (file, imported module) pairs that are the extension hooks themselves.
HOOKS = {
    ("socsim/__init__.py", "socsim.envs.registration"),  # register the Gymnasium ids
    ("socsim/cli.py", "socsim.agents.cli"),  # the agents' subcommands
    ("socsim/schedulers.py", "socsim.agents"),  # the agents' schedulers
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


def heavy_modules_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter has imported after running ``code``."""
    probe = f"import sys\n{code}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
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
