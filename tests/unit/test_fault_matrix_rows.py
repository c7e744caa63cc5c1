"""The fault matrix's verdict on one row (tests/detection/row_verdict.py), fed with made-up runs: no lab."""

from __future__ import annotations

import re

import pytest

from tests.detection import suite_run
from tests.detection.row_verdict import check_row, expect

FAILS = "smoke.kvm.test_instance_volume.test_kvm_instance_with_volume"
CANARY = "sanity.test_images.test_kvm_image"
TOUCHED = "sanity.test_nova_compute.test_kvm_nova_compute_up"
SHARED = "tests_platform.test_vcenter_volume_disk.test_vcenter_volume_is_vm_disk"
WANT = expect({FAILS}, r"nova-compute on node-2 is down", touches={TOUCHED})
SELECTED = {FAILS, CANARY, TOUCHED}


def run(**statuses: str) -> suite_run.SuiteRun:
    said = {"failed": "nova-compute on node-2 is down", "skipped": "skipped: x", "error": "boom"}
    results = {tid: suite_run.TestResult(tid, status, said.get(status, "")) for tid, status in statuses.items()}
    exit_code = 1 if any(s in ("failed", "error") for s in statuses.values()) else 0
    return suite_run.SuiteRun("3fa2c01b", exit_code, 1.0, "", results)


def test_a_row_holds_when_its_fault_fails_and_everything_else_passed():
    check_row(WANT, SELECTED, run(**{FAILS: "failed", CANARY: "passed", TOUCHED: "passed"}))


@pytest.mark.parametrize(("status", "says"), [
    ("skipped", "checks did not pass, so the row proves nothing about them: {which} skipped"),
    ("error", "unexpected: {{'{which}'}}")])
@pytest.mark.parametrize("which", [CANARY, TOUCHED])
def test_a_canary_or_touches_check_that_did_not_pass_fails_the_row(which, status, says):
    # The old row accepted a skipped canary: only failures outside the expected set counted.
    statuses = {FAILS: "failed", CANARY: "passed", TOUCHED: "passed", which: status}
    with pytest.raises(AssertionError, match=re.escape(says.format(which=which))):
        check_row(WANT, SELECTED, run(**statuses))


def test_a_dependant_of_a_broken_shared_resource_may_be_skipped():
    want = expect({FAILS}, r"nova-compute on node-2 is down", maybe={SHARED})
    statuses = {FAILS: "failed", CANARY: "passed", SHARED: "skipped"}
    with pytest.raises(AssertionError, match=r"none of .* failed"):  # one of the maybe set must still fail
        check_row(want, {FAILS, CANARY, SHARED}, run(**statuses))
    check_row(want, {FAILS, CANARY, SHARED}, run(**{**statuses, FAILS: "failed", SHARED: "failed"}))


def test_a_row_must_run_exactly_its_selection():
    with pytest.raises(AssertionError, match=r"selected but not run: \{'sanity.test_nova_compute"):
        check_row(WANT, SELECTED, run(**{FAILS: "failed", CANARY: "passed"}))
