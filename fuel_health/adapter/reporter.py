"""The pytest side of the adapter: streams each test's status to the adapter's database as it goes.

A pytest plugin of its own: the adapter's runner loads it (`-p fuel_health.adapter.reporter`) into the pytest
it starts, and it reports only when `--ostf-testrun-id N` is given (the database URL comes from `--ostf-db URL`
or $OSTF_ADAPTER_DB_URL). It reads the run plugin's state (why a test was deselected) from `config.stash`;
the run plugin knows nothing of it, so the layers point one way: adapter -> pytest plugin.
Statuses: running, success, failure (an assertion, including
`Step N failed`), error (anything else, or a failed cleanup), skipped; with message, step and seconds taken.
A database problem is reported on stderr and never fails the run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from fuel_health.adapter import models as m
from fuel_health.pytest_plugin import ostf
from fuel_health.pytest_plugin.state import STATE
from fuel_health.pytest_plugin.summary import failure_line

DB_ENV = "OSTF_ADAPTER_DB_URL"
_FINAL_OR_OFF = (m.STOPPED, m.DISABLED)  # never overwritten by a late report


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fuel-health-adapter", "fuel-health: reporting to the OSTF adapter's database")
    group.addoption("--ostf-db", dest="fh_ostf_db", metavar="URL",
                    help="OSTF adapter database to stream per-test status to; env OSTF_ADAPTER_DB_URL")
    group.addoption("--ostf-testrun-id", dest="fh_ostf_testrun_id", type=int, metavar="N",
                    help="the adapter's test run whose tests this run reports (fuel_health/adapter/reporter.py)")


def pytest_configure(config: pytest.Config) -> None:
    # The controller reports; xdist workers' results reach it through pytest_runtest_logreport.
    if config.option.fh_ostf_testrun_id is not None and not hasattr(config, "workerinput"):
        register(config)


def register(config: pytest.Config) -> None:
    """Register the reporter for `--ostf-testrun-id` (controller process only)."""
    url = config.option.fh_ostf_db or os.environ.get(DB_ENV)
    if not url:
        raise pytest.UsageError("--ostf-testrun-id needs --ostf-db URL (or $OSTF_ADAPTER_DB_URL)")
    reporter = Reporter(url, config.option.fh_ostf_testrun_id, config)
    config.pluginmanager.register(reporter, "fuel-health-ostf-reporter")


class Reporter:
    """Writes test statuses of one adapter test run."""

    def __init__(self, url: str, testrun_id: int, config: pytest.Config) -> None:
        self.engine = m.make_engine(url)
        self.config = config
        self.testrun_id = testrun_id
        self.ids: dict[str, str] = {}  # nodeid -> ostf id
        self.items: dict[str, list[str]] = {}  # ostf id -> its nodeids (several when parametrized)
        self.case: dict[str, tuple[str, str | None, int | None]] = {}  # nodeid -> status, message, step
        self.done: dict[str, dict[str, tuple[str, str | None, int | None]]] = {}  # ostf id -> finished cases
        self.taken: dict[str, float] = {}

    def _write(self, test_id: str, **values: Any) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(update(m.TestResult)
                             .where(m.TestResult.testrun_id == self.testrun_id, m.TestResult.test_id == test_id,
                                    m.TestResult.status.not_in(_FINAL_OR_OFF))
                             .values(**values))
        except SQLAlchemyError as exc:
            sys.stderr.write(f"fuel-health: cannot record {test_id} in the adapter database: "
                             f"{' '.join(str(exc).split())[:200]}\n")

    @pytest.hookimpl(trylast=True)  # after the plugin has deselected what does not apply
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            meta = ostf.meta_of(getattr(item, "function", None))
            if meta is not None:
                self.ids[item.nodeid] = meta.id
                self.items.setdefault(meta.id, []).append(item.nodeid)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        reasons = self.config.stash[STATE].deselected
        for item in items:
            meta = ostf.meta_of(getattr(item, "function", None))
            if meta is not None and meta.id not in self.items:
                self._write(meta.id, status=m.SKIPPED, message=f"not run: {reasons.get(meta.id, 'deselected')}")

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        test_id = self.ids.get(nodeid)
        if test_id and not self.done.get(test_id):  # the first of its parametrized cases
            self._write(test_id, status=m.RUNNING, message=None, step=None, taken=None)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
        report = yield
        if call.excinfo is not None:  # an assertion (StepFailed is one) is a failure; the rest an error
            report.ostf_kind = m.FAILURE if call.excinfo.errisinstance(AssertionError) else m.ERROR
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        test_id = str(props.get("ostf_id") or self.ids.get(report.nodeid) or "")
        if not test_id:
            return
        self.taken[test_id] = self.taken.get(test_id, 0.0) + (report.duration or 0.0)
        before = self.case.get(report.nodeid)
        if report.failed:
            if report.when == "call" or before is None or before[0] == m.SUCCESS:
                kind = getattr(report, "ostf_kind", m.FAILURE) if report.when == "call" else m.ERROR
                message = failure_line(report)
                self.case[report.nodeid] = (kind, message, _step(props, message))
        elif report.skipped and before is None:
            self.case[report.nodeid] = (m.SKIPPED, _skip_reason(report), None)
        elif report.when == "call" and report.passed:
            self.case[report.nodeid] = (m.SUCCESS, None, None)
        values: dict[str, Any] = {"taken": round(self.taken[test_id], 3)}
        if report.when == "teardown" and report.nodeid in self.case:
            done = self.done.setdefault(test_id, {})
            done[report.nodeid] = self.case[report.nodeid]
            if len(done) >= len(self.items.get(test_id, [report.nodeid])):
                status, message, step = _overall(done)
                values.update(status=status, message=message, step=step)
        self._write(test_id, **values)


def _overall(cases: dict[str, tuple[str, str | None, int | None]]) -> tuple[str, str | None, int | None]:
    """Return the status of a test from its parametrized cases: the worst one, naming the case."""
    for status in (m.FAILURE, m.ERROR, m.SUCCESS, m.SKIPPED):
        hits = [(nodeid, case) for nodeid, case in cases.items() if case[0] == status]
        if hits:
            nodeid, (_, message, step) = hits[0]
            name = nodeid.rsplit("::", 1)[-1]
            if message and len(cases) > 1 and "[" in name:
                message = f"{name[name.index('['):]} {message}"
            return status, message, step
    return m.ERROR, "no outcome recorded", None


def _step(props: dict[str, Any], message: str | None) -> int | None:
    if props.get("step") is not None:
        return int(props["step"])
    match = ostf.STEP_MESSAGE_RE.match(message or "")
    return int(match.group(1)) if match else None


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "skipped")
    return reason.removeprefix("Skipped: ")
