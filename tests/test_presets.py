"""The SoC presets and the edge-AI mixes: provenance, power model, DS3 compatibility, energy."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from socsim import catalog
from socsim.cli import main as cli_main
from socsim.dvfs import Fixed
from socsim.jobs import JobSource, Poisson
from socsim.schedulers import MinimumExecutionTime
from socsim.simulator import Simulator

REPO = Path(__file__).resolve().parents[1]
REFERENCE_JSON = REPO.parent / "shared" / "reference" / "workloads_profiles.json"
PRESETS = ("mobile_soc", "spinnaker2", "zynq_ultrascale")
DS3_APPS = ("wifi_tx", "wifi_rx", "lag", "sct", "scr", "temp_mit")
DS3_TYPES = ("A7", "A15", "MM", "FFT", "VIT")
# Reference PE powers (W) at the nominal operating point, workloads.md section 2.
NOMINAL_POWER = {"cpu_little": 0.35, "rpu_r5": 0.15, "gpu_mali400": 0.4, "fpga_dpu": 4.0,
                 "fpga_synapse": 1.28, "fpga_nnacc": 0.3, "cpu_big": 1.5,
                 "neuro_cluster32": 0.32, "neuro_pe": 0.01, "gpu_mobile": 2.5, "dsp_vliw": 1.0,
                 "npu": 1.5}


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_with_provenance_and_cost_models(name: str) -> None:
    platform = catalog.get_platform(name)
    assert platform.timing == "continuous" and platform.num_pes > 0
    for tag in ("[R]", "[E]"):
        assert tag in platform.description
    for pe_type in platform.types:
        if pe_type.name in DS3_TYPES[2:]:
            assert pe_type.cost_model is None  # DS3's radio accelerators: tabulated only
            continue
        assert pe_type.cost_model is not None and pe_type.cost_model.kinds
        nominal = pe_type.opps[pe_type.reference_opp]
        if pe_type.name in NOMINAL_POWER:
            assert nominal.active_w == pytest.approx(NOMINAL_POWER[pe_type.name])
        powers = [p.active_w for p in pe_type.opps]
        assert powers == sorted(powers) and all(p.idle_w < p.active_w for p in pe_type.opps)


def test_preset_composition() -> None:
    counts = {name: {t.name: len(p.pes_of_type[k]) for k, t in enumerate(p.types)}
              for name in PRESETS for p in [catalog.get_platform(name)]}
    assert counts["zynq_ultrascale"] == {"cpu_little": 4, "rpu_r5": 2, "gpu_mali400": 1,
                                         "fpga_dpu": 1, "fpga_synapse": 1, "fpga_nnacc": 2}
    assert counts["spinnaker2"] == {"cpu_big": 1, "neuro_cluster32": 4, "neuro_pe": 24}
    assert counts["mobile_soc"] == {"A7": 4, "A15": 4, "MM": 2, "FFT": 1, "VIT": 1,
                                    "gpu_mobile": 1, "dsp_vliw": 1, "npu": 1,
                                    "neuro_cluster32": 1, "fpga_nnacc": 1}
    # 152 SpiNNaker2 PEs: 4 clusters of 32 plus 24 single PEs.
    assert 4 * 32 + 24 == 152


def test_dvfs_power_follows_the_reference_model() -> None:
    # P(f, V) = (P - P_idle) (V/V_nom)^2 f/f_nom + P_idle V/V_nom (workloads.md section 7).
    gpu = catalog.get_platform("mobile_soc").types[5]
    assert gpu.name == "gpu_mobile" and [p.mhz for p in gpu.opps] == [400, 600, 800]
    low = gpu.opps[0]
    assert low.active_w == pytest.approx(2.4 * (700 / 900) ** 2 * 0.5 + 0.1 * 700 / 900,
                                         abs=1e-6)
    a53 = catalog.get_platform("zynq_ultrascale").types[0]  # fixed 1.0 V: P linear in f
    assert [p.mhz for p in a53.opps] == [300, 400, 600, 1200]
    assert a53.opps[2].active_w == pytest.approx(0.32 * 0.5 + 0.03)
    neuro = catalog.get_platform("spinnaker2").types[2]
    assert [p.active_w for p in neuro.opps] == pytest.approx([0.0042, 0.010, 0.028])
    assert neuro.opps[neuro.reference_opp].mhz == 250


def test_mobile_soc_keeps_ds3_types_and_their_power() -> None:
    mobile, ds3 = catalog.get_platform("mobile_soc"), catalog.get_platform("ds3_multiple_bal")
    for name in DS3_TYPES:
        ours, theirs = (p.types[p.type_index(name)] for p in (mobile, ds3))
        assert ours.opps == theirs.opps and ours.reference_opp == theirs.reference_opp


@pytest.mark.parametrize("app", DS3_APPS)
def test_ds3_apps_run_on_mobile_soc_with_their_own_times(app: str) -> None:
    mobile, ds3 = catalog.get_platform("mobile_soc"), catalog.get_platform("ds3_multiple_bal")
    profile = catalog.get_workload(app)
    ours, theirs = profile.bind(mobile), profile.bind(ds3)
    for task in range(profile.num_tasks):
        for name in DS3_TYPES:
            assert ours.cost[task][mobile.type_index(name)] == \
                theirs.cost[task][ds3.type_index(name)]
        # The AI engines cannot run DS3's tabulated tasks.
        assert math.isinf(ours.cost[task][mobile.type_index("npu")])


@pytest.mark.parametrize("mix", ["edge_ai", "radio", "mixed"])
def test_mixes_run_on_their_platform(mix: str) -> None:
    spec = catalog.get_mix(mix)
    assert spec.platform == "mobile_soc"
    platform = catalog.get_platform(spec.platform)
    profiles = [catalog.get_workload(name).bind(platform) for name in spec.weights]
    source = JobSource(profiles, weights=list(spec.weights.values()),
                       arrivals=Poisson(500.0), max_jobs=30, max_in_system=12)
    result = Simulator(platform, source, seed=4).run(MinimumExecutionTime())
    assert result.metrics["completed"] == 30


def test_mix_contents() -> None:
    edge, radio, mixed = (catalog.get_mix(m) for m in ("edge_ai", "radio", "mixed"))
    assert set(radio.weights) == set(DS3_APPS)
    assert len(edge.weights) == 11 and set(mixed.weights) == set(edge.weights) | set(radio.weights)
    p = mixed.probabilities()
    assert sum(p[name] for name in radio.weights) == pytest.approx(0.5)


def test_cli_simulates_the_main_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["simulate", "--platform", "mobile_soc", "--mix", "edge_ai",
                     "--jobs", "20"]) == 0
    out = capsys.readouterr().out
    assert "mobile_soc" in out and "completed" in out


@pytest.mark.parametrize("workload", ["pulsedl2_pulse", "ohq_mbv3large_mixed",
                                      "egru_dvs_gesture"])
def test_emulator_energy_equals_the_cost_model_at_reference_opps(workload: str) -> None:
    # At each type's reference OPP the emulator books active power x cost, which is the
    # cost model's energy without its DRAM streaming term (BoundProfile.dram_energy).
    platform = catalog.get_platform("mobile_soc")
    profile = catalog.get_workload(workload).bind(platform)
    source = JobSource([profile], arrivals=Poisson(300.0), max_jobs=4)
    sim = Simulator(platform, source, seed=2, dvfs=Fixed(), keep_trace=True)
    seen: dict[int, object] = {}

    class Remember(MinimumExecutionTime):
        def decide(self, view):
            for job in view.new_jobs:
                seen[job] = view.profile(job)
            return super().decide(view)

    result = sim.run(Remember())
    names = profile.profile.task_names
    assert len(result.trace) == 4 * profile.num_tasks
    for record in result.trace:
        job_profile = seen[record.job]
        task, k = names.index(record.task), platform.pe_type[record.pe]
        model = job_profile.energy(task, k) - job_profile.dram_energy[task][k]
        assert record.energy == pytest.approx(model, rel=1e-9)
        assert record.finish - record.start == pytest.approx(job_profile.cost[task][k])


@pytest.mark.skipif(not REFERENCE_JSON.is_file(), reason="reference note data not present")
def test_builtin_files_equal_what_the_converter_produces_now() -> None:
    path = REPO / "experiments" / "convert_reference_workloads.py"
    spec = importlib.util.spec_from_file_location("convert_reference_workloads", path)
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    assert converter.main([str(REFERENCE_JSON), "--check"]) == 0
