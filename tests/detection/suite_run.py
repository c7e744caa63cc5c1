"""Run `fuel-health run` as an operator would (a subprocess) and read its JUnit report."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

FUEL_HEALTH = str(Path(sys.executable).with_name("fuel-health"))


@dataclass
class TestResult:
    id: str
    status: str  # passed | failed | error | skipped
    message: str = ""  # JUnit's message attribute (the plugin shortens long ones)
    text: str = ""  # the full report


@dataclass
class SuiteRun:
    run_id: str
    exit_code: int
    wall_s: float
    output: str
    results: dict[str, TestResult] = field(default_factory=dict)
    junit: Path | None = None

    def with_status(self, *statuses: str) -> set[str]:
        return {r.id for r in self.results.values() if r.status in statuses}

    @property
    def failed(self) -> set[str]:
        return self.with_status("failed", "error")


def short_id(classname: str, name: str) -> str:
    """`smoke.kvm.test_boot.test_boot_and_attach` from the JUnit classname + name."""
    return f"{classname.removeprefix('fuel_health.tests.')}.{name}"


def parse_junit(path: Path) -> dict[str, TestResult]:
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        tid = short_id(case.get("classname", ""), case.get("name", ""))
        status, message, text = "passed", "", ""
        for tag in ("failure", "error", "skipped"):
            el = case.find(tag)
            if el is not None:
                status = {"failure": "failed"}.get(tag, tag)
                message = (el.get("message") or el.text or "").strip()
                text = (el.text or "").strip()
                break
        out[tid] = TestResult(tid, status, message, text)
    return out


def run_suite(tmp: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 900) -> SuiteRun:
    run_id = secrets.token_hex(4)
    junit = tmp / f"junit-{run_id}.xml"
    cmd = [FUEL_HEALTH, "run", "--run-id", run_id, "--junit", str(junit), "--allure-dir", str(tmp / "allure"), *args]
    t0 = time.monotonic()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    run = SuiteRun(run_id, res.returncode, round(time.monotonic() - t0, 1), res.stdout + res.stderr, junit=junit)
    if junit.exists():
        run.results = parse_junit(junit)
    return run
