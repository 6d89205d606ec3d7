"""One test per class of malformed platform or workload file.

Each writes a small YAML or JSON file and checks that the error names the
file, the field and a fix, so that a user can act on it without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from socsim.errors import ConfigError
from socsim.platform import Platform, load_platform
from socsim.workload import JobProfile, load_profile

PLATFORM = """\
name: tiny
pe_types:
  - name: A
    kind: cpu
    opps: [{mhz: 1000, mv: 900, active_w: 0.5, idle_w: 0.05}]
  - name: B
    kind: acc
    opps: [{mhz: 500, active_w: 0.1}]
clusters:
  - {name: a, type: A, count: 2}
  - {name: b, type: B}
interconnect:
  default_bandwidth: 10
  links:
    - {between: [a, b], bandwidth: 5}
"""

WORKLOAD = """\
name: job
tasks:
  - {name: t1, cost: {A: 3, B: 1}}
  - {name: t2, cost: {A: 4}}
  - {name: t3, cost: {B: 2}}
edges:
  - [t1, t2, 10]
  - [t2, t3, 5]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def expect(load: Callable[[], Any], path: Path, field: str, fix: str) -> ConfigError:
    """Run ``load``; the error must name ``path``, ``field`` and contain ``fix``."""
    with pytest.raises(ConfigError) as info:
        load()
    error = info.value
    message = str(error)
    assert error.source == str(path) and str(path) in message
    assert error.field == field and f"'{field}'" in message
    assert fix in error.fix and "Fix:" in message
    return error


def test_valid_files_load(tmp_path: Path) -> None:
    platform = load_platform(write(tmp_path, "p.yaml", PLATFORM))
    profile = load_profile(write(tmp_path, "w.yaml", WORKLOAD))
    bound = profile.bind(platform)
    assert bound.eligible_pes == [[0, 1, 2], [0, 1], [2]]


# ------------------------------------------------------------------ workloads


def test_cycle(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD + "  - [t3, t1, 1]\n")
    error = expect(lambda: load_profile(path), path, "edges", "remove one edge")
    assert "cycle" in error.problem and "t1 -> t2 -> t3 -> t1" in error.problem


def test_unknown_pe_type_when_binding(tmp_path: Path) -> None:
    platform = load_platform(write(tmp_path, "p.yaml", PLATFORM))
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("{B: 2}", "{GPU: 2}"))
    profile = load_profile(path)
    error = expect(lambda: profile.bind(platform), path, "tasks[2].cost.GPU", "use one of")
    assert "'GPU'" in error.problem and "tiny" in error.problem


def test_task_with_no_pe_that_can_run_it(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("{A: 4}", "{}"))
    error = expect(lambda: load_profile(path), path, "tasks[1].cost", "at least one PE type")
    assert "t2" in error.problem


def test_negative_cost(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("{A: 4}", "{A: -4}"))
    expect(lambda: load_profile(path), path, "tasks[1].cost.A", "at least 0")


def test_nan_cost_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("{A: 4}", "{A: .nan}"))
    expect(lambda: load_profile(path), path, "tasks[1].cost.A", "finite")


def test_nan_cost_json(tmp_path: Path) -> None:
    text = ('{"name": "job", "tasks": [{"name": "t1", "cost": {"A": 1}}, '
            '{"name": "t2", "cost": {"A": NaN}}], "edges": [["t1", "t2", 1]]}')
    path = write(tmp_path, "w.json", text)
    expect(lambda: load_profile(path), path, "tasks[1].cost.A", "finite")


def test_infinite_edge_volume(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("[t1, t2, 10]", "[t1, t2, .inf]"))
    expect(lambda: load_profile(path), path, "edges[0].volume", "finite")


def test_duplicate_task_name(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("name: t3", "name: t1"))
    error = expect(lambda: load_profile(path), path, "tasks[2].name", "unique name")
    assert "'t1'" in error.problem


def test_missing_tasks(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", "name: job\nedges: []\n")
    expect(lambda: load_profile(path), path, "tasks", "add 'tasks'")


def test_missing_cost(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("{name: t2, cost: {A: 4}}", "{name: t2}"))
    expect(lambda: load_profile(path), path, "tasks[1].cost", "add 'cost'")


def test_edge_to_unknown_task(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("[t2, t3, 5]", "[t2, t9, 5]"))
    expect(lambda: load_profile(path), path, "edges[1].dst", "name a task")


def test_unknown_workload_key(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("edges:", "egdes:"))
    expect(lambda: load_profile(path), path, "egdes", "'edges'")


def test_unknown_task_key(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", WORKLOAD.replace("{name: t2, cost:", "{name: t2, cots:"))
    expect(lambda: load_profile(path), path, "tasks[1].cots", "'cost'")


# ------------------------------------------------------------------ platforms


def test_unknown_cluster_type(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace("{name: b, type: B}", "{name: b, type: C}"))
    error = expect(lambda: load_platform(path), path, "clusters[1].type", "declare it")
    assert "'C'" in error.problem


@pytest.mark.parametrize(("old", "new", "field"), [
    ("bandwidth: 5}", "bandwidth: 0}", "interconnect.links[0].bandwidth"),
    ("bandwidth: 5}", "bandwidth: -2}", "interconnect.links[0].bandwidth"),
    ("default_bandwidth: 10", "default_bandwidth: 0", "interconnect.default_bandwidth"),
])
def test_non_positive_bandwidth(tmp_path: Path, old: str, new: str, field: str) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace(old, new))
    expect(lambda: load_platform(path), path, field, "greater than 0")


def test_duplicate_pe_type(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace("- name: B", "- name: A"))
    expect(lambda: load_platform(path), path, "pe_types[1].name", "unique name")


def test_link_to_unknown_cluster(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace("[a, b]", "[a, z]"))
    expect(lambda: load_platform(path), path, "interconnect.links[0].between", "two clusters")


def test_missing_opps(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace("    opps: [{mhz: 500, active_w: 0.1}]\n",
                                                      ""))
    expect(lambda: load_platform(path), path, "pe_types[1].opps", "add 'opps'")


def test_unknown_platform_key(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace("clusters:", "cluster:"))
    expect(lambda: load_platform(path), path, "cluster", "'clusters'")


def test_unknown_nested_platform_key(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace("type: A, count: 2", "type: A, cuont: 2"))
    expect(lambda: load_platform(path), path, "clusters[0].cuont", "'count'")


def test_unknown_timing(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "timing: discrete\n" + PLATFORM)
    expect(lambda: load_platform(path), path, "timing", "'ds3'")


def test_cluster_count_zero(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", PLATFORM.replace("count: 2", "count: 0"))
    expect(lambda: load_platform(path), path, "clusters[0].count", ">= 1")


# ------------------------------------------------------------------ syntax


@pytest.mark.parametrize(("name", "text", "load"), [
    ("p.yaml", "name: tiny\npe_types: [\n", load_platform),
    ("w.yaml", "name: job\ntasks:\n  - {name: t1, cost: {A: 1}\n", load_profile),
    ("w.yaml", "name: job\n\ttasks: []\n", load_profile),
    ("w.json", '{"name": "job", "tasks": [}', load_profile),
])
def test_invalid_syntax(tmp_path: Path, name: str, text: str,
                        load: Callable[[Path], Any]) -> None:
    path = write(tmp_path, name, text)
    error = expect(lambda: load(path), path, "<file>", "fix the syntax")
    assert "is not valid" in error.problem


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", "- just\n- a list\n")
    expect(lambda: load_profile(path), path, "<top level>", "'key: value'")


def test_from_dict_names_the_given_source() -> None:
    with pytest.raises(ConfigError) as info:
        Platform.from_dict({"name": "x"}, source="inline")
    assert info.value.source == "inline" and info.value.field == "pe_types"
    with pytest.raises(ConfigError) as info:
        JobProfile.from_dict({"name": "x", "tasks": []}, source="inline")
    assert info.value.field == "tasks" and "at least one task" in info.value.fix


def test_task_whose_only_type_has_no_pe(tmp_path: Path) -> None:
    platform = load_platform(write(tmp_path, "p.yaml",
                                   PLATFORM.replace("  - {name: b, type: B}\n", "")
                                   .replace("    - {between: [a, b], bandwidth: 5}\n", "")
                                   .replace("  links:\n", "")))
    path = write(tmp_path, "w.yaml", WORKLOAD)
    profile = load_profile(path)
    with pytest.raises(ConfigError) as info:
        profile.bind(platform)
    assert info.value.source == str(path) and "t3" in str(info.value)
    assert "has no PE of those types" in str(info.value)
