"""A direct view of the lab cloud for the detection tests (what is left behind, what exists)."""

from __future__ import annotations

import openstack

from devops_envs.local.lab import Lab


def connect(lab: Lab) -> openstack.connection.Connection:
    return lab.connect()


def named(conn: openstack.connection.Connection, start: str) -> list[str]:
    """Servers and volumes whose name starts with `start`."""
    out = [f"server {s.name}" for s in conn.compute.servers() if (s.name or "").startswith(start)]
    out += [f"volume {v.name}" for v in conn.block_storage.volumes() if (v.name or "").startswith(start)]
    return out
