"""socsim: a discrete-event emulator of heterogeneous SoCs for scheduling DAG jobs.

The emulator core (this package) depends only on numpy, networkx, pyyaml,
matplotlib and rich. Quick use::

    from socsim import catalog, JobSource, Poisson, Simulator
    from socsim.schedulers import MinimumExecutionTime

    platform = catalog.get_platform("ds3_multiple_bal")
    profile = catalog.get_workload("wifi_tx").bind(platform)
    source = JobSource([profile], arrivals=Poisson(500), max_jobs=100)
    result = Simulator(platform, source, seed=0).run(MinimumExecutionTime())
    print(result.metrics["mean_latency"])
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socsim.errors import ConfigError, SchedulingError
    from socsim.faults import FaultEvent, FaultModel
    from socsim.jobs import Batch, FixedRate, JobSource, Poisson, Trace
    from socsim.platform import Platform, load_platform
    from socsim.results import SimulationResult
    from socsim.scheduler import Assignment, Scheduler, SchedulerView
    from socsim.simulator import Simulator
    from socsim.workload import BoundProfile, JobProfile, load_profile

__version__ = "0.1.0"

#: Where each public name lives. They are imported on first use (PEP 562), so that
#: ``import socsim`` (and the command line's start, see :mod:`socsim.launch`) does
#: not pay for NumPy and the models before they are needed.
_EXPORTS = {
    "ConfigError": "socsim.errors", "SchedulingError": "socsim.errors",
    "FaultEvent": "socsim.faults", "FaultModel": "socsim.faults",
    "Batch": "socsim.jobs", "FixedRate": "socsim.jobs", "JobSource": "socsim.jobs",
    "Poisson": "socsim.jobs", "Trace": "socsim.jobs",
    "Platform": "socsim.platform", "load_platform": "socsim.platform",
    "SimulationResult": "socsim.results",
    "Assignment": "socsim.scheduler", "Scheduler": "socsim.scheduler",
    "SchedulerView": "socsim.scheduler",
    "Simulator": "socsim.simulator",
    "BoundProfile": "socsim.workload", "JobProfile": "socsim.workload",
    "load_profile": "socsim.workload",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'socsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))

__all__ = [
    "Assignment",
    "Batch",
    "BoundProfile",
    "ConfigError",
    "FaultEvent",
    "FaultModel",
    "FixedRate",
    "JobProfile",
    "JobSource",
    "Platform",
    "Poisson",
    "Scheduler",
    "SchedulerView",
    "SchedulingError",
    "SimulationResult",
    "Simulator",
    "Trace",
    "__version__",
    "load_platform",
    "load_profile",
]


def _register_environments() -> None:
    """Register the Gymnasium ids (``socsim/...``) when Gymnasium is installed."""
    try:
        from socsim.envs.registration import register_envs
    except ModuleNotFoundError as exc:  # no gymnasium: the emulator works without it
        # No gymnasium, or a source checkout used without installing (where the
        # socsim.envs mapping of pyproject.toml does not apply).
        if exc.name not in ("gymnasium", "socsim.envs", "socsim.envs.registration"):
            raise
        if exc.name != "gymnasium" and uninstalled_checkout() is not None:
            import warnings

            warnings.warn(not_installed_message(), UserWarning, stacklevel=3)
        return
    register_envs()


def uninstalled_checkout() -> Path | None:
    """The source checkout this ``socsim`` is imported from, if it is not installed.

    In a checkout, ``envs/`` and ``agents/`` sit beside ``socsim/`` and only
    become ``socsim.envs`` and ``socsim.agents`` through the package-dir
    mapping of ``pyproject.toml``, which applies once the checkout is
    installed (``pip install -e .``).
    """
    import importlib.util

    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file() or not (root / "envs").is_dir():
        return None
    return root if importlib.util.find_spec("socsim.envs") is None else None


def not_installed_message() -> str:
    """What to do when a source checkout is used without installing it."""
    root = uninstalled_checkout()
    return (f"socsim is imported from the source checkout {root} without being installed, so "
            "socsim.envs (envs/) and socsim.agents (agents/) are missing and gym.make "
            f"cannot find the 'socsim/...' environments. Fix: pip install -e \"{root}[test]\"")


class _RegisterOnGymnasiumImport:
    """Registers the environments right after Gymnasium is imported, if it was not yet.

    ``import socsim`` must make ``gym.make("socsim/...")`` work, but importing
    Gymnasium costs more CPU than the whole emulator: the command line and
    scripts that only simulate should not pay it. So when Gymnasium is not
    loaded yet, this one-shot finder wraps its loader and registers the ids as
    soon as Gymnasium's own import completes, whoever imports it. (A plain
    object with ``find_spec`` is a finder: ``importlib.abc`` alone would cost
    more to import than this saves on small runs.)
    """

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        if name != "gymnasium":
            return None
        sys.meta_path.remove(self)  # one shot; the real finders locate it
        spec = None
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None:
                break
        loader = getattr(spec, "loader", None)
        exec_module = getattr(loader, "exec_module", None)
        if exec_module is None:
            return spec

        def exec_then_register(module: object) -> None:
            exec_module(module)
            _register_environments()

        loader.exec_module = exec_then_register  # type: ignore[union-attr]
        return spec


if "gymnasium" in sys.modules or uninstalled_checkout() is not None:
    _register_environments()  # now (a checkout used without installing: warn now)
else:
    sys.meta_path.insert(0, _RegisterOnGymnasiumImport())
