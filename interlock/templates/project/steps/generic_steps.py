"""interlock's generic vocabulary (HTTP, database, variables). Add your own domain
steps in modules beside this one; they import from ``interlock.api`` (the public step
API), never from other ``interlock`` modules."""

from interlock_steps import contract_steps, db_steps, http_steps, variables_steps  # noqa: F401
