"""One JUnit XML per run: behave writes one file per feature and worker; these are
merged into ``junit.xml``, suites of the same feature combined, counts recomputed."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

COUNTS = ("tests", "failures", "errors", "skipped")


def merge(sources: Iterable[Path], target: Path) -> int:
    """Merge every ``*.xml`` under ``sources`` into ``target``; returns the test count."""
    suites: dict[str, ET.Element] = {}
    for folder in sources:
        for path in sorted(folder.rglob("*.xml")) if folder.is_dir() else []:
            try:
                root = ET.parse(path).getroot()
            except ET.ParseError:
                continue  # a worker killed mid-write: its results are in Allure still
            for suite in [root] if root.tag == "testsuite" else root.iter("testsuite"):
                name = suite.get("name", path.stem)
                merged = suites.setdefault(name, ET.Element("testsuite", {"name": name}))
                for case in suite.iter("testcase"):
                    merged.append(case)
    root = ET.Element("testsuites")
    total = 0
    for name in sorted(suites):
        suite = suites[name]
        cases = list(suite.iter("testcase"))
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
        suite.set("time", f"{sum(float(c.get('time', 0) or 0) for c in cases):.3f}")
        root.append(suite)
        total += len(cases)
    for count in COUNTS:
        root.set(count, str(sum(int(s.get(count, 0)) for s in root)))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)
    tmp.replace(target)
    return total


def merge_parts(parts: Path, target: Path) -> int:
    """Merge the per-worker folders under ``parts`` into ``target``, then remove them."""
    total = merge([parts], target)
    shutil.rmtree(parts, ignore_errors=True)
    return total
