"""``socsim workloads [show|draw]``: listing, DAG and cost tables, PNG drawings, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.image import imread

from socsim import cli
from socsim.cli import main
from socsim.dag_draw import column_chunks

#: Topcuoglu's W table (reference/scheduling.md section 2), n1..n10 on P1..P3.
W_TABLE = {
    "n1": (14, 16, 9), "n2": (13, 19, 18), "n3": (11, 13, 19), "n4": (13, 8, 17),
    "n5": (12, 13, 10), "n6": (13, 16, 9), "n7": (7, 15, 11), "n8": (5, 11, 14),
    "n9": (18, 12, 20), "n10": (21, 7, 16),
}
CANONICAL3_ACTIVE_W = 0.05885
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def table_rows(out: str, title: str) -> dict[str, list[str]]:
    """The body rows of the rich table printed under ``title``: first cell -> other cells."""
    lines = out[out.index(title):].splitlines()[1:]
    rows: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("└"):
            break
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            rows[cells[0]] = cells[1:]
    return rows


def test_listing_is_unchanged_and_mentions_the_new_workloads(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["workloads"], capsys)
    assert code == 0
    assert "wifi_tx" in out and "ds3_default" in out and "peft_example" in out
    assert "daggen/" in out


def test_show_prints_the_dag_and_the_w_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["workloads", "show", "canonical", "--platform", "canonical3"], capsys)
    assert code == 0, out
    latency = table_rows(out, "latency (us)")
    assert {task: tuple(map(int, cells)) for task, cells in latency.items()} == W_TABLE
    energy = table_rows(out, "energy (uJ)")
    for task, costs in W_TABLE.items():
        assert [float(c) for c in energy[task]] == pytest.approx(
            [c * CANONICAL3_ACTIVE_W for c in costs], rel=1e-3)
    dag = table_rows(out, "DAG")
    assert dag["n1"][0] == "" and dag["n10"] == ["n7 (17), n8 (11), n9 (13)", ""]
    assert "10 tasks, 15 edges, 4 levels" in out


def test_show_picks_a_default_platform(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["workloads", "show", "peft_example"], capsys)
    assert code == 0 and "on canonical3" in out  # the first built-in it binds to
    assert table_rows(out, "latency (us)")["T1"] == ["22", "21", "36"]
    code, out = run(["workloads", "show", "sct"], capsys)
    assert code == 0 and "on ds3_multiple_bal" in out  # the platform of its mix


def test_show_energy_uses_the_reference_opp_and_marks_ineligible_types(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    platform = tmp_path / "soc.yaml"
    platform.write_text(
        "name: soc\npe_types:\n"
        "  - {name: CPU, reference_mhz: 500, opps: [{mhz: 500, active_w: 2.0},"
        " {mhz: 1000, active_w: 9.0}]}\n"
        "  - {name: DSP, opps: [{mhz: 800, active_w: 0.5}]}\n"
        "clusters: [{name: cpu, type: CPU, count: 2}, {name: dsp, type: DSP}]\n")
    workload = tmp_path / "job.yaml"
    workload.write_text("name: job\ntasks:\n  - {name: a, cost: {CPU: 10}}\n"
                        "  - {name: b, cost: {CPU: 4, DSP: 6}}\nedges: [[a, b, 3]]\n")
    code, out = run(["workloads", "show", str(workload), "--platform", str(platform)], capsys)
    assert code == 0, out
    assert table_rows(out, "latency (us)") == {"a": ["10", "-"], "b": ["4", "6"]}
    assert table_rows(out, "energy (uJ)") == {"a": ["20", "-"], "b": ["8", "3"]}


def test_show_a_random_dag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["workloads", "show", "daggen/n=12/seed=2/types=P1+P3"], capsys)
    assert code == 0, out
    latency = table_rows(out, "latency (us)")
    assert len(latency) == 12 and all(cells[1] == "-" for cells in latency.values())


@pytest.mark.parametrize(("argv", "words"), [
    (["workloads", "show", "canonicl"], "did you mean 'canonical'"),
    (["workloads", "draw", "peft_exampel"], "did you mean 'peft_example'"),
    (["workloads", "show", "canonical", "--platform", "canonical_3"],
     "did you mean 'canonical3'"),
    (["workloads", "show", "canonical", "--platform", "ds3_multiple_bal"], "does not exist"),
    (["workloads", "show", "daggen/n=3/fatt=1"], "did you mean 'fat'"),
    (["workloads", "draw", "canonical", "--platform", "ds3_top_x"], "did you mean"),
])
def test_errors_are_one_line(argv: list[str], words: str,
                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(argv, capsys)
    assert code == 2
    assert out.startswith("error:") and words in out and "Traceback" not in out


def test_draw_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "x.png"
    code, out = run(["workloads", "draw", "canonical", "--out", str(out_file)], capsys)
    assert code == 0 and str(out_file) in out
    assert out_file.read_bytes()[:8] == PNG_MAGIC
    height, width, _ = imread(out_file).shape
    assert width > 300 and height > 200


def test_draw_defaults_to_a_safe_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, _ = run(["workloads", "draw", "daggen/n=80/seed=1/jump=2"], capsys)
    assert code == 0
    (png,) = tmp_path.glob("*.png")
    assert png.name.startswith("daggen_n=80_") and "/" not in png.name
    assert png.read_bytes()[:8] == PNG_MAGIC


def test_simulate_accepts_a_spec_in_a_weighted_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["simulate", "--platform", "canonical3", "--workload",
                     "daggen/n=15/seed=3:2,canonical:1", "--jobs", "4"], capsys)
    assert code == 0, out
    assert "completed" in out


def test_column_chunks_fit_the_width() -> None:
    assert column_chunks([10, 10, 10, 10, 10], 30) == [[0, 1], [2, 3], [4]]
    assert column_chunks([100, 5], 10) == [[0], [1]]  # a column too wide still gets a table


def test_show_splits_wide_cost_tables_instead_of_truncating(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "UNWRAPPED_WIDTH", 80)  # as narrow as a terminal
    names = [f"TYPE_{k:02d}" for k in range(12)]
    platform = tmp_path / "wide.yaml"
    platform.write_text("name: wide\npe_types:\n" + "".join(
        f"  - {{name: {n}, opps: [{{mhz: 1000, active_w: 1.5}}]}}\n" for n in names)
        + "clusters:\n" + "".join(f"  - {{name: c{n}, type: {n}}}\n" for n in names))
    spec = f"daggen/n=6/seed=1/types={'+'.join(names)}"
    code, out = run(["workloads", "show", spec, "--platform", str(platform)], capsys)
    assert code == 0, out
    assert "latency (us) (1/" in out and "…" not in out
    assert all(name in out for name in names)


def test_piped_output_is_never_wrapped(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    long_name = tmp_path / ("x" * 120) / "missing.yaml"
    code, out = run(["workloads", "show", "canonical", "--platform", str(long_name)], capsys)
    assert code == 2
    assert out.count("\n") == 1 and str(long_name) in out  # the whole path on one line
