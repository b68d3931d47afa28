"""The generic vocabulary (HTTP, database, variables, stand-ins, web pages) from
interlock's step library.

behave registers a step when its module is imported; importing them here is all
this project needs. Domain steps live in their own modules beside this one.
"""

from interlock_steps import (  # noqa: F401
    browser_steps,
    contract_steps,
    db_steps,
    http_steps,
    standin_steps,
    variables_steps,
)
