"""Two vCenter zones, each its own real simulator (the multi_vc lab's shape): one session per zone per worker,
and a preflight that tries each zone's own endpoint.

No OpenStack is needed (keystone's half of the preflight is not what is tested here). The simulator binary is
the lab's build (``$FUEL_LAB_HOME/vcsim``), started on 127.0.0.1:18996 and 18997.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import first_line

from devops_envs.local import vcsim_build
from fuel_health import config
from fuel_health.clients import connections
from fuel_health.clients.context import RunContext
from fuel_health.clients.resources import Cleanup, ResourceNames
from fuel_health.steps import compute, vcenter, zones

# Per zone: az_name, port, user, password, its clusters.
ZONES = (("vc_east", 18996, "east-admin", "East-s3cret", ("East1", "East2")),
         ("vc_west", 18997, "west-admin", "West-s3cret", ("West1",)))
NOTHING_LISTENS = 18998
START_TIMEOUT = 10.0


def _raw(ports: dict[str, int]) -> dict[str, Any]:
    """A cluster description with the two vCenter zones (the KVM side is irrelevant here)."""
    azs = [{"az_name": az, "vcenter_host": "127.0.0.1", "vcenter_username": user, "vcenter_password": password,
            "nova_computes": [{"vsphere_cluster": c, "service_name": c.lower(), "datastore_regex": "^lab-ds",
                               "target_node": "controllers"} for c in clusters]}
           for az, _, user, password, clusters in ZONES]
    return {
        "cluster": {"id": 1, "name": "two-vcenters", "release": "2026.2", "mode": "multinode",
                    "net_provider": "nova_network", "nova_network_mode": "single_host", "libvirt_type": "qemu",
                    "use_vcenter": True, "additional_components": [],
                    "storage": {"volumes_lvm": True, "volumes_vmdk": True, "volumes_ceph": False,
                                "images_vcenter": False}},
        "cloud": {"auth": {"auth_url": "http://127.0.0.1:9/v3", "username": "admin", "password": "x",
                           "project_name": "admin"}},
        "hypervisors": {"kvm": {"zone": "nova"},
                        "vcenter": [{"zone": az, "port": ports[az]} for az, *_ in ZONES]},
        "vmware_attributes": {"availability_zones": azs},
        "vcenter": {"insecure": True, "datacenter": "LabDatacenter"},
        "nodes": [{"name": "node-1", "roles": ["controller"]}, {"name": "node-2", "roles": ["compute"]}],
    }


@pytest.fixture(scope="module")
def simulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Both zones' simulators, running; killed at teardown."""
    vcsimd = vcsim_build.build_vcsim(vcsim_build.SRC_DIR, vcsim_build.default_home() / "vcsim")
    wsdl = tmp_path_factory.mktemp("wsdl")
    (wsdl / "vimService.wsdl").write_text('<?xml version="1.0"?>\n<definitions name="stand-in"/>\n')
    procs: list[subprocess.Popen[str]] = []
    try:
        for _, port, user, password, clusters in ZONES:
            proc = subprocess.Popen(
                [str(vcsimd), "-l", f"127.0.0.1:{port}", "-user", user, "-datacenter", "LabDatacenter",
                 "-cluster", ",".join(clusters), "-datastores", "lab-ds1", "-wsdl-dir", str(wsdl)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={"VCSIM_PASSWORD": password})
            procs.append(proc)
            line = first_line(proc, START_TIMEOUT) or ""
            assert line.startswith("ready "), f"vcsimd on port {port} did not get ready: {line!r}"
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def _sessions_of(port: int, user: str, password: str) -> list[str]:
    """The users of the simulator's open sessions, apart from the one this look opens."""
    from pyVim.connect import Disconnect, SmartConnect

    si = SmartConnect(host="127.0.0.1", port=port, user=user, pwd=password, disableSslCertValidation=True)
    try:
        manager = si.content.sessionManager
        return sorted(s.userName for s in manager.sessionList if s.key != manager.currentSession.key)
    finally:
        Disconnect(si)


def _ctx(cfg: config.ClusterConfig, sessions: connections.VCenterSessions, down: dict[str, str] | None = None
         ) -> RunContext:
    # What the plugin's ctx fixture builds: the first zone's session is the `vcenter` fixture, taken from the
    # same per-zone sessions.
    assert cfg.vcenter is not None
    first = cfg.vcenter
    return RunContext(cfg=cfg, tags=frozenset(), run_id="5e55c0de", names=ResourceNames("ostf", "5e55c0de"),
                      cleanup=Cleanup(), connect=lambda: None, connect_vcenter=lambda: sessions.get(first),
                      connect_vcenters=lambda: sessions, down=down or {})


def test_each_zone_logs_in_once_per_worker_however_many_checks(simulators: None) -> None:
    """Every cluster and datastore check of the second zone logged in anew (only the first zone's session was
    the worker's): with three rounds of checks over three clusters that was six logins to vc_west's vCenter."""
    cfg = config.build(_raw({az: port for az, port, *_ in ZONES}))
    sessions = connections.VCenterSessions(cfg)
    ctx = _ctx(cfg, sessions)
    cases = [case for _, case in zones.clusters(cfg)]
    assert [(c.zone.zone, c.nova_compute.vsphere_cluster) for c in cases] == [
        ("vc_east", "East1"), ("vc_east", "East2"), ("vc_west", "West1")]

    for _ in range(3):
        for case in cases:  # a fresh context per check, as pytest makes one per test
            check = dataclasses.replace(ctx, cleanup=Cleanup())
            cluster = vcenter.find_cluster(check, case.nova_compute.vsphere_cluster, case.vcenter)
            assert cluster.name == case.nova_compute.vsphere_cluster  # each zone's own vCenter answered
            vcenter.check_datastores(check, cluster, case.nova_compute)
            check.cleanup.run()

    assert sessions.logins == 2
    for _, port, user, password, _ in ZONES:  # each simulator holds exactly its zone's one session
        assert _sessions_of(port, user, password) == [user]
    sessions.close()
    for _, port, user, password, _ in ZONES:  # and the worker's end logs out of every zone
        assert _sessions_of(port, user, password) == []


def test_the_preflight_finds_the_second_zones_vcenter_down_and_nothing_logs_in_to_it(simulators: None,
                                                                                     monkeypatch) -> None:
    """vc_west's vCenter down (nothing on its port), vc_east's up: only vc_west is down, its checks fail naming
    it without a login attempt, and nothing is created in its zone; vc_east goes on."""
    monkeypatch.setattr(connections, "_keystone_login", lambda cfg, timeout: ("keystone (not under test)", None))
    cfg = config.build(_raw({"vc_east": ZONES[0][1], "vc_west": NOTHING_LISTENS}))

    found = connections.preflight(cfg, timeout=5)

    assert list(found.down) == ["vcenter:vc_west"]
    assert found.down["vcenter:vc_west"].startswith(f"vCenter at 127.0.0.1:{NOTHING_LISTENS} is unreachable: ")
    assert any(line.startswith(f"vCenter 127.0.0.1:{ZONES[0][1]} (zone vc_east) OK") for line in found.lines)

    sessions = connections.VCenterSessions(cfg)
    ctx = _ctx(cfg, sessions, found.down)
    east, west = cfg.zone_named("vc_east"), cfg.zone_named("vc_west")
    assert west.vcenter is not None and east.vcenter is not None
    with pytest.raises(AssertionError, match=rf"^vCenter at 127.0.0.1:{NOTHING_LISTENS} is unreachable: .*: this "
                                             r"check needs it \(found by the preflight\)$"):
        vcenter.find_cluster(ctx, "West1", west.vcenter)
    with pytest.raises(AssertionError, match=r"a volume in zone vc_west can be neither built nor deleted"):
        compute.check_zone_endpoint(ctx, west, "a volume", "created")
    compute.check_zone_endpoint(ctx, east, "a volume", "created")
    assert vcenter.find_cluster(ctx, "East2", east.vcenter).name == "East2"
    assert sessions.logins == 1
    sessions.close()


def test_the_built_simulator_is_the_labs(simulators: None) -> None:
    """The binary these tests start is the lab's own build, so the sessions seen are the lab's behaviour."""
    assert Path(vcsim_build.default_home() / "vcsim" / "bin" / "vcsimd").is_file()
