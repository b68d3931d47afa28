"""interlock's generic vocabulary (HTTP, database, variables). Add your own domain
steps in modules beside this one."""

from interlock_steps import db_steps, http_steps, variables_steps  # noqa: F401
