"""The ``socsim`` console script's entry point: set up the process, then run the command line.

The command line works on small arrays only, so NumPy's OpenBLAS thread pool
buys nothing there while its start-up costs more CPU than a short
simulation (about 0.12 s here, threads spinning at import). Unless the user
chose otherwise, the ``socsim`` process asks for one BLAS thread; this has
to happen before NumPy is imported, which is why it lives here and not in
:mod:`socsim.cli`. Library users (``import socsim``) are not affected.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

#: Thread-count variables set (if unset) for the command-line process.
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``socsim`` console script and of ``python -m socsim``."""
    if "numpy" not in sys.modules:
        for key, value in SINGLE_THREAD.items():
            os.environ.setdefault(key, value)
    from socsim.cli import main as cli_main

    return cli_main(argv)
