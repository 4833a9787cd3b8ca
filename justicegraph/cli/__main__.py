"""``python -m justicegraph.cli``: the same command line as the ``justicegraph`` script."""

import sys

from justicegraph.cli import main

sys.exit(main())
