"""``python -m socsim`` runs the command line."""

import sys

from socsim.launch import main

sys.exit(main())
