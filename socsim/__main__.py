"""``python -m socsim`` runs the command line."""

import sys

from socsim.cli import main

sys.exit(main())
