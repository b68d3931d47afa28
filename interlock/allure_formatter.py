"""The Allure formatter interlock configures for behave.

allure-behave 2.16.2 wraps only ``feature.scenarios``, so scenarios inside ``Rule:``
blocks produce no result (and attaching inside them fails); walking every
scenario of the feature fixes both. It also empties the results folder when a run
starts, since allure-behave never does (the trend history lives elsewhere), and
labels each result with the scenario's ``file:line``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import allure_commons
from allure_behave.formatter import AllureFormatter as _AllureFormatter
from allure_behave.utils import is_planned_scenario
from allure_commons.model2 import Label

KEEP_RESULTS = "interlock.keep_results"  # userdata flag: results were prepared by the caller
LOCATION_LABEL = "location"


class AllureFormatter(_AllureFormatter):  # type: ignore[misc]
    def __init__(self, stream_opener: Any, config: Any) -> None:
        if not config.userdata.get(KEEP_RESULTS):
            _empty(Path(stream_opener.name))
        super().__init__(stream_opener, config)
        self._label_locations()

    def _label_locations(self) -> None:
        """Give each result a ``location`` label (``file:line``): summaries point at it."""
        listener = self.listener
        start = listener.start_scenario

        def start_scenario(scenario: Any) -> None:
            start(scenario)
            result = listener.logger.get_test(listener.current_scenario_uuid)
            if result is not None:
                where = f"{scenario.location.filename}:{scenario.location.line}"
                result.labels.append(Label(name=LOCATION_LABEL, value=where))

        listener.start_scenario = start_scenario

    def feature(self, feature: Any) -> None:
        for scenario in feature.walk_scenarios():
            wrap = allure_commons.test
            scenario.run = wrap(scenario.run, context={"scenario": scenario})  # type: ignore[no-untyped-call]
            is_planned_scenario(scenario, self.testplan)


def _empty(folder: Path) -> None:
    if folder.is_dir():
        for child in folder.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
