"""The Allure formatter interlock configures for behave.

On top of allure-behave 2.16.2 it:

- walks every scenario of a feature: allure-behave wraps only ``feature.scenarios``,
  so scenarios inside ``Rule:`` blocks produced no result (and attaching failed);
- writes into ``<paths.reports>/allure-results`` (behave's ``outfiles`` setting
  only when the config cannot be loaded), so that ``--set paths.reports=...`` moves
  the results with the rest of the reports;
- empties the results folder when a run starts (allure-behave never does; the trend
  history lives elsewhere), unless the caller prepared it; plain ``behave`` first
  takes the checkout (:mod:`interlock.run_lock`), so it never empties another run's;
- labels each result: ``location`` (``file:line``), the epic from the layer folder
  (``Interface`` / ``Integration``), the story from its Rule, and each requirement
  tag (``@REQ-12``) as a ``requirement`` label with its title from the suite's
  requirements catalog (``REQ-12: Orders reserve their stock``) and, when the catalog
  gives it a link, a link of that name; names an Outline's row by its example values
  (``Ordering 4 of 3 desk lamps — quantity=4``), where allure-behave wrote ``-- @1.3``,
  and drops the labels that are jargon to a report's reader (framework, language);
- masks every configured secret, and every one the run learns (fetched tokens, from
  any of its processes), in everything it writes (results and attachments), before
  it reaches the disk;
- fails a scenario whose ``after_scenario`` hook failed (a cleanup that failed, a
  request a stand-in had no answer for): allure-behave looks at the steps only;
- reports a scenario cut short in a step (its process ended under it) as broken,
  where allure-behave called it skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import allure_behave.listener
import allure_commons
import attr
from allure_behave.formatter import AllureFormatter as _AllureFormatter
from allure_behave.utils import (
    get_status,
    is_planned_scenario,
    scenario_status,
    scenario_status_details,
    step_status_details,
)
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Label, Link, StatusDetails

from interlock import requirements
from interlock.config import Config, config_from_userdata
from interlock.errors import InterlockError
from interlock.learned_secrets import run_learned_secrets
from interlock.masking import Masker
from interlock.run_lock import take
from interlock.selection import scenario_title

KEEP_RESULTS = "interlock.keep_results"  # userdata flag: results were prepared by the caller
RESULTS_FOLDER = "allure-results"  # under paths.reports
LOCATION_LABEL = "location"
REQUIREMENT_LABEL = "requirement"
# allure-behave's labels that say nothing to the report's readers ("framework: behave",
# "language: cpython3"): dropped.
JARGON_LABELS = frozenset({"framework", "language"})


class MaskingFileLogger(AllureFileLogger):
    """Allure's file logger, with every secret masked in results and attachments."""

    def __init__(self, report_dir: str, masker: Masker) -> None:
        super().__init__(report_dir)  # type: ignore[no-untyped-call]
        self._masker = masker

    def _report_item(self, item: Any) -> None:
        """As allure-commons writes a result or container, masked before it is written."""
        filename = item.file_pattern.format(prefix=uuid.uuid4())
        data = attr.asdict(item, filter=lambda _, v: v or v is False)
        text = self._masker.mask(json.dumps(data, ensure_ascii=False))
        tmp = self._report_dir / f"{filename}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self._report_dir / filename)

    @allure_commons.hookimpl
    def report_attached_data(self, body: Any, file_name: str) -> None:
        if isinstance(body, bytes | bytearray):
            with contextlib.suppress(UnicodeDecodeError):  # binary evidence: nothing to mask
                body = body.decode("utf-8")
        if isinstance(body, str):
            body = self._masker.mask(body)
        write = super().report_attached_data
        write(body, file_name)  # type: ignore[no-untyped-call]


class AllureFormatter(_AllureFormatter):  # type: ignore[misc]
    def __init__(self, stream_opener: Any, config: Any) -> None:
        loaded = _load(config)
        if loaded is not None:
            # paths.reports decides where results go, as it does for every other output;
            # behave's `outfiles` is only the fallback when the config cannot be loaded.
            stream_opener.name = str(loaded.reports_dir / RESULTS_FOLDER)
        if not config.userdata.get(KEEP_RESULTS):
            _take_checkout(config)
            _empty(Path(stream_opener.name))
        super().__init__(stream_opener, config)
        self._config = loaded
        self._use_masking_logger(config.userdata)
        self._label_results()
        allure_behave.listener.scenario_status = _status
        allure_behave.listener.scenario_status_details = _status_details

    def _use_masking_logger(self, userdata: Any) -> None:
        masker = Masker()
        if self._config is not None:
            learned = run_learned_secrets(userdata, self._config.state_dir)
            masker = Masker(self._config.secrets, learned)
        plugins = allure_commons.plugin_manager
        plugins.unregister(self.file_logger)
        self.file_logger: AllureFileLogger = MaskingFileLogger(self.stream_opener.name, masker)
        plugins.register(self.file_logger)

    def _label_results(self) -> None:
        listener = self.listener
        start = listener.start_scenario

        def start_scenario(scenario: Any) -> None:
            start(scenario)
            result = listener.logger.get_test(listener.current_scenario_uuid)
            if result is not None:
                result.name = scenario_title(scenario)
                result.labels[:] = [x for x in result.labels if x.name not in JARGON_LABELS]
                result.labels.extend(self.labels(scenario))
                result.links.extend(self.links(scenario))

        listener.start_scenario = start_scenario

    def labels(self, scenario: Any) -> list[Label]:
        where = f"{scenario.location.filename}:{scenario.location.line}"
        labels = [Label(name=LOCATION_LABEL, value=where)]
        epic = layer(scenario.location.filename, self._config)
        if epic:
            labels.append(Label(name="epic", value=epic))
        parent = getattr(scenario, "parent", None)
        if type(parent).__name__ == "ScenarioOutline":
            parent = getattr(parent, "parent", None)
        if parent is not None and type(parent).__name__ == "Rule":
            labels.append(Label(name="story", value=str(parent.name)))
        catalog = self._catalog()
        labels += [
            Label(name=REQUIREMENT_LABEL, value=catalog.label(r))
            for r in self.requirements(scenario)
        ]
        return labels

    def links(self, scenario: Any) -> list[Link]:
        catalog = self._catalog()
        found = [catalog.get(r) for r in self.requirements(scenario)]
        return [Link(type="tms", url=r.link, name=r.label) for r in found if r and r.link]

    def _catalog(self) -> requirements.Catalog:
        """The suite's requirements catalog, read once (none when it cannot be read:
        ``interlock run`` and lint name what is wrong with it before anything runs)."""
        if getattr(self, "_requirements", None) is None:
            catalog = requirements.Catalog()
            if self._config is not None:
                with contextlib.suppress(InterlockError):
                    catalog = requirements.load(
                        self._config.root, self._config.report.requirement_tag
                    )
            self._requirements = catalog
        return self._requirements

    def requirements(self, scenario: Any) -> list[str]:
        if self._config is None:
            return []
        pattern = self._config.report.requirement_tag
        return sorted(str(t) for t in scenario.effective_tags if pattern.fullmatch(str(t)))

    def feature(self, feature: Any) -> None:
        for scenario in feature.walk_scenarios():
            wrap = allure_commons.test
            scenario.run = wrap(scenario.run, context={"scenario": scenario})  # type: ignore[no-untyped-call]
            is_planned_scenario(scenario, self.testplan)


def labeller(config: Config | None) -> AllureFormatter:
    """The formatter's :meth:`~AllureFormatter.labels` and :meth:`~AllureFormatter.links`
    for a scenario behave does not run (a manual check, whose result interlock writes)."""
    formatter: AllureFormatter = AllureFormatter.__new__(AllureFormatter)
    formatter._config = config
    return formatter


def _hook_failure(scenario: Any) -> BaseException | None:
    """The exception of a hook that failed around the scenario's steps, if one did."""
    if getattr(scenario, "hook_failed", False):
        exception: BaseException | None = getattr(scenario, "exception", None)
        return exception
    return None


def _status(scenario: Any) -> Any:
    """The steps' status, or the failed hook's when every step passed; broken for a
    scenario cut short (allure-behave reads its unfinished step as skipped)."""
    status = scenario_status(scenario)
    failure = _hook_failure(scenario)
    if status == "passed" and failure is not None:
        return get_status(failure)
    if status == "skipped" and _cut_short(scenario) is not None:
        return "broken"
    return status


def _status_details(scenario: Any) -> Any:
    details = scenario_status_details(scenario)
    if details is None and _hook_failure(scenario) is not None:
        return step_status_details(scenario)
    step = _cut_short(scenario)
    if step is not None and _status(scenario) == "broken" and details is None:
        return StatusDetails(
            message=f"the scenario stopped in the step {step.keyword} {step.name}"
            f" ({step.location}) and never finished it: its process was ended under it"
            " (sys.exit or os._exit in a step, or a signal)"
        )
    return details


def _cut_short(scenario: Any) -> Any:
    """The step a scenario stopped in without a result, if it did: behave leaves it
    ``untested`` (a skipped scenario's steps are ``skipped``; after a failure, the
    failed step comes first)."""
    from behave.model_core import Status

    for step in scenario.all_steps:
        if step.status == Status.untested:
            return step
        if step.status != Status.passed:
            return None
    return None


def layer(filename: str, config: Config | None) -> str | None:
    """``Interface`` for ``features/interface/x.feature``: the folder below the features one."""
    parts = Path(filename).parts
    features = config.features_dir.name if config else "features"
    if len(parts) >= 3 and parts[0] == features:
        return parts[1].replace("_", " ").title()
    return None


def _load(behave_config: Any) -> Config | None:
    """The run's config, for labels and masking; a broken one is reported by the hooks."""
    try:
        return config_from_userdata(behave_config.userdata)
    except InterlockError:
        return None


def _take_checkout(behave_config: Any) -> None:
    """Plain behave is a run of its own: it holds the checkout before it empties the
    results, or stops (exit 2) when another run does."""
    config = _load(behave_config)
    if config is None:
        return  # a broken config: before_all reports it
    try:
        take(config.state_dir, "behave")
    except InterlockError as exc:
        print(f"interlock: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(int(exc.exit_code)) from None


def _empty(folder: Path) -> None:
    if folder.is_dir():
        for child in folder.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
