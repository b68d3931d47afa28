"""interlock's HTTP and variable steps, exactly as the repository's steps/ define them."""

import os
import runpy

REPO = os.environ["BENCH_REPO"]
runpy.run_path(os.path.join(REPO, "steps", "http_steps.py"))
runpy.run_path(os.path.join(REPO, "steps", "variables_steps.py"))
