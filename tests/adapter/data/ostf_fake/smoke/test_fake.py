"""Fake smoke checks: a slow one with a cleanup, an error, a skip, and a vCenter-only one."""

import os
import time

import pytest

from fuel_health.pytest_plugin import ostf
from ostf_fake import mark


@ostf.scenario(title="Slow boot", steps=["Boot a server", "Wait for it"], duration="60 s")
def test_slow(step, cleanup, run_id):
    """Boots a (pretend) server and waits."""
    with step(1):
        mark(f"created {run_id}")
        cleanup.add("delete the server", lambda: mark(f"cleaned {run_id}"))
    with step(2):
        time.sleep(float(os.environ.get("FAKE_SLOW_SECONDS", "0.5")))


@ostf.scenario(title="Broken helper", steps=["Call it"])
def test_error():
    """Errors outside any step."""
    raise RuntimeError("helper exploded")


@ostf.scenario(title="Needs an image", steps=["Find the image"])
def test_skip():
    """Skips itself."""
    pytest.skip("no TestVM image in glance")


@ostf.scenario(title="vCenter boots", steps=["Boot"], tags="use_vcenter", hypervisor="vcenter")
def test_vcenter(step):
    """Only on clusters with vCenter."""
