"""Pictures: Gantt keys, labels and PE down intervals; compare's ratio bars; the showcase plot."""

from __future__ import annotations

import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from socsim.agents.compare import compare
from socsim.agents.compare_cmd import paired_ratio, plot_bars, remove_stale_gantts
from socsim.agents.learned.showcase import Row, plot_agent_vs_heuristics
from socsim.agents.scenario import PRESETS, Scenario
from socsim.cli import main
from socsim.gantt import JobColors, build_gantt_figure
from socsim.registry import make_scheduler, scheduler_prefixes


def _fault_run():
    scenario = Scenario().replace(jobs=12, fail=["A15.0@1000-4000", "FFT.0@2000"])
    return scenario.simulator(0, keep_trace=True).run(make_scheduler("heft-rt"))


def _legend_texts(fig) -> list[str]:
    legend = fig.axes[0].get_legend()
    return [text.get_text() for text in legend.get_texts()]


def test_runs_record_when_pes_were_down() -> None:
    result = _fault_run()
    names = result.platform.pe_names
    a15, fft = names.index("A15.0"), names.index("FFT.0")
    assert result.pe_down == [(a15, 1000.0, 4000.0), (fft, 2000.0, result.end_time)]
    assert Scenario().simulator(0).run(make_scheduler("etf")).pe_down == []


def test_gantt_of_a_fault_run_has_a_key_with_profiles_and_down_pes() -> None:
    result = _fault_run()
    fig = build_gantt_figure(result.trace, result.platform, down=result.pe_down,
                             max_tasks=300)
    texts = _legend_texts(fig)
    assert "PE down" in texts
    drawn = {r.profile for r in result.trace[:300]}
    assert drawn <= set(texts)  # one entry per profile drawn
    assert fig.axes[0].get_legend().get_title().get_text() == "colour: job profile"
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == result.platform.pe_names


def test_job_colours_do_not_depend_on_how_much_is_drawn() -> None:
    trace = _fault_run().trace
    whole, start = JobColors(trace), JobColors(trace)
    assert [whole.color(r) for r in trace[:50]] == [start.color(r) for r in trace[:50]]
    assert whole.by_profile
    profiles = {r.profile: whole.color(r) for r in trace}
    assert len(set(profiles.values())) == len(profiles)  # distinct profiles, distinct colours


def test_one_job_chart_labels_its_tasks() -> None:
    env = gym.make("socsim/DAGSchedule-v0", render_mode="rgb_array")
    obs, _ = env.reset(seed=0)
    over = False
    while not over:
        obs, _, terminated, truncated, _ = env.step(int(np.flatnonzero(obs["action_mask"])[0]))
        over = terminated or truncated
    sim = env.unwrapped.engine.sim
    fig = build_gantt_figure(sim.trace, sim.platform)
    written = {t.get_text() for t in fig.axes[0].texts}
    assert {f"n{k}" for k in range(1, 11)} <= written
    assert _legend_texts(fig) == ["job 0 (canonical)"]
    image = env.render()
    assert image.dtype == np.uint8 and image.shape[2] == 3


def test_paired_ratio_counts_the_pairing() -> None:
    base = [100.0, 200.0, 300.0, 400.0]
    ratio, sem = paired_ratio([110.0, 220.0, 330.0, 440.0], base)
    assert ratio == pytest.approx(1.1) and sem == pytest.approx(0.0, abs=1e-12)
    ratio, sem = paired_ratio([110.0, 210.0, 340.0, 440.0], base)
    assert ratio == pytest.approx(1.1) and 0.0 < sem < 0.05  # unpaired s.e. would be ~0.15
    assert math.isnan(paired_ratio([1.0], [1.0])[1])
    assert math.isnan(paired_ratio([math.nan], [1.0])[0])
    assert paired_ratio([2.0, math.nan, 4.0], [1.0, 5.0, 2.0])[0] == pytest.approx(2.0)


def test_compare_bars_show_ratios_to_the_baseline(tmp_path: Path) -> None:
    scenario = PRESETS["deepsocs"].scenario.replace(horizon=500.0)
    result = compare(scenario, ["heft-rt", "etf", "random"], [0, 1, 2], workers=1)
    path = plot_bars(result, tmp_path / "bars.png")
    assert path.stat().st_size > 0
    without = compare(scenario, ["etf", "random"], [0, 1], workers=1)
    assert without.baseline is None
    assert plot_bars(without, tmp_path / "plain.png").stat().st_size > 0


def test_compare_removes_only_its_own_stale_gantt_charts(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    (tmp_path / "gantt_cpop.png").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("mine")
    code = main(["compare", "--preset", "deepsocs", "--seeds", "2", "--workers", "1",
                 "--horizon", "300", "--schedulers", "heft-rt,etf", "--out", str(tmp_path)])
    assert code == 0
    assert "removed 1 Gantt chart(s) of an earlier run" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.glob("gantt_*.png")) == ["gantt_etf.png",
                                                                    "gantt_heft-rt.png"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert remove_stale_gantts(tmp_path, list(tmp_path.glob("gantt_*.png"))) == []


def test_showcase_plot_starts_at_zero_and_shows_the_differences() -> None:
    rows = [Row(0.0, "learned:default", 105.0, 0.4, {"heft-rt": -0.14}, {"heft-rt": 0.004}),
            Row(0.0, "heft-rt", 122.0, 0.3, {"heft-rt": 0.0}, {"heft-rt": 0.0})]
    fig = plot_agent_vs_heuristics(rows, ["heft-rt"])
    means, differences = fig.axes
    assert means.get_ylim()[0] == 0.0
    heights = [bar.get_height() for bar in differences.patches]
    assert heights == [pytest.approx(-14.0)]


def test_prefixed_schedulers_are_listed_in_compare_help(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert "learned" in scheduler_prefixes()
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "learned:PATH" in out and "learned:default" in out
    assert "shared/" not in out
