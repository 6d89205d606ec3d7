"""The command line: defaults run, outputs are written, bad input gives a one-line error."""

import json
from pathlib import Path

import pytest

from socsim.cli import main


def test_simulate_with_no_options_runs_ds3_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate"]) == 0
    out = capsys.readouterr().out
    assert "etf on ds3_multiple_bal" in out  # DS3's default scheduler
    assert "mean_latency" in out
    # 100 jobs injected and all completed in DS3's default scenario.
    assert any(line.split()[:3] == ["│", "completed", "│"] and "100" in line
               for line in out.splitlines()), out


def test_simulate_writes_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "--workload", "wifi_tx", "--jobs", "5", "--scheduler",
                 "first-idle", "--out", str(tmp_path)])
    assert code == 0
    for name in ("metrics.json", "trace.csv", "jobs.csv", "chrome_trace.json", "gantt.png"):
        assert (tmp_path / name).is_file(), name
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["metrics"]["completed"] == 5
    assert metrics["scheduler"] == "first-idle"
    rows = (tmp_path / "trace.csv").read_text().splitlines()
    assert len(rows) == 1 + 5 * 27  # header + every task of five 27-task WiFi TX jobs


def test_simulate_horizon_with_fault_and_noise(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "--horizon", "20000", "--noise", "0.2", "--fail", "0@100-5000",
                 "--mtbf", "50000", "--seed", "3"])
    assert code == 0
    assert "censored_mean_latency" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["simulate", "--platform", "ds3_multiple_bl"], "did you mean"),
    (["simulate", "--workload", "wifi_tx:heavy"], "name:weight"),
    (["simulate", "--fail", "99@10"], "no PE '99'"),
    (["simulate", "--fail", "0@100-50"], "recovery must come after"),
    (["simulate", "--arrival", "batch", "--horizon", "100"], "give --jobs N"),
    (["simulate", "--arrival", "trace"], "--trace-file"),
    (["simulate", "--interarrival", "-5"], "mean_interarrival"),
])
def test_bad_input_gives_one_line_error(argv: list[str], message: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert captured.out == "" and err.count("\n") == 1  # one line, on stderr
    assert "error:" in err and message in err
    assert "Traceback" not in err


def test_simulate_default_needs_socsim_agents(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import socsim.cli

    monkeypatch.setattr(socsim.cli, "scheduler_names", lambda: ["first-idle", "met"])
    assert main(["simulate", "--jobs", "2"]) == 2
    err = capsys.readouterr().err
    assert "socsim.agents" in err and "--scheduler met" in err and err.count("\n") == 1
    assert main(["simulate", "--jobs", "2", "--scheduler", "met"]) == 0


def test_listings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["platforms"]) == 0
    assert "ds3_multiple_bal" in capsys.readouterr().out
    assert main(["workloads"]) == 0
    out = capsys.readouterr().out
    assert "wifi_tx" in out and "ds3_default" in out


def test_power_gating_flag_reaches_the_run_and_refuses_per_pe_platforms(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    energies = []
    for flags in ([], ["--power-gating"]):
        out = tmp_path / ("gated" if flags else "plain")
        assert main(["simulate", "--jobs", "10", "--out", str(out), "--no-trace", *flags]) == 0
        energies.append(json.loads((out / "metrics.json").read_text())["metrics"]["energy_uj"])
    assert energies[1] < 0.8 * energies[0]
    capsys.readouterr()
    assert main(["simulate", "--platform", "mobile_soc", "--mix", "edge_ai",
                 "--power-gating"]) == 2
    err = capsys.readouterr().err
    assert "--platform: 'mobile_soc' charges energy per PE, but power gating" in err
    assert len(err.strip().splitlines()) == 1
