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

from pathlib import Path

from socsim.errors import ConfigError, SchedulingError
from socsim.faults import FaultEvent, FaultModel
from socsim.jobs import Batch, FixedRate, JobSource, Poisson, Trace
from socsim.platform import Platform, load_platform
from socsim.results import SimulationResult
from socsim.scheduler import Assignment, Scheduler, SchedulerView
from socsim.simulator import Simulator
from socsim.workload import BoundProfile, JobProfile, load_profile

__version__ = "0.1.0"

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


_register_environments()
