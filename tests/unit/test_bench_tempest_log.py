"""The Tempest comparison reads "same work" from tempest.log: checked on a log recorded from a real run of
`AttachVolumeTestJSON.test_attach_detach_volume` (tempest 47.0.0) against the local lab's vCenter zone."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import tempest_compare

LOG = Path(__file__).parent / "data" / "tempest_attach_detach_vcenter.log"


def test_every_recorded_api_call_is_read():
    calls = tempest_compare.read_calls(LOG)
    assert len(calls) == 57
    assert all(c.end >= c.start for c in calls)
    assert {c.caller for c in calls} == {"setUpClass", "test_attach_detach_volume", "_run_cleanups", "tearDownClass"}


def test_same_work_spans_boot_to_volume_delete_without_the_power_cycles():
    calls = tempest_compare.read_calls(LOG)
    work = tempest_compare.same_work(calls)
    boot = next(c for c in calls if c.method == "POST" and c.url.endswith("/servers"))
    last = [c for c in calls if ":8776/" in c.url or ":8774/" in c.url][-1]
    assert last.caller == "tearDownClass"  # the volume is deleted after the test, in the class cleanup
    actions = [c for c in calls if c.url.endswith("/action")]
    assert len(actions) == 4  # stop, start, stop, start
    assert 0 < work["stop_start_s"] < last.end - boot.start
    assert work["same_work_s"] == pytest.approx(last.end - boot.start - work["stop_start_s"], abs=0.01)
    assert work["api_calls"] < sum(1 for c in calls if c.start >= boot.start and ":5000/" not in c.url)
