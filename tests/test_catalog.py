"""Tests of socsim.catalog: the built-in platforms, workloads and mixes, and lookup."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
import yaml

from socsim import catalog
from socsim.catalog import Mix
from socsim.errors import ConfigError

DS3_APPS = ("wifi_tx", "wifi_rx", "lag", "sct", "scr", "temp_mit")
TOP_JOBS = ("top", *(f"top{k}" for k in range(2, 11)))


def test_builtin_names() -> None:
    assert catalog.platform_names() == sorted(["ds3_multiple_bal", "ds3_bal_only",
                                               "ds3_multiple_bal_noc", "ds3_top", "canonical3"])
    assert set(catalog.workload_names()) == {*DS3_APPS, *TOP_JOBS, "canonical"}
    assert catalog.mix_names() == ["ds3_default"]


@pytest.mark.parametrize("name", catalog.platform_names())
def test_every_builtin_platform_loads(name: str) -> None:
    platform = catalog.get_platform(name)
    assert platform.name == name
    assert platform.num_pes > 0 and platform.timing == "ds3"
    assert "commit" in platform.description  # provenance
    assert platform.source == f"socsim/data/platforms/{name}.yaml"


@pytest.mark.parametrize("name", catalog.workload_names())
def test_every_builtin_workload_loads_and_is_acyclic(name: str) -> None:
    profile = catalog.get_workload(name)
    assert profile.name == name
    assert nx.is_directed_acyclic_graph(profile.graph())
    assert all(profile.costs)
    assert profile.description


@pytest.mark.parametrize("name", catalog.mix_names())
def test_every_builtin_mix_loads(name: str) -> None:
    mix = catalog.get_mix(name)
    assert isinstance(mix, Mix) and mix.name == name
    assert all(w > 0 for w in mix.weights.values())
    assert set(mix.weights) <= set(catalog.workload_names())
    assert mix.platform is None or mix.platform in catalog.platform_names()
    assert sum(mix.probabilities().values()) == pytest.approx(1.0)


def test_ds3_default_mix() -> None:
    mix = catalog.get_mix("ds3_default")
    assert dict(mix.weights) == {"wifi_tx": 0.2, "wifi_rx": 0.2, "lag": 0.2, "sct": 0.1,
                                 "scr": 0.1, "temp_mit": 0.2}
    assert mix.platform == "ds3_multiple_bal"
    for profile in mix.weights:
        catalog.get_workload(profile).bind(catalog.get_platform(mix.platform))


@pytest.mark.parametrize("platform", ["ds3_multiple_bal", "ds3_multiple_bal_noc",
                                      "ds3_bal_only"])
@pytest.mark.parametrize("workload", DS3_APPS)
def test_ds3_apps_bind_with_an_eligible_pe_per_task(platform: str, workload: str) -> None:
    # The apps declare DS3's five PE types; on BAL_only (A7, A15) the tasks
    # keep their CPU costs and lose only the accelerators.
    profile = catalog.get_workload(workload)
    target = catalog.get_platform(platform)
    bound = profile.bind(target)
    assert all(bound.eligible_pes)
    for task, cost in enumerate(profile.costs):
        eligible_types = {target.type_names[target.pe_type[pe]]
                          for pe in bound.eligible_pes[task]}
        assert eligible_types == set(cost) & set(target.type_names)


@pytest.mark.parametrize("platform", ["canonical3", "ds3_top"])
@pytest.mark.parametrize("workload", [*TOP_JOBS, "canonical"])
def test_top_jobs_bind_to_three_processors(platform: str, workload: str) -> None:
    bound = catalog.get_workload(workload).bind(catalog.get_platform(platform))
    assert all(pes == [0, 1, 2] for pes in bound.eligible_pes)


@pytest.mark.parametrize(("getter", "typo", "suggestion"), [
    (catalog.get_platform, "ds3_multple_bal", "ds3_multiple_bal"),
    (catalog.get_platform, "canonical_3", "canonical3"),
    (catalog.get_workload, "wifi-tx", "wifi_tx"),
    (catalog.get_workload, "canonicl", "canonical"),
    (catalog.get_mix, "ds3_defualt", "ds3_default"),
])
def test_unknown_name_suggests_the_close_match(getter, typo: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as info:
        getter(typo)
    assert f"did you mean '{suggestion}'" in info.value.fix
    assert typo in info.value.problem


def test_unknown_name_lists_the_builtins() -> None:
    with pytest.raises(ConfigError) as info:
        catalog.get_platform("zzz")
    assert "did you mean" not in info.value.fix
    assert all(name in info.value.fix for name in catalog.platform_names())


def test_builtins_are_cached_and_read_only() -> None:
    assert catalog.get_platform("canonical3") is catalog.get_platform("canonical3")
    assert catalog.get_workload("canonical") is catalog.get_workload("canonical")
    mix = catalog.get_mix("ds3_default")
    with pytest.raises(TypeError):
        mix.weights["lag"] = 5.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        mix.name = "other"  # type: ignore[misc]


def builtin_text(kind: str, name: str) -> str:
    return (Path(catalog.__file__).parent / "data" / kind / f"{name}.yaml").read_text()


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_platform_and_workload_from_a_path(tmp_path: Path, suffix: str) -> None:
    for kind, name, getter in (("platforms", "canonical3", catalog.get_platform),
                               ("workloads", "canonical", catalog.get_workload)):
        doc = yaml.safe_load(builtin_text(kind, name))
        doc["name"] = "copy"
        path = tmp_path / f"copy{suffix}"
        path.write_text(json.dumps(doc) if suffix == ".json" else yaml.safe_dump(doc))
        loaded = getter(path)
        assert loaded.name == "copy" and loaded.source == str(path)
        assert getter(str(path)).name == "copy"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        catalog.get_platform(str(tmp_path / "nope.yaml"))


SOC = "add_new_resource CPU P 0 1 2 performance\nopp 1000 900\npower_profile 1000 0.2\n" \
      "f1 3\nf2 4\n"
JOB = "job_name j\nadd_new_tasks 2\nf1 0\nf2 1 0\ncomm_vol 0 1 5\n"


def test_ds3_text_files(tmp_path: Path) -> None:
    soc, job = tmp_path / "SoC.Mine.txt", tmp_path / "job_mine.txt"
    soc.write_text(SOC)
    job.write_text(JOB)
    assert catalog.get_platform(str(soc)).name == "ds3_mine"
    profile = catalog.get_workload(str(job), ds3_soc=soc)
    assert profile.name == "j" and profile.edges == ((0, 1, 5.0),)
    with pytest.raises(ConfigError, match="DS3 job file") as info:
        catalog.get_workload(str(job))
    assert "ds3_soc" in info.value.fix


def write_mix(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "mix.yaml"
    path.write_text(body)
    return path


def test_mix_file_with_a_relative_workload_path(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text(builtin_text("workloads", "canonical"))
    path = write_mix(tmp_path, "name: m\nplatform: canonical3\n"
                     "workloads: {canonical: 1, w.yaml: 3}\n")
    mix = catalog.get_mix(str(path))
    assert mix.probabilities() == {"canonical": 0.25, str((tmp_path / "w.yaml").resolve()): 0.75}
    assert mix.source == str(path)


@pytest.mark.parametrize(("body", "field", "words"), [
    ("name: m\nworkloads: {lag: 0}\n", "workloads.lag", "greater than 0"),
    ("name: m\nworkloads: {lag: -1}\n", "workloads.lag", "greater than 0"),
    ("name: m\nworkloads: {lag: .nan}\n", "workloads.lag", "finite"),
    ("name: m\nworkloads: {lag: .inf}\n", "workloads.lag", "finite"),
    ("name: m\nworkloads: {lag: heavy}\n", "workloads.lag", "number"),
    ("name: m\nworkloads: {lagg: 1}\n", "workloads.lagg", "did you mean 'lag'"),
    ("name: m\nworkloads: {missing.yaml: 1}\n", "workloads.missing.yaml", "does not exist"),
    ("name: m\nplatform: ds3_multiple\nworkloads: {lag: 1}\n", "platform", "ds3_multiple_bal"),
    ("name: m\nworkloads: {}\n", "workloads", "at least one"),
    ("name: m\n", "workloads", "add 'workloads'"),
    ("name: m\nweights: {lag: 1}\nworkloads: {lag: 1}\n", "weights", "remove it"),
])
def test_invalid_mix_files(tmp_path: Path, body: str, field: str, words: str) -> None:
    path = write_mix(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        catalog.get_mix(str(path))
    assert info.value.source == str(path) and info.value.field == field
    assert words in str(info.value)
