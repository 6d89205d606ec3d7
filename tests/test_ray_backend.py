"""The Ray backend: same results as the local backend, and retries that lose nothing.

Skipped when Ray is not installed (``pip install -e ".[test,ray]"`` runs them).
One local Ray instance with 2 CPUs serves the whole module.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray")

import torch  # noqa: E402

from socsim.agents.compare import compare  # noqa: E402
from socsim.agents.distributed import RayActorPool, RayExecutor, ray_session  # noqa: E402
from socsim.agents.learned.checkpoint import load_checkpoint  # noqa: E402
from socsim.agents.learned.train_reinforce import (  # noqa: E402
    ReinforceConfig,
    Trainer,
    _rollout,
)
from socsim.agents.scenario import DEEPSOCS  # noqa: E402
from socsim.agents.sweep import parse_sweep, run_sweep  # noqa: E402
from socsim.cli import main  # noqa: E402

SMALL = DEEPSOCS.scenario.replace(horizon=600.0)
NAMES, SEEDS = ["heft-rt", "etf"], [0, 1]


@pytest.fixture(scope="module", autouse=True)
def ray_instance():
    # Ray workers cannot import this test module: ship its functions by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=80 * 1024 * 1024)
    yield
    ray.shutdown()


def die_on_first_attempt(marker_dir: str, fn: Any, *args: Any) -> Any:
    """Kill this worker process the first time any call runs; call ``fn`` afterwards.

    Every attempt is logged to ``attempts.log`` so the test can count them.
    """
    folder = Path(marker_dir)
    with (folder / "attempts.log").open("a") as log:
        log.write(f"{os.getpid()}\n")
    try:  # exclusive creation: of two calls running at once, only one dies
        os.close(os.open(folder / "killed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return fn(*args)
    os._exit(1)  # the worker dies mid-run, without returning anything


class KillingExecutor:
    """A :class:`RayExecutor` whose first task kills its worker."""

    def __init__(self, marker_dir: Path) -> None:
        self.inner = RayExecutor(chunksize=1)
        self.marker_dir = str(marker_dir)

    def map(self, fn, *iterables):
        return self.inner.map(functools.partial(die_on_first_attempt, self.marker_dir, fn),
                              *iterables)


def test_compare_grid_matches_the_local_backend() -> None:
    local = compare(SMALL, NAMES, SEEDS, workers=2)
    on_ray = compare(SMALL, NAMES, SEEDS, backend="ray")
    assert on_ray.rows == local.rows
    assert on_ray.summary == local.summary
    one_at_a_time = compare(SMALL, NAMES, SEEDS, workers=1, backend="ray")
    assert one_at_a_time.rows == local.rows


def test_executor_keeps_input_order_with_chunks_and_a_window() -> None:
    executor = RayExecutor(workers=2, chunksize=3)
    assert list(executor.map(pow, range(10), [2] * 10)) == [k * k for k in range(10)]


def test_a_killed_task_is_retried_and_nothing_is_lost_or_doubled(tmp_path: Path) -> None:
    local = compare(SMALL, NAMES, SEEDS, workers=1)
    retried = compare(SMALL, NAMES, SEEDS, executor=KillingExecutor(tmp_path))
    assert (tmp_path / "killed").exists()
    attempts = (tmp_path / "attempts.log").read_text().split()
    assert len(attempts) == len(NAMES) * len(SEEDS) + 1  # one run ran twice
    assert retried.rows == local.rows  # complete, in order, each run once
    keys = [(row["scheduler"], row["seed"]) for row in retried.rows]
    assert len(keys) == len(set(keys)) == len(NAMES) * len(SEEDS)


def test_cli_compare_on_ray_writes_the_same_runs(tmp_path: Path) -> None:
    common = ["compare", "--preset", "deepsocs", "--horizon", "600", "--seeds", "2",
              "--schedulers", "heft-rt,etf", "--no-gantt"]
    assert main([*common, "--workers", "1", "--out", str(tmp_path / "local")]) == 0
    assert main([*common, "--backend", "ray", "--out", str(tmp_path / "ray")]) == 0
    assert (tmp_path / "ray" / "runs.csv").read_text() == \
        (tmp_path / "local" / "runs.csv").read_text()


def tiny_reinforce(workers: int) -> ReinforceConfig:
    return ReinforceConfig(iterations=2, rollouts=2, workers=workers, start_decisions=30,
                           decisions_growth=10, embed_dim=8, depth=2, eval_every=0, seed=3)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    """The tiny REINFORCE run on the local fork pool with 2 workers (the reference)."""
    run = tmp_path_factory.mktemp("reinforce") / "local"
    Trainer(tiny_reinforce(2), run).run(show_progress=False)
    return run


def assert_same_run(a: Path, b: Path, steps: int = 2) -> None:
    first, second = load_checkpoint(a), load_checkpoint(b)
    assert first["step"] == second["step"] == steps
    assert first["r_bar"] == second["r_bar"]
    for key, value in first["policy"].items():
        assert torch.equal(value, second["policy"][key]), key
    logs = [[json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
            for run in (a, b)]
    assert len(logs[0]) == steps
    assert logs[0] == logs[1]  # same losses, returns and latencies at every update


def test_training_on_ray_actors_matches_the_local_pool(local_run: Path, tmp_path: Path) -> None:
    Trainer(tiny_reinforce(2), tmp_path / "ray").run(show_progress=False, backend="ray")
    assert_same_run(local_run, tmp_path / "ray")


def test_a_killed_rollout_actor_is_restarted_and_the_run_is_unchanged(
        local_run: Path, tmp_path: Path) -> None:
    (tmp_path / "marks").mkdir()
    killer = functools.partial(die_on_first_attempt, str(tmp_path / "marks"), _rollout)
    pool = RayActorPool(killer, workers=1)
    try:
        Trainer(tiny_reinforce(2), tmp_path / "ray").run(show_progress=False, pool=pool)
    finally:
        pool.close()
    assert (tmp_path / "marks" / "killed").exists()
    assert len((tmp_path / "marks" / "attempts.log").read_text().split()) == 2 * 2 + 1
    assert_same_run(local_run, tmp_path / "ray")


def test_cli_train_on_ray_matches_local(tmp_path: Path) -> None:
    assert main(["train", "--algo", "reinforce", "--env-kwargs", '{"horizon": 300}',
                 "--iterations", "1", "--rollouts", "2", "--workers", "2", "--seed", "4",
                 "--quiet", "--backend", "ray", "--out", str(tmp_path / "ray")]) == 0
    assert json.loads((tmp_path / "ray" / "args.json").read_text())["backend"] == "ray"
    # What the command trains, run here (the result does not depend on the workers).
    local = ReinforceConfig(env_kwargs={"horizon": 300}, iterations=1, rollouts=2, workers=1,
                            seed=4)
    Trainer(local, tmp_path / "local").run(show_progress=False)
    assert_same_run(tmp_path / "local", tmp_path / "ray", steps=1)


def test_a_session_inside_an_initialised_one_leaves_it_running() -> None:
    with ray_session() as inner:
        assert inner.is_initialized()
    assert ray.is_initialized()



def test_sweep_on_ray_matches_local(tmp_path: Path) -> None:
    sweep = parse_sweep({"preset": "deepsocs", "scenario": {"horizon": 500},
                         "schedulers": ["heft-rt", "etf"], "seeds": 2,
                         "grid": {"noise": [0.0, 0.3]}})
    assert run_sweep(sweep, backend="ray") == run_sweep(sweep, workers=1)
    config = tmp_path / "s.yaml"
    config.write_text("preset: deepsocs\nscenario: {horizon: 500}\nschedulers: [etf]\n"
                      "seeds: 2\ngrid: {interarrival: [25, 50]}\n")
    for backend in ("local", "ray"):
        assert main(["sweep", str(config), "--backend", backend,
                     "--out", str(tmp_path / f"{backend}.csv")]) == 0
    assert (tmp_path / "ray.csv").read_text() == (tmp_path / "local.csv").read_text()
