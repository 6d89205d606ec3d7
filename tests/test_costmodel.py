"""Tests of socsim.costmodel and of the ops / cost_model / activity file formats."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from socsim import costmodel
from socsim.costmodel import ActivityModel, PECostModel, TaskOps
from socsim.errors import ConfigError
from socsim.platform import Platform, load_platform
from socsim.workload import JobProfile, load_profile

# The reference note's cpu_big, gpu_mobile and neuro_cluster32 rows (section 2), per us.
CPU = PECostModel(kinds=frozenset(costmodel.TASK_KINDS),
                  mac_rate={"fp32": 3e3, "fp16": 3e3, "int16": 4.5e3, "int8": 6e3},
                  sop_rate=300.0, elem_rate=1.5e3, bandwidth=1e4, onchip_bytes=1048576,
                  overhead_us=5.0)
GPU = PECostModel(kinds=frozenset({"spk", "egru", "conv"}),
                  mac_rate={"fp32": 40e3, "fp16": 80e3, "int16": 80e3, "int8": 120e3},
                  sop_rate=0.0, elem_rate=20e3, bandwidth=25e3, onchip_bytes=262144,
                  overhead_us=15.0)
NEURO = PECostModel(kinds=frozenset({"spk", "egru", "twopoint"}),
                    mac_rate={"fp32": 2.56e3, "int16": 51.2e3, "int8": 204.8e3},
                    sop_rate=1.024e3, elem_rate=320.0, bandwidth=6.4e3, onchip_bytes=4194304,
                    overhead_us=4.0)
# t0_egru1 of egru_lm_wt2_win6: in 750 (dense embedding), hidden 1350, 5 % of weights kept.
EGRU1 = TaskOps(kind="egru", precision="fp32", spike_macs=425250,
                event_fraction=1350 / 2100, elem_ops=13500, weight_bytes=2551500,
                output_bytes=1080)


def test_reproduces_the_reference_table() -> None:
    # workloads.md section 3e, t0_egru1 at activity 0.2: latency us / energy uJ.
    assert EGRU1.event_ops(0.2) == pytest.approx(206550)
    for model, power, want in ((CPU, 1.5, (155.75, 293.742)), (GPU, 2.5, (106.57, 358.01)),
                               (NEURO, 0.32, (212.3, 67.936))):
        got = (costmodel.latency(EGRU1, model, 0.2), costmodel.energy(EGRU1, model, 0.2, power))
        assert got == pytest.approx(want, rel=2e-3)


def test_dense_pe_ignores_activity_event_pe_follows_it() -> None:
    spk = TaskOps(kind="spk", precision="int8", spike_macs=1e8, elem_ops=1e5)
    gpu = [costmodel.latency(spk, GPU, a) for a in (0.05, 0.1, 0.2, 0.3)]
    cpu = [costmodel.latency(spk, CPU, a) for a in (0.001, 0.01, 0.02, 0.04)]
    assert len(set(gpu)) == 1
    assert cpu == sorted(cpu) and len(set(cpu)) == 4
    parts = costmodel.breakdown(spk, CPU, 0.01)
    assert parts.event_path and parts.synaptic_us == pytest.approx(1e8 * 0.01 / 300)
    # Above the break-even activity the CPU runs the layer densely.
    assert not costmodel.breakdown(spk, CPU, 0.5).event_path


def test_memory_bound_and_overhead() -> None:
    fc = TaskOps(kind="conv", precision="int8", macs=1e3, weight_bytes=262144 + 25e3 * 100)
    parts = costmodel.breakdown(fc, GPU, 0.0)
    assert parts.streamed_bytes == 2.5e6 and parts.memory_us == pytest.approx(100)
    assert parts.latency_us == pytest.approx(115)
    assert costmodel.dram_energy(fc, GPU, 0.0) == pytest.approx(2.5e6 * 40e-6)


def test_precision_fallback_and_downcast() -> None:
    assert CPU.unit("int4") == "int8"
    assert NEURO.unit("fp16") == "fp32"
    npu = PECostModel(kinds=frozenset({"egru"}), mac_rate={"int8": 800e3, "fp16": 200e3},
                      sop_rate=0, elem_rate=1e5, bandwidth=25e3)
    assert npu.unit("fp32") is None
    egru = TaskOps(kind="egru", precision="fp32", spike_macs=10)
    assert not costmodel.is_eligible(egru, npu)
    assert "no MAC unit for fp32" in costmodel.ineligibility(egru, npu)
    downcasting = PECostModel(**{**npu.__dict__, "downcast": True})
    assert downcasting.unit("fp32") == "fp16" and costmodel.is_eligible(egru, downcasting)
    # A task without MACs needs no MAC unit, only its kind.
    assert costmodel.is_eligible(TaskOps(kind="egru", precision="fp32", elem_ops=5), npu)
    assert math.isinf(costmodel.latency(TaskOps(kind="io", precision="fp32"), npu, 0.1))
    assert costmodel.ineligibility(TaskOps(kind="io", precision="fp32"), None) == "no cost_model"


def test_gated_macs_and_weights_scale_with_activity() -> None:
    decoder = TaskOps(kind="decoder", precision="fp32", gated_macs=1e6, gated_weight_bytes=4e6)
    assert decoder.activity_dependent and decoder.real_macs(0.2) == pytest.approx(2e5)
    assert decoder.weights(0.5) == pytest.approx(2e6)
    low, high = (costmodel.latency(decoder, CPU, a) for a in (0.1, 0.3))
    assert low < high


def test_activity_scale_and_input_activity() -> None:
    ops = TaskOps(kind="egru", precision="fp32", spike_macs=100, event_fraction=0.25,
                  input_activity=0.5, activity_scale=2.0)
    assert ops.layer_activity(0.3) == pytest.approx(0.6)
    assert ops.layer_activity(0.9) == 1.0
    assert ops.event_ops(0.3) == pytest.approx(100 * (0.75 * 0.5 + 0.25 * 0.6))
    assert not TaskOps(kind="twopoint", precision="int16", spike_macs=10,
                       event_fraction=0).activity_dependent


def test_activity_model_levels_and_draws() -> None:
    model = ActivityModel(nominal=0.2, low=0.05, high=0.3, levels=5)
    assert model.grid() == pytest.approx([0.075, 0.125, 0.175, 0.225, 0.275])
    assert [model.level(a) for a in (0.0, 0.05, 0.1, 0.2999, 0.3, 0.9)] == [0, 0, 1, 4, 4, 4]
    draws = [model.draw(np.random.default_rng(7)) for _ in range(2)]
    assert draws[0] == draws[1] and 0.05 <= draws[0] <= 0.3
    fixed = ActivityModel(nominal=0.1)
    assert not fixed.varies and fixed.grid() == () and fixed.draw(np.random.default_rng()) == 0.1


# ----------------------------------------------------------------------------- file formats

PLATFORM = {
    "name": "p",
    "pe_types": [
        {"name": "CPU", "opps": [{"mhz": 1000, "active_w": 1.0}],
         "cost_model": {"kinds": ["conv", "io"], "gmac_per_s": {"int8": 6, "fp32": 3},
                        "gsop_per_s": 0.3, "gelem_per_s": 1.5, "dram_gbyte_per_s": 10,
                        "onchip_bytes": 1000, "overhead_us": 5}},
        {"name": "ACC", "opps": [{"mhz": 500, "active_w": 0.5}], "cost_model":
            {"kinds": ["conv"], "gmac_per_s": {"int8": 60}, "gelem_per_s": 10,
             "dram_gbyte_per_s": 5}},
        {"name": "OLD", "opps": [{"mhz": 500, "active_w": 0.5}]},
    ],
    "clusters": [{"name": "cpu", "type": "CPU"}, {"name": "acc", "type": "ACC"},
                 {"name": "old", "type": "OLD"}],
}
WORKLOAD = {
    "name": "w",
    "tasks": [
        {"name": "read", "ops": {"kind": "io", "precision": "int8", "elem_ops": 1500,
                                 "output_bytes": 64}},
        {"name": "conv", "ops": {"kind": "conv", "precision": "int4", "macs": 6e6,
                                 "weight_bytes": 2000}},
        {"name": "legacy", "cost": {"OLD": 7}},
    ],
    "edges": [["read", "conv"], ["conv", "legacy", 10]],
}


def test_cost_model_block_is_read_in_file_units() -> None:
    platform = Platform.from_dict(PLATFORM)
    cpu = platform.types[0].cost_model
    assert cpu.mac_rate == {"int8": 6e3, "fp32": 3e3} and cpu.sop_rate == 300
    assert cpu.bandwidth == 1e4 and cpu.kinds == {"conv", "io"}
    assert platform.types[2].cost_model is None
    again = Platform.from_dict({**PLATFORM, "pe_types": [
        {**PLATFORM["pe_types"][0], "cost_model": cpu.to_dict()}, *PLATFORM["pe_types"][1:]]})
    assert again.types[0].cost_model == cpu


def test_op_based_and_tabulated_tasks_bind_together() -> None:
    platform = Platform.from_dict(PLATFORM)
    profile = JobProfile.from_dict(WORKLOAD)
    assert profile.costs[0] == {} and profile.task_ops(2) is None
    assert profile.edges == ((0, 1, 64.0), (1, 2, 10.0))  # volume from output_bytes
    bound = profile.bind(platform)
    assert bound.cost[0] == [pytest.approx(6.0), math.inf, math.inf]
    # int4 falls back to int8: 6e6 / 6e3 + 5 us on the CPU, 6e6 / 60e3 on the accelerator.
    assert bound.cost[1] == [pytest.approx(1005.0), pytest.approx(100.0), math.inf]
    assert bound.cost[2] == [math.inf, math.inf, 7.0]
    assert bound.dram_energy[1][0] == pytest.approx(1000 * 40e-6)
    assert bound.energy(1, 0) == pytest.approx(1005.0 + 0.04)
    assert bound.activity is None and bound.variants == ()
    assert JobProfile.from_dict(profile.to_dict()).bind(platform).cost == bound.cost


def test_activity_variants_share_the_dag() -> None:
    platform = Platform.from_dict(PLATFORM)
    doc = {"name": "s", "activity": {"nominal": 0.02, "uniform": [0.0, 0.04], "levels": 4},
           "tasks": [{"name": "a", "ops": {"kind": "conv", "precision": "int8",
                                           "spike_macs": 6e6}},
                     {"name": "b", "ops": {"kind": "io", "precision": "int8"}}],
           "edges": [["a", "b"]]}
    bound = JobProfile.from_dict(doc).bind(platform)
    assert [v.activity for v in bound.variants] == pytest.approx([0.005, 0.015, 0.025, 0.035])
    cpu_costs = [v.cost[0][0] for v in bound.variants]
    assert cpu_costs == sorted(cpu_costs) and len(set(cpu_costs)) == 4
    assert {v.cost[0][1] for v in bound.variants} == {100.0}  # dense accelerator
    for variant in bound.variants:
        assert variant.succs is bound.succs and variant.eligible_pes is bound.eligible_pes
        assert variant.cost[1] is bound.cost[1]  # activity-free rows are shared
        assert variant.name == "s" and variant.variants == ()
    assert bound.variant_for(0.031) is bound.variants[3]
    assert bound.variant_for(-1) is bound.variants[0]
    assert JobProfile.from_dict(JobProfile.from_dict(doc).to_dict()).activity == \
        JobProfile.from_dict(doc).activity


def write(tmp_path: Path, doc: Any, name: str) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return path


def task_with(**ops: Any) -> dict[str, Any]:
    return {"name": "w", "tasks": [{"name": "t", "ops": {"kind": "conv", "precision": "int8",
                                                         **ops}}]}


@pytest.mark.parametrize(("doc", "field", "words"), [
    ({"name": "w", "tasks": [{"name": "t", "ops": {"precision": "int8"}}]},
     "tasks[0].ops.kind", "add 'kind'"),
    (task_with(kind="convolution"), "tasks[0].ops.kind", "use one of"),
    (task_with(precision="int3"), "tasks[0].ops.precision", "'int3'"),
    (task_with(macs=-1), "tasks[0].ops.macs", "at least 0"),
    (task_with(macs=float("nan")), "tasks[0].ops.macs", "finite"),
    (task_with(mac=5), "tasks[0].ops.mac", "remove it or use one of"),
    (task_with(spike_macs=10, event_fraction=1.5), "tasks[0].ops.event_fraction", "at most 1"),
    (task_with(activity_scale=0), "tasks[0].ops.activity_scale", "greater than 0"),
    (task_with(spike_macs=10), "tasks[0].ops", "add 'activity:"),
    (task_with(gated_macs=10), "tasks[0].ops", "no 'activity'"),
    ({"name": "w", "tasks": [{"name": "t", "cost": {"A": 1},
                              "ops": {"kind": "io", "precision": "int8"}}]},
     "tasks[0]", "not both"),
    ({"name": "w", "tasks": [{"name": "t"}]}, "tasks[0].cost", "or 'ops'"),
    ({**task_with(), "activity": {"uniform": [0.3, 0.1]}}, "activity.uniform", "low < high"),
    ({**task_with(), "activity": {"uniform": [0.1]}}, "activity.uniform", "[low, high]"),
    ({**task_with(), "activity": {"uniform": [0.1, 1.5]}}, "activity.uniform[1]", "at most 1"),
    ({**task_with(), "activity": {"nominal": 0.5, "uniform": [0.1, 0.3]}}, "activity.nominal",
     "inside the range"),
    ({**task_with(), "activity": {"uniform": [0.1, 0.3], "levels": 0}}, "activity.levels",
     "at least 1"),
    ({**task_with(), "activity": {"mean": 0.2}}, "activity.mean", "remove it"),
    ({**task_with(), "activity": {"levels": 4}}, "activity", "nominal"),
])
def test_malformed_op_based_workloads(tmp_path: Path, doc: dict[str, Any], field: str,
                                      words: str) -> None:
    path = write(tmp_path, doc, "bad_workload.yaml")
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    error = info.value
    assert error.source == str(path) and error.field == field
    assert words in str(error) and "Fix:" in str(error)


def cost_model_with(**changes: Any) -> dict[str, Any]:
    block = {**PLATFORM["pe_types"][0]["cost_model"], **changes}
    return {**PLATFORM, "pe_types": [{**PLATFORM["pe_types"][0], "cost_model": {
        k: v for k, v in block.items() if v is not None}}, *PLATFORM["pe_types"][1:]]}


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"kinds": None}, "pe_types[0].cost_model.kinds", "add 'kinds'"),
    ({"kinds": []}, "pe_types[0].cost_model.kinds", "list the task kinds"),
    ({"kinds": ["conv", "spiking"]}, "pe_types[0].cost_model.kinds[1]", "use one of"),
    ({"gmac_per_s": {"int3": 1}}, "pe_types[0].cost_model.gmac_per_s.int3", "precision"),
    ({"gmac_per_s": {"int8": 0}}, "pe_types[0].cost_model.gmac_per_s.int8", "greater than 0"),
    ({"gmac_per_s": [6]}, "pe_types[0].cost_model.gmac_per_s", "key: value"),
    ({"gsop_per_s": -1}, "pe_types[0].cost_model.gsop_per_s", "greater than 0"),
    ({"gelem_per_s": None}, "pe_types[0].cost_model.gelem_per_s", "add 'gelem_per_s'"),
    ({"dram_gbyte_per_s": "fast"}, "pe_types[0].cost_model.dram_gbyte_per_s", "a number"),
    ({"overhead_us": -5}, "pe_types[0].cost_model.overhead_us", "at least 0"),
    ({"downcast": "yes"}, "pe_types[0].cost_model.downcast", "true or false"),
    ({"gops": 5}, "pe_types[0].cost_model.gops", "remove it"),
])
def test_malformed_cost_model_blocks(tmp_path: Path, changes: dict[str, Any], field: str,
                                     words: str) -> None:
    path = write(tmp_path, cost_model_with(**changes), "bad_platform.yaml")
    with pytest.raises(ConfigError) as info:
        load_platform(path)
    error = info.value
    assert error.source == str(path) and error.field == field
    assert words in str(error) and "Fix:" in str(error)


def test_task_no_pe_type_can_run_names_the_reasons(tmp_path: Path) -> None:
    platform = Platform.from_dict(PLATFORM)
    path = write(tmp_path, task_with(kind="egru", precision="fp32"), "w.yaml")
    with pytest.raises(ConfigError) as info:
        load_profile(path).bind(platform)
    error = info.value
    assert error.source == str(path) and error.field == "tasks[0].ops"
    assert "CPU: kind 'egru' not in its kinds" in error.problem
    assert "OLD: no cost_model" in error.problem
    assert "add 'egru' to the kinds" in error.fix
    accelerator_only = Platform.from_dict({**PLATFORM, "pe_types": PLATFORM["pe_types"][1:],
                                           "clusters": PLATFORM["clusters"][1:]})
    path = write(tmp_path, task_with(precision="fp16", macs=1), "w2.yaml")
    with pytest.raises(ConfigError, match="ACC: no MAC unit for fp16 or wider"):
        load_profile(path).bind(accelerator_only)


# ----------------------------------------------------------------------------- issue 18 rules

# The reference note's hypothetical spike-driven core (section 2, snn_asic), per us.
SNN = PECostModel(kinds=frozenset({"spk"}), mac_rate={"int8": 64e3}, sop_rate=256e3,
                  elem_rate=64e3, bandwidth=1e4, onchip_bytes=8388608, overhead_us=2.0,
                  event_driven=True)


def test_event_layer_at_two_activities_on_an_event_driven_pe() -> None:
    # 1e6 dense-equivalent MACs on spikes, 1e4 neuron updates, 2 us dispatch:
    # latency = a x 1e6 / 256e3 + 1e4 / 64e3 + 2 us; the last two are the floor.
    layer = TaskOps(kind="spk", precision="int8", spike_macs=1e6, elem_ops=1e4)
    low, high = (costmodel.breakdown(layer, SNN, a) for a in (0.1, 0.3))
    assert low.synaptic_us == pytest.approx(0.390625)
    assert high.synaptic_us == pytest.approx(1.171875)
    assert low.floor_us == high.floor_us == pytest.approx(0.15625 + 2.0)
    assert low.latency_us == pytest.approx(2.546875)
    assert high.latency_us == pytest.approx(3.328125)
    assert costmodel.energy(layer, SNN, 0.3, 0.5) == pytest.approx(0.5 * 3.328125)
    assert costmodel.synaptic_energy(layer, SNN, 0.1, 0.5) == pytest.approx(0.5 * 0.390625)
    # A dense PE pays the same 1e6 MACs at both activities.
    assert costmodel.latency(layer, GPU, 0.1) == costmodel.latency(layer, GPU, 0.3)


def test_event_driven_pe_never_takes_a_dense_path_for_spikes() -> None:
    # With a dense unit 10x faster than its event rate, an ordinary event-capable PE runs
    # a busy spiking layer densely; an event-driven one has no such path.
    fast_dense = {"mac_rate": {"int8": 2560e3}}
    layer = TaskOps(kind="spk", precision="int8", spike_macs=1e6)
    plain = PECostModel(**{**SNN.__dict__, **fast_dense, "event_driven": False})
    driven = PECostModel(**{**SNN.__dict__, **fast_dense})
    assert not costmodel.breakdown(layer, plain, 0.5).event_path
    assert costmodel.latency(layer, plain, 0.3) == costmodel.latency(layer, plain, 0.5)
    parts = costmodel.breakdown(layer, driven, 0.5)
    assert parts.event_path and parts.synaptic_us == pytest.approx(0.5e6 / 256e3)
    assert costmodel.latency(layer, driven, 0.3) < costmodel.latency(layer, driven, 0.5)
    # Real-valued MACs are paid densely on every PE: a floor activity does not move.
    mixed = TaskOps(kind="spk", precision="int8", macs=64e3, spike_macs=1e6)
    assert costmodel.breakdown(mixed, SNN, 0.0).compute_us == pytest.approx(1.0)


def test_mixed_precision_layer_with_and_without_an_int4_unit() -> None:
    # 1.4e6 MACs; an NPU with int4 (1400e3/us) and int8 (800e3/us) units, 15 us dispatch.
    npu = PECostModel(kinds=frozenset({"conv"}), mac_rate={"int4": 1400e3, "int8": 800e3},
                      sop_rate=0.0, elem_rate=1e5, bandwidth=25e3, overhead_us=15.0)
    no_int4 = PECostModel(**{**npu.__dict__, "mac_rate": {"int8": 800e3}})
    int4, int8 = (TaskOps(kind="conv", precision=p, macs=1.4e6) for p in ("int4", "int8"))
    assert costmodel.latency(int4, npu, 0.0) == pytest.approx(1.0 + 15.0)
    assert costmodel.latency(int8, npu, 0.0) == pytest.approx(1.75 + 15.0)
    # Without an int4 unit the 4-bit layer falls back to int8 and gains nothing.
    assert no_int4.unit("int4") == "int8"
    assert costmodel.latency(int4, no_int4, 0.0) == costmodel.latency(int8, no_int4, 0.0) \
        == pytest.approx(16.75)


def test_event_driven_flag_in_files() -> None:
    doc = {**PLATFORM["pe_types"][0]["cost_model"], "event_driven": True}
    platform = Platform.from_dict({**PLATFORM, "pe_types": [
        {**PLATFORM["pe_types"][0], "cost_model": doc}, *PLATFORM["pe_types"][1:]]})
    model = platform.types[0].cost_model
    assert model.event_driven and model.to_dict()["event_driven"] is True
    assert "event_driven" not in PECostModel(**{**model.__dict__,
                                                "event_driven": False}).to_dict()


@pytest.mark.parametrize(("changes", "words"), [
    ({"event_driven": "yes"}, "true or false"),
    ({"event_driven": True, "gsop_per_s": None}, "no gsop_per_s"),
])
def test_malformed_event_driven(tmp_path: Path, changes: dict[str, Any], words: str) -> None:
    path = write(tmp_path, cost_model_with(**changes), "bad_platform.yaml")
    with pytest.raises(ConfigError) as info:
        load_platform(path)
    assert info.value.field == "pe_types[0].cost_model.event_driven"
    assert words in str(info.value) and "Fix:" in str(info.value)


def test_builtin_spiking_core_and_synapse_engine_are_event_driven() -> None:
    from socsim import catalog

    for platform, name in (("spiking_soc", "snn_asic"), ("zynq_ultrascale", "fpga_synapse")):
        target = catalog.get_platform(platform)
        assert target.types[target.type_index(name)].cost_model.event_driven
    for name in ("neuro_cluster32", "gpu_mobile", "npu"):  # a dense MAC array / dense PEs
        target = catalog.get_platform("spiking_soc")
        assert not target.types[target.type_index(name)].cost_model.event_driven
