"""Shared pytest fixtures and the Hypothesis profile for the simulator tests."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import socsim
from socsim.platform import Platform

if socsim.uninstalled_checkout() is not None:  # fail at once with the fix, not at collection
    pytest.exit(socsim.not_installed_message(), returncode=4)

# Simulations are slow next to Hypothesis' defaults; examples are sized per test.
# derandomize: the same examples on every machine and every run (CI included), so a
# green suite stays green; SOCSIM_FUZZ_EXAMPLES and friends widen the search locally.
settings.register_profile("socsim", deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("socsim")


@pytest.fixture(autouse=True, scope="session")
def _sb3_logs_in_pytests_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Stable-Baselines3 logs of models built in tests land in pytest's temp dir, not /tmp."""
    os.environ.setdefault("SB3_LOGDIR", str(tmp_path_factory.mktemp("sb3")))


@pytest.fixture
def two_pe_platform() -> Platform:
    """Two PE types (CPU at 1 W active / 0.1 W idle, ACC at 2 W / 0.2 W), one PE each."""
    return Platform.from_dict({
        "name": "two",
        "pe_types": [
            {"name": "CPU", "opps": [{"mhz": 1000, "active_w": 1.0, "idle_w": 0.1}]},
            {"name": "ACC", "opps": [{"mhz": 500, "active_w": 2.0, "idle_w": 0.2}]},
        ],
        "clusters": [{"name": "cpu", "type": "CPU"}, {"name": "acc", "type": "ACC"}],
        "interconnect": {"default_bandwidth": 4.0, "latency": 1.5},
    })
