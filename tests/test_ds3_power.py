"""DS3's cluster power model and hotspot thermal model (socsim.power), worked by hand."""

from __future__ import annotations

from typing import Any

import pytest
from fork_helpers import fork_and_finish

from socsim import catalog
from socsim.errors import ConfigError, SchedulingError
from socsim.jobs import Batch, FixedRate, JobSource
from socsim.platform import Platform
from socsim.registry import make_scheduler
from socsim.scheduler import Assignment, SchedulerView
from socsim.simulator import Simulator
from socsim.workload import JobProfile


def platform_doc(thermal: dict[str, Any] | None = None, c1: float = 0.0) -> dict[str, Any]:
    """One cluster of two cores at 1000 MHz / 1000 mV; leakage 0.4 V x share 0.25 = 0.1 W."""
    power: dict[str, Any] = {
        "kind": "ds3", "leakage": {"c1": c1, "c2": 2660, "igate": 0.4},
        "rails_w": {"mem": 0.05}, "ambient_c": 42,
        "clusters": {"C": {"profile": {1000: [1.0, 1.6]}, "leakage_share": 0.25,
                           "thermal_input": "big"}}}
    if thermal is not None:
        power["thermal"] = thermal
    return {"name": "two-core", "pe_types": [{"name": "T", "opps": [
        {"mhz": 1000, "mv": 1000, "active_w": 1.0, "idle_w": 0.1}]}],
        "clusters": [{"name": "C", "type": "T", "count": 2}], "power_model": power}


class Pinned:
    """Task ``k`` of each job on PE ``k % 2``."""

    name = "pinned"

    def reset(self, view: SchedulerView, rng: object) -> None:
        """Nothing to prepare."""

    def decide(self, view: SchedulerView) -> list[Assignment]:
        return [Assignment(job, task, task % 2) for job, task in view.ready]


def run(doc: dict[str, Any], costs: list[float], jobs: int = 1,
        gap: float | None = None, power_gating: bool = False) -> tuple[Simulator, Any]:
    platform = Platform.from_dict(doc)
    profile = JobProfile.from_dict({"name": "j", "tasks": [
        {"name": f"t{k}", "cost": {"T": cost}} for k, cost in enumerate(costs)]}).bind(platform)
    arrivals = Batch() if gap is None else FixedRate(gap)
    sim = Simulator(platform, JobSource([profile], arrivals=arrivals, max_jobs=jobs),
                    keep_trace=True, power_gating=power_gating)
    return sim, sim.run(Pinned())


def test_busy_power_depends_on_how_many_cores_of_the_cluster_are_busy() -> None:
    sim, result = run(platform_doc(), [10.0, 20.0])
    # 0..10: both busy, each (1.6 - 2 x 0.1) / 2 + 0.1 = 0.8 W; 10..20: t1 alone,
    # (1.0 - 0.2) / 1 + 0.1 = 0.9 W, while PE 0 idles at its leakage 0.1 W.
    energy = {record.task: record.energy for record in result.trace}
    assert energy == pytest.approx({"t0": 8.0, "t1": 8.0 + 9.0})
    assert result.pe_energy == pytest.approx([8.0 + 1.0, 17.0])
    assert result.metrics["base_energy_uj"] == pytest.approx(0.05 * 20)
    assert result.metrics["energy_uj"] == pytest.approx(9.0 + 17.0 + 1.0)
    assert sim.energy_so_far() == pytest.approx(result.metrics["energy_uj"])


def test_power_gating_charges_the_gated_profile_and_nothing_for_idle_cores() -> None:
    doc = platform_doc()
    doc["power_model"]["clusters"]["C"]["gated_profile"] = {1000: [0.7, 1.6]}
    _, result = run(doc, [10.0, 20.0], power_gating=True)
    # 0..10: both busy, the gated row equals the ungated one with every core busy:
    # (1.6 - 2 x 0.1) / 2 + 0.1 = 0.8 W each. 10..20: t1 alone, (0.7 - 1 x 0.1) / 1 + 0.1
    # = 0.7 W (the gated row, less only its one leaking core), and PE 0, gated, draws 0.
    energy = {record.task: record.energy for record in result.trace}
    assert energy == pytest.approx({"t0": 8.0, "t1": 8.0 + 7.0})
    assert result.pe_energy == pytest.approx([8.0, 15.0])
    assert result.metrics["energy_uj"] == pytest.approx(8.0 + 15.0 + 0.05 * 20)
    _, ungated = run(doc, [10.0, 20.0])  # the same platform, gating off: as before
    assert ungated.pe_energy == pytest.approx([8.0 + 1.0, 17.0])


def test_power_gating_needs_gated_profiles_and_ds3s_model() -> None:
    with pytest.raises(ValueError, match=r"gated_profile for cluster\(s\) C;"):
        run(platform_doc(), [10.0], power_gating=True)
    doc = platform_doc()
    del doc["power_model"]
    with pytest.raises(ValueError, match="needs DS3's cluster power model"):
        run(doc, [10.0], power_gating=True)
    from socsim.scenario import Scenario

    with pytest.raises(ValueError, match="power gating needs DS3's cluster power model"):
        Scenario(platform="mobile_soc", mix="edge_ai", power_gating=True).simulator(0)


def test_ds3s_soc_files_give_every_cluster_its_gated_profile() -> None:
    """DS3's PG_profile lines: e.g. A7 at 1 GHz, 0.13/0.23/0.31/0.40 W for 1-4 busy cores."""
    platform = catalog.get_platform("ds3_multiple_bal")
    model = platform.power_model
    assert model is not None
    by_name = dict(zip([c.name for c in platform.clusters], model.clusters, strict=True))
    assert dict(by_name["A7"].gated_profile)[1000] == (0.13, 0.23, 0.31, 0.4)
    assert all(spec.gated_profile for spec in model.clusters if spec.profile)
    from socsim.agents.scenario import PRESETS

    scenario = PRESETS["ds3-default"].scenario.replace(jobs=20)
    plain = scenario.simulator(0).run(make_scheduler("etf"))
    gated = scenario.replace(power_gating=True).simulator(0).run(make_scheduler("etf"))
    assert gated.metrics["mean_latency"] == plain.metrics["mean_latency"]  # timing unchanged
    assert gated.metrics["energy_uj"] < 0.8 * plain.metrics["energy_uj"]


def test_without_the_model_each_pe_draws_its_own_operating_point() -> None:
    doc = platform_doc()
    del doc["power_model"]
    _, result = run(doc, [10.0, 20.0])
    assert result.pe_energy == pytest.approx([10.0 + 0.1 * 10, 20.0])
    assert result.metrics["base_energy_uj"] == 0.0


def test_the_hotspot_model_follows_its_closed_form_step_response() -> None:
    """Constant power (no temperature-dependent leakage): T_k = T_a + b P (1 - a^k) / (1 - a)."""
    thermal = {"period_us": 20, "a": [[0.9]], "b": {"big": [0.5], "mem": [2.0]}}
    sim, _ = run(platform_doc(thermal), [200.0, 200.0])
    # 10 updates at t = 20 ... 200, both cores busy: cluster power 1.6 W, rails 0.05 W.
    steps, drive = 10, 0.5 * 1.6 + 2.0 * 0.05
    expected = 42 + drive * (1 - 0.9 ** steps) / (1 - 0.9)
    assert sim._power.temperatures[0] == pytest.approx(expected, rel=1e-12)


def test_a_busy_cluster_draws_its_profile_and_a_hot_idle_one_leaks_more() -> None:
    """With a core busy, DS3's rules give the cluster its profile power whatever the
    leakage; leakage shows in a cluster with no busy core, and grows as the chip heats."""
    hot = {"period_us": 20, "a": [[0.9]], "b": {"big": [2.0]}}  # up to 42 + 32 C
    # Each job: 400 us on both cores; the next comes at 1000: 600 us of a hot idle cluster.
    _, heated = run(platform_doc(hot, c1=0.002488), [400.0, 400.0], jobs=2, gap=1000)
    _, ambient = run(platform_doc(None, c1=0.002488), [400.0, 400.0], jobs=2, gap=1000)
    busy = [r.energy for r in heated.trace]
    assert busy == pytest.approx([0.8 * 400] * 4)  # 1.6 W for the pair: the profile value
    assert busy == pytest.approx([r.energy for r in ambient.trace])
    assert heated.metrics["energy_uj"] > ambient.metrics["energy_uj"] + 1.0


def test_ds3_platforms_use_ds3s_idle_leakage_at_ambient() -> None:
    """Idle cores at 42 C draw about 0.018 W (A15), 0.0044 W (A7), 0.012 W (accelerators)."""
    platform = catalog.get_platform("ds3_multiple_bal")
    model = platform.power_model
    assert model is not None and model.base_w == pytest.approx(0.1674)
    volts = {"A7": 1.3, "A15": 1.362, "MM": 0.9}
    share = dict(zip([c.name for c in platform.clusters], model.clusters, strict=True))
    idle = {name: model.leakage.cluster_w(v, 42) * share[name].leakage_share
            for name, v in volts.items()}
    assert idle == pytest.approx({"A7": 0.0044, "A15": 0.018, "MM": 0.012}, abs=6e-4)
    assert catalog.get_platform("canonical3").power_model is None  # DeepSoCS: per-PE powers
    # DS3's trips (its config) and each cluster's trip_freq line, with throttling off.
    assert model.thermal is not None and model.thermal.trips_c == (85, 90, 95)
    assert not model.thermal.throttling
    assert share["A15"].trip_mhz == (1600, 1000, 600) and share["A7"].trip_mhz == (-1, 1200, 600)


def test_ds3_default_energy_is_near_ds3s_own() -> None:
    """DS3's seed-0 ETF run of its default scenario reports 0.07233 J (issue figures)."""
    from socsim.agents.scenario import PRESETS

    energies = [PRESETS["ds3-default"].scenario.simulator(seed).run(make_scheduler("etf"))
                .metrics["energy_j"] for seed in range(3)]
    assert 0.06 < sum(energies) / len(energies) < 0.085


def test_a_fork_replays_the_energy_and_temperatures() -> None:
    from socsim.agents.scenario import PRESETS

    runs = fork_and_finish(PRESETS["ds3-default"].scenario.simulator(1),
                           make_scheduler("met"), 300)
    first, second = ((r.energy_so_far(), list(r._power.temperatures)) for r in runs)
    assert first == second


def test_a_thermal_model_that_runs_away_stops_the_run_with_a_clear_error() -> None:
    runaway = {"period_us": 20, "a": [[0.9]], "b": {"big": [20.0]}}  # leakage feeds heat
    with pytest.raises(SchedulingError, match="hotspot model ran away"):
        run(platform_doc(runaway, c1=0.002488), [400.0, 400.0], jobs=2, gap=1000)


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda p: p.update(kind="mcpat"), "power_model.kind", "use 'ds3'"),
    (lambda p: p["clusters"].pop("C"), "power_model.clusters.C", "is missing"),
    (lambda p: p["clusters"]["C"]["profile"].update({1200: [1.0]}),
     "power_model.clusters.C.profile.1200", "not an operating point"),
    (lambda p: p.update(thermal={"a": [[0.9, 0.1]], "b": {}}), "power_model.thermal.a[0]",
     "not 1"),
    (lambda p: p["clusters"]["C"].update(thermal_input="gpu"),
     "power_model.clusters.C.thermal_input", "use one of"),
])
def test_bad_power_models_name_the_field(change: Any, field: str, words: str) -> None:
    doc = platform_doc()
    change(doc["power_model"])
    with pytest.raises(ConfigError) as error:
        Platform.from_dict(doc, source="p.yaml")
    assert error.value.field == field and words in str(error.value)


def test_thermal_trips_cap_the_frequency_and_release_it_once_cooler() -> None:
    doc = platform_doc({"period_us": 20, "a": [[0.9]], "b": {"big": [2.0]}, "trips_c": [60],
                        "hysteresis_c": [5], "throttling": True})
    doc["pe_types"][0]["opps"] = [{"mhz": 500, "mv": 1000, "active_w": 0.5},
                                  {"mhz": 1000, "mv": 1000, "active_w": 1.0}]
    doc["power_model"]["clusters"]["C"]["trip_mhz"] = [500]
    # One core busy: the cluster draws 1.0 W, heading for 42 + 2 x 1.0 / 0.1 = 62 C > 60;
    # at 500 MHz it draws about half and cools below 55, so the trip releases.
    _, throttled = run(doc, [1000.0])
    frequencies = [v for _, name, v in throttled.extra["power_series"]
                   if name == "frequency_mhz:C"]
    assert frequencies[:3] == [500, 1000, 500]
    assert throttled.trace[0].finish > 1100
    first_cap = next(t for t, name, v in throttled.extra["power_series"]
                     if name == "frequency_mhz:C" and v == 500)
    assert first_cap == 440  # 42 + 20 (1 - 0.9^k) > 60 first at k = 22
    doc["power_model"]["thermal"]["throttling"] = False
    _, free = run(doc, [1000.0])
    assert free.trace[0].finish == 1000
    assert not [v for _, name, v in free.extra.get("power_series", [])
                if name.startswith("frequency")]
