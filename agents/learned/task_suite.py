"""The scenarios the set policy trains on and is evaluated on, by name.

A :class:`Case` names a scenario family and builds a fresh simulator for
any seed (a pure function of the seed), so training workers and
evaluation rebuild the same runs from ``(case, seed)`` alone:

- ``deepsocs/<workload>/<scale>/<sigma>``: the DeepSoCS protocol
  (canonical3, at most 3 jobs in the system, retrying Poisson arrivals;
  Sung et al., 2021) with the canonical job or the five-profile mix;
- ``random-dag``: one DAGGEN-style random DAG of 10-100 tasks at t = 0
  on a random platform of 2-32 PEs of canonical3's types;
- ``daggen``: one DAGGEN graph of 10-24 tasks at t = 0 on canonical3,
  shape, communication (CCR 0.5-2) and heterogeneity (beta 0.5-1.5) drawn
  from the seed; its DAGGEN seeds start at :data:`DAGGEN_FIRST_SEED`, so
  they never meet the static test graphs (DAGGEN seeds 1, 2, ...);
- ``papers-mix``: the papers' workloads (``edge_ai``) on ``mobile_soc``;
- ``ds3-default``: DS3's default scenario (16 PEs, the radio and radar apps).

Training runs use shorter horizons (:data:`TRAINING`); evaluation uses the
published protocols (:data:`EVALUATION`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from socsim.scenario import SCENARIOS, Scenario
from socsim.simulator import Simulator

#: DAGGEN seed of a ``daggen`` case's seed 0 (the static test graphs use seeds 1, 2, ...).
DAGGEN_FIRST_SEED = 1_000_000
#: The five-profile mix of the DeepSoCS protocol.
TOP5 = ",".join(f"top{k}:1" if k > 1 else "top:1" for k in range(1, 6))
DEEPSOCS = Scenario(platform="canonical3", workload="canonical", horizon=5000.0,
                    interarrival=25.0, max_in_system=3, prefill=3, retry_when_full=1.0,
                    queue_discipline="first-ready")
PAPERS_MIX = Scenario(platform="mobile_soc", mix="edge_ai", interarrival=8000.0,
                      max_in_system=12, jobs=30)


@dataclass(frozen=True)
class Case:
    """A scenario family member (see the module docstring).

    Attributes:
        name: ``deepsocs/<canonical|top5>/<scale>/<sigma>``, ``random-dag``,
            ``daggen``, ``papers-mix`` or ``ds3-default``.
        horizon: Replaces the scenario's horizon (``None``: keep it).
        jobs: Replaces the scenario's job count (``None``: keep it).
    """

    name: str
    horizon: float | None = None
    jobs: int | None = None

    def scenario(self) -> Scenario:
        """The :class:`~socsim.scenario.Scenario` (``random-dag``: the base of its draws)."""
        parts = self.name.split("/")
        if parts[0] == "deepsocs":
            workload = "canonical" if parts[1] == "canonical" else TOP5
            scenario = DEEPSOCS.replace(workload=workload, interarrival=float(parts[2]),
                                        noise=float(parts[3]))
        elif parts[0] in ("random-dag", "daggen"):
            scenario = Scenario(platform="canonical3", workload="canonical", arrival="batch",
                                jobs=1, max_in_system=0)
        elif parts[0] == "papers-mix":
            scenario = PAPERS_MIX
        elif parts[0] == "ds3-default":
            scenario = SCENARIOS["ds3-default"]
        else:
            raise ValueError(f"unknown case {self.name!r}; families are deepsocs/W/S/SIGMA, "
                             "random-dag, daggen, papers-mix, ds3-default")
        changes: dict[str, Any] = {}
        if self.horizon is not None:
            changes["horizon"] = self.horizon
        if self.jobs is not None:
            changes["jobs"] = self.jobs
        return scenario.replace(**changes) if changes else scenario

    @property
    def family(self) -> str:
        """``deepsocs``, ``random-dag``, ``daggen``, ``papers-mix`` or ``ds3-default``."""
        return self.name.split("/")[0]

    def simulator(self, seed: int) -> Simulator:
        """A fresh simulator of this case for ``seed``."""
        if self.name == "random-dag":
            return _random_dags(self.scenario()).simulator(seed)
        if self.name == "daggen":
            return self.scenario().replace(workload=daggen_spec(seed)).simulator(seed)
        return self.scenario().simulator(seed)

    def with_(self, **changes: Any) -> Case:
        """A copy with fields changed."""
        return replace(self, **changes)


_GENERATORS: dict[Scenario, Any] = {}


def _random_dags(scenario: Scenario) -> Any:
    """The (cached) random-DAG generator: 10-100 tasks, 2-32 PEs."""
    from socsim.envs.random_dag import RandomDAGGenerator

    found = _GENERATORS.get(scenario)
    if found is None:
        found = _GENERATORS[scenario] = RandomDAGGenerator(scenario, tasks=(10, 100),
                                                           pes=(2, 32), dag={})
    return found


def daggen_spec(seed: int) -> str:
    """The DAGGEN spec of a ``daggen`` case's ``seed``: its size, shape and costs drawn from it."""
    rng = np.random.default_rng([DAGGEN_FIRST_SEED, seed])
    n = int(rng.integers(10, 25))
    fat, density, regularity = (round(float(v), 2) for v in rng.uniform(0.2, 0.8, 3))
    ccr = round(float(rng.uniform(0.5, 2.0)), 2)
    beta = round(float(rng.uniform(0.5, 1.5)), 2)
    return (f"daggen/n={n}/fat={fat:g}/density={density:g}/regularity={regularity:g}/"
            f"jump={int(rng.integers(1, 4))}/ccr={ccr:g}/beta={beta:g}/"
            f"seed={DAGGEN_FIRST_SEED + seed}")


def deepsocs_cells() -> list[Case]:
    """The 12 DeepSoCS cells: canonical and the mix; scales 25, 50, 100 us; sigma 0, 0.5."""
    return [Case(f"deepsocs/{w}/{scale}/{sigma}") for w in ("canonical", "top5")
            for scale in ("25", "50", "100") for sigma in ("0", "0.5")]


#: What training draws episodes from (shorter runs: more, more varied states per label).
TRAINING: tuple[Case, ...] = (
    *(c.with_(horizon=1500.0) for c in deepsocs_cells()),
    Case("random-dag"), Case("random-dag"), Case("random-dag"),
    *(Case("daggen") for _ in range(8)),
    Case("papers-mix"), Case("papers-mix"),
    Case("ds3-default", jobs=25), Case("ds3-default", jobs=25),
)
#: The held-out evaluation protocols (full length).
EVALUATION: tuple[Case, ...] = (*deepsocs_cells(), Case("random-dag"), Case("papers-mix"),
                                Case("ds3-default"))
