"""The adapter's two real clients, as doubles typed from their upstream code (no upstream code copied).

Fuel UI and fuel-qa cannot run here, so these replay the requests they send and refuse what they refuse:
- fuel-qa's session raises on any status >= 400: keystoneauth's Session (fuel-qa mitaka-eol:
  core/models/fuel_client/base_client.py:36-54, raise_exc left on) and urllib2 in 7.0 (fuel-qa 7.0-eol:
  fuelweb_test/helpers/http.py:90-99).
- Fuel UI shows an error's `message` only (fuel-ui 9.0:static/utils.js:273-287) and has no failure handler
  on stop (fuel-ui 9.0:static/views/cluster_page_tabs/healthcheck_tab.js:212-215).
Both reach the adapter at `/ostf/<x>` (fuel-ui 9.0:static/models.js:1450-1478; fuel-qa 7.0-eol:
fuelweb_test/models/nailgun_client.py:236-281; mitaka's keystone endpoint of service type `ostf`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests


class ClientError(AssertionError):
    """What the real client would raise or show for an error answer."""


@dataclass
class FuelQa:
    """fuel-qa's OSTF client and its `run_ostf` family (mitaka-eol and 7.0-eol)."""

    base: str  # e.g. http://127.0.0.1:PORT/ostf (the nginx on a Fuel master) or the adapter's /ostf
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"X-Auth-Token": self.token} if self.token else {}
        resp = self.session.request(method, self.base + path, json=body, headers=headers, timeout=60)
        if resp.status_code >= 400:  # keystoneauth / urllib2 raise: the Jenkins job fails here
            raise ClientError(f"fuel-qa: {method} {path}: HTTP {resp.status_code}: {resp.text}")
        return resp.json()

    def run_tests(self, cluster_id: int, test_sets: list[str], test_name: str | None = None) -> Any:
        """GET tests first, then one POST, a record per set, cluster_id as a string, `config: {}`; with a test
        name, that one id in every record (fuel-qa mitaka-eol:core/models/fuel_client/ostf_client.py:59-79;
        7.0-eol:fuelweb_test/models/nailgun_client.py:251-281)."""
        self._call("GET", f"/tests/{cluster_id}")
        records = []
        for test_set in test_sets:
            record: dict[str, Any] = {"metadata": {"cluster_id": str(cluster_id), "config": {}}, "testset": test_set}
            if test_name is not None:
                record["tests"] = [test_name]
            records.append(record)
        return self._call("POST", "/testruns", records)

    def ostf_test_wait(self, cluster_id: int, timeout: float) -> list[dict]:
        """Until every last run of the cluster is `finished` (fuel-qa mitaka-eol:
        fuelweb_test/models/fuel_web_client.py:148-160)."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self._call("GET", f"/testruns/last/{cluster_id}")
            if all(r["status"] == "finished" for r in runs):
                return runs
            if time.monotonic() > deadline:
                raise ClientError(f"OSTF tests run timeout (cluster_id={cluster_id})")
            time.sleep(0.5)

    def assert_ostf_run(self, cluster_id: int, should_fail: int = 0, failed_test_name: list[str] | None = None,
                        timeout: float = 900, test_sets: list[str] | None = None) -> dict[str, str]:
        """Count failure/error in the asked sets; every non-passed test's *name* must be expected (fuel-qa
        mitaka-eol:fuelweb_test/models/fuel_web_client.py:258-300). Returns {name: status}."""
        failed, names, result = 0, [], {}
        for run in self.ostf_test_wait(cluster_id, timeout):
            if run["testset"] not in (test_sets or []):
                continue
            failed += sum(t["status"] in ("failure", "error") for t in run["tests"])
            for t in run["tests"]:
                result[t["name"]] = t["status"]
                if t["status"] not in ("success", "disabled", "skipped"):
                    names.append(t["name"])
        for name in names if failed_test_name else ():
            if name not in failed_test_name:  # type: ignore[operator]
                raise ClientError(f"Unexpected fail: expected {failed_test_name}, actual {names}")
        if failed > should_fail:
            raise ClientError(f"Failed {failed} OSTF tests; should fail {should_fail} tests: {result}")
        return result

    def assert_ostf_run_certain(self, cluster_id: int, tests_must_be_passed: list[str], timeout: float = 600) -> None:
        """Each named test id must be `success` in the last runs (fuel-qa mitaka-eol:
        fuelweb_test/models/fuel_web_client.py:227-256)."""
        passed, details = 0, []
        for run in self.ostf_test_wait(cluster_id, timeout):
            for t in run["tests"]:
                if t["id"] in tests_must_be_passed:
                    if t["status"] == "success":
                        passed += 1
                    else:
                        details.append(f"{t['name']} ({t['id']}): {t['status']} {t['message']}")
        if passed != len(tests_must_be_passed):
            raise ClientError(f"The following tests have not succeeded, while they must have passed: {details}")

    def run_ostf(self, cluster_id: int, test_sets: list[str] | None = None, should_fail: int = 0,
                 failed_test_name: list[str] | None = None, timeout: float = 1800) -> dict[str, str]:
        """run_tests, then assert_ostf_run on the same sets (fuel-qa mitaka-eol:
        fuelweb_test/models/fuel_web_client.py:1374-1395; 7.0-eol: 1140-1161)."""
        test_sets = test_sets or ["smoke", "sanity"]
        self.run_tests(cluster_id, test_sets)
        return self.assert_ostf_run(cluster_id, should_fail=should_fail, failed_test_name=failed_test_name,
                                    timeout=timeout, test_sets=test_sets)

    def run_single_ostf_test(self, cluster_id: int, test_sets: list[str], test_name: str,
                             timeout: float = 900) -> None:
        """(fuel-qa mitaka-eol:fuelweb_test/models/fuel_web_client.py:1413-1426)"""
        self.run_tests(cluster_id, test_sets, test_name)
        self.assert_ostf_run_certain(cluster_id, [test_name], timeout)


@dataclass
class FuelUi:
    """Fuel UI 9.0's Health Check tab: what it fetches, and its Run and Stop buttons."""

    base: str
    cluster_id: int
    token: str | None = None
    credentials: dict[str, str] = field(default_factory=lambda: {"user": "", "tenant": "", "password": ""})
    session: requests.Session = field(default_factory=requests.Session)
    testsets: list[dict] = field(default_factory=list)
    tests: list[dict] = field(default_factory=list)
    testruns: list[dict] = field(default_factory=list)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"X-Auth-Token": self.token} if self.token else {}
        resp = self.session.request(method, self.base + path, json=body, headers=headers, timeout=60)
        if resp.status_code >= 400:  # the error dialog: `message`, or a generic "server error"
            shown = (resp.json().get("message") if "json" in resp.headers.get("content-type", "") else None)
            raise ClientError(f"Fuel UI error dialog: {shown or 'server error'} (HTTP {resp.status_code})")
        return resp.json()

    def open_tab(self) -> None:
        """testsets, tests and the last runs (fuel-ui 9.0:static/views/cluster_page_tabs/healthcheck_tab.js:46-50)."""
        self.testsets = self._call("GET", f"/testsets/{self.cluster_id}")
        self.tests = self._call("GET", f"/tests/{self.cluster_id}")
        self.poll()

    def poll(self) -> list[dict]:
        self.testruns = self._call("GET", f"/testruns/last/{self.cluster_id}")
        return self.testruns

    def _creds(self) -> dict[str, str]:
        return {"ostf_os_username": self.credentials["user"], "ostf_os_tenant_name": self.credentials["tenant"],
                "ostf_os_password": self.credentials["password"]}

    def run_tests(self, checked: list[str]) -> None:
        """Per set with checked tests: PUT `restarted` for its last run(s), else POST a new one
        (fuel-ui 9.0:static/views/cluster_page_tabs/healthcheck_tab.js:136-194)."""
        new, old = [], []
        for ts in [s["id"] for s in self.testsets]:
            to_run = [t["id"] for t in self.tests if t["testset"] == ts and t["id"] in checked]
            if not to_run:
                continue
            last = [r for r in self.testruns if r["testset"] == ts]
            for run in last:
                old.append({"tests": to_run, "id": run["id"], "status": "restarted",
                            "ostf_os_access_creds": self._creds()})
            if not last:
                new.append({"tests": to_run, "testset": ts, "metadata": {
                    "config": {}, "cluster_id": self.cluster_id, "ostf_os_access_creds": self._creds()}})
        if new:
            self._call("POST", "/testruns", new)
        if old:
            self._call("PUT", "/testruns", old)

    def stop_tests(self) -> Any:
        """The runs it saw running at the last poll, as [{id, status: stopped}]
        (fuel-ui 9.0:static/views/cluster_page_tabs/healthcheck_tab.js:196-216)."""
        active = [{"id": r["id"], "status": "stopped"} for r in self.testruns if r["status"] == "running"]
        return self._call("PUT", "/testruns", active) if active else None

    def wait_finished(self, timeout: float = 120) -> list[dict]:
        deadline = time.monotonic() + timeout
        while any(r["status"] == "running" for r in self.poll()):
            if time.monotonic() > deadline:
                raise ClientError(f"runs still running after {timeout} s")
            time.sleep(0.5)
        return self.testruns
