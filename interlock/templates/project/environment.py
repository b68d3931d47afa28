"""behave hooks for this project: interlock's, unchanged (behave finds them by name)."""

from interlock.hooks import (  # noqa: F401
    after_all,
    after_scenario,
    before_all,
    before_scenario,
    before_step,
)
