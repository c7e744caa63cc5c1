"""The lab's own tests run against the real local lab: they start it (harmless when it runs)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import openstack
import pytest

from devops_envs.local.lab import Lab


@pytest.fixture(scope="session")
def lab() -> Lab:
    lab = Lab.default()
    if os.environ.get("FUEL_LAB_SKIP_UP") != "1":
        lab.up()
    return lab


@pytest.fixture(scope="session")
def conn(lab: Lab) -> Iterator[openstack.connection.Connection]:
    conn = lab.connect(compute_api_version="2.37")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def topo(lab: Lab):
    return lab.topology()


@pytest.fixture
def name() -> str:
    return f"labtest-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def cleanup(conn) -> Iterator[list]:
    """Deletes what a test made, newest first, waiting until it is gone."""
    made: list = []
    yield made
    for item in reversed(made):
        if isinstance(item, openstack.compute.v2.server.Server):
            conn.compute.delete_server(item, ignore_missing=True)
            conn.compute.wait_for_delete(item, interval=0.5, wait=120)
        else:
            vol = conn.block_storage.find_volume(item.id)
            for att in (vol.attachments if vol else []):
                conn.compute.delete_volume_attachment(att["server_id"], vol.id, ignore_missing=True)
            if vol is not None and vol.status != "available":
                conn.block_storage.wait_for_status(vol, "available", failures=["error"], interval=0.5, wait=120)
            conn.block_storage.delete_volume(item, ignore_missing=True)
            conn.block_storage.wait_for_delete(item, interval=0.5, wait=120)
