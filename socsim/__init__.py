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
        return
    register_envs()


_register_environments()
