"""Fix hints name flags that exist: a refused resume lists its fields; limits per command."""

from __future__ import annotations

import pickle
from pathlib import Path

import gymnasium as gym
import pytest
import torch

import socsim.envs  # noqa: F401  (registers the environments)
from socsim.agents.learned.common import config_diff
from socsim.cli import main
from socsim.envs import ObservationLimitError

TINY = '{"horizon": 300}'


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Error lines are not wrapped by the console."""
    monkeypatch.setenv("COLUMNS", "100000")
    torch.set_num_threads(1)


def one_line(capsys: pytest.CaptureFixture, *argv: object) -> str:
    """Run ``socsim ARGV``, expect exit 2 and a one-line error; return it."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    text = (captured.err + captured.out).strip().splitlines()[-1]
    assert code == 2, captured
    assert "Traceback" not in captured.err + captured.out
    return text


def test_config_diff_lists_old_and_new_values() -> None:
    assert config_diff({"lr": 0.002, "teacher": "etf", "gone": 1},
                       {"lr": 0.01, "teacher": "etf", "new": [1]}) == \
        'gone: 1 -> (unset), lr: 0.002 -> 0.01, new: (unset) -> [1]'


def test_refused_resume_names_each_differing_field(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    run = tmp_path / "bc"
    assert main(["train", "--algo", "bc", "--episodes", "1", "--epochs", "1", "--env-kwargs",
                 TINY, "--quiet", "--out", str(run)]) == 0
    capsys.readouterr()
    text = one_line(capsys, "train", "--algo", "bc", "--episodes", "1", "--epochs", "1",
                    "--env-kwargs", '{"horizon": 400}', "--lr", "0.01", "--quiet", "--out", run)
    assert 'env_kwargs: {"horizon": 300} -> {"horizon": 400}' in text, text
    assert "lr: 0.002 -> 0.01" in text and "--out" in text, text
    assert "epochs" not in text  # a resume may train for longer


def test_limit_hint_in_python_names_the_keyword() -> None:
    with pytest.raises(ObservationLimitError, match=r"raise max_pes to at least 3 \(the "
                       r"environment keyword max_pes=3\)"):
        gym.make("socsim/DeepSoCS-v0", max_pes=1)


def test_limit_error_survives_pickling() -> None:
    exc = ObservationLimitError("too many", "max_jobs", None, cap=True)
    back = pickle.loads(pickle.dumps(exc))
    assert str(back) == str(exc) and back.for_command("compare") == exc.for_command("compare")


def test_limit_hint_for_train_names_env_kwargs(tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    text = one_line(capsys, "train", "--algo", "bc", "--episodes", "1", "--epochs", "1",
                    "--env-kwargs", '{"horizon": 300, "max_pes": 1}', "--quiet", "--out",
                    tmp_path / "bc")
    assert "Fix: add --env-kwargs '{\"max_pes\": 3}'" in text, text
    assert "raise max_pes" not in text


def test_limit_hint_for_compare_names_what_compare_can_do(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    run = tmp_path / "bc"
    assert main(["train", "--algo", "bc", "--episodes", "1", "--epochs", "1", "--env-kwargs",
                 TINY, "--quiet", "--out", str(run)]) == 0
    capsys.readouterr()
    text = one_line(capsys, "compare", "--schedulers", f"learned:{run},etf", "--seeds", "1",
                    "--horizon", "300", "--workers", "1", "--no-gantt", "--out", tmp_path / "c")
    assert "max_pes=3" in text and "socsim compare takes no environment keywords" in text
    assert "socsim train --env-kwargs '{\"max_pes\": 16}'" in text and "--platform" in text
    assert "raise max_pes" not in text


def test_config_and_scenario_errors_cross_process_boundaries_intact() -> None:
    """A worker's error reaches the parent whole (a pool unpickles it), not as a TypeError."""
    import pickle

    from socsim.errors import ConfigError, ScenarioError

    for error in (ConfigError("p.yaml", "pe_types[0].name", "is missing", "give a name"),
                  ScenarioError("jobs", "must be >= 0, got -1", "N >= 0")):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
        assert vars(copy) == vars(error)
