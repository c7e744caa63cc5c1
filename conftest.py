"""Root conftest: what every pytest run here should say up front (which lab, which cloud config), and, under
`make test`, no silent skips of the project's own tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

LAB_HOME = Path(os.environ.get("FUEL_LAB_HOME", Path.home() / ".local" / "share" / "fuel-dualhv-lab"))
OWN_TESTS = Path(__file__).resolve().parent / "tests"
# Set by `make test` (CI): a skipped test of ours there means something CI should have (the lab, Chromium,
# PostgreSQL, nginx) is missing, so it fails with the skip's reason instead of letting the run pass.
NO_SKIPS = "FUEL_TESTS_NO_SKIPS"


def pytest_report_header(config) -> list[str]:
    cfg = os.environ.get("FUEL_HEALTH_CONFIG") or str(LAB_HOME / "fuel-health.yaml")
    return [f"fuel-dualhv-ostf: local lab home {LAB_HOME}", f"fuel-dualhv-ostf: cluster config {cfg}"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    outcome = yield
    report = outcome.get_result()
    if (report.skipped and os.environ.get(NO_SKIPS) == "1" and not hasattr(report, "wasxfail")
            and OWN_TESTS in Path(str(item.path)).resolve().parents):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome, report.longrepr = "failed", f"skipped under make test ({NO_SKIPS}=1): {reason}"
