"""Tests of the DS3 file reader (socsim.ds3) and of the built-ins generated from DS3 data."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from socsim import catalog
from socsim.ds3 import DS3Soc, read_ds3_job, read_ds3_soc
from socsim.errors import ConfigError
from socsim.platform import Platform

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "ds3").is_dir(),
                                reason="reference data ../shared/data is not available")

# Topcuoglu et al. 2002, reference/scheduling.md section 2: W (P1 P2 P3) and edges.
W_TABLE = {
    "n1": (14, 16, 9), "n2": (13, 19, 18), "n3": (11, 13, 19), "n4": (13, 8, 17),
    "n5": (12, 13, 10), "n6": (13, 16, 9), "n7": (7, 15, 11), "n8": (5, 11, 14),
    "n9": (18, 12, 20), "n10": (21, 7, 16),
}
CANONICAL_EDGES = {
    ("n1", "n2"): 18, ("n1", "n3"): 12, ("n1", "n4"): 9, ("n1", "n5"): 11, ("n1", "n6"): 14,
    ("n2", "n8"): 19, ("n2", "n9"): 16, ("n3", "n7"): 23, ("n4", "n8"): 27, ("n4", "n9"): 23,
    ("n5", "n9"): 13, ("n6", "n8"): 15, ("n7", "n10"): 17, ("n8", "n10"): 11,
    ("n9", "n10"): 13,
}

SOC_FILES = {
    "ds3/SoC.MULTIPLE_BAL.txt": ["A7", "A15", "MM", "FFT", "VIT"],
    "ds3/SoC.MULTIPLE_BAL_NoC.txt": ["A7", "A15", "MM", "FFT", "VIT"],
    "ds3/SoC.BAL_only.txt": ["A7", "A15"],
    "ds3/SoC.Top.txt": ["P1", "P2", "P3"],
    "ds3gym/DASH.SoC.Top.txt": ["P1", "P2", "P3"],
}


def shape(platform: Platform) -> tuple:
    """Everything the simulator uses from a platform (not name, description, source)."""
    return (platform.types, platform.clusters, platform.links, platform.timing,
            platform.energy_per_unit)


def named_edges(profile) -> dict[tuple[str, str], float]:
    names = profile.task_names
    return {(names[s], names[d]): v for s, d, v in profile.edges}


def named_costs(profile) -> dict[str, dict[str, float]]:
    return {name: dict(cost) for name, cost in zip(profile.task_names, profile.costs,
                                                   strict=True)}


def load_converter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("convert_ds3",
                                                  REPO / "experiments" / "convert_ds3.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ reading DS3's own files


@needs_data
@pytest.mark.parametrize("relpath", sorted(SOC_FILES))
def test_reads_every_soc_file(relpath: str) -> None:
    soc = read_ds3_soc(DATA / relpath)
    assert isinstance(soc, DS3Soc)
    assert soc.platform.type_names == SOC_FILES[relpath]
    assert soc.platform.timing == "ds3"
    assert "MEMORY" not in soc.platform.type_names and "M1" not in soc.platform.type_names
    for costs in soc.costs.values():
        assert set(costs) <= set(soc.platform.type_names)


@needs_data
def test_multiple_bal_clusters_links_and_power() -> None:
    platform = read_ds3_soc(DATA / "ds3" / "SoC.MULTIPLE_BAL.txt").platform
    sizes = {c.name: (platform.types[c.type_index].kind, c.size) for c in platform.clusters}
    assert sizes == {"A7": ("little", 4), "A15": ("big", 4), "MM": ("acc", 2),
                     "FFT": ("acc", 4), "VIT": ("acc", 2)}
    a7, a15, fft = (platform.pes_of_type[platform.type_index(n)][0] for n in ("A7", "A15", "FFT"))
    assert platform.link(a7, fft).bandwidth == 10
    assert platform.link(a7, a15).bandwidth == 1000
    assert platform.link(a7, a7 + 1).bandwidth == 1000  # comm_band 0 0: within a cluster
    assert platform.transfer_time(a7, fft, 3000) == 300
    little = platform.types[platform.type_index("A7")]
    by_mhz = {opp.mhz: opp for opp in little.opps}
    assert little.reference_opp == little.max_opp  # DS3 times are at the highest OPP
    assert by_mhz[1000].active_w == 0.19 and by_mhz[1400].active_w == 0.39
    assert by_mhz[1000].idle_w == pytest.approx((0.19 - 0.13) / 3)
    # 600 MHz has no power_profile: scaled from 1000 MHz by f V^2.
    assert by_mhz[600].active_w == pytest.approx(0.19 * 600 * 1000**2 / (1000 * 1150**2),
                                                 abs=1e-6)
    vit = platform.types[platform.type_index("VIT")]
    assert (vit.opps[0].active_w, vit.opps[0].idle_w) == (0.05885, 0.0)


@needs_data
def test_duplicate_functionality_keeps_first_time_like_ds3() -> None:
    soc = read_ds3_soc(DATA / "ds3" / "SoC.MULTIPLE_BAL.txt")
    assert soc.task_costs("viterbi_decoder") == {"A7": 1828, "A15": 739, "VIT": 2}
    assert soc.task_costs("descrambler") == {"A7": 3, "A15": 2}
    assert soc.duplicates == {"viterbi_decoder", "descrambler"}


@needs_data
def test_noc_file_gives_the_same_platform_as_multiple_bal() -> None:
    noc = read_ds3_soc(DATA / "ds3" / "SoC.MULTIPLE_BAL_NoC.txt")
    plain = read_ds3_soc(DATA / "ds3" / "SoC.MULTIPLE_BAL.txt")
    assert shape(noc.platform) == shape(plain.platform)
    assert noc.costs == plain.costs


@needs_data
def test_ds3_top_job_equals_ds3gym_top_job() -> None:
    ds3 = read_ds3_job(DATA / "ds3" / "job_Top.txt", DATA / "ds3" / "SoC.Top.txt")
    gym = read_ds3_job(DATA / "ds3gym" / "job_Top.txt", DATA / "ds3gym" / "DASH.SoC.Top.txt")
    assert named_costs(ds3) == named_costs(gym)
    assert named_edges(ds3) == named_edges(gym)


@needs_data
def test_builtin_files_equal_what_the_reader_produces_now() -> None:
    converter = load_converter()
    docs = converter.build_documents(DATA)
    out = REPO / "socsim" / "data"
    assert converter.stale_files(docs, out) == []
    on_disk = {str(p.relative_to(out)) for p in out.glob("*/*.yaml")
               if p.read_text(encoding="utf-8").startswith(converter.HEADER)}
    assert on_disk == set(docs)


@needs_data
@pytest.mark.parametrize(("name", "relpath"), [
    ("ds3_multiple_bal", "ds3/SoC.MULTIPLE_BAL.txt"), ("ds3_bal_only", "ds3/SoC.BAL_only.txt"),
    ("ds3_multiple_bal_noc", "ds3/SoC.MULTIPLE_BAL_NoC.txt"), ("ds3_top", "ds3/SoC.Top.txt")])
def test_builtin_platforms_equal_the_reader(name: str, relpath: str) -> None:
    assert shape(catalog.get_platform(name)) == shape(read_ds3_soc(DATA / relpath).platform)


# ------------------------------------------------------------------ built-ins (no data needed)


@pytest.mark.parametrize(("workload", "task", "costs"), [
    ("wifi_tx", "scrambler_encoder", {"A7": 22, "A15": 10}),
    ("wifi_tx", "ifft_3", {"A7": 296, "A15": 118, "FFT": 16}),
    ("wifi_tx", "end", {"A7": 0, "A15": 0}),
    ("wifi_rx", "fft_1", {"A7": 289, "A15": 114, "FFT": 12}),
    ("wifi_rx", "viterbi_decoder", {"A7": 1828, "A15": 739, "VIT": 2}),
    ("wifi_rx", "message_decode", {"A7": 90, "A15": 39}),
    ("lag", "xcorr_fft0", {"A7": 150, "A15": 60, "FFT": 30}),
    ("lag", "xcorr_vector_complex_conj_mul", {"A7": 75, "A15": 6}),
    ("sct", "viterbi_encoder", {"A7": 31, "A15": 9}),
    ("scr", "qpsk_demodulation", {"A7": 240, "A15": 96}),
    ("scr", "descrambler", {"A7": 3, "A15": 2}),
    ("temp_mit", "CMM_2", {"A7": 240, "A15": 54, "MM": 22}),
    ("temp_mit", "matrix_subtraction", {"A7": 72, "A15": 16}),
])
def test_ds3_app_costs_match_ds3_files(workload: str, task: str, costs: dict) -> None:
    assert named_costs(catalog.get_workload(workload))[task] == costs


@pytest.mark.parametrize(("workload", "src", "dst", "volume"), [
    ("wifi_tx", "scrambler_encoder", "interleaver_1", 2000),
    ("wifi_tx", "crc_5", "end", 3),
    ("wifi_rx", "format_conversion_3", "viterbi_decoder", 3000),
    ("lag", "xcorr_fft0", "xcorr_vector_complex_conj_mul", 150),
    ("temp_mit", "hermitian_opt", "CMM_2", 1),
    ("scr", "filter", "payload_extraction", 0),
])
def test_ds3_app_edges_match_ds3_files(workload: str, src: str, dst: str, volume: float) -> None:
    assert named_edges(catalog.get_workload(workload))[(src, dst)] == volume


def test_ds3_app_sizes() -> None:
    sizes = {name: (catalog.get_workload(name).num_tasks, len(catalog.get_workload(name).edges))
             for name in ("wifi_tx", "wifi_rx", "lag", "sct", "scr", "temp_mit")}
    assert sizes == {"wifi_tx": (27, 30), "wifi_rx": (34, 37), "lag": (7, 7), "sct": (8, 7),
                     "scr": (8, 7), "temp_mit": (10, 12)}


def test_canonical_costs_and_edges_match_the_paper() -> None:
    canonical = catalog.get_workload("canonical")
    assert canonical.task_names == tuple(W_TABLE)
    expected = {n: dict(zip(("P1", "P2", "P3"), w, strict=True)) for n, w in W_TABLE.items()}
    assert named_costs(canonical) == expected
    assert named_edges(canonical) == CANONICAL_EDGES


def test_top_is_the_canonical_dag() -> None:
    top = catalog.get_workload("top")
    rename = {f"task_{k}": f"n{k}" for k in range(1, 11)}
    assert {rename[t]: c for t, c in named_costs(top).items()} \
        == named_costs(catalog.get_workload("canonical"))
    assert {(rename[s], rename[d]): v for (s, d), v in named_edges(top).items()} \
        == CANONICAL_EDGES


@pytest.mark.parametrize("k", range(2, 11))
def test_top_variants_share_tasks_and_costs(k: int) -> None:
    top, variant = catalog.get_workload("top"), catalog.get_workload(f"top{k}")
    assert named_costs(variant) == named_costs(top)
    assert named_edges(variant) != named_edges(top)


def test_canonical3_transfers_take_the_full_volume() -> None:
    platform = catalog.get_platform("canonical3")
    assert platform.type_names == ["P1", "P2", "P3"] and platform.timing == "ds3"
    assert platform.transfer_time(0, 1, 18) == 18
    assert platform.transfer_time(2, 0, 9.5) == 9  # int(volume / 1)
    assert platform.transfer_time(1, 1, 18) == 0
    opp = platform.types[0].opps[0]
    assert (opp.mhz, opp.active_w) == (1000, 0.05885)


# ------------------------------------------------------------------ small synthetic files

KEYWORD_SOC = """\
# a comment
add_new_resource resource_type LTL resource_name L resource_ID 0 capacity 2 \
num_supported_functionalities 3 DVFS_mode performance
opp 500 800
opp 1000 1000
trip_freq -1 -1 -1
power_profile 1000 1.0 1.5
PG_profile 1000 0.8 1.5
f1 10
f2 20
f3 30
add_new_resource resource_type ACC_1 resource_name X resource_ID 1 capacity 1 \
num_supported_functionalities 1 DVFS_mode none
opp 1000 900
power_profile 1000 0.5
f2 4 4
add_new_resource resource_type MEM resource_name MEMORY resource_ID 2 capacity 1 \
num_supported_functionalities 1 DVFS_mode none
None 0
comm_band_self 10000
comm_band 0 0 50
comm_band 0 2 5
"""

POSITIONAL_SOC = """\
add_new_resource LTL L 0 2 3 performance
opp 500 800
opp 1000 1000
power_profile 1000 1.0 1.5
PG_profile 1000 0.8 1.5
f1 10 1
f2 20 1
f3 30 1
add_new_resource ACC_1 X 1 1 1 none
opp 1000 900
power_profile 1000 0.5
f2 4 4
add_new_resource MEM MEMORY 2 1 1 none
None 0 0
comm_band 0 0 50
"""

JOB = """\
job_name tiny
add_new_tasks 3
f1 0
f1 HEAD
f1 earliest_start 0 deadline 10 input_vol 0 output_vol 0
f2 1 0
f2 earliest_start 0 deadline 10
f3 2 0 1
f3 TAIL
comm_vol 0 1 7
comm_vol 1 2 3
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_keyword_and_positional_forms_read_alike(tmp_path: Path) -> None:
    keyword = read_ds3_soc(write(tmp_path, "SoC.K.txt", KEYWORD_SOC))
    positional = read_ds3_soc(write(tmp_path, "SoC.P.txt", POSITIONAL_SOC))
    assert shape(keyword.platform) == shape(positional.platform)
    assert keyword.costs == positional.costs == {"f1": {"L": 10}, "f2": {"L": 20, "X": 4},
                                                      "f3": {"L": 30}}
    assert keyword.platform.name == "ds3_k"


def test_power_rules(tmp_path: Path) -> None:
    platform = read_ds3_soc(write(tmp_path, "SoC.K.txt", KEYWORD_SOC)).platform
    low, high = platform.types[0].opps
    assert (high.active_w, high.idle_w) == (1.0, pytest.approx(0.2))  # (1.0 - 0.8) / (2 - 1)
    scale = 500 * 0.8**2 / (1000 * 1.0**2)
    assert low.active_w == pytest.approx(scale) and low.idle_w == pytest.approx(0.2 * scale)
    single = platform.types[1].opps[0]
    assert single.idle_w == pytest.approx(0.1 * single.active_w)  # 1-PE cluster fallback


def test_default_bandwidth_and_memory_links(tmp_path: Path) -> None:
    platform = read_ds3_soc(write(tmp_path, "SoC.K.txt", KEYWORD_SOC)).platform
    assert platform.num_pes == 3  # 2 L + 1 X; MEMORY is not a PE
    assert platform.link(0, 1).bandwidth == 50
    assert platform.link(0, 2).bandwidth == 1  # no comm_band 0 1: DS3's default


def test_job_joins_soc_costs(tmp_path: Path) -> None:
    soc = read_ds3_soc(write(tmp_path, "SoC.K.txt", KEYWORD_SOC))
    profile = read_ds3_job(write(tmp_path, "job_tiny.txt", JOB), soc)
    assert profile.name == "tiny"
    assert named_costs(profile) == {"f1": {"L": 10}, "f2": {"L": 20, "X": 4}, "f3": {"L": 30}}
    assert named_edges(profile) == {("f1", "f2"): 7, ("f1", "f3"): 0, ("f2", "f3"): 3}


def test_job_accepts_a_soc_path(tmp_path: Path) -> None:
    soc_path = write(tmp_path, "SoC.K.txt", KEYWORD_SOC)
    profile = read_ds3_job(write(tmp_path, "job.txt", JOB), soc_path, name="renamed")
    assert profile.name == "renamed" and profile.num_tasks == 3


# Each case: (SoC text, line number expected in the error, words of the problem).
BAD_SOCS = [
    ("add_new_resource LTL L 0 1 1 performance\nopp 1000 abc\nf 1\n", 2, "not a number"),
    ("add_new_resource LTL L 0 1 1 performance\nopp 1000\nf 1\n", 2, "value"),
    ("add_new_resource GPU G 0 1 1 performance\nopp 1000 900\nf 1\n", 1, "resource_type"),
    ("add_new_resource LTL L 0 1 2 performance\nopp 1000 900\nf 1\ncomm_band 0 0 5\n", 4,
     "declares 2 functionalities"),
    ("add_new_resource LTL L 0 1 2 performance\nopp 1000 900\nf 1\n", 1,
     "declares 2 functionalities"),
    ("add_new_resource LTL L 0 1 1 performance\nopp 1000 900\nf 1\ncomm_band 0 7 5\n", 4,
     "resource ID 7"),
    ("add_new_resource LTL L 0 1 1 performance\nopp 1000 900\nf 1\n"
     "add_new_resource BIG B 1 1 1 performance\nopp 1000 900\ng 1\ncomm_band 0 1 0\n", 7,
     "bandwidth"),
    ("add_new_resource LTL L 0 1 1 performance\nopp 1000 900\npower_profile 800 0.1\nf 1\n", 3,
     "matches no opp"),
    ("add_new_resource resource_type LTL resource_nam L resource_ID 0 capacity 1 "
     "num_supported_functionalities 1\nopp 1000 900\nf 1\n", 1, "unknown attribute"),
    ("add_new_resource LTL L 0 1\n", 1, "value"),
    ("add_new_resource LTL L 0 1 1 performance\nopp 1000 900\nf 1\nextra 3\n", 4,
     "not a DS3 SoC keyword"),
    ("add_new_resource LTL L 0 1 1 performance\nopp 1000 900\nf 1\n"
     "add_new_resource BIG B 0 1 1 performance\nopp 1000 900\ng 1\n", 4, "resource_ID 0"),
    ("add_new_resource LTL L 0 1 1 performance\nf 1\n", 1, "no opp line"),
    ("add_new_resource LTL L 0 0 1 performance\nopp 1000 900\nf 1\n", 1, "capacity"),
    ("add_new_resource LTL L 0 1 1 performance\nopp 1000 900\nf -3\n", 3, "execution time"),
    ("add_new_resource LTL L 0 1 1 performance\nopp 1000 900\nopp 1000 950\nf 1\n", 3,
     "repeats the OPP"),
]


@pytest.mark.parametrize(("text", "line", "problem"), BAD_SOCS)
def test_malformed_soc_names_file_and_line(tmp_path: Path, text: str, line: int,
                                           problem: str) -> None:
    path = write(tmp_path, "SoC.bad.txt", text)
    with pytest.raises(ConfigError) as info:
        read_ds3_soc(path)
    error = info.value
    assert error.source == str(path) and error.field == f"line {line}"
    assert problem in error.problem and error.fix
    assert str(path) in str(error) and f"line {line}" in str(error)


def test_soc_without_processing_resource(tmp_path: Path) -> None:
    path = write(tmp_path, "SoC.mem.txt", "add_new_resource MEM M 0 1 1 none\nNone 0\n")
    with pytest.raises(ConfigError, match="no processing resource"):
        read_ds3_soc(path)


GOOD_SOC = "add_new_resource CPU P 0 1 2 performance\nopp 1000 900\nf1 3\nf2 4\n"
BAD_JOBS = [
    ("add_new_tasks 2\nf1 0\nnope 1 0\n", 3, "nope"),
    ("add_new_tasks 2\nf1 0\nf2 1 5\n", 3, "predecessor ID 5"),
    ("add_new_tasks 2\nf1 0\nf2 1 0\ncomm_vol 1 0 4\n", 4, "not an edge"),
    ("add_new_tasks 3\nf1 0\nf2 1 0\n", 1, "declares 3 tasks"),
    ("add_new_tasks 2\nf1 zero\nf2 1 0\n", 2, "not an integer"),
    ("f1 0\nadd_new_tasks 1\n", 1, "before add_new_tasks"),
    ("add_new_tasks 2\nf1 0\nf1 1 0\n", 3, "defined twice"),
    ("add_new_tasks 2\nf1 0\nf2 0 0\n", 3, "task ID 0"),
    ("add_new_tasks 1\nf1 0\nf9 HEAD\n", 3, "names no task"),
    ("add_new_tasks 2\nf1 0\nf2 1 0\ncomm_vol 0 1 x\n", 4, "not a number"),
]


@pytest.mark.parametrize(("text", "line", "problem"), BAD_JOBS)
def test_malformed_job_names_file_and_line(tmp_path: Path, text: str, line: int,
                                           problem: str) -> None:
    soc = read_ds3_soc(write(tmp_path, "SoC.good.txt", GOOD_SOC))
    path = write(tmp_path, "job_bad.txt", text)
    with pytest.raises(ConfigError) as info:
        read_ds3_job(path, soc)
    error = info.value
    assert error.source == str(path) and error.field == f"line {line}"
    assert problem in error.problem and error.fix


def test_unsupported_task_error_names_the_task(tmp_path: Path) -> None:
    soc = read_ds3_soc(write(tmp_path, "SoC.good.txt", GOOD_SOC))
    path = write(tmp_path, "job_x.txt", "add_new_tasks 2\nf1 0\nfft_9 1 0\n")
    with pytest.raises(ConfigError, match="fft_9") as info:
        read_ds3_job(path, soc)
    assert "fft_9 TIME" in info.value.fix


def test_cyclic_job_is_rejected(tmp_path: Path) -> None:
    soc = read_ds3_soc(write(tmp_path, "SoC.good.txt", GOOD_SOC))
    path = write(tmp_path, "job_cycle.txt", "add_new_tasks 2\nf1 0 1\nf2 1 0\n")
    with pytest.raises(ConfigError, match="cycle") as info:
        read_ds3_job(path, soc)
    assert info.value.source == str(path)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        read_ds3_soc(tmp_path / "missing.txt")
