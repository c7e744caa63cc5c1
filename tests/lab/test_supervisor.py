"""The supervisor's error paths, with real processes and sockets (no OpenStack needed)."""

from __future__ import annotations

import os
import socket

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
