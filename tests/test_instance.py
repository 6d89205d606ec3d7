"""The single-DAG instance format: reading, the platform it builds, and its errors."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest

from socsim import catalog
from socsim.agents.heft import plan_heft
from socsim.agents.instance import instance_from_dict, instance_to_dict, load_instance
from socsim.errors import ConfigError
from socsim.platform import Platform
from socsim.workload import JobProfile

DATA = Path(__file__).parent / "data"

BASE: dict[str, Any] = {
    "processors": 3,
    "tasks": {"a": [14, 16, 9], "b": [13, None, 18], "c": [1, 2, 3]},
    "edges": [["a", "b", 18], ["a", "c", 6]],
    "bandwidth": [[0, 1, 2], [1, 0, 4], [2, 4, 0]],
}


def doc_with(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def test_reads_the_canonical_example() -> None:
    instance = load_instance(DATA / "canonical.json")
    assert instance.name == "canonical"
    assert instance.platform.num_pes == 3
    assert instance.platform.timing == "continuous"
    assert instance.profile.task_names == tuple(f"n{i}" for i in range(1, 11))
    assert instance.bound.cost[0] == [14, 16, 9]
    assert instance.source.endswith("canonical.json")


def test_matches_the_builtin_canonical_workload() -> None:
    builtin = catalog.get_workload("canonical").bind(catalog.get_platform("canonical3"))
    instance = load_instance(DATA / "canonical.json")
    assert instance.bound.cost == builtin.cost
    assert instance.profile.edges == builtin.profile.edges
    assert plan_heft(instance.bound).by_name() == plan_heft(builtin).by_name()


def test_processors_become_pes_with_per_pair_links() -> None:
    instance = instance_from_dict(BASE)
    platform = instance.platform
    assert platform.pe_names == ["P0", "P1", "P2"]
    assert platform.type_names == ["P0", "P1", "P2"]
    assert platform.transfer_time(0, 1, 8) == 8
    assert platform.transfer_time(0, 2, 8) == 4
    assert platform.transfer_time(2, 1, 8) == 2
    assert platform.transfer_time(1, 2, 8) == 2
    assert platform.transfer_time(1, 1, 8) == 0
    assert platform.mean_bandwidth() == pytest.approx((1 + 2 + 4) / 3)


def test_null_cost_makes_a_processor_ineligible() -> None:
    bound = instance_from_dict(BASE).bound
    assert bound.eligible_pes[1] == [0, 2]
    assert bound.cost[1][1] == math.inf
    plan = plan_heft(bound)
    assert plan.pe[1] != 1


def test_bandwidth_defaults_to_one() -> None:
    platform = instance_from_dict(doc_with(bandwidth=None)).platform
    assert all(platform.transfer_time(a, b, 5) == 5 for a in range(3) for b in range(3) if a != b)


def test_edges_may_omit_volume_and_name_and_description_are_optional() -> None:
    doc = doc_with(edges=[["a", "b"]], name="mine", description="text")
    instance = instance_from_dict(doc)
    assert instance.name == "mine"
    assert instance.profile.edges == ((0, 1, 0.0),)


def test_round_trip_through_instance_to_dict() -> None:
    instance = instance_from_dict(BASE)
    again = instance_from_dict(instance_to_dict(instance.bound))
    assert again.bound.cost == instance.bound.cost
    assert again.profile.edges == instance.profile.edges
    for a in range(3):
        for b in range(3):
            assert again.platform.transfer_time(a, b, 3) == instance.platform.transfer_time(a, b, 3)


def test_instance_to_dict_rejects_latency() -> None:
    platform = Platform.from_dict({
        "name": "lat", "pe_types": [{"name": "T", "opps": [{"mhz": 1, "active_w": 1}]}],
        "clusters": [{"name": "c", "type": "T", "count": 2}],
        "interconnect": {"latency": 2.0}})
    profile = JobProfile.from_dict({"name": "p", "tasks": [{"name": "a", "cost": {"T": 1}}]})
    with pytest.raises(ValueError, match="latency"):
        instance_to_dict(profile.bind(platform))


@pytest.mark.parametrize(("doc", "field", "words"), [
    (doc_with(tasks={"a": [1, 2], "b": [1, 2, 3], "c": [1, 2, 3]}), "tasks.a", "2 costs for 3"),
    (doc_with(edges=[["a", "zz", 1]]), "edges[0].dst", "unknown task 'zz'"),
    (doc_with(edges=[["q", "a", 1]]), "edges[0].src", "unknown task 'q'"),
    (doc_with(edges=[["a", "b", 1], ["b", "c", 1], ["c", "a", 1]]), "edges", "cycle"),
    (doc_with(tasks={"a": [-1, 2, 3], "b": [1, 2, 3], "c": [1, 2, 3]}), "tasks.a[0]",
     "at least 0"),
    (doc_with(tasks={"a": [float("nan"), 2, 3], "b": [1, 2, 3], "c": [1, 2, 3]}),
     "tasks.a[0]", "finite"),
    (doc_with(tasks={"a": ["x", 2, 3], "b": [1, 2, 3], "c": [1, 2, 3]}), "tasks.a[0]",
     "expected a number"),
    (doc_with(tasks={"a": [None, None, None], "b": [1, 2, 3], "c": [1, 2, 3]}), "tasks.a",
     "no processor"),
    (doc_with(tasks={}), "tasks", "empty"),
    (doc_with(tasks=[1, 2]), "tasks", "mapping"),
    (doc_with(edges=[["a", "b", -3]]), "edges[0].volume", "at least 0"),
    (doc_with(edges=[["a", "b", 1], ["a", "b", 2]]), "edges[1]", "repeats"),
    (doc_with(edges=[["a", "a", 1]]), "edges[0]", "self-loop"),
    (doc_with(edges=[["a"]]), "edges[0]", "[src, dst, volume]"),
    (doc_with(bandwidth=[[0, 1], [1, 0]]), "bandwidth", "3 x 3"),
    (doc_with(bandwidth=[[0, 1, 1], [1, 0, 1], [1, 1]]), "bandwidth", "3 x 3"),
    (doc_with(bandwidth=[[0, 0, 1], [0, 0, 1], [1, 1, 0]]), "bandwidth[0][1]",
     "greater than 0"),
    (doc_with(bandwidth=[[0, -2, 1], [-2, 0, 1], [1, 1, 0]]), "bandwidth[0][1]",
     "greater than 0"),
    (doc_with(bandwidth=[[0, 1, 1], [2, 0, 1], [1, 1, 0]]), "bandwidth[0][1]",
     "asymmetric bandwidth is not supported"),
    (doc_with(processors=0), "processors", "at least 1"),
    (doc_with(processors=None), "processors", "missing"),
    (doc_with(processors=2.5), "processors", "integer"),
    (doc_with(extra=1), "extra", "not a known field"),
])
def test_bad_instances_name_field_and_fix(doc: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        instance_from_dict(doc, source="bad.json")
    err = info.value
    assert err.source == "bad.json"
    assert err.field == field
    assert words in str(err)
    assert err.fix


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_instance(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{\"processors\": 3,")
    with pytest.raises(ConfigError, match="not valid"):
        load_instance(broken)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "asym.json"
    path.write_text(json.dumps(doc_with(bandwidth=[[0, 1, 1], [3, 0, 1], [1, 1, 0]])))
    with pytest.raises(ConfigError) as info:
        load_instance(path)
    assert str(path) in str(info.value)
    assert "asymmetric" in str(info.value)
