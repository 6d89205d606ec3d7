"""Random DAGs (socsim.dag_generator): reproducible, the requested shape, CCR and spread."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from socsim import Batch, JobSource, Simulator, catalog
from socsim.dag_generator import (
    DEFAULT_TYPES,
    DagParams,
    DagSpec,
    communication_to_computation_ratio,
    parse_spec,
    random_dag,
)
from socsim.errors import ConfigError
from socsim.schedulers import MinimumExecutionTime

TYPES = ("P1", "P2", "P3")


def signature(profile) -> tuple:
    return profile.task_names, tuple(map(dict, profile.costs)), profile.edges


def generations(profile) -> dict[int, int]:
    """Task -> topological generation (its level when every edge spans one level)."""
    return {task: depth for depth, layer in enumerate(nx.topological_generations(
        profile.graph())) for task in layer}


# ----------------------------------------------------------------------- reproducibility


def test_same_seed_same_graph_and_different_seeds_differ() -> None:
    params = DagParams(n=60, jump=2)
    first = random_dag(params, TYPES, 7)
    assert signature(random_dag(params, TYPES, 7)) == signature(first)
    assert signature(random_dag(params, TYPES, np.random.default_rng(7))) == signature(first)
    assert signature(random_dag(params, TYPES, 8)) != signature(first)
    assert first.name == DagSpec(params, TYPES, 7).spec  # the name recreates the graph
    assert random_dag(params, TYPES, np.random.default_rng(7)).name == "random_dag"


def test_a_generator_is_advanced() -> None:
    rng = np.random.default_rng(1)
    one, two = random_dag(DagParams(n=30), TYPES, rng), random_dag(DagParams(n=30), TYPES, rng)
    assert signature(one) != signature(two)


# ----------------------------------------------------------------------- shape


@pytest.mark.parametrize("n", [1, 2, 7, 100, 333])
@pytest.mark.parametrize("fat", [0.0, 0.3, 0.8, 1.0])
def test_size_is_exact_and_the_graph_is_a_dag(n: int, fat: float) -> None:
    profile = random_dag(DagParams(n=n, fat=fat, jump=3, regularity=0.2), TYPES, n)
    assert profile.num_tasks == n
    graph = profile.graph()
    assert nx.is_directed_acyclic_graph(graph)
    assert all(src < dst for src, dst, _ in profile.edges)  # numbered level by level
    assert len({(s, d) for s, d, _ in profile.edges}) == len(profile.edges)


def test_fat_zero_is_a_chain_and_fat_one_has_no_edges() -> None:
    chain = random_dag(DagParams(n=12, fat=0.0, regularity=1.0), TYPES, 0)
    assert [(s, d) for s, d, _ in chain.edges] == [(k, k + 1) for k in range(11)]
    flat = random_dag(DagParams(n=12, fat=1.0, regularity=1.0), TYPES, 0)
    assert flat.edges == ()
    assert math.isnan(communication_to_computation_ratio(flat))


def test_regular_levels_have_the_ideal_width() -> None:
    profile = random_dag(DagParams(n=100, fat=0.5, regularity=1.0, jump=1), TYPES, 4)
    widths = np.bincount(list(generations(profile).values()))
    assert list(widths) == [10] * 10  # n ** fat = 10 tasks on each of 10 levels


def test_jump_bounds_the_levels_an_edge_spans() -> None:
    near = random_dag(DagParams(n=200, jump=1), TYPES, 2)
    level = generations(near)
    assert {level[d] - level[s] for s, d, _ in near.edges} == {1}
    far = random_dag(DagParams(n=200, jump=3, density=0.3), TYPES, 2)
    level = generations(far)
    assert max(level[d] - level[s] for s, d, _ in far.edges) > 1
    # Every task below the top has a parent.
    assert all(far.preds[t] for t in range(far.num_tasks) if level[t] > 0)


def test_density_adds_edges() -> None:
    counts = [len(random_dag(DagParams(n=200, density=d), TYPES, 5).edges)
              for d in (0.0, 0.5, 1.0)]
    assert counts == sorted(counts) and counts[0] < counts[2] / 2
    assert counts[0] == 200 - len(next(nx.topological_generations(
        random_dag(DagParams(n=200, density=0.0), TYPES, 5).graph())))  # one parent each


# ----------------------------------------------------------------------- costs


@pytest.mark.parametrize("ccr", [0.1, 1.0, 5.0])
@pytest.mark.parametrize("bandwidth", [1.0, 4.0])
def test_ccr_is_met(ccr: float, bandwidth: float) -> None:
    params = DagParams(n=150, ccr=ccr, bandwidth=bandwidth, jump=2)
    profile = random_dag(params, TYPES, 11)
    assert communication_to_computation_ratio(profile, bandwidth) == pytest.approx(ccr, rel=0.1)


def test_ccr_zero_gives_empty_edges() -> None:
    profile = random_dag(DagParams(n=50, ccr=0.0), TYPES, 3)
    assert profile.edges and all(v == 0 for _, _, v in profile.edges)


def test_mean_cost_is_the_requested_one() -> None:
    profile = random_dag(DagParams(n=500, cost=50.0), TYPES, 9)
    table = np.array([[c[t] for t in TYPES] for c in profile.costs])
    assert table.mean() == pytest.approx(50.0, rel=0.15)
    assert table.min() > 0


def test_beta_zero_gives_identical_costs_on_every_type() -> None:
    profile = random_dag(DagParams(n=40, beta=0.0), TYPES, 3)
    assert all(len(set(cost.values())) == 1 for cost in profile.costs)


@pytest.mark.parametrize("beta", [0.25, 0.5, 1.0])
def test_heterogeneity_spread_is_the_requested_one(beta: float) -> None:
    types = ("A", "B", "C", "D")
    profile = random_dag(DagParams(n=300, beta=beta), types, 13)
    table = np.array([[c[t] for t in types] for c in profile.costs])
    big = table.min(axis=1) >= 1.0  # rounding to 0.01 distorts tiny costs
    # w_ij in [w_i (1 - beta/2), w_i (1 + beta/2)]: the ratio within a task is bounded...
    ratio = table.max(axis=1) / table.min(axis=1)
    assert np.all(ratio[big] <= (1 + beta / 2) / (1 - beta / 2) * 1.01)
    # ... and the relative deviations are uniform, with std beta / sqrt(12).
    relative = table[big] / table[big].mean(axis=1, keepdims=True)
    spread = math.sqrt(np.var(relative, axis=1, ddof=1).mean())
    assert spread == pytest.approx(beta / math.sqrt(12), rel=0.1)


# ----------------------------------------------------------------------- validation


@pytest.mark.parametrize(("name", "value"), [
    ("n", 0), ("n", 2.5), ("n", True), ("n", "10"),
    ("fat", -0.1), ("fat", 1.5), ("fat", math.nan),
    ("density", -1), ("density", 1.01),
    ("regularity", 2), ("regularity", -0.5),
    ("jump", 0), ("jump", 1.5),
    ("ccr", -1), ("ccr", math.inf),
    ("beta", -0.1), ("beta", 2.5),
    ("cost", 0), ("cost", -3),
    ("bandwidth", 0), ("bandwidth", None),
])
def test_every_parameter_is_validated(name: str, value: object) -> None:
    with pytest.raises(ConfigError) as info:
        DagParams(**{name: value})
    assert info.value.field == name and info.value.source == "DagParams"
    assert name in info.value.fix and ("number" in info.value.fix or "integer" in info.value.fix)


@pytest.mark.parametrize(("types", "words"), [
    ((), "is empty"), (("P1", ""), "empty name"), (("P1", "P1"), "repeats"),
    ("P1", "sequence"),
])
def test_pe_types_are_validated(types: object, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as info:
        random_dag(DagParams(n=3), types, 0)  # type: ignore[arg-type]
    assert info.value.field == "types"


@pytest.mark.parametrize("seed", [-1, 1.5, "3"])
def test_seed_is_validated(seed: object) -> None:
    with pytest.raises(ConfigError) as info:
        random_dag(DagParams(n=3), TYPES, seed)  # type: ignore[arg-type]
    assert info.value.field == "seed"


# ----------------------------------------------------------------------- spec strings


def test_spec_reads_every_parameter() -> None:
    spec = parse_spec("daggen/n=50/fat=0.4/density=0.3/regularity=0.5/jump=2/ccr=2/beta=1/"
                      "cost=7.5/bandwidth=4/seed=3/types=A7+A15")
    assert spec == DagSpec(DagParams(n=50, fat=0.4, density=0.3, regularity=0.5, jump=2,
                                     ccr=2.0, beta=1.0, cost=7.5, bandwidth=4.0),
                           ("A7", "A15"), 3)
    assert parse_spec(spec.spec) == spec
    assert parse_spec("daggen") == DagSpec(DagParams(), DEFAULT_TYPES, 0)


def test_equivalent_specs_give_the_same_cached_profile() -> None:
    one = catalog.get_workload("daggen/seed=4/n=30/ccr=2")
    two = catalog.get_workload("daggen/n=30/ccr=2.0/seed=4/types=P1+P2+P3")
    assert one is two
    assert one.name == "daggen/n=30/fat=0.5/density=0.5/regularity=0.9/jump=1/ccr=2/beta=0.5/" \
                       "cost=20/bandwidth=1/seed=4/types=P1+P2+P3"
    assert signature(one) == signature(random_dag(DagParams(n=30, ccr=2.0), TYPES, 4))


@pytest.mark.parametrize(("spec", "field", "words"), [
    ("daggen/fatt=0.2", "fatt", "did you mean 'fat'"),
    ("daggen/n", "n", "key=value"),
    ("daggen/n=5/n=6", "n", "twice"),
    ("daggen/n=many", "n", "integer >= 1"),
    ("daggen/n=0", "n", "integer >= 1"),
    ("daggen/density=1.5", "density", "[0, 1]"),
    ("daggen/jump=0.5", "jump", "integer >= 1"),
    ("daggen/seed=-2", "seed", "seed"),
    ("daggen/types=P1++P2", "types", "P1+P2"),
    ("daggen:n=5,seed=2", "<spec>", "write 'daggen/n=5/seed=2'"),
])
def test_bad_specs_name_the_parameter_and_the_fix(spec: str, field: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        catalog.get_workload(spec)
    assert info.value.source == spec and info.value.field == field
    assert words in str(info.value)


def test_misspelt_prefix_and_unknown_names_mention_specs() -> None:
    with pytest.raises(ConfigError, match="did you mean 'daggen/n=5/seed=1'"):
        catalog.get_workload("dagen/n=5/seed=1")
    with pytest.raises(ConfigError) as info:
        catalog.get_workload("canonicl")
    assert "did you mean 'canonical'" in info.value.fix and "daggen/" in info.value.fix


def test_mix_files_accept_specs(tmp_path: Path) -> None:
    path = tmp_path / "mix.yaml"
    path.write_text("name: m\nplatform: canonical3\nworkloads:\n"
                    "  daggen/n=20/seed=1: 2\n  canonical: 1\n")
    mix = catalog.get_mix(str(path))
    spec = parse_spec("daggen/n=20/seed=1").spec
    assert dict(mix.weights) == {spec: 2.0, "canonical": 1.0}
    path.write_text("name: m\nworkloads: {daggen/n=0: 1}\n")
    with pytest.raises(ConfigError, match="integer >= 1") as info:
        catalog.get_mix(str(path))
    assert info.value.field == "workloads.daggen/n=0"


# ----------------------------------------------------------------------- simulation


def test_generated_profile_binds_to_canonical3_and_runs_to_completion() -> None:
    platform = catalog.get_platform("canonical3")
    profile = catalog.get_workload("daggen/n=40/jump=2/ccr=2/seed=6")
    bound = profile.bind(platform)
    assert all(pes == [0, 1, 2] for pes in bound.eligible_pes)
    source = JobSource([bound], arrivals=Batch(), max_jobs=1)
    result = Simulator(platform, source, seed=0, keep_trace=True).run(MinimumExecutionTime())
    assert result.metrics["completed"] == 1
    assert len(result.trace) == 40


def test_declared_types_let_a_graph_bind_where_only_some_exist() -> None:
    profile = random_dag(DagParams(n=10), ("P1", "GPU"), 0)
    bound = profile.bind(catalog.get_platform("canonical3"))
    assert all(pes == [0] for pes in bound.eligible_pes)  # P1 only
