"""OSTF results from `fuel-health run`'s JUnit and from the OSTF adapter's testruns, and fuel-qa's rule."""

from __future__ import annotations

import pytest

from system_tests.helpers import ostf_results
from system_tests.helpers.errors import OstfError

# Recorded shape: pytest 9 JUnit of `fuel-health run` (the plugin adds ostf_id, test_set, hypervisor, step).
JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="fuel-health" errors="1" failures="1" skipped="1" tests="4">
<testcase classname="fuel_health.tests.smoke.kvm.test_boot" name="test_boot" time="3.1">
 <properties><property name="ostf_id" value="fuel_health.tests.smoke.kvm.test_boot.test_boot"/>
  <property name="test_set" value="smoke"/><property name="hypervisor" value="kvm"/></properties></testcase>
<testcase classname="fuel_health.tests.smoke.vcenter.test_volume" name="test_attach_vmdk" time="9.0">
 <properties><property name="ostf_id" value="fuel_health.tests.smoke.vcenter.test_volume.test_attach_vmdk"/>
  <property name="test_set" value="smoke"/><property name="hypervisor" value="vcenter"/>
  <property name="step" value="2"/></properties>
 <failure message="fuel_health.pytest_plugin.ostf.StepFailed: Step 2 failed: Attach: timeout"
  >traceback</failure></testcase>
<testcase classname="fuel_health.tests.sanity.test_api" name="test_services" time="0.2">
 <properties><property name="ostf_id" value="fuel_health.tests.sanity.test_api.test_services"/>
  <property name="test_set" value="sanity"/><property name="hypervisor" value="any"/></properties>
 <error message="failed on teardown with &quot;CleanupFailed: server left&quot;">traceback</error></testcase>
<testcase classname="fuel_health.tests.smoke.cross_zone.test_attach" name="test_refused" time="0.0">
 <skipped type="pytest.skip" message="needs a volume">skip</skipped></testcase>
</testsuite></testsuites>"""

# Recorded shape: OSTF adapter GET /v1/testruns/last/<cluster_id> (fuel-ostf 8.0), one object per test set.
TESTRUNS = [
    {"id": 11, "testset": "sanity", "status": "finished", "cluster_id": 1, "meta": None,
     "started_at": "2016-03-01 10:00:00", "ended_at": "2016-03-01 10:01:00", "tests": [
         {"id": "fuel_health.tests.sanity.test_api.test_services", "testset": "sanity", "name": "Services list",
          "description": "", "duration": "30 s.", "message": None, "step": None, "status": "success", "taken": 1.2},
         {"id": "fuel_health.tests.sanity.test_api.test_hosts", "testset": "sanity", "name": "Hosts list",
          "description": "", "duration": "", "message": None, "step": None, "status": "disabled", "taken": None}]},
    {"id": 12, "testset": "smoke", "status": "finished", "cluster_id": 1, "meta": None, "tests": [
        {"id": "fuel_health.tests.smoke.vcenter.test_boot.test_boot", "testset": "smoke", "name": "vCenter boot",
         "message": "Step 1 failed: Boot: no host\nmore", "step": 1, "status": "failure", "taken": 30.0}]},
    {"id": 9, "testset": "ha", "status": "finished", "cluster_id": 1, "tests": [
        {"id": "fuel_health.tests.ha.test_x.test_y", "testset": "ha", "name": "old", "status": "success"}]},
]


def test_junit_outcomes_use_ostf_statuses_and_the_plugin_properties(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)

    result = ostf_results.from_junit(path)

    got = [(t.id.rsplit(".", 1)[-1], t.test_set, t.status, t.hypervisor) for t in result.tests]
    assert got == [("test_boot", "smoke", "success", "kvm"), ("test_attach_vmdk", "smoke", "failure", "vcenter"),
                   ("test_services", "sanity", "error", None), ("test_refused", "smoke", "skipped", "both")]
    assert result.tests[1].message == "fuel_health.pytest_plugin.ostf.StepFailed: Step 2 failed: Attach: timeout"
    assert result.summary() == "4 tests: 1 error, 1 failure, 1 skipped, 1 success"
    assert [t.name for t in result.ran({"vcenter"}, keyword="vmdk")] == ["test_attach_vmdk"]
    assert result.ran({"both"}) == []  # skipped is not "ran"


def test_adapter_testruns_keep_the_asked_sets_and_drop_disabled_tests():
    result = ostf_results.from_testruns(TESTRUNS, ["sanity", "smoke"], source="adapter")

    assert [(t.name, t.status, t.hypervisor) for t in result.tests] == [
        ("Services list", "success", None), ("vCenter boot", "failure", "vcenter")]
    assert result.tests[1].message == "Step 1 failed: Boot: no host"


def test_fuel_qa_rule_should_fail_and_named_failures():
    result = ostf_results.from_testruns(TESTRUNS, ["sanity", "smoke"], source="adapter")

    ostf_results.check(result, should_fail=1, failed_test_names=["vCenter boot"])
    with pytest.raises(OstfError, match=r"^OSTF \(2 tests: 1 failure, 1 success\): 1 failed, 0 allowed: "
                                        r"fuel_health.tests.smoke.vcenter.test_boot.test_boot: failure: Step 1"):
        ostf_results.check(result)
    with pytest.raises(OstfError, match=r"test_services was expected to fail but is success"):
        ostf_results.check(result, should_fail=2, failed_test_names=["test_services"])


def test_an_empty_run_is_not_a_pass():
    with pytest.raises(OstfError, match=r"^no OSTF test ran \(JUnit x.xml\)"):
        ostf_results.check(ostf_results.OstfResult((), source="JUnit x.xml"))
