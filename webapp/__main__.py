"""`python -m webapp COMMAND ...`: the lab's command line (see `webapp/cli/`)."""
import sys

from webapp.cli import main

sys.exit(main())
