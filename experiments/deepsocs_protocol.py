"""Reproduce the DeepSoCS / DS3Gym streaming protocol and print it next to the published numbers.

Usage::

    python experiments/deepsocs_protocol.py [--seeds 10] [--workers N] [--ablation]

The scenario is ``socsim.agents.scenario.DEEPSOCS`` (the same as ``socsim
compare --preset deepsocs``). ``--ablation`` also runs it without each of the
two DS3Gym behaviours the emulator reproduces (the retrying job generator and
the executable-list PE queues), to show what each one is worth.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from socsim.agents.compare import compare
from socsim.agents.scenario import DEEPSOCS, Scenario

VARIANTS: dict[str, Scenario] = {
    "as DS3Gym": DEEPSOCS.scenario,
    "arrivals wait for a slot": DEEPSOCS.scenario.replace(retry_when_full=None),
    "FIFO PE queues": DEEPSOCS.scenario.replace(queue_discipline="fifo"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=DEEPSOCS.seeds)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--ablation", action="store_true")
    args = parser.parse_args()
    names = sorted(DEEPSOCS.reference, key=DEEPSOCS.reference.get)
    variants = VARIANTS if args.ablation else {"as DS3Gym": DEEPSOCS.scenario}
    table = Table(title=f"DeepSoCS protocol, mean latency of completed jobs (us), "
                  f"{args.seeds} seeds; published: DS3Gym code, 10 seeds")
    table.add_column("scheduler")
    table.add_column("published", justify="right")
    for variant in variants:
        table.add_column(variant, justify="right")
    table.add_column("completed", justify="right")
    results = {v: compare(s, names, range(args.seeds), workers=args.workers)
               for v, s in variants.items()}
    for name in names:
        published = DEEPSOCS.reference[name]
        cells = [name, f"{published:.1f}"]
        for result in results.values():
            ours = result.summary[name]["mean_latency"]
            cells.append(f"{ours.mean:.1f} ±{ours.sem:.1f} ({ours.mean / published - 1:+.1%})")
        cells.append(f"{results['as DS3Gym'].summary[name]['completed'].mean:.1f}")
        table.add_row(*cells)
    Console().print(table)


if __name__ == "__main__":
    main()
