"""`python -m asyncgap VERB`, the same as the `asyncgap` console script."""

import sys

from asyncgap.cli import main

sys.exit(main())
