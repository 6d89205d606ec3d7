"""Hostile and careless inputs to the learned-agent commands (issue 11, items 1, 6, 8).

- A crafted checkpoint never runs code, through any entry point: ``load_policy``,
  resuming ``socsim train --out DIR``, ``--init``, ``learned:PATH`` in
  ``socsim compare``, ``socsim evaluate RUN``, sweep validation, PPO resume.
- Files that are not checkpoints, a corrupt ``latest.pt``, bad ``--env-kwargs`` and a
  missing run give one line naming the file or flag and the fix, exit code 2.
- ``socsim evaluate`` writes inside ``RUN/eval/`` whatever the keywords hold.
- A local Ray instance listens on loopback only, with token authentication, and an
  unreachable ``--address`` is one line that leaves no run folder behind.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import pickle
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
import torch

from socsim.agents.learned import checkpoint as ck
from socsim.agents.learned.checkpoint import (
    LATEST,
    SHIPPED,
    CheckpointError,
    load_checkpoint,
    load_policy,
)
from socsim.agents.learned.cli import eval_file_name, parse_env_kwargs
from socsim.agents.learned.train_reinforce import ReinforceConfig, Trainer
from socsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = '{"horizon": 300}'


class Payload:
    """Pickles to a call that writes ``marker``: what a crafted checkpoint would carry."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Error lines must not be wrapped by the console, whatever the temporary path's length."""
    monkeypatch.setenv("COLUMNS", "100000")
    torch.set_num_threads(1)


def cli(capsys: pytest.CaptureFixture, *argv: object) -> tuple[int, str]:
    """Run ``socsim ARGV``; the exit code and everything it printed (stderr, then stdout).

    The error may be on either stream (the CLI's own choice); the tests ask for
    it to be the only thing printed.
    """
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    text = (captured.err + captured.out).strip()
    assert "Traceback" not in text, text
    return code, text


def assert_one_line_error(code: int, text: str, *parts: str) -> None:
    assert code == 2, text
    assert text and "\n" not in text, text  # one line, nothing else
    assert "Fix:" in text, text
    for part in parts:
        assert part in text, (part, text)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny behaviour-cloning run folder (one teacher episode, one epoch)."""
    run = tmp_path_factory.mktemp("trained") / "bc"
    assert main(["train", "--algo", "bc", "--episodes", "1", "--epochs", "1", "--env-kwargs",
                 TINY, "--quiet", "--out", str(run)]) == 0
    return run


def evil_file(path: Path, marker: Path, base: dict | None = None) -> Path:
    """A torch checkpoint (zip) that holds ``base`` and a payload object."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({**(base or {}), "payload": Payload(marker)}, path)
    return path


def evil_pickle(path: Path, marker: Path, protocol: int = pickle.DEFAULT_PROTOCOL) -> Path:
    """A plain (legacy-format) pickle whose loading runs the payload."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps({"policy": Payload(marker)}, protocol=protocol))
    return path


def evil_run(folder: Path, trained: Path, marker: Path) -> Path:
    """A copy of a real run whose every checkpoint also carries a payload."""
    state = torch.load(trained / LATEST, weights_only=True)
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "config.json").write_text((trained / "config.json").read_text())
    evil_file(folder / LATEST, marker, state)
    evil_file(folder / "policy.pt", marker,
              {"policy": state["policy"], "policy_config": state["policy_config"]})
    return folder


# -- a crafted checkpoint never runs ------------------------------------------------------


def test_the_payload_really_runs_with_plain_pickle(tmp_path: Path) -> None:
    """The reproducer is live: unpickled without protection, it writes its marker."""
    marker = tmp_path / "marker"
    pickle.loads(pickle.dumps(Payload(marker)))  # what weights_only=False amounts to
    assert marker.read_text() == "pwned"


def test_load_policy_refuses_payloads(tmp_path: Path, trained: Path) -> None:
    marker = tmp_path / "marker"
    for path in (evil_pickle(tmp_path / "legacy.pt", marker),
                 evil_pickle(tmp_path / "legacy2.pt", marker, protocol=2),
                 evil_file(tmp_path / "zip.pt", marker),
                 evil_run(tmp_path / "run", trained, marker) / "policy.pt"):
        with pytest.raises(CheckpointError, match="only tensors and plain data") as info:
            load_policy(path)
        assert str(path) in str(info.value) and "Fix:" in str(info.value)
    with pytest.raises(CheckpointError):
        load_policy(tmp_path / "run")  # the run folder: its policy.pt
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "run")
    assert not marker.exists()


def test_no_cli_entry_point_runs_a_payload(tmp_path: Path, trained: Path, capsys) -> None:
    marker = tmp_path / "marker"
    run = evil_run(tmp_path / "run", trained, marker)
    legacy = evil_pickle(tmp_path / "legacy.pt", marker)

    # learned:PATH in socsim compare (a run folder, a checkpoint, a legacy pickle)
    for target in (run, run / LATEST, legacy):
        code, line = cli(capsys, "compare", "--schedulers", f"learned:{target}", "--seeds",
                            "1", "--horizon", "300", "--out", tmp_path / "cmp")
        assert_one_line_error(code, line, "only tensors and plain data", "socsim train")
    # socsim evaluate RUN
    code, line = cli(capsys, "evaluate", run, "--seeds", "1", "--baselines", "")
    assert_one_line_error(code, line, str(run / "policy.pt"))
    # resuming socsim train --out DIR (behaviour cloning and REINFORCE)
    code, line = cli(capsys, "train", "--algo", "bc", "--episodes", "1", "--epochs", "2",
                        "--env-kwargs", TINY, "--quiet", "--out", run)
    assert_one_line_error(code, line, str(run / LATEST), "--out")
    rf = tmp_path / "rf"
    evil_file(rf / LATEST, marker)
    code, line = cli(capsys, "train", "--algo", "reinforce", "--iterations", "1",
                        "--workers", "1", "--env-kwargs", TINY, "--quiet", "--out", rf)
    assert_one_line_error(code, line, str(rf / LATEST))
    # --init
    for init in (run, legacy):
        out = tmp_path / f"init_{init.name}"
        code, line = cli(capsys, "train", "--algo", "reinforce", "--init", init,
                            "--iterations", "1", "--workers", "1", "--env-kwargs", TINY,
                            "--quiet", "--out", out)
        assert_one_line_error(code, line, "only tensors and plain data")
        assert not out.exists()  # nothing half-made
    # socsim sweep, while validating the file
    sweep = tmp_path / "s.yaml"
    sweep.write_text(f"preset: deepsocs\nscenario: {{horizon: 300}}\nseeds: 1\n"
                     f"schedulers: [etf, 'learned:{run / LATEST}']\ngrid: {{noise: [0]}}\n")
    code, line = cli(capsys, "sweep", sweep, "--out", tmp_path / "t.csv")
    assert_one_line_error(code, line, str(sweep), "schedulers[1]", str(run / LATEST))
    assert not (tmp_path / "t.csv").exists()
    assert not marker.exists()


def test_ppo_never_loads_an_sb3_zip(tmp_path: Path, capsys, monkeypatch) -> None:
    """SB3's ``.zip`` unpickles its ``data`` entries: socsim refuses to resume from one."""
    pytest.importorskip("sb3_contrib")
    marker = tmp_path / "marker"
    run = tmp_path / "ppo"
    run.mkdir()
    blob = base64.b64encode(pickle.dumps(Payload(marker))).decode()
    with zipfile.ZipFile(run / "ppo_model.zip", "w") as archive:
        archive.writestr("data", json.dumps({"policy_class": {":type:": "<class>",
                                                              ":serialized:": blob}}))
    code, line = cli(capsys, "train", "--algo", "ppo", "--steps", "32", "--env-kwargs",
                        TINY, "--out", run)
    assert_one_line_error(code, line, str(run / "ppo_model.zip"), "new --out")
    evil_file(run / "ppo_state.pt", marker)
    code, line = cli(capsys, "train", "--algo", "ppo", "--steps", "32", "--env-kwargs",
                        TINY, "--out", run)
    assert_one_line_error(code, line, str(run / "ppo_state.pt"), "only tensors")
    assert not marker.exists()


def test_ppo_resumes_from_its_weights_only_state(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("sb3_contrib")
    from sb3_contrib import MaskablePPO

    from socsim.agents.learned.train_ppo import PPOConfig, train_ppo

    def refuse(*args, **kwargs):
        raise AssertionError("MaskablePPO.load must never be called")

    monkeypatch.setattr(MaskablePPO, "load", refuse)
    config = {"env_kwargs": {"horizon": 300}, "n_steps": 32, "batch_size": 32}
    train_ppo(PPOConfig(steps=32, **config), tmp_path / "ppo")
    policy = train_ppo(PPOConfig(steps=64, **config), tmp_path / "ppo")
    state = torch.load(tmp_path / "ppo" / "ppo_state.pt", weights_only=True)
    assert state["num_timesteps"] == 64
    loaded = load_policy(tmp_path / "ppo")
    for key, value in policy.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])


# -- files that are not checkpoints ------------------------------------------------------


def not_checkpoints(folder: Path, trained: Path) -> dict[str, tuple[Path, str]]:
    """Name -> (file, a part of the error): everything a careless user might pass."""
    folder.mkdir(parents=True, exist_ok=True)
    real = torch.load(trained / "policy.pt", weights_only=True)
    files = {}

    def put(name: str, content: object, expect: str) -> None:
        path = folder / f"{name}.pt"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            torch.save(content, path)
        files[name] = (path, expect)

    put("random", os.urandom(4096), "is not a socsim checkpoint")
    put("empty", b"", "is not a socsim checkpoint")
    put("text", b"hello, I am not a checkpoint\n", "is not a socsim checkpoint")
    put("truncated", (trained / "policy.pt").read_bytes()[:2000], "is not a socsim checkpoint")
    put("tensor", torch.zeros(3), "not a mapping")
    put("no_keys", {"foo": 1}, "field 'policy'")
    put("wrong_types", {"policy": "abc", "policy_config": 3}, "field 'policy'")
    put("bad_config", {"policy": real["policy"], "policy_config": [1, 2]},
        "field 'policy_config'")
    put("huge_config", {"policy": real["policy"], "policy_config": {
        **real["policy_config"], "encoder": {**real["policy_config"]["encoder"],
                                             "embed_dim": 10**12}}},
        "field 'policy_config.encoder.embed_dim'")
    put("string_depth", {"policy": real["policy"], "policy_config": {
        **real["policy_config"], "encoder": {**real["policy_config"]["encoder"],
                                             "depth": "3"}}},
        "field 'policy_config.encoder.depth'")
    shrunk = dict(real["policy"])
    first = next(iter(shrunk))
    shrunk[first] = torch.zeros(1, 1)
    put("wrong_shape", {"policy": shrunk, "policy_config": real["policy_config"]},
        "does not fit its policy_config")
    put("int_weights", {"policy": {k: torch.zeros(v.shape, dtype=torch.int64)
                                   for k, v in real["policy"].items()},
                        "policy_config": real["policy_config"]}, "float tensors")
    return files


def test_files_that_are_not_checkpoints_give_one_line(tmp_path: Path, trained: Path) -> None:
    for name, (path, expect) in not_checkpoints(tmp_path, trained).items():
        with pytest.raises(CheckpointError) as info:
            load_policy(path)
        message = str(info.value)
        assert "\n" not in message, (name, message)
        assert str(path) in message and expect in message and "Fix:" in message, (name,
                                                                                  message)
    with pytest.raises(FileNotFoundError, match="does not exist"):  # also a CheckpointError
        load_policy(tmp_path / "missing.pt")
    (tmp_path / "empty_run").mkdir()
    with pytest.raises(CheckpointError, match=r"holds no policy\.pt"):
        load_policy(tmp_path / "empty_run")
    if hasattr(os, "mkfifo"):  # reading a FIFO would block forever
        os.mkfifo(tmp_path / "fifo.pt")
        with pytest.raises(CheckpointError, match="not a regular file"):
            load_policy(tmp_path / "fifo.pt")


def test_compare_with_a_file_that_is_not_a_checkpoint(tmp_path: Path, trained: Path,
                                                      capsys) -> None:
    files = not_checkpoints(tmp_path / "files", trained)
    for name in ("random", "no_keys", "huge_config"):
        path, expect = files[name]
        code, line = cli(capsys, "compare", "--schedulers", f"learned:{path}", "--seeds", "1",
                            "--horizon", "300", "--out", tmp_path / "cmp")
        assert_one_line_error(code, line, str(path), expect)
    code, line = cli(capsys, "compare", "--schedulers", f"learned:{tmp_path / 'nope'}",
                        "--seeds", "1", "--out", tmp_path / "cmp")
    assert_one_line_error(code, line, str(tmp_path / "nope"), "does not exist",
                          "socsim train --out DIR")


def test_evaluate_a_missing_run(tmp_path: Path, capsys) -> None:
    code, line = cli(capsys, "evaluate", tmp_path / "nonexistent_run")
    assert_one_line_error(code, line, str(tmp_path / "nonexistent_run"), "does not exist",
                          "socsim train --out DIR")
    (tmp_path / "empty").mkdir()
    code, line = cli(capsys, "evaluate", tmp_path / "empty")
    assert_one_line_error(code, line, str(tmp_path / "empty"), "holds no policy.pt")


def test_evaluate_with_a_corrupt_config(tmp_path: Path, trained: Path, capsys) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "policy.pt").write_bytes((trained / "policy.pt").read_bytes())
    for text, field in (("{not json", "<file>"), ("[1]", "<file>"),
                        ('{"env_id": 3}', "env_id"), ('{"env_kwargs": [1]}', "env_kwargs")):
        (run / "config.json").write_text(text)
        code, line = cli(capsys, "evaluate", run, "--seeds", "1", "--baselines", "")
        assert_one_line_error(code, line, str(run / "config.json"), f"field '{field}'")


# -- a damaged run folder being resumed --------------------------------------------------


def test_resuming_a_corrupt_latest_checkpoint(tmp_path: Path, trained: Path, capsys) -> None:
    state = torch.load(trained / LATEST, weights_only=True)
    optimizer = state["optimizer"]
    first = next(iter(optimizer["state"]))
    bad_optimizer = {**optimizer, "state": {**optimizer["state"], first: {
        **optimizer["state"][first], "exp_avg": torch.zeros(2, 2, 2)}}}
    damaged = {
        "truncated": (trained / LATEST).read_bytes()[:1000],
        "random": os.urandom(500),
        "policy_pt_only": {"policy": state["policy"], "policy_config": state["policy_config"]},
        "string_step": {**state, "step": "3"},
        "bad_rng": {**state, "rng": {**state["rng"], "torch": torch.zeros(3)}},
        "bad_optimizer": {**state, "optimizer": bad_optimizer},
        "bad_lr": {**state, "optimizer": {**optimizer, "param_groups": [
            {**optimizer["param_groups"][0], "lr": "fast"}]}},
    }
    expect = {"truncated": "is not a socsim checkpoint", "random": "is not a socsim checkpoint",
              "policy_pt_only": "field 'optimizer'", "string_step": "field 'step'",
              "bad_rng": "field 'rng.torch'", "bad_optimizer": "field 'optimizer'",
              "bad_lr": "'lr'"}
    for name, content in damaged.items():
        run = tmp_path / name
        run.mkdir()
        (run / "config.json").write_text((trained / "config.json").read_text())
        (run / "checkpoints").mkdir()
        if isinstance(content, bytes):
            (run / LATEST).write_bytes(content)
        else:
            torch.save(content, run / LATEST)
        code, line = cli(capsys, "train", "--algo", "bc", "--episodes", "1", "--epochs",
                            "2", "--env-kwargs", TINY, "--quiet", "--out", run)
        assert_one_line_error(code, line, str(run / LATEST), expect[name], "step_*.pt",
                              "new --out")


def test_a_legitimate_run_still_resumes_and_loads_weights_only(tmp_path: Path,
                                                               trained: Path) -> None:
    # Every file a trainer writes loads with torch's weights-only loader alone.
    for path in (trained / LATEST, trained / "policy.pt"):
        assert isinstance(torch.load(path, weights_only=True), dict)

    def config(iterations: int) -> ReinforceConfig:
        return ReinforceConfig(iterations=iterations, rollouts=2, workers=1,
                               start_decisions=30, eval_every=0, seed=3,
                               env_kwargs={"horizon": 300}, embed_dim=8, depth=1)

    Trainer(config(2), tmp_path / "a").run(show_progress=False)
    Trainer(config(1), tmp_path / "b").run(show_progress=False)
    raw = torch.load(tmp_path / "b" / LATEST, weights_only=True)
    assert type(raw["r_bar"]) is float  # not numpy's float64, which weights_only refuses
    resumed = Trainer(config(2), tmp_path / "b")
    assert resumed.iteration == 1
    resumed.run(show_progress=False)
    a, b = load_checkpoint(tmp_path / "a"), load_checkpoint(tmp_path / "b")
    assert a["step"] == b["step"] == 2 and a["r_bar"] == b["r_bar"]
    for key, value in a["policy"].items():
        assert torch.equal(value, b["policy"][key]), key
    assert a["rng"]["numpy"] == b["rng"]["numpy"] and a["rng"]["python"] == b["rng"]["python"]
    assert torch.equal(a["rng"]["torch"], b["rng"]["torch"])


def test_the_shipped_checkpoint_loads_weights_only_unchanged() -> None:
    raw = torch.load(SHIPPED, map_location="cpu", weights_only=True)
    policy = load_policy(SHIPPED)
    assert set(policy.state_dict()) == set(raw["policy"])
    for key, value in policy.state_dict().items():
        assert torch.equal(value, raw["policy"][key]), key


def test_old_torch_is_refused_except_for_the_shipped_checkpoint(tmp_path: Path, trained: Path,
                                                                monkeypatch) -> None:
    monkeypatch.setattr(ck, "_torch_version", lambda: (2, 5))
    with pytest.raises(CheckpointError, match=r"pip install -U 'torch>=2\.10'"):
        load_policy(trained)
    load_policy(SHIPPED)


# -- --env-kwargs ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expect"), [
    ("{bad", "is not valid JSON"), ("[1]", "a JSON list, not an object"),
    ("3", "a JSON int, not an object"), ('"x"', "a JSON str, not an object"),
    ("null", "a JSON NoneType, not an object"),
])
def test_bad_env_kwargs_are_one_line(text: str, expect: str, tmp_path: Path, capsys) -> None:
    for argv in (["train", "--out", tmp_path / "run"], ["evaluate", tmp_path]):
        code, line = cli(capsys, *argv, "--env-kwargs", text)
        assert_one_line_error(code, line, "--env-kwargs", expect, '{"noise": 0.5}')
    assert not (tmp_path / "run").exists()


def test_env_kwargs_the_environment_does_not_take(tmp_path: Path, capsys) -> None:
    code, line = cli(capsys, "train", "--out", tmp_path / "run", "--env-kwargs",
                        '{"nosie": 0.5}')
    assert_one_line_error(code, line, "--env-kwargs", "nosie", "noise")
    code, line = cli(capsys, "train", "--out", tmp_path / "run", "--env-kwargs",
                        '{"noise": "loud"}')
    assert_one_line_error(code, line, "--env-kwargs", "noise")
    assert not (tmp_path / "run").exists()
    assert parse_env_kwargs('{"noise": 0.5}') == {"noise": 0.5}
    assert parse_env_kwargs(None) is None


# -- socsim evaluate stays inside RUN/eval/ ----------------------------------------------


def test_eval_file_names_are_plain() -> None:
    assert eval_file_name({}) == "default.json"
    assert eval_file_name({"noise": 0.5}) == "noise-0.5.json"
    assert eval_file_name({"horizon": 300, "noise": 0}) == "horizon-300_noise-0.json"
    for kwargs in ({"x": "../../../tmp/pwn"}, {"platform": "/etc/passwd"}, {"a": "." * 300},
                   {"x": "..\\..\\win"}, {"x": "\x00"}, {"x": "a" * 10_000}):
        name = eval_file_name(kwargs)
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert len(name.encode()) < 200 and name.endswith(".json")
    assert eval_file_name({"x": "a/b"}) != eval_file_name({"x": "a_b"})


def test_evaluate_writes_inside_the_run_eval_folder(tmp_path: Path, trained: Path,
                                                    capsys) -> None:
    run = tmp_path / "run"
    run.mkdir()
    for name in ("policy.pt", "config.json"):
        (run / name).write_bytes((trained / name).read_bytes())
    platform = tmp_path / "pwn.yaml"
    platform.write_text((ROOT / "socsim" / "data" / "platforms" / "canonical3.yaml").read_text())
    # A valid platform path whose text, pasted into a file name, climbs out of RUN/eval/
    # to tmp_path/pwn.yaml.json: the "../" beyond the root are ignored by the file system.
    depth = len(tmp_path.parts) - 1
    climb = tmp_path.as_posix() + "/" + "../" * (2 * depth + 4) + tmp_path.as_posix()[1:]
    value = f"{climb}/pwn.yaml"
    assert Path(value).resolve() == platform.resolve()
    before = set(glob.glob(str(tmp_path / "**"), recursive=True))
    code = main(["evaluate", str(run), "--seeds", "1", "--baselines", "",
                 "--env-kwargs", json.dumps({"horizon": 300, "platform": value})])
    assert code == 0, capsys.readouterr()
    written = set(glob.glob(str(tmp_path / "**"), recursive=True)) - before
    assert written and all(Path(p).is_relative_to(run / "eval") for p in written), written
    (result,) = (run / "eval").glob("*.json")
    assert json.loads(result.read_text())["env_kwargs"]["platform"] == value
    assert not (tmp_path / "pwn.yaml.json").exists()


def test_evaluate_replaces_a_planted_link_instead_of_following_it(tmp_path: Path,
                                                                  trained: Path) -> None:
    run = tmp_path / "run"
    (run / "eval").mkdir(parents=True)
    for name in ("policy.pt", "config.json"):
        (run / name).write_bytes((trained / name).read_bytes())
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    env_kwargs = json.loads((trained / "config.json").read_text())["env_kwargs"]
    (run / "eval" / eval_file_name(env_kwargs)).symlink_to(victim)
    assert main(["evaluate", str(run), "--seeds", "1", "--baselines", ""]) == 0
    assert victim.read_text() == "keep me"
    assert not (run / "eval" / eval_file_name(env_kwargs)).is_symlink()


# -- Ray: loopback, authentication, an unreachable address --------------------------------


def _ray_or_skip():
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("a Ray session is already running in this process")
    if Path(tempfile.gettempdir(), "ray", "ray_current_cluster").exists():
        pytest.skip("a Ray cluster was started on this machine ('ray start')")
    return ray


def _listening_addresses(session_dir: str) -> list[str]:
    """Hex local addresses of the TCP sockets listened on by this session's processes."""
    pids = {str(os.getpid())}
    for proc in glob.glob("/proc/[0-9]*"):
        try:
            if session_dir.encode() in Path(proc, "cmdline").read_bytes():
                pids.add(proc.rsplit("/", 1)[1])
        except OSError:
            continue
    inodes = set()
    for pid in pids:
        for fd in glob.glob(f"/proc/{pid}/fd/*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            cells = row.split()
            if cells[3] == "0A" and cells[9] in inodes:  # 0A: LISTEN
                found.append(cells[1].split(":")[0])
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_local_ray_instance_listens_on_loopback_with_a_token(monkeypatch) -> None:
    ray = _ray_or_skip()
    from socsim.agents.distributed import RAY_AUTH_VERSION, RayExecutor, ray_session, ray_version

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)  # restored after the test
    with ray_session() as session:
        assert session.util.get_node_ip_address() == "127.0.0.1"
        assert list(RayExecutor(1).map(abs, [-1, 2])) == [1, 2]
        session_dir = ray._private.worker._global_node.address_info["session_dir"]
        addresses = _listening_addresses(session_dir)
        if ray_version(ray) >= RAY_AUTH_VERSION:
            assert os.environ["RAY_AUTH_MODE"] == "token"
    loopback = {"0100007F", "0000000000000000FFFF00000100007F",
                "00000000000000000000000001000000"}
    assert addresses and set(addresses) <= loopback, addresses
    assert not ray.is_initialized()


def test_an_unreachable_ray_address_is_one_line_and_makes_no_run(tmp_path: Path, capsys,
                                                                 monkeypatch) -> None:
    _ray_or_skip()
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    out = tmp_path / "run"
    code, line = cli(capsys, "train", "--algo", "reinforce", "--backend", "ray",
                           "--address", "auto", "--iterations", "1", "--env-kwargs", TINY,
                           "--quiet", "--out", out)
    assert_one_line_error(code, line, "Ray address 'auto'", "ray start --head",
                          "leave --address out")
    assert not out.exists()
    code, line = cli(capsys, "compare", "--backend", "ray", "--address", "auto", "--seeds",
                        "1", "--schedulers", "etf", "--horizon", "300", "--out",
                        tmp_path / "cmp")
    assert_one_line_error(code, line, "Ray address 'auto'")


def test_checkpoint_errors_survive_process_pools(tmp_path: Path) -> None:
    error = CheckpointError(tmp_path / "x.pt", "is broken", "retrain", "policy")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and isinstance(again, ValueError)
