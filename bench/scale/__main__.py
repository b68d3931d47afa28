"""``python -m bench.scale``: see :mod:`bench.scale.run`."""

import sys

from bench.scale.run import main

sys.exit(main())
