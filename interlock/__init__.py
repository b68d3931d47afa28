"""interlock: integration and interface testing in Gherkin.

The library behind the step definitions (``interlock_steps``, and a project's own
``steps/``) and the hooks in
``environment.py``. It knows no step phrasing and no system under test: every
piece here works against any HTTP API and any MySQL/MariaDB schema.
"""

__version__ = "0.1.0"
