"""Results of a proboscis run: readable names, clear skip reasons, and an xunit (JUnit XML) file.

RecordingResult keeps proboscis' skip-on-failed-dependency behaviour (it extends proboscis' TestResult)
and rewrites proboscis' "Failure in <function f at 0x...>" into the prerequisite's name, groups and error.
"""

from __future__ import annotations

import time
import unittest
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from system_tests.proboscis_compat import ProboscisResult

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


@dataclass(frozen=True)
class Outcome:
    """One test's outcome: passed, failed, error or skipped, with a one-line message and the details."""

    classname: str
    name: str
    groups: tuple[str, ...]
    status: str
    message: str = ""
    details: str = ""
    seconds: float = 0.0


def _case(test: unittest.TestCase) -> Any:
    return getattr(test, "__proboscis_case__", None)


def test_name(test: unittest.TestCase) -> tuple[str, str]:
    """(module, qualified name) of the function or method behind a proboscis test."""
    case = _case(test)
    home = getattr(getattr(case, "entry", None), "home", None)
    if home is None or isinstance(home, type):
        module, _, name = test.id().rpartition(".")
        return module, name
    return home.__module__, home.__qualname__


def _one_line(err: ExcInfo) -> str:
    exc = err[1]
    text = " ".join(str(exc).split())
    # Our errors say everything in their message; anything else also needs its type.
    return text if type(exc).__module__.startswith("system_tests") else f"{type(exc).__name__}: {text}"


class RecordingResult(ProboscisResult):
    """proboscis' TestResult that also records outcomes for the xunit file and the summary."""

    def __init__(self, stream: Any, descriptions: bool, verbosity: int) -> None:
        super().__init__(stream, descriptions, verbosity)
        self.outcomes: list[Outcome] = []
        self._t0: dict[str, float] = {}
        self._why: dict[int, str] = {}  # id(proboscis case) -> its one-line error

    def getDescription(self, test: unittest.TestCase) -> str:
        module, name = test_name(test)
        return f"{module}.{name}"

    def startTest(self, test: unittest.TestCase) -> None:
        self._t0[test.id()] = time.monotonic()
        super().startTest(test)

    def _record(self, test: unittest.TestCase, status: str, message: str = "", details: str = "") -> None:
        module, name = test_name(test)
        case = _case(test)
        groups = tuple(case.entry.info.groups) if case is not None else ()
        seconds = time.monotonic() - self._t0.get(test.id(), time.monotonic())
        self.outcomes.append(Outcome(module, name, groups, status, message, details, seconds))

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        self._record(test, "passed")

    def addFailure(self, test: unittest.TestCase, err: ExcInfo) -> None:
        super().addFailure(test, err)
        self._failed(test, "failed", err)

    def addError(self, test: unittest.TestCase, err: ExcInfo) -> None:
        super().addError(test, err)
        self._failed(test, "error", err)

    def _failed(self, test: unittest.TestCase, status: str, err: ExcInfo) -> None:
        message = _one_line(err)
        if _case(test) is not None:
            self._why[id(_case(test))] = message
        self._record(test, status, message, self._exc_info_to_string(err, test))

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        reason = self.skip_reason(test, reason)
        super().addSkip(test, reason)
        self._record(test, "skipped", reason)

    def skip_reason(self, test: unittest.TestCase, reason: str) -> str:
        """Name the failed prerequisite (and its error) instead of proboscis' "Failure in <function ...>"."""
        case = _case(test)
        failed = getattr(case, "dependency_failure", None)
        if failed is None or failed is case:
            return reason
        home = failed.entry.home
        name = f"{home.__module__}.{home.__qualname__}"
        why = self._why.get(id(failed), "see its report")
        return f"prerequisite {name} (groups: {', '.join(failed.entry.info.groups)}) failed: {why}"


def write_xunit(path: Path, outcomes: list[Outcome], seconds: float, suite: str = "system_tests") -> None:
    """Write a JUnit XML file (one testsuite) as CI servers read it."""
    counts = {s: sum(o.status == s for o in outcomes) for s in ("failed", "error", "skipped")}
    root = ET.Element("testsuite", name=suite, tests=str(len(outcomes)), failures=str(counts["failed"]),
                      errors=str(counts["error"]), skipped=str(counts["skipped"]), time=f"{seconds:.3f}")
    for o in outcomes:
        case = ET.SubElement(root, "testcase", classname=o.classname, name=o.name, time=f"{o.seconds:.3f}")
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="groups", value=",".join(o.groups))
        if o.status in ("failed", "error"):
            node = ET.SubElement(case, "failure" if o.status == "failed" else "error", message=o.message)
            node.text = o.details
        elif o.status == "skipped":
            ET.SubElement(case, "skipped", message=o.message)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
