"""Fault runs show their failures in ``socsim compare``'s table: failed jobs and PE down time."""

from __future__ import annotations

import io

from rich.console import Console

from socsim.agents.compare import compare
from socsim.agents.compare_cmd import summary_table
from socsim.agents.scenario import Scenario


def table_text(result) -> str:
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(summary_table(result))
    return console.export_text()


def test_fault_columns_appear_only_with_faults() -> None:
    base = Scenario(horizon=2000.0)
    faulty = compare(base.replace(mtbf=300.0, mttr=50.0), ["etf", "heft-rt"], [0, 1],
                     workers=1)
    assert faulty.had_faults()
    assert all(r["pe_down_us"] > 0 for r in faulty.rows)
    summary = faulty.summary["etf"]
    assert summary["pe_down_us"].mean > 0 and "failed" in summary
    text = table_text(faulty)
    assert "failed" in text and "PE down" in text and "PE down time" in text
    assert "pe_down_us_mean" in faulty.summary_rows()[0]

    clean = compare(base.replace(horizon=300.0), ["etf", "heft-rt"], [0], workers=1)
    assert not clean.had_faults()
    assert "PE down" not in table_text(clean)
