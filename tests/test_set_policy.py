"""The size-agnostic set policy (``learned:default``): sizes, symmetry, masks, teacher, resume."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from socsim.agents.learned.candidates import (  # noqa: E402
    FEATURES,
    NUM_FEATURES,
    Candidates,
    ScaleCache,
    candidates,
)
from socsim.agents.learned.checkpoint import CheckpointError  # noqa: E402
from socsim.agents.learned.dagger import (  # noqa: E402
    DaggerConfig,
    Decisions,
    Episode,
    label_episode,
    numpy_weights,
)
from socsim.agents.learned.finetune import RLConfig  # noqa: E402
from socsim.agents.learned.recipe import Recipe, Trainer  # noqa: E402
from socsim.agents.learned.set_policy import Batch, SetPolicy, SetPolicyConfig  # noqa: E402
from socsim.agents.learned.set_scheduler import (  # noqa: E402
    SHIPPED_SET,
    SetPolicyScheduler,
    greedy,
    load_set_policy,
    run_batched,
    save_set_policy,
)
from socsim.agents.learned.task_suite import Case  # noqa: E402
from socsim.envs.random_dag import RandomDAGGenerator  # noqa: E402
from socsim.registry import make_scheduler  # noqa: E402
from socsim.scenario import Scenario  # noqa: E402

SHORT = Case("deepsocs/top5/25/0.5", horizon=400.0)


def fresh_policy(seed: int = 0) -> SetPolicy:
    torch.manual_seed(seed)
    return SetPolicy()


def random_dag_sim(pes: int, seed: int = 3):
    base = Scenario(platform="canonical3", workload="canonical", arrival="batch", jobs=1,
                    max_in_system=0)
    return RandomDAGGenerator(base, tasks=(30, 30), pes=(pes, pes), dag={}).simulator(seed)


def test_no_parameter_depends_on_sizes():
    import dataclasses

    # The configuration names no size of any platform or workload ...
    assert {f.name for f in dataclasses.fields(SetPolicyConfig)} == {"features", "hidden"}
    # ... and one set of weights scores decisions of 2 and of 64 PEs alike.
    policy = fresh_policy(0)
    decisions = []
    for pes in (2, 64):
        sim = random_dag_sim(pes)
        sim.prepare(None)
        sim.advance()
        decisions.append(candidates(sim.view))
    with torch.no_grad():
        logp, _ = policy(Batch.of(decisions))
    assert logp.shape == (sum(len(d) for d in decisions),)
    assert len(decisions[1]) > 10 * len(decisions[0]) / 2


@pytest.mark.parametrize("pes", [2, 3, 16, 64])
def test_one_checkpoint_runs_on_2_to_64_pes(pes):
    scheduler = make_scheduler("learned:default")
    result = random_dag_sim(pes).run(scheduler)
    assert result.metrics["completed"] == 1
    assert scheduler.decisions == 30


@pytest.mark.parametrize("jobs", [1, 20])
def test_one_checkpoint_runs_with_1_to_20_jobs(jobs):
    scenario = Scenario(platform="canonical3", workload="canonical", arrival="batch",
                        jobs=jobs, max_in_system=jobs)
    result = scenario.simulator(1).run(make_scheduler("learned:default"))
    assert result.metrics["completed"] == jobs


def test_scores_are_permutation_equivariant_over_pes_and_tasks():
    sim = random_dag_sim(6, seed=5)
    sim.prepare(None)
    assert sim.advance()
    policy = fresh_policy(1)
    # Several ready tasks: place the first few by EFT until the decision is rich.
    found = candidates(sim.view)
    assert len(np.unique(found.task)) >= 2 and len(np.unique(found.pe)) >= 2
    rng = np.random.default_rng(0)
    task_perm = rng.permutation(found.task.max() + 1)
    pe_perm = rng.permutation(found.pe.max() + 1)
    rows = rng.permutation(len(found))
    shuffled = Candidates([found.pairs[r] for r in rows], found.features[rows],
                          task_perm[found.task[rows]], pe_perm[found.pe[rows]])
    with torch.no_grad():
        logp, value = policy(Batch.of([found]))
        logp2, value2 = policy(Batch.of([shuffled]))
    assert torch.allclose(logp[torch.from_numpy(rows)], logp2, atol=1e-5)
    assert torch.allclose(value, value2, atol=1e-5)


def test_a_batch_scores_each_decision_as_alone():
    sims = [random_dag_sim(p, seed=p) for p in (2, 5, 9)]
    decisions = []
    for sim in sims:
        sim.prepare(None)
        sim.advance()
        decisions.append(candidates(sim.view))
    policy = fresh_policy(2)
    with torch.no_grad():
        together, values = policy(Batch.of(decisions))
        alone = torch.cat([policy(Batch.of([d]))[0] for d in decisions])
    assert torch.allclose(together, alone, atol=1e-5)
    assert values.shape == (3,)


def test_candidates_never_offer_a_dead_or_ineligible_pe():
    scenario = SHORT.scenario().replace(fail=("1@50-200",), horizon=300.0)
    sim = scenario.simulator(4)
    sim.prepare(None)
    seen_down = False
    while sim.advance():
        while True:
            found = candidates(sim.view)
            if not len(found):
                break
            for job, task, pe in found.pairs:
                assert sim.view.is_alive(pe)
                assert pe in sim.view.eligible_pes(job, task)
                assert (job, task) in sim.view.ready
            seen_down |= not sim.view.is_alive(1)
            sim.assign(*found.pairs[0])
    assert seen_down


def test_batched_runs_equal_one_at_a_time_runs():
    policy = fresh_policy(3)
    cases = [(SHORT, 7), (Case("random-dag"), 8), (Case("deepsocs/canonical/50/0",
                                                        horizon=300.0), 9)]
    batched = run_batched([c.simulator(s) for c, s in cases], greedy(policy))
    for (case, seed), result in zip(cases, batched, strict=True):
        alone = case.simulator(seed).run(SetPolicyScheduler(policy))
        assert alone.metrics == pytest.approx(result.metrics, nan_ok=True)


def test_dagger_labels_are_the_experts_choices():
    expert = "rollout:etf,k=2,samples=2"
    case = Case("deepsocs/canonical/25/0.5", horizon=250.0)
    labelled = label_episode(Episode(case, 5, 1.0, None, SetPolicyConfig(), expert))
    # With beta = 1 the run is the expert's own run: same placements, same result.
    alone = case.simulator(5).run(make_scheduler(expert))
    assert labelled.latency == pytest.approx(alone.metrics["censored_mean_latency"])
    assert len(labelled.data) > 10
    # And every label is the expert's choice in that state (not, say, ETF's).
    etf_disagrees = 0
    sim = case.simulator(5)
    teacher = make_scheduler(expert)
    sim.prepare(teacher)
    labels = iter(labelled.data.labels)
    while sim.advance():
        while True:
            found = candidates(sim.view)
            if not len(found):
                break
            wanted = teacher.choose(sim.view)
            row = found.pairs.index(wanted)
            if len(found) > 1:
                assert next(labels) == row
                etf_disagrees += row != int(np.argmin(found.features[:, 0]))
            teacher.commit(sim.view, wanted)
            sim.assign(*wanted)
    assert etf_disagrees > 0  # the labels carry the lookahead, not just earliest finish


def test_a_dagger_learner_makes_its_own_placements():
    policy = fresh_policy(4)
    case = Case("deepsocs/canonical/25/0", horizon=200.0)
    mixed = label_episode(Episode(case, 5, 0.0, numpy_weights(policy), SetPolicyConfig(),
                                  "rollout:etf,k=2,samples=1"))
    learner = case.simulator(5).run(SetPolicyScheduler(policy))
    # beta = 0: the learner's own run, labelled by the expert.
    assert mixed.latency == pytest.approx(learner.metrics["censored_mean_latency"])
    assert 0 <= mixed.learner_agreed < len(mixed.data)


def tiny_recipe() -> Recipe:
    return Recipe(dagger=DaggerConfig(iterations=2, seeds_per_case=1, epochs=1, workers=1,
                                      expert="rollout:etf,k=2,samples=1"),
                  rl=RLConfig(iterations=1, samples=2, epochs=1, workers=1),
                  refine=DaggerConfig(iterations=2, seeds_per_case=1, epochs=1, workers=1,
                                      expert="rollout:etf,k=2,samples=1",
                                      family_weights=(("random-dag", 3.0),)),
                  cases=(Case("deepsocs/canonical/25/0.5", horizon=200.0),
                         Case("random-dag")), quick=True)


@pytest.mark.parametrize("stop", [2, 4])  # in the RL stage; inside the refining stage
def test_resume_gives_the_same_state(tmp_path, stop):
    validation = [(Case("deepsocs/canonical/25/0", horizon=200.0), 50_000)]
    whole = Trainer(tiny_recipe(), tmp_path / "whole", echo=False, validation=validation)
    whole.run()
    part = Trainer(tiny_recipe(), tmp_path / "part", echo=False, validation=validation,
                   stop_after=stop)
    part.run()
    resumed = Trainer(tiny_recipe(), tmp_path / "part", resume=True, echo=False,
                      validation=validation)
    assert resumed.step == stop
    resumed.run()
    for key, value in whole.policy.state_dict().items():
        assert torch.equal(value, resumed.policy.state_dict()[key]), key
    assert whole.placements == resumed.placements
    with pytest.raises(CheckpointError, match="--resume"):
        Trainer(tiny_recipe(), tmp_path / "whole", echo=False, validation=validation)


def test_the_refining_stage_starts_from_the_best_step_and_the_best_step_ships(tmp_path):
    import json

    from socsim.agents.learned.set_scheduler import checkpoint_meta

    validation = [(Case("deepsocs/canonical/25/0", horizon=200.0), 50_000)]
    trainer = Trainer(tiny_recipe(), tmp_path / "run", echo=False, validation=validation)
    shipped = trainer.run()
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    steps = [entry for entry in log if "stage" in entry]
    assert [(e["stage"], e["step"]) for e in steps] == [
        ("init", 0), ("dagger", 0), ("dagger", 1), ("rl", 0), ("refine", 0), ("refine", 1)]
    # The best step before refining (by validation) is where refining started ...
    before = min(steps[1:4], key=lambda e: e["validation_ratio"])
    start = load_set_policy(tmp_path / "run" / "before_refine.pt")
    assert checkpoint_meta(tmp_path / "run" / "before_refine.pt")["stage"] == \
        f"{before['stage']}:{before['step']}"
    # ... and the best of all trained steps, refining included, is shipped.
    best = min(steps[1:], key=lambda e: e["validation_ratio"])
    tag = f"{best['stage']}:{best['step']}"
    assert steps[-1]["shipped"] == tag == checkpoint_meta(shipped)["stage"]
    final = load_set_policy(shipped)
    expected = {"refine:1": trainer.policy, f"{before['stage']}:{before['step']}": start}
    if tag in expected:
        for key, value in expected[tag].state_dict().items():
            assert torch.equal(value, final.state_dict()[key]), key
    # Refining fits its own labels only: the last fit saw the two refine iterations' labels.
    refined = sum(len(Decisions.load(tmp_path / "run" / f"refine_labels_{i}.npz"))
                  for i in range(2))
    assert len(trainer.data) == refined


def test_checkpoints_round_trip_and_refuse_bad_files(tmp_path):
    policy = fresh_policy(5)
    path = tmp_path / "p.pt"
    save_set_policy(policy, path, {"stage": "test"})
    loaded = load_set_policy(path)
    for key, value in policy.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])
    bad = tmp_path / "bad.pt"
    torch.save({"kind": "set-policy", "config": {"features": 24, "hidden": 10**9},
                "policy": policy.state_dict()}, bad)
    with pytest.raises(CheckpointError, match="hidden"):
        load_set_policy(bad)
    torch.save({"kind": "set-policy", "config": {"features": 24, "hidden": 32},
                "policy": policy.state_dict()}, bad)
    with pytest.raises(CheckpointError, match="does not fit"):
        load_set_policy(bad)
    torch.save({"kind": "set-policy", "config": {"features": NUM_FEATURES + 1, "hidden": 32},
                "policy": policy.state_dict()}, bad)
    with pytest.raises(CheckpointError, match="newer socsim"):
        load_set_policy(bad)
    assert load_set_policy(SHIPPED_SET).config.features == NUM_FEATURES


def test_a_checkpoint_with_fewer_features_reads_the_columns_it_was_trained_on():
    # Feature columns are only ever appended: an older policy scores the first ones.
    torch.manual_seed(3)
    old = SetPolicy(SetPolicyConfig(features=NUM_FEATURES - 2, hidden=16)).eval()
    sim = SHORT.simulator(4)
    sim.prepare(None)
    assert sim.advance()
    found = candidates(sim.view)
    cut = replace(found, features=np.ascontiguousarray(found.features[:, :NUM_FEATURES - 2]))
    with torch.no_grad():
        full, _ = old(Batch.of([found]))
        trimmed, _ = old(Batch.of([cut]))
    assert torch.equal(full, trimmed)


def test_the_recipe_trains_a_policy_on_fewer_columns(tmp_path):
    # An ablation without the last columns: labels keep every column, the network reads
    # the first ones, in imitation, RL and refining alike.
    recipe = replace(tiny_recipe(), policy=SetPolicyConfig(features=NUM_FEATURES - 2, hidden=16))
    validation = [(Case("deepsocs/canonical/25/0", horizon=200.0), 50_000)]
    path = Trainer(recipe, tmp_path / "run", echo=False, validation=validation).run()
    assert load_set_policy(path).config.features == NUM_FEATURES - 2


def greedy_on_column(case: Case, seed: int, column: str) -> float:
    """Censored latency of placing, one at a time, the candidate least in ``column``."""
    index = FEATURES.index(column)
    sim = case.simulator(seed)
    sim.prepare(None)
    cache = ScaleCache()
    while sim.advance():
        while len(found := candidates(sim.view, cache)):
            sim.assign(*found.pairs[int(np.argmin(found.features[:, index]))])
    return sim.result("column").metrics["censored_mean_latency"]


def test_the_free_finish_column_is_etfs_own_estimate_on_a_static_dag():
    # Counting the queued tasks' input waits (free_finish) gives ETF's choices on a DAG
    # at t = 0; the live-queue finish, which ignores them, schedules some DAGs worse.
    case = Case("random-dag")
    worse = 0
    for seed in range(100_000, 100_005):
        etf = case.simulator(seed).run(make_scheduler("etf")).metrics["censored_mean_latency"]
        assert greedy_on_column(case, seed, "free_finish_gap") == pytest.approx(etf, rel=1e-12)
        worse += greedy_on_column(case, seed, "finish_gap") > etf * (1 + 1e-9)
    assert worse >= 1


def greedy_by_rank_then_column(case: Case, seed: int, column: str) -> float:
    """Makespan of placing the highest-ranked ready task on its PE least in ``column``."""
    index, rank = FEATURES.index(column), FEATURES.index("rank")
    sim = case.simulator(seed)
    sim.prepare(None)
    cache = ScaleCache()
    while sim.advance():
        while len(found := candidates(sim.view, cache)):
            # Ties in rank to the first ready task, as peft-rt's stable sort does.
            top = found.features[:, rank].max()
            task = found.task[int(np.flatnonzero(found.features[:, rank] == top)[0])]
            rows = np.flatnonzero(found.task == task)
            sim.assign(*found.pairs[int(rows[np.argmin(found.features[rows, index])])])
    return sim.result("column").metrics["makespan"]


def test_the_oct_column_is_runtime_pefts_pe_choice():
    # The least oct_finish_gap of a task is the PE peft-rt gives it, and on DAGGEN graphs
    # (communication-heavy, heterogeneous) that rule beats ETF clearly.
    case = Case("daggen")
    gains = []
    for seed in range(100_000, 100_006):
        peft = case.simulator(seed).run(make_scheduler("peft-rt")).metrics["makespan"]
        mine = greedy_by_rank_then_column(case, seed, "oct_finish_gap")
        assert mine == pytest.approx(peft, rel=1e-6)
        etf = case.simulator(seed).run(make_scheduler("etf")).metrics["makespan"]
        gains.append(etf / peft)
    assert np.mean(gains) > 1.02


def test_daggen_cases_are_deterministic_and_never_a_static_test_graph():
    from socsim.agents.learned.task_suite import DAGGEN_FIRST_SEED, daggen_spec

    specs = [daggen_spec(seed) for seed in range(50)]
    assert specs == [daggen_spec(seed) for seed in range(50)]
    assert len(set(specs)) == 50
    assert all(int(spec.rsplit("seed=", 1)[1]) >= DAGGEN_FIRST_SEED for spec in specs)
    a = Case("daggen").simulator(7).run(make_scheduler("etf")).metrics
    b = Case("daggen").simulator(7).run(make_scheduler("etf")).metrics
    assert a == b


def test_compare_batches_learned_runs_and_gets_the_same_rows():
    from socsim.agents.compare import RunSpec, compare, group_runs

    scenario = SHORT.scenario()
    specs = [RunSpec(scenario, "learned:default", s) for s in range(5)] + \
        [RunSpec(scenario, "etf", s) for s in range(2)]
    groups = group_runs(specs, 2)
    assert [len(g) for g in groups] == [3, 2, 1, 1]
    batched = compare(scenario, ["learned:default", "etf"], list(range(5)), workers=1)
    for row in batched.rows[:5]:
        alone = scenario.simulator(row["seed"]).run(make_scheduler("learned:default"))
        assert row["censored_mean_latency"] == pytest.approx(
            alone.metrics["censored_mean_latency"])


def test_the_shipped_policy_acts_in_the_gym_env_as_in_the_emulator():
    import gymnasium as gym

    scheduler = make_scheduler("learned:default")
    env = gym.make("socsim/DeepSoCS-v0", action_mode="assign", horizon=600.0, baseline=None)
    env.reset(seed=0, options={"sim_seed": 11})
    done = False
    steps = 0
    while not done:
        action = scheduler.act(env)
        assert env.unwrapped.action_masks()[action]  # never a masked action
        *_, terminated, truncated, info = env.step(action)
        done = terminated or truncated
        steps += 1
    assert steps > 20
    scenario = env.unwrapped.generator.scenario
    alone = scenario.simulator(11).run(make_scheduler("learned:default"))
    assert info["metrics"]["censored_mean_latency"] == pytest.approx(
        alone.metrics["censored_mean_latency"])


@pytest.mark.parametrize("env_id, kwargs", [
    ("socsim/SoCStream-v0", {"action_mode": "assign", "horizon": 60_000.0}),
    ("socsim/RandomDAG-v0", {"action_mode": "assign", "pes": (2, 32)}),
    ("socsim/DAGSchedule-v0", {"action_mode": "order"}),
])
def test_the_shipped_policy_runs_every_env_without_a_masked_action(env_id, kwargs):
    import gymnasium as gym

    scheduler = make_scheduler("learned:default")
    env = gym.make(env_id, **kwargs)
    for seed in range(2):
        env.reset(seed=seed)
        while True:
            action = scheduler.act(env)
            assert env.unwrapped.action_masks()[action]
            *_, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break
        assert info["metrics"]["completed"] > 0


def test_a_plan_collected_without_applying_it_places_each_ready_task_once():
    # What a lookahead scheduler does with its base: list decide() without running it.
    sim = random_dag_sim(4, seed=9)
    sim.prepare(None)
    sim.advance()
    ready = set(sim.view.ready)
    plan = list(SetPolicyScheduler(fresh_policy(6)).decide(sim.view))
    assert sorted((j, t) for j, t, _ in plan) == sorted(ready)
    result = make_scheduler("rollout:learned:default,k=2,samples=1")  # finite, and runs
    assert random_dag_sim(4, seed=9).run(result).metrics["completed"] == 1


def test_imitation_gap_reads_a_recipe_run_and_counts_departures(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "experiments" / "set_agent" / "imitation_gap.py"
    spec = importlib.util.spec_from_file_location("imitation_gap", script)
    gap = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gap)
    validation = [(Case("deepsocs/canonical/25/0", horizon=200.0), 50_000)]
    Trainer(tiny_recipe(), tmp_path / "run", echo=False, validation=validation).run()
    assert gap.main([str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "labels_0" in out and "labels_1" in out and "all labels" in out
    # The rule agrees with itself: no departures caught, none false; the policies follow.
    assert "| earliest-finish rule |" in out and "| imitation.pt |" in out
    data = Decisions.load(tmp_path / "run" / "labels_0.npz")
    rule = gap.earliest_finish(data)
    share = 100 * np.mean(data.labels != rule)
    assert f"departs from the earliest-finish rule in {share:.1f} %" in out
    assert share > 0  # the expert does depart from the rule
    assert gap.main([str(tmp_path / "empty")]) == 2
    assert "no labels_<i>.npz" in capsys.readouterr().err
    assert gap.main([]) == 2 and gap.main(["--fresh", str(tmp_path / "run")]) == 2
    assert "a recipe run folder or --fresh" in capsys.readouterr().err
    # --fresh scores the committed stage checkpoints: each loads, at the shipped sizes.
    for path in gap.committed_policies().values():
        assert load_set_policy(path).config == load_set_policy(SHIPPED_SET).config


def test_the_edp_variant_trades_latency_for_energy_on_the_papers_mix():
    runs = [Case("papers-mix", jobs=8).simulator(seed) for seed in (100_000, 100_001, 100_002)]
    twins = [Case("papers-mix", jobs=8).simulator(seed) for seed in (100_000, 100_001, 100_002)]
    variant = make_scheduler("learned:edp")
    assert variant.name == "learned:edp"
    ours = variant.run_batch(runs)
    theirs = make_scheduler("learned:default").run_batch(twins)
    assert all(r.metrics["completed"] == 8 for r in ours)  # nothing starved
    edp = sum(r.metrics["edp"] for r in ours)
    assert edp < sum(r.metrics["edp"] for r in theirs)
    assert sum(r.metrics["energy_uj"] for r in ours) < sum(r.metrics["energy_uj"] for r in theirs)


def test_the_recipe_refuses_an_expert_that_cannot_label(capsys, tmp_path):
    from socsim.agents.learned.recipe import main

    for expert, says in (("etf", "cannot label"), ("rollout:nosuch", "nosuch")):
        assert main(["--expert", expert, "--out", str(tmp_path / "run")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: --expert") and says in err and "\n" not in err
    assert not (tmp_path / "run").exists()


def test_each_family_is_labelled_by_its_own_expert(tmp_path, monkeypatch):
    from socsim.agents.learned import recipe as recipe_module

    seen: list[tuple[str, str]] = []
    real = recipe_module.collect

    def spying(jobs, workers):
        seen.extend((job.case.family, job.expert) for job in jobs)
        return real(jobs, workers)

    monkeypatch.setattr(recipe_module, "collect", spying)
    experts = (("random-dag", "rollout:etf-live,k=2,samples=1"),)
    recipe = replace(tiny_recipe(), dagger=replace(tiny_recipe().dagger, iterations=1,
                                                   family_experts=experts),
                     rl=replace(tiny_recipe().rl, iterations=0),
                     refine=replace(tiny_recipe().refine, iterations=0))
    validation = [(Case("deepsocs/canonical/25/0", horizon=200.0), 50_000)]
    Trainer(recipe, tmp_path / "run", echo=False, validation=validation).run()
    assert sorted(set(seen)) == [("deepsocs", "rollout:etf,k=2,samples=1"),
                                 ("random-dag", "rollout:etf-live,k=2,samples=1")]
    # The shipped recipe: random DAGs by rollout:etf, DAGGEN graphs by rollout:peft-rt,
    # the rest by rollout:etf-live.
    assert Recipe().dagger.expert_for("random-dag") == "rollout:etf"
    assert Recipe().dagger.expert_for("daggen") == "rollout:peft-rt"
    assert Recipe().refine.expert_for("papers-mix") == "rollout:etf-live"


def test_the_recipe_refuses_bad_family_experts(capsys, tmp_path):
    from socsim.agents.learned.recipe import main

    for item, says in (("nosuch=rollout:etf", "FAMILY=EXPERT"), ("random-dag=etf", "cannot label"),
                       ("random-dag", "FAMILY=EXPERT")):
        assert main(["--family-expert", item, "--out", str(tmp_path / "run")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: --family-expert") and says in err and "\n" not in err
    assert not (tmp_path / "run").exists()


def test_a_refining_stage_alone_refines_the_initial_weights(tmp_path):
    recipe = replace(tiny_recipe(), dagger=replace(tiny_recipe().dagger, iterations=0),
                     rl=replace(tiny_recipe().rl, iterations=0),
                     refine=replace(tiny_recipe().refine, iterations=1))
    validation = [(Case("deepsocs/canonical/25/0", horizon=200.0), 50_000)]
    trainer = Trainer(recipe, tmp_path / "run", echo=False, validation=validation)
    start = {k: v.clone() for k, v in trainer.policy.state_dict().items()}
    shipped = load_set_policy(trainer.run())
    before = load_set_policy(tmp_path / "run" / "before_refine.pt")
    assert all(torch.equal(before.state_dict()[k], v) for k, v in start.items())
    assert any(not torch.equal(shipped.state_dict()[k], v) for k, v in start.items())


def test_family_weights_scale_a_familys_share_of_the_imitation_loss():
    count = {"deepsocs": 900, "papers-mix": 60, "random-dag": 40}
    equal = DaggerConfig().family_shares(count)
    # By default every family's decisions together weigh the same, and the mean decision 1.
    totals = {f: equal[f] * n for f, n in count.items()}
    assert max(totals.values()) == pytest.approx(min(totals.values()))
    assert sum(totals.values()) == pytest.approx(sum(count.values()))
    tripled = DaggerConfig(family_weights=(("papers-mix", 3.0),)).family_shares(count)
    weighed = {f: tripled[f] * n for f, n in count.items()}
    assert weighed["papers-mix"] == pytest.approx(3 * weighed["deepsocs"])
    assert weighed["random-dag"] == pytest.approx(weighed["deepsocs"])
    assert sum(weighed.values()) == pytest.approx(sum(count.values()))


def test_the_recipe_refuses_bad_family_weights(capsys, tmp_path):
    from socsim.agents.learned.recipe import main

    for text, says in (("papers=2", "FAMILY=WEIGHT"), ("papers-mix=-1", "positive"),
                       ("papers-mix=x", "positive"), ("papers-mix", "FAMILY=WEIGHT")):
        assert main(["--family-weights", text, "--out", str(tmp_path / "run")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: --family-weights") and says in err and "\n" not in err
    assert not (tmp_path / "run").exists()


def test_the_edp_table_script_writes_every_row(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "experiments" / "set_agent" / "edp.py"
    spec = importlib.util.spec_from_file_location("edp_table", script)
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    table.main(["--seeds", "2", "--no-teacher", "--workers", "1", "--out",
                str(tmp_path / "edp.md")])
    text = (tmp_path / "edp.md").read_text()
    for row in ("| eft-energy |", "| min-edp |", "| learned:edp |", "| untrained |",
                "| its start (edp_start.pt) |"):
        assert row in text
    assert "--seeds 2 --no-teacher" in text and "±" in text


def test_the_static_heldout_script_pairs_the_agent_with_each_heuristic(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "experiments" / "set_agent" / \
        "static_heldout.py"
    spec = importlib.util.spec_from_file_location("static_heldout", script)
    heldout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(heldout)
    assert len(heldout.graphs(3, 10)) == 96
    assert not set(heldout.graphs(3, 10)) & set(heldout.graphs(1, 2))  # run.py's 24
    out = tmp_path / "static.md"
    assert heldout.main(["--seeds", "1-1", "--workers", "1", "--markdown", str(out)]) == 0
    text = out.read_text()
    assert "12 graphs with a proven optimum" in text and "--seeds 1-1" in text
    for name in ("agent", *heldout.HEURISTICS):
        assert f"| {name} |" in text
    gaps = [float(line.split("|")[2].split("±")[0]) for line in text.splitlines()
            if line.startswith("| ") and "±" in line and "scheduler" not in line]
    assert all(gap >= 0 for gap in gaps)  # nothing beats a proven optimum
    capsys.readouterr()
    assert heldout.main(["--seeds", "5-2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --seeds '5-2'") and "e.g. 3-10" in err and "\n" not in err.strip()
