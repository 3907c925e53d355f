"""`python -m redress.cli`: the same as `redress`."""

import sys

from redress.cli import main

sys.exit(main())
