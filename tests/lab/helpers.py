"""Small cloud helpers for the lab's own tests (the suite has richer ones; the lab must not need them)."""

from __future__ import annotations

import queue
import subprocess
import threading

import openstack


def first_line(proc: subprocess.Popen[str], timeout: float) -> str | None:
    """The first line the process prints on stdout, or None if none comes within timeout (a reader thread, so a
    process that prints nothing cannot hang the test)."""
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return None


def boot(conn: openstack.connection.Connection, name: str, zone: str, image: str, cleanup: list):
    img = conn.image.find_image(image, ignore_missing=False)
    flavor = conn.compute.find_flavor("m1.tiny", ignore_missing=False)
    server = conn.compute.create_server(name=name, image_id=img.id, flavor_id=flavor.id, networks="none",
                                        availability_zone=zone)
    cleanup.append(server)
    return conn.compute.wait_for_server(server, interval=0.3, wait=120)


def volume(conn: openstack.connection.Connection, name: str, zone: str, cleanup: list, **kw):
    vol = conn.block_storage.create_volume(name=name, size=1, availability_zone=zone, **kw)
    cleanup.append(vol)
    return conn.block_storage.wait_for_status(vol, "available", failures=["error"], interval=0.3, wait=120)


def attach(conn: openstack.connection.Connection, server, vol):
    conn.compute.create_volume_attachment(server, volume_id=vol.id)
    return conn.block_storage.wait_for_status(vol, "in-use", failures=["error", "error_attaching"],
                                              interval=0.3, wait=120)


def detach(conn: openstack.connection.Connection, server, vol):
    conn.compute.delete_volume_attachment(server, vol.id)
    return conn.block_storage.wait_for_status(vol, "available", failures=["error", "error_detaching"],
                                              interval=0.3, wait=120)
