"""Start-up cost: whole-process CPU time of ``import socsim`` and ``socsim simulate``.

Each command runs in a fresh process, several rounds interleaved, and the
CPU time (user + system, from ``getrusage`` of the children) of each round
is recorded; the median is printed. Pass ``--python`` several times to
compare interpreters side by side in one run (e.g. a virtual environment
with an older checkout installed: "before" against "after").

Children run as an installed package does: with bytecode caches. A first,
unrecorded round writes them (``PYTHONDONTWRITEBYTECODE`` is dropped from
the children's environment), so that no round pays for compiling sources.

    python experiments/bench_startup.py
    python experiments/bench_startup.py --python /tmp/oldvenv/bin/python --python .venv/bin/python
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile

#: The children's environment: this one, allowed to write bytecode caches.
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "import numpy": ["-c", "import numpy"],
    "import socsim": ["-c", "import socsim"],
    "socsim simulate": ["-m", "socsim", "simulate"],  # the console script's entry point
}


def cpu_seconds(argv: list[str]) -> float:
    """CPU time (user + system) of one child process running ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # From a neutral folder: ``python -c`` puts the working folder first on sys.path,
    # which would shadow an interpreter's own installed socsim with this checkout.
    subprocess.run(argv, capture_output=True, check=True, cwd=tempfile.gettempdir(), env=CHILD_ENV)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", default=None,
                        help="interpreter to measure (repeatable; default: this one)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    args = parser.parse_args()
    pythons = args.python or [sys.executable]
    samples: dict[tuple[str, str], list[float]] = {}
    for python in pythons:  # warm-up: write the bytecode caches, record nothing
        for argv in COMMANDS.values():
            cpu_seconds([python, *argv])
    for _ in range(args.rounds):
        for python in pythons:
            for name, argv in COMMANDS.items():
                samples.setdefault((python, name), []).append(cpu_seconds([python, *argv]))
    width = max(len(p) for p in pythons)
    print(f"median CPU seconds over {args.rounds} interleaved rounds")
    for name in COMMANDS:
        row = "  ".join(f"{python:<{width}} {statistics.median(samples[(python, name)]):.3f}"
                        for python in pythons)
        print(f"{name:<16} {row}")
    if len(pythons) == 2:
        a, b = (statistics.median(samples[(p, "socsim simulate")]) for p in pythons)
        print(f"socsim simulate: {a:.3f} s -> {b:.3f} s ({a / b:.1f}x less CPU)")


if __name__ == "__main__":
    main()
