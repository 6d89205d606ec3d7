"""The built-in ``peft_example`` is the PEFT paper's example, figure for figure.

Arabnejad & Barbosa, IEEE TPDS 25(3), 2014 (reference/scheduling.md section 3).
"""

from __future__ import annotations

from socsim import catalog

#: The paper's computation costs, T1..T10 on P1, P2, P3.
PAPER_W = {
    "T1": (22, 21, 36), "T2": (22, 18, 18), "T3": (32, 27, 43), "T4": (7, 10, 4),
    "T5": (29, 27, 35), "T6": (26, 17, 24), "T7": (14, 25, 30), "T8": (29, 23, 36),
    "T9": (15, 21, 8), "T10": (13, 16, 33),
}
#: The paper's edges with their communication costs (volumes at bandwidth 1).
PAPER_EDGES = {
    ("T1", "T2"): 17, ("T1", "T3"): 31, ("T1", "T4"): 29, ("T1", "T5"): 13, ("T1", "T6"): 7,
    ("T2", "T8"): 3, ("T2", "T9"): 30, ("T3", "T7"): 16, ("T4", "T8"): 11, ("T4", "T9"): 7,
    ("T5", "T9"): 57, ("T6", "T8"): 5, ("T7", "T10"): 9, ("T8", "T10"): 42, ("T9", "T10"): 7,
}
PROCESSORS = ("P1", "P2", "P3")


def test_costs_match_the_paper_exactly() -> None:
    profile = catalog.get_workload("peft_example")
    assert profile.task_names == tuple(PAPER_W)
    for name, cost in zip(profile.task_names, profile.costs, strict=True):
        assert dict(cost) == dict(zip(PROCESSORS, PAPER_W[name], strict=True)), name


def test_edges_match_the_paper_exactly() -> None:
    profile = catalog.get_workload("peft_example")
    names = profile.task_names
    edges = {(names[s], names[d]): v for s, d, v in profile.edges}
    assert edges == PAPER_EDGES
    assert len(profile.edges) == len(PAPER_EDGES)  # no duplicates hidden by the dict


def test_binds_to_canonical3_with_the_paper_table() -> None:
    platform = catalog.get_platform("canonical3")
    bound = catalog.get_workload("peft_example").bind(platform)
    assert platform.type_names == list(PROCESSORS)
    assert bound.cost == [list(map(float, row)) for row in PAPER_W.values()]
    assert all(pes == [0, 1, 2] for pes in bound.eligible_pes)
    assert platform.mean_bandwidth() == 1.0


def test_description_gives_the_provenance() -> None:
    text = catalog.get_workload("peft_example").description
    for words in ("Arabnejad", "Barbosa", "TPDS 25(3)", "2014", "canonical3"):
        assert words in text


def optimistic_cost_table(name: str = "peft_example") -> dict[str, list[float]]:
    """PEFT's OCT (the paper's eq. 7) on canonical3, with c = volume between processors."""
    profile = catalog.get_workload(name)
    bound = profile.bind(catalog.get_platform("canonical3"))
    processors = range(len(PROCESSORS))
    oct_rows: dict[int, list[float]] = {}
    for task in reversed(range(profile.num_tasks)):  # tasks are listed in topological order
        oct_rows[task] = [
            max((min(oct_rows[succ][w] + bound.cost[succ][w] + (0 if w == k else volume)
                     for w in processors)
                 for succ, volume in profile.succs[task]), default=0.0)
            for k in processors]
    return {profile.task_names[t]: row for t, row in oct_rows.items()}


def test_optimistic_cost_table_row_of_t1_is_the_papers() -> None:
    # An end-to-end check of the transcription: any wrong cost or volume on
    # T1's critical descendants would change this row.
    assert optimistic_cost_table()["T1"] == [64, 68, 86]
