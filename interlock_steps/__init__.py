"""interlock's generic step library: the vocabulary of ``docs/vocabulary.md``.

A plain package of behave step definitions on top of the ``interlock`` library
(which knows no phrasing), importing only its public step API, ``interlock.api``. A
project's ``steps/`` folder imports these modules so behave registers their phrases,
and adds its own domain steps beside them::

    # steps/interlock_steps.py
    from interlock_steps.http_steps import *  # noqa: F403
"""
