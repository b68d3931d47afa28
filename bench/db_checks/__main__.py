"""``python -m bench.db_checks``: see :mod:`bench.db_checks.run`."""

import sys

from bench.db_checks.run import main

sys.exit(main())
