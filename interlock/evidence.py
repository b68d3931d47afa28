"""Evidence for the report: attachments on the current Allure step or test.

Everything passes through the masker first. Without an Allure formatter in the
run (``behave -f plain``), attaching does nothing.
"""

from __future__ import annotations

import allure
import allure_commons

from interlock.masking import Masker


def recording() -> bool:
    """Whether an Allure formatter listens (without one, evidence need not be built)."""
    return bool(allure_commons.plugin_manager.hook.attach_data.get_hookimpls())


def attach_text(masker: Masker, name: str, text: str, kind: str = "text") -> None:
    if not recording():
        return
    types = {
        "text": allure.attachment_type.TEXT,
        "json": allure.attachment_type.JSON,
        "csv": allure.attachment_type.CSV,
    }
    allure.attach(masker.mask(text), name=name, attachment_type=types.get(kind, types["text"]))
