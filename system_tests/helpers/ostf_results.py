"""OSTF results from either backend, in the OSTF adapter's vocabulary, and fuel-qa's pass/fail rule.

Sources: the JUnit XML of `fuel-health run` (local backend; the fuel-health plugin adds the properties
ostf_id, test_set, hypervisor, step) and the adapter's `GET /ostf/v1/testruns/last/<cluster_id>` (Fuel).
A test that does not apply to the cluster is not run at all, so it is absent from both.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuel_health.pytest_plugin import ostf
from fuel_health.pytest_plugin.ostf import TEST_SETS
from system_tests.helpers.errors import OstfError

FAILED = frozenset({"failure", "error"})
NOT_RUN = frozenset({"skipped", "disabled"})
UNFINISHED = frozenset({"wait_running", "running", "stopped"})


@functools.cache
def _suite_hypervisors() -> dict[str, str | None]:
    return {m.id: m.hypervisor for m in ostf.discover()}


def hypervisor_of(test_id: str) -> str | None:
    """kvm, vcenter or both: the suite's own metadata for a test it has (the adapter's testruns carry no
    hypervisor: e.g. sanity's vCenter checks live in no `vcenter` package), else the package path."""
    known = _suite_hypervisors()
    if test_id in known:
        return known[test_id]
    return ostf.package_hypervisor(test_id.split("."))


def test_set_of(test_id: str) -> str:
    """The OSTF test set a dotted test id lives in ('' when none)."""
    return next((p for p in test_id.split(".") if p in TEST_SETS), "")


@dataclass(frozen=True)
class OstfTest:
    """One test's outcome, with OSTF's status names (success, failure, error, skipped, ...)."""

    __test__ = False  # not a pytest test class

    id: str
    name: str
    test_set: str
    status: str
    message: str = ""
    hypervisor: str | None = None

    def matches(self, name: str) -> bool:
        """True for this test's name, full id, or a dotted tail of its id."""
        return name in (self.name, self.id) or self.id.endswith(f".{name}")


@dataclass(frozen=True)
class OstfResult:
    """The tests of one OSTF run (only the ones that applied and were selected) and where they came from."""

    tests: tuple[OstfTest, ...]
    source: str

    def failed(self) -> list[OstfTest]:
        """Tests with status failure or error."""
        return [t for t in self.tests if t.status in FAILED]

    def ran(self, hypervisors: Collection[str], keyword: str = "") -> list[OstfTest]:
        """Tests of those hypervisors that really ran (not skipped), optionally with `keyword` in their id."""
        return [t for t in self.tests if t.hypervisor in hypervisors and t.status not in NOT_RUN
                and keyword.lower() in t.id.lower()]

    def summary(self) -> str:
        """One line: how many tests, per status."""
        counts = Counter(t.status for t in self.tests)
        return f"{len(self.tests)} tests: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none")


def _first_line(text: str | None, limit: int = 200) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def from_junit(path: Path) -> OstfResult:
    """Parse the JUnit XML of `fuel-health run` (pytest's, with the fuel-health properties)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise OstfError(f"cannot read the OSTF JUnit report {path}: {exc}") from None
    tests = []
    for case in root.iter("testcase"):
        props = {p.get("name"): p.get("value") or "" for p in case.iter("property")}
        test_id = props.get("ostf_id") or ".".join(x for x in (case.get("classname"), case.get("name")) if x)
        status, message = "success", ""
        for tag, outcome in (("failure", "failure"), ("error", "error"), ("skipped", "skipped")):
            node = case.find(tag)
            if node is not None:
                status, message = outcome, _first_line(node.get("message") or node.text)
                break
        hv = props.get("hypervisor")
        tests.append(OstfTest(id=test_id, name=case.get("name") or test_id.rsplit(".", 1)[-1],
                              test_set=props.get("test_set") or test_set_of(test_id), status=status,
                              message=message, hypervisor=hypervisor_of(test_id) if hv in (None, "") else
                              (None if hv == "any" else hv)))
    return OstfResult(tuple(tests), source=f"JUnit {path}")


def from_testruns(runs: Sequence[Mapping[str, Any]] | Mapping[str, Any], test_sets: Iterable[str],
                  source: str) -> OstfResult:
    """Build a result from the adapter's testrun objects ({id, testset, status, tests: [...]})."""
    runs = [runs] if isinstance(runs, Mapping) else list(runs)
    wanted = set(test_sets)
    tests = []
    for run in runs:
        if run.get("testset") not in wanted:
            continue
        for t in run.get("tests") or []:
            if t.get("status") == "disabled":
                continue  # not selected in this run
            tests.append(OstfTest(id=t["id"], name=t.get("name") or t["id"], test_set=t.get("testset") or
                                  run["testset"], status=t.get("status") or "", message=_first_line(t.get("message")),
                                  hypervisor=hypervisor_of(t["id"])))
    return OstfResult(tuple(tests), source=source)


def check(result: OstfResult, should_fail: int = 0, failed_test_names: Sequence[str] = ()) -> None:
    """fuel-qa's rule: at most `should_fail` tests fail and every named one is among them; raise OstfError."""
    if not result.tests:
        raise OstfError(f"no OSTF test ran ({result.source}): nothing applied, or the suite has no tests")
    failed = result.failed()
    problems = []
    unfinished = [t for t in result.tests if t.status in UNFINISHED]
    if unfinished:
        shown = ", ".join(f"{t.id}: {t.status}" for t in unfinished[:3])
        problems.append(f"{len(unfinished)} did not finish ({shown})")
    if len(failed) > should_fail:
        shown = "; ".join(f"{t.id}: {t.status}: {t.message}" for t in failed[:5])
        problems.append(f"{len(failed)} failed, {should_fail} allowed: {shown}" + (" ..." if len(failed) > 5 else ""))
    for name in failed_test_names:
        if not any(t.matches(name) for t in failed):
            seen = next((t.status for t in result.tests if t.matches(name)), "not run")
            problems.append(f"{name} was expected to fail but is {seen}")
    if problems:
        raise OstfError(f"OSTF ({result.summary()}): {'; '.join(problems)} [{result.source}]")
