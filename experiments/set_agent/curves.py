"""Learning curves of the recipe that made ``learned:default``, from its ``log.jsonl``.

    python experiments/set_agent/curves.py [RUN/log.jsonl]

Default input: ``experiments/set_agent/learning_curve.jsonl`` (the shipped
run's log, copied from its run folder). Writes ``curves.md`` (one row per
step: stage, environment placements so far, wall time, the validation
ratio to ETF overall and per family) and ``curves.png`` (the ratio against
placements and against wall time) beside this script.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = Path(__file__).resolve().parent
COLOURS = {"dagger": "tab:blue", "rl": "tab:orange", "refine": "tab:green"}


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else HERE / "learning_curve.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    recipe = next((e["recipe"] for e in entries if "recipe" in e), {})
    steps = [e for e in entries if "stage" in e]
    families = sorted({k for e in steps for k in e.get("by_family", {})})
    lines = ["# Learning curves of learned:default", "",
             f"From `{path.name}` (`python -m socsim.agents.learned.recipe`); validation: "
             "held-out seeds 50000.., geometric-mean ratio of censored latency to ETF's "
             "(below 1: better than ETF).", "",
             f"Recipe: `{json.dumps(recipe, sort_keys=True)}`", "",
             "| step | placements | labels | wall (s) | ratio to ETF | " +
             " | ".join(families) + " |", "|" + "---|" * (5 + len(families))]
    for e in steps:
        by = e.get("by_family", {})
        lines.append(f"| {e['stage']}:{e['step']} | {e['placements']} | {e['labels']} | "
                     f"{e['wall_s']:.0f} | {e['validation_ratio']:.4f} | " +
                     " | ".join(f"{by.get(f, float('nan')):.4f}" for f in families) + " |")
    best = steps[-1].get("best", "") if steps else ""
    shipped = steps[-1].get("shipped", best) if steps else ""
    if shipped == best:
        lines += ["", "Shipped: the step with the best validation ratio, refining steps "
                  f"included, `{best}`."]
    else:
        lines += ["", f"Shipped: the refining stage's last step, `{shipped}`; it started from "
                  f"the step with the best validation ratio before it, `{best}`."]
    (HERE / "curves.md").write_text("\n".join(lines) + "\n")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    trained = [e for e in steps if e["stage"] != "init"]
    for ax, key, label in ((axes[0], "placements", "environment placements"),
                           (axes[1], "wall_s", "wall time (s), 2 cores")):
        ax.plot([e[key] for e in trained], [e["validation_ratio"] for e in trained],
                color="black", lw=0.8)
        for stage, colour in COLOURS.items():
            pts = [e for e in trained if e["stage"] == stage]
            ax.scatter([e[key] for e in pts], [e["validation_ratio"] for e in pts],
                       color=colour, label=stage, zorder=3, s=18)
        ax.axhline(1.0, color="grey", ls="--", lw=0.8)
        ax.set_xlabel(label)
    axes[0].set_ylabel("censored latency / ETF (validation)")
    axes[0].legend()
    init = next((e for e in steps if e["stage"] == "init"), None)
    if init is not None:
        fig.suptitle(f"untrained initialisation: {init['validation_ratio']:.2f} x ETF "
                     "(off the scale)", fontsize=9)
    fig.tight_layout()
    fig.savefig(HERE / "curves.png", dpi=120)
    print(f"wrote {HERE / 'curves.md'} and {HERE / 'curves.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
