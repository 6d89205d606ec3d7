"""Reproducers of hostile or careless input files, each ending in one clear error.

Every case here once hung, raised a traceback, or was silently accepted
(issue 11: resource exhaustion from small files, duplicate keys and names,
huge numbers, DS3 files from the command line). Each test asserts the key
parts of the error: the file, the field and the fix.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

from socsim import catalog
from socsim.agents.instance import load_instance
from socsim.agents.sweep import load_sweep
from socsim.cli import main
from socsim.documents import MAX_ALIAS_NODES, MAX_DEPTH, read_document
from socsim.errors import ConfigError
from socsim.jobs import FixedRate, JobSource, Poisson, Trace
from socsim.platform import MAX_PES, Platform, load_platform
from socsim.workload import JobProfile, load_profile

REPO = Path(__file__).resolve().parents[1]
DS3_DATA = REPO.parent / "shared" / "data" / "ds3"

PLATFORM = """\
name: tiny
pe_types:
  - name: A
    opps: [{mhz: 1000, active_w: 0.5, idle_w: 0.05}]
clusters:
  - {name: a, type: A, count: 2}
"""

WORKLOAD = """\
name: job
tasks:
  - {name: t1, cost: {A: 3}}
  - {name: t2, cost: {A: 4}}
edges:
  - [t1, t2, 10]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def expect(load, path: Path, field: str | None, *words: str) -> ConfigError:
    """``load()`` must raise a ConfigError naming ``path`` (and ``field``) with ``words``."""
    with pytest.raises(ConfigError) as info:
        load()
    error = info.value
    message = str(error)
    assert error.source == str(path) and str(path) in message
    if field is not None:
        assert error.field == field and f"'{field}'" in message
    assert error.fix and "Fix:" in message
    for word in words:
        assert word in message, (word, message)
    return error


def billion_laughs() -> str:
    """The classic alias bomb: nine levels of nine aliases, under 500 bytes."""
    letters = "abcdefghij"
    lines = ["a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]"]
    for prev, key in itertools.pairwise(letters):
        lines.append(f"{key}: &{key} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\nname: *j\n"


# ------------------------------------------------------------ resource exhaustion


def test_alias_bomb_ends_fast_with_a_clear_error(tmp_path: Path) -> None:
    text = billion_laughs()
    assert len(text) < 500
    path = write(tmp_path, "bomb.yaml", text)
    for load in (lambda: load_platform(path), lambda: load_profile(path),
                 lambda: load_instance(path), lambda: catalog.get_mix(path),
                 lambda: load_sweep(path)):
        start = time.perf_counter()
        error = expect(load, path, "<file>", "aliases", f"{MAX_ALIAS_NODES:,}")
        assert time.perf_counter() - start < 2.0
        assert "billion laughs" in error.fix


def test_small_alias_use_is_fine(tmp_path: Path) -> None:
    text = PLATFORM.replace("  - name: A\n    opps: [", "  - name: A\n    opps: &opps [") \
        + "  - {name: b, type: B}\n"
    text = text.replace("clusters:", "  - {name: B, opps: *opps}\nclusters:")
    platform = load_platform(write(tmp_path, "p.yaml", text))
    assert platform.types[0].opps == platform.types[1].opps
    merged = read_document(write(tmp_path, "m.yaml", "base: &b {x: 1, y: 2}\n"
                                 "other: {<<: *b, y: 3}\n"))
    assert merged["other"] == {"x": 1, "y": 3}  # a merge key may override, not a duplicate


def test_recursive_alias(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "name: &n [a, *n]\n")
    expect(lambda: load_platform(path), path, "name[1]", "itself", "alias")


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deep_nesting(tmp_path: Path, suffix: str, depth: int) -> None:
    path = write(tmp_path, f"w{suffix}", "[" * depth + "]" * depth)
    error = expect(lambda: load_profile(path), path, "<file>", f"more than {MAX_DEPTH} levels")
    assert "flatten" in error.fix


def test_deep_nesting_through_aliases(tmp_path: Path) -> None:
    half = MAX_DEPTH // 2 + 2
    text = "a: &a " + "[" * half + "]" * half + "\nb: " + "[" * half + "*a" + "]" * half + "\n"
    path = write(tmp_path, "w.yaml", text)
    expect(lambda: load_profile(path), path, "<file>", "aliases are expanded")


def test_file_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from socsim import documents
    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", 1024)
    path = write(tmp_path, "w.yaml", WORKLOAD + "# padding\n" * 200)
    expect(lambda: load_profile(path), path, "<file>", "larger than")


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    expect(lambda: load_platform(path), path, "<file>", "not UTF-8", "save the file as UTF-8")


def test_python_tags_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = write(tmp_path, "p.yaml", f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    expect(lambda: load_platform(path), path, "<file>", "tag")
    assert not marker.exists()


def test_integer_with_too_many_digits(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("A: 3", "A: " + "9" * 5000))
    expect(lambda: load_profile(path), path, "<file>", "digits")


@pytest.mark.parametrize("loader", ["_PythonLoader", "_LibyamlLoader"])
def test_both_yaml_loaders_apply_the_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            loader: str) -> None:
    """libyaml (when installed) and the pure-Python parser give the same answers."""
    from socsim import yaml_reader
    if not hasattr(yaml_reader, loader):
        pytest.skip("PyYAML was built without libyaml")
    monkeypatch.setattr(yaml_reader, "_Loader", getattr(yaml_reader, loader))
    cases = [(billion_laughs(), "<file>", "aliases"), ("[" * 5000 + "]" * 5000, "<file>", "levels"),
             ("name: &n [a, *n]\n", "name[1]", "itself"), ("a: 1\na: 2\n", "a", "twice"),
             ("a: [1\nb: 2\n", "<file>", "line 2"), ("a: *nope\n", "<file>", "alias")]
    for k, (text, field, word) in enumerate(cases):
        path = write(tmp_path, f"case{k}.yaml", text)
        expect(lambda path=path: read_document(path), path, field, word)
    builtin = (Path(catalog.__file__).parent / "data" / "platforms" / "mobile_soc.yaml")
    assert read_document(builtin)["name"] == "mobile_soc"


# ------------------------------------------------------------------ duplicate keys


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace("  - {name: a, type: A, count: 2}",
                                                      "  - {name: a, type: A, count: 2, "
                                                      "count: 3}"))
    error = expect(lambda: load_platform(path), path, "clusters[0].count", "twice")
    assert "keep one 'count'" in error.fix
    top = write(tmp_path, "top.yaml", PLATFORM + "name: other\n")
    expect(lambda: load_platform(top), top, "name", "lines 1 and 7")


def test_duplicate_json_key(tmp_path: Path) -> None:
    text = '{"name": "w", "tasks": [{"name": "t", "cost": {"A": 1, "A": 2}}]}'
    path = write(tmp_path, "w.json", text)
    error = expect(lambda: load_profile(path), path, "A", "twice", "JSON object")
    assert "keep one 'A'" in error.fix


def test_duplicate_key_in_instance_and_sweep(tmp_path: Path) -> None:
    instance = write(tmp_path, "i.json", '{"processors": 2, "processors": 3, '
                     '"tasks": {"a": [1, 2]}}')
    expect(lambda: load_instance(instance), instance, "processors", "twice")
    sweep = write(tmp_path, "s.yaml", "grid: {noise: [0]}\ngrid: {noise: [1]}\n")
    expect(lambda: load_sweep(sweep), sweep, "grid", "twice")


def test_duplicate_key_in_trace(tmp_path: Path) -> None:
    path = write(tmp_path, "t.json", '[{"time": 1, "time": 2}]')
    expect(lambda: Trace.from_file(path), path, "time", "twice")


def test_cycle_behind_a_task_listed_first(tmp_path: Path) -> None:
    """A task downstream of a cycle, listed first, must not break the cycle search."""
    path = write(tmp_path, "w.yaml", "name: w\ntasks:\n" + "".join(
        f"  - {{name: {t}, cost: {{A: 1}}}}\n" for t in "cab")
        + "edges: [[a, b], [b, a], [b, c]]\n")
    error = expect(lambda: load_profile(path), path, "edges", "cycle")
    assert "a -> b -> a" in error.problem or "b -> a -> b" in error.problem


# --------------------------------------------------------------- silently accepted


def test_duplicate_pe_names(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace("name: a,", "name: c1,")
                 + "  - {name: c1.0, type: A}\n")
    error = expect(lambda: load_platform(path), path, "clusters[1].name", "'c1.0'",
                   "cluster 'c1'")
    assert "rename" in error.fix


@pytest.mark.parametrize("name", ["0", "7", "12"])
def test_digit_pe_name(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM + f"  - {{name: '{name}', type: A}}\n")
    error = expect(lambda: load_platform(path), path, "clusters[1].name", "--fail",
                   "PE index")
    assert f"pe{name}" in error.fix


def test_huge_pe_count(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace("count: 2", "count: 100000000"))
    error = expect(lambda: load_platform(path), path, "clusters[0].count", str(MAX_PES))
    assert f"<= {MAX_PES}" in error.fix
    many = PLATFORM + "".join(f"  - {{name: x{k}, type: A, count: 200}}\n" for k in range(6))
    path = write(tmp_path, "many.yaml", many)
    expect(lambda: load_platform(path), path, "clusters[6].count", "1202 PEs",
           f"at most {MAX_PES} PEs")


def test_huge_instance(tmp_path: Path) -> None:
    path = write(tmp_path, "i.json", json.dumps({"processors": 10**6, "tasks": {"a": [1]}}))
    expect(lambda: load_instance(path), path, "processors", f"at most {MAX_PES}")


# ------------------------------------------------------------------------ numbers


def test_cost_1e308(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("A: 3", "A: 1.0e+308"))
    error = expect(lambda: load_profile(path), path, "tasks[0].cost.A", "at most 1e+15")
    assert "at most 1e+15" in error.fix


@pytest.mark.parametrize(("old", "new", "field"), [
    ("active_w: 0.5", "active_w: 1.0e+300", "pe_types[0].opps[0].active_w"),
    ("mhz: 1000", "mhz: 1.0e-300", "pe_types[0].opps[0].mhz"),
    ("count: 2}", "count: 2}\ninterconnect: {default_bandwidth: 1.0e+300}",
     "interconnect.default_bandwidth"),
])
def test_huge_or_tiny_platform_numbers(tmp_path: Path, old: str, new: str, field: str) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace(old, new))
    expect(lambda: load_platform(path), path, field, "must be")


def test_huge_volume_on_slow_link(tmp_path: Path) -> None:
    platform = load_platform(write(tmp_path, "p.yaml", PLATFORM + "interconnect: "
                                   "{default_bandwidth: 1.0e-6}\n"))
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("[t1, t2, 10]", "[t1, t2, 1.0e+14]"))
    profile = load_profile(path)
    expect(lambda: profile.bind(platform), path, "edges[0].volume", "slowest link")


def test_huge_derived_cost(tmp_path: Path) -> None:
    platform = Platform.from_dict({
        "name": "slow", "pe_types": [{"name": "A", "opps": [{"mhz": 1, "active_w": 1}],
                                      "cost_model": {"kinds": ["fc"], "gmac_per_s": {"int8":
                                                     1e-9}, "gelem_per_s": 1,
                                                     "dram_gbyte_per_s": 1}}],
        "clusters": [{"name": "a", "type": "A"}]})
    profile = JobProfile.from_dict({"name": "w", "tasks": [
        {"name": "t", "ops": {"kind": "fc", "precision": "int8", "macs": 1e14}}]},
        source="w.yaml")
    with pytest.raises(ConfigError) as info:
        profile.bind(platform)
    assert info.value.field == "tasks[0].ops" and "32 years" in info.value.problem
    assert "cost_model" in info.value.fix


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["simulate", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_interarrival_1e308(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_cli(capsys, "--interarrival", "1e308")
    assert code == 2
    assert "--interarrival" in output and "1e+15" in output and "Traceback" not in output
    code, output = run_cli(capsys, "--arrival", "fixed", "--interarrival", "1e308")
    assert code == 2 and "--interarrival" in output and "1e+15" in output


@pytest.mark.parametrize("make", [lambda: Poisson(1e308), lambda: FixedRate(1e308),
                                  lambda: Poisson(10.0, retry_when_full=1e308),
                                  lambda: Poisson(float("nan")), lambda: FixedRate(-1.0)])
def test_arrival_constructors_bound_times(make) -> None:
    with pytest.raises(ValueError, match="at most 1e"):
        make()


def test_noise_1e6(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_cli(capsys, "--noise", "1e6")
    assert code == 2
    assert "--noise" in output and "between 0 and 10" in output and "e.g. 0.1" in output
    bound = catalog.get_workload("canonical").bind(catalog.get_platform("canonical3"))
    with pytest.raises(ValueError, match="between 0 and 10"):
        JobSource([bound], max_jobs=1, noise_sigma=float("inf"))


def test_trace_times_bounded(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "time\n0\n1e308\n")
    expect(lambda: Trace.from_file(path), path, "arrivals[1].time", "at most 1e+15")
    wide = write(tmp_path, "n.csv", "time\n\"" + "9" * 200_000 + "\"\n")
    expect(lambda: Trace.from_file(wide), wide, "<file>", "not valid CSV")


def test_idle_above_active_power(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace("idle_w: 0.05", "idle_w: 5"))
    error = expect(lambda: load_platform(path), path, "pe_types[0].opps[0].idle_w",
                   "above the active power")
    assert "at most active_w" in error.fix


def test_builtin_platforms_have_idle_below_active() -> None:
    for name in catalog.platform_names():
        for pe_type in catalog.get_platform(name).types:
            assert all(p.idle_w <= p.active_w for p in pe_type.opps), (name, pe_type.name)


def test_random_dag_spec_bounds() -> None:
    for spec, field in (("daggen/n=1000000", "n"), ("daggen/cost=1e308", "cost"),
                        ("daggen/ccr=1e308", "ccr"), ("daggen/jump=" + "9" * 30, "jump")):
        with pytest.raises(ConfigError) as info:
            catalog.get_workload(spec)
        assert info.value.field == field and "at most" in info.value.fix


# ------------------------------------------------------------- DS3 files from the CLI

SOC = """\
add_new_resource CPU P1 0 1 2 performance
opp 1000 900
power_profile 1000 0.5
f1 10
f2 20
add_new_resource ACC X 1 1 1 none
opp 1000 900
power_profile 1000 0.2
f2 4
comm_band 0 1 5
"""

JOB = """\
job_name tiny
add_new_tasks 2
f1 0
f1 HEAD
f2 1 0
f2 TAIL
comm_vol 0 1 10
"""


def test_ds3_soc_and_job_files_from_the_cli(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    soc, job = write(tmp_path, "SoC.Tiny.txt", SOC), write(tmp_path, "job_tiny.txt", JOB)
    code, output = run_cli(capsys, "--platform", str(soc), "--workload", f"{job}:1",
                           "--jobs", "5", "--scheduler", "etf")
    assert code == 0, output
    assert "mean_latency" in output and "etf on ds3_tiny" in output


def test_ds3_job_without_its_soc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = write(tmp_path, "job_tiny.txt", JOB)
    code, output = run_cli(capsys, "--workload", str(job))
    assert code == 2
    assert str(job) in output and "DS3 job file" in output and "--platform" in output


@pytest.mark.skipif(not DS3_DATA.is_dir(), reason="reference data ../shared/data is absent")
def test_ds3_reference_files_from_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_cli(capsys, "--platform", str(DS3_DATA / "SoC.Top.txt"),
                           "--workload", str(DS3_DATA / "job_Top.txt"), "--jobs", "10")
    assert code == 0, output
    assert "ds3_top" in output
    code, output = run_cli(capsys, "--platform", str(DS3_DATA / "SoC.MULTIPLE_BAL.txt"),
                           "--workload", f"{DS3_DATA / 'job_WIFI_5TXM.txt'}:1,"
                           f"{DS3_DATA / 'job_WIFI_5RXM.txt'}:2", "--jobs", "10")
    assert code == 0, output


def test_ds3_binary_and_huge_numbers(tmp_path: Path) -> None:
    from socsim.ds3 import read_ds3_soc
    binary = tmp_path / "SoC.bin.txt"
    binary.write_bytes(b"\xff\xfe\xfa")
    expect(lambda: read_ds3_soc(binary), binary, "<file>", "not UTF-8-SIG")
    huge = write(tmp_path, "SoC.huge.txt", SOC.replace("f1 10", "f1 1e308"))
    expect(lambda: read_ds3_soc(huge), huge, "line 4", "at most 1e+15")
    tiny = write(tmp_path, "SoC.tiny.txt", SOC.replace("opp 1000 900\npower_profile 1000 0.5",
                                                       "opp 1000 1e-300\npower_profile 1000 0.5"))
    expect(lambda: read_ds3_soc(tiny), tiny, "line 2", "at least 1e-09")
