"""The supervisor's error paths, with real processes and sockets (no OpenStack needed)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess

import psutil
import pytest

from devops_envs.local.errors import LabError
from devops_envs.local.lab import Lab
from devops_envs.local.paths import LabPaths
from devops_envs.local.services import OPENSTACK, Service
from devops_envs.local.supervisor import Supervisor


@pytest.fixture
def sup(tmp_path) -> Supervisor:
    return Supervisor(LabPaths(tmp_path), {})


def test_port_in_use_is_one_line_naming_the_port(sup):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        svc = Service("node-1", "fake-api", ("sleep", "30"), OPENSTACK, port=port)
        with pytest.raises(LabError, match=f"port {port} needed by node-1.fake-api is in use by pid") as err:
            sup.start(svc)
    assert "\n" not in str(err.value)


def test_a_service_dying_during_start_shows_its_log_tail(sup, tmp_path):
    svc = Service("node-1", "doomed", ("sh", "-c", "echo 'cannot open /etc/doomed.conf'; exit 3"), OPENSTACK,
                  queue="doomed")
    assert sup.start(svc)
    with pytest.raises(LabError) as err:
        Lab(LabPaths(tmp_path)).wait_ready(sup, [svc], timeout=10)
    first, *tail = str(err.value).splitlines()
    assert first.startswith("node-1.doomed died during start")
    assert "cannot open /etc/doomed.conf" in "\n".join(tail)


def test_start_is_idempotent_and_stop_kills_the_group(sup):
    svc = Service("node-1", "sleeper", ("sh", "-c", "sleep 60 & sleep 60"), OPENSTACK)
    assert sup.start(svc) is True
    pid = sup.pid(svc)
    assert sup.start(svc) is False and sup.pid(svc) == pid
    sup.stop([svc], timeout=5)
    assert sup.pid(svc) is None
    alive = [p for p in psutil.process_iter() if _pgid(p) == pid and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == []


def _pgid(proc: psutil.Process) -> int | None:
    try:
        return os.getpgid(proc.pid)
    except ProcessLookupError:
        return None


def test_strays_include_loop_devices_of_the_lab_home_even_of_deleted_files(tmp_path):
    """A loop device left on a lab volume file (its cinder-volume killed mid-attach) is released by down/reset,
    even once the file is deleted; a loop device outside the lab home is not touched."""
    if shutil.which("losetup") is None or os.geteuid() != 0:
        pytest.fail("needs root and losetup (util-linux): the lab's volume backend needs both too")
    home, outside = tmp_path / "home", tmp_path / "outside"
    home.mkdir()
    outside.mkdir()
    devs = []
    for folder in (home, outside):
        backing = folder / "volume-0001"
        backing.write_bytes(b"\0" * 2**20)
        devs.append(subprocess.run(["losetup", "--find", "--show", str(backing)], capture_output=True, text=True,
                                   check=True).stdout.strip())
    (home / "volume-0001").unlink()
    try:
        released = Lab(LabPaths(home)).kill_strays()
        assert released == [f"loop {devs[0]} ({home}/volume-0001)"]
        still = subprocess.run(["losetup", "--list", "--noheadings", "--output", "NAME"], capture_output=True,
                               text=True, check=True).stdout.split()
        assert devs[0] not in still and devs[1] in still
    finally:
        for dev in devs:
            subprocess.run(["losetup", "--detach", dev], capture_output=True, check=False)
