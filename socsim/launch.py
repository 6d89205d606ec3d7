"""The ``socsim`` console script's entry point: set up the process, then run the command line.

The command line works on small arrays only, so NumPy's OpenBLAS thread pool
buys nothing there while its start-up costs more CPU than a short
simulation (about 0.12 s here, threads spinning at import). Unless the user
chose otherwise, the ``socsim`` process asks for one BLAS thread; this has
to happen before NumPy is imported, which is why it lives here and not in
:mod:`socsim.cli`. Library users (``import socsim``) are not affected.

When the command is done the process exits; the interpreter's last garbage
collection would walk every object the imports made (about 0.03 s of CPU
for ``socsim simulate``, a tenth of it). :func:`gc.freeze` moves them out
of its reach first. Nothing is lost: output streams are flushed and exit
handlers run as usual; only finalisers of reference cycles left at exit are
skipped, and the command line keeps no open file in one (every file it
writes is closed by a ``with`` block).
"""

from __future__ import annotations

import gc
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

    try:
        return cli_main(argv)
    finally:
        gc.freeze()  # the process exits next: spare its final collection the imports' objects
