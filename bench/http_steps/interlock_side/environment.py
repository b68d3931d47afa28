"""The interlock side of the benchmark: the repository's own environment.py, unchanged."""

import os
import runpy

globals().update(runpy.run_path(os.path.join(os.environ["BENCH_REPO"], "environment.py")))
