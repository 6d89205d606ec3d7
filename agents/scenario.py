"""Presets of ``socsim compare``: a named scenario with its schedulers, seeds and references.

The :class:`Scenario` record itself and the named protocol scenarios live in
the emulator (:mod:`socsim.scenario`); it is re-exported here for code that
imported it from this module. :data:`PRESETS` adds what a comparison needs:
the schedulers run by default, the number of seeds, and published reference
numbers, among them ``deepsocs``: the DeepSoCS / DS3Gym streaming protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from socsim.scenario import SCENARIOS, Scenario

__all__ = ["DEEPSOCS", "DS3_DEFAULT", "PRESETS", "Preset", "Scenario"]


@dataclass(frozen=True)
class Preset:
    """A named protocol: a scenario, the schedulers and seeds to run, reference numbers.

    Attributes:
        name: Preset name (``--preset NAME``).
        description: What it reproduces and where its numbers come from.
        scenario: The scenario.
        schedulers: Schedulers run by default.
        seeds: Number of seeds run by default (seeds 0..n-1).
        reference: Published value per scheduler, for ``reference_metric``.
        reference_metric: The metric the reference numbers are for.
        tolerance: Relative distance from the reference counted as a match.
    """

    name: str
    description: str
    scenario: Scenario
    schedulers: tuple[str, ...]
    seeds: int = 10
    reference: dict[str, float] = field(default_factory=dict)
    reference_metric: str = "mean_latency"
    tolerance: float = 0.03


DEEPSOCS = Preset(
    name="deepsocs",
    description="DeepSoCS / DS3Gym streaming protocol: canonical job on canonical3, "
    "Poisson integer gaps (scale 25 us), pseudo steady state (3 pre-filled, at most 3 in "
    "the system, DS3Gym's retrying generator), 5000 us, no noise, DS3's executable-list "
    "queues. Reference: mean latency over completed jobs from the released DS3Gym code, "
    "10 seeds (DeepSoCS: Sung et al., Electronics 9(6):936, 2020; DS3Gym: "
    "github.com/EpiSci/SoCRATES; DS3: Arda et al., IEEE Trans. Computers 69(8), 2020).",
    scenario=SCENARIOS["deepsocs"],
    schedulers=("heft-rt", "etf", "met", "eft", "eft-fifo", "random"),
    reference={"heft-rt": 122.4, "etf": 105.1, "met": 108.1, "eft": 110.5,
               "eft-fifo": 118.5, "random": 166.8},
)

DS3_DEFAULT = Preset(
    name="ds3-default",
    description="DS3's default configuration: SoC MULTIPLE_BAL, its six-application mix, "
    "100 jobs, Poisson arrivals every 500 us on average, at most 12 jobs in the system, "
    "DS3's executable list (first-ready-job queues); ds3-met, ds3-stf and ds3-etf-lb are "
    "DS3's own MET, STF and ETF_LB rules.",
    scenario=SCENARIOS["ds3-default"],
    schedulers=("heft-rt", "heft-rt-comm", "etf", "eft", "ds3-met", "ds3-stf", "ds3-etf-lb",
                "met", "stf", "eft-fifo", "round-robin", "random", "min-energy", "min-edp",
                "eft-energy"),
    seeds=5,
)

PRESETS: dict[str, Preset] = {preset.name: preset for preset in (DEEPSOCS, DS3_DEFAULT)}
"""Named protocols for ``socsim compare --preset``."""
