"""Every unit that can break on its own has its own case: each host and cluster of EVERY zone, not the first one's.

The config has 2 KVM zones and 2 vCenter zones; the real suite is collected against it (`--collect-only`,
a subprocess, as an operator's run would), and the per-zone steps are shown to use the zone's own vCenter.
"""

from __future__ import annotations

import configparser
import dataclasses
import subprocess
import sys
from contextlib import contextmanager
from types import SimpleNamespace as NS
from typing import Any

import pytest

from fuel_health import cli, config
from fuel_health.clients.context import RunContext
from fuel_health.clients.resources import Cleanup, ResourceNames
from fuel_health.steps import nodes, services, vcenter, zones


def _four_zones(raw: dict[str, Any]) -> dict[str, Any]:
    """Two KVM zones (nova: node-2, node-6; kvm_b: node-7) and two vCenter zones (vcenter: Cluster1;
    vc_west: West1, West2 on its own vCenter)."""
    raw["vmware_attributes"]["availability_zones"].append({
        "az_name": "vc_west", "vcenter_host": "10.0.0.20", "vcenter_username": "ops@west.local",
        "vcenter_password": "West-Pa55word!",
        "nova_computes": [
            {"vsphere_cluster": "West1", "service_name": "west1", "datastore_regex": "^ds-west1",
             "target_node": {"current": {"id": "node-4"}}},
            {"vsphere_cluster": "West2", "service_name": "west2", "datastore_regex": "",
             "target_node": {"current": {"id": "node-4"}}}]})
    raw["nodes"] += [{"name": "node-6", "hostname": "node-6.domain.tld", "roles": ["compute"]},
                     {"name": "node-7", "roles": ["compute"]}]
    raw["hypervisors"]["kvm"] = [{"zone": "nova", "hosts": ["node-2", "node-6"]},
                                 {"zone": "kvm_b", "hosts": ["node-7"]}]
    return raw


def collected(config_path: Any) -> set[str]:
    """Return the suite's test ids (`module.function[case]`, relative to fuel_health.tests) for the config."""
    res = subprocess.run([sys.executable, "-m", "pytest", str(cli.TESTS_DIR), "-p", "no:cacheprovider",
                          "--rootdir", str(cli.TESTS_DIR.parent.parent), "--collect-only", "-q", "--no-preflight",
                          "--cluster-config", str(config_path)], capture_output=True, text=True, timeout=120)
    ids = {line.split("fuel_health/tests/", 1)[1].replace(".py::", ".").replace("/", ".")
           for line in res.stdout.splitlines() if "::" in line}
    assert ids, res.stdout[-2000:] + res.stderr[-2000:]
    return ids


def cases(ids: set[str], function: str) -> set[str]:
    return {i.split("[", 1)[1].rstrip("]") for i in ids if i.split("[", 1)[0].endswith(f".{function}") and "[" in i}


def test_each_host_and_cluster_of_every_zone_has_its_own_case(dual_raw, write_config):
    ids = collected(write_config(_four_zones(dual_raw)))

    assert cases(ids, "test_kvm_nova_compute_up") == {"nova:node-2", "nova:node-6.domain.tld", "nova",
                                                      "kvm_b:node-7", "kvm_b"}
    assert cases(ids, "test_vcenter_nova_compute_up") == {"vcenter:vmcluster1", "vcenter", "vc_west:west1",
                                                          "vc_west:west2", "vc_west"}
    assert cases(ids, "test_kvm_cinder_volume_up") == {"nova", "kvm_b"}
    assert cases(ids, "test_vcenter_cinder_volume_up") == {"vcenter", "vc_west"}
    for function in ("test_kvm_hypervisor_type", "test_kvm_zones_match", "test_kvm_image"):
        assert cases(ids, function) == {"nova", "kvm_b"}, function  # was: the first KVM zone only
    for function in ("test_vcenter_hypervisor_type", "test_vcenter_zones_match", "test_vcenter_image"):
        assert cases(ids, function) == {"vcenter", "vc_west"}, function
    for function in ("test_vcenter_compute_host", "test_vcenter_compute_cluster"):  # was: the first zone's only
        assert cases(ids, function) == {"vcenter:vmcluster1@node-4", "vc_west:west1@node-4", "vc_west:west2@node-4"}
    assert cases(ids, "test_volume_zone_is_nova_zone") == {"node-3-cinder", "vcenter:node-5-cinder-vmdk",
                                                           "vc_west:node-5-cinder-vmdk"}
    clusters = {"vcenter:Cluster1", "vc_west:West1", "vc_west:West2"}
    assert cases(ids, "test_vcenter_cluster") == clusters
    assert cases(ids, "test_vcenter_datastores") == clusters
    assert cases(ids, "test_vcenter_login") == {"vcenter", "vc_west"}
    assert cases(ids, "test_vcenter_instances_have_vms") == {"vcenter", "vc_west"}  # was one, the first zone's
    assert cases(ids, "test_kvm_volume_refused_by_vcenter_instance") == {
        "nova-to-vcenter", "nova-to-vc_west", "kvm_b-to-vcenter", "kvm_b-to-vc_west"}
    assert cases(ids, "test_vcenter_volume_refused_by_kvm_instance") == {
        "vcenter-to-nova", "vc_west-to-nova", "vcenter-to-kvm_b", "vc_west-to-kvm_b"}
    assert cases(ids, "test_vcenter_volume_refused_by_other_vcenter_instance") == {"vcenter-to-vc_west",
                                                                                   "vc_west-to-vcenter"}


def test_the_one_plus_one_cloud_keeps_two_cross_zone_cases(dual_raw, write_config):
    ids = collected(write_config(dual_raw))

    cross = {i for i in ids if i.startswith("smoke.cross_zone.") and "refused" in i}
    assert cross == {"smoke.cross_zone.test_kvm_volume_to_vcenter.test_kvm_volume_refused_by_vcenter_instance"
                     "[nova-to-vcenter]",
                     "smoke.cross_zone.test_vcenter_volume_to_kvm.test_vcenter_volume_refused_by_kvm_instance"
                     "[vcenter-to-nova]"}  # one vCenter zone: no vCenter-with-vCenter pair (multi_vcenter tag off)
    assert cases(ids, "test_kvm_nova_compute_up") == {"nova:node-2", "nova"}
    assert cases(ids, "test_vcenter_nova_compute_up") == {"vcenter:vmcluster1", "vcenter"}


def test_a_cluster_is_looked_up_in_its_own_zones_vcenter(dual_raw, monkeypatch):
    cfg = config.build(_four_zones(dual_raw))
    first = NS(name="first zone's vCenter")
    logins: list[tuple[str, str]] = []

    @contextmanager
    def session(cfg: config.ClusterConfig, *, timeout: float | None = None, vc: Any = None):
        logins.append((vc.host, vc.username))
        yield NS(content=NS(rootFolder=NS(childEntity=[])))  # no datacenter: the lookup fails naming the vCenter
        logins.append(("logout", vc.host))

    monkeypatch.setattr(vcenter.connections, "vcenter_session", session)
    sessions = vcenter.connections.VCenterSessions(cfg)
    ctx = RunContext(cfg=cfg, tags=frozenset(), run_id="3fa2c01b", names=ResourceNames("ostf", "3fa2c01b"),
                     cleanup=Cleanup(), connect=lambda: None, connect_vcenter=lambda: first,
                     connect_vcenters=lambda: sessions)
    (_, west1) = next(c for c in zones.clusters(cfg) if c[0] == "vc_west:West1")

    for _ in range(2):  # the second lookup reuses the zone's session (tests/lab/test_vcenter_sessions.py: real)
        with pytest.raises(AssertionError, match=r"^vCenter 10.0.0.20 has no datacenter Datacenter "):
            vcenter.find_cluster(ctx, west1.nova_compute.vsphere_cluster, west1.vcenter)
    assert logins == [("10.0.0.20", "ops@west.local")]  # not the worker's session of the first zone's vCenter
    ctx.cleanup.run()
    assert len(logins) == 1  # the session is the worker's, not this test's
    sessions.close()
    assert logins[-1] == ("logout", "10.0.0.20")


def test_each_zones_hypervisors_are_its_own_hosts(dual_raw):
    """The hypervisor-type case of a zone checks that zone's hosts: the second KVM zone its node, the second
    vCenter zone its clusters' <az_name>-<service_name> (was: every compute node, and the first vCenter zone's)."""
    cfg = config.build(_four_zones(dual_raw))
    api = NS(aggregates=lambda: [], services=lambda binary=None, host=None: [])
    ctx = RunContext(cfg=cfg, tags=frozenset(), run_id="3fa2c01b", names=ResourceNames("ostf", "3fa2c01b"),
                     cleanup=Cleanup(), connect=lambda: NS(compute=api), connect_vcenter=lambda: None)
    assert services.hypervisor_hosts(ctx, cfg.zone_named("kvm_b")) == {"node-7"}
    assert services.hypervisor_hosts(ctx, cfg.zone_named("nova")) == {"node-2", "node-6.domain.tld"}
    assert services.hypervisor_hosts(ctx, cfg.zone_named("vc_west")) == {"vc_west-west1", "vc_west-west2"}
    assert services.hypervisor_hosts(ctx, cfg.zone_named("vcenter")) == {"vcenter-vmcluster1"}


def test_a_second_zones_computes_and_volume_service_are_checked_against_that_zone(dual_raw, tmp_path):
    """The second vCenter zone's nova-compute must be host vc_west-west1 (was checked against the first zone's
    az_name: vcenter-west1), and its cinder-volume on a cinder-vmdk node reads cinder.d/vmware-vc_west.conf and
    must put volumes in vc_west (was: the first zone's file and zone)."""
    cfg = config.build(_four_zones(dual_raw))
    west = {i: t for i, t in nodes.vcenter_computes(cfg)}["vc_west:west1@node-4"]
    parser = configparser.ConfigParser()
    parser.read_string("[DEFAULT]\nhost = vcenter-west1\n")
    conf = nodes.ServiceConfig(west.node, (("/etc/nova/nova-compute.conf", parser),))
    with pytest.raises(AssertionError, match=r"host is 'vcenter-west1' .*expected 'vc_west-west1' for vSphere "
                                             r"cluster West1"):
        nodes.check_vcenter_compute_host(west.vcenter, west.nova_compute, conf)
    assert nodes.pacemaker_resource(west.vcenter, west.nova_compute) == "p_nova_compute_vmware_vc_west-west1"

    backend = {i: b for i, b in nodes.volume_nodes(cfg)}["vc_west:node-5-cinder-vmdk"]
    root = tmp_path / "node-5"
    (root / "etc/cinder/cinder.d").mkdir(parents=True)
    (root / "etc/cinder/cinder.conf").write_text("[DEFAULT]\nstorage_availability_zone = vcenter\n")
    (root / "etc/cinder/cinder.d/vmware-vc_west.conf").write_text("[DEFAULT]\nstorage_availability_zone = vcenter\n")
    node = dataclasses.replace(backend.node, root=str(root))
    ctx = RunContext(cfg=cfg, tags=frozenset(), run_id="3fa2c01b", names=ResourceNames("ostf", "3fa2c01b"),
                     cleanup=Cleanup(), connect=lambda: None, connect_vcenter=lambda: None)
    conf = nodes.cinder_config(ctx, node, backend.role, backend.zones[0])
    with pytest.raises(AssertionError, match=r"storage_availability_zone = vcenter \(/etc/cinder/cinder.d/"
                                             r"vmware-vc_west.conf\), expected vc_west \(the nova zone this "
                                             r"cinder-vmdk serves\)"):
        nodes.check_volume_zone(conf, backend)


def test_a_second_zones_instances_are_matched_with_its_own_vcenters_vms(dual_raw):
    """The orphan check listed the first zone's computes only and read the first zone's vCenter: a VM deleted in
    the second zone's vCenter went unseen. Each zone's case lists its own computes and names its own vCenter."""
    cfg = config.build(_four_zones(dual_raw))
    asked: list[str] = []
    gone = NS(id="s-west", name="web-1", status="ACTIVE", task_state=None, compute_host="vc_west-west2")

    def servers(all_projects: bool, compute_host: str) -> list[Any]:
        asked.append(compute_host)
        return [gone] if compute_host == gone.compute_host else []

    api = NS(servers=servers, find_server=lambda sid, all_projects: gone)
    ctx = RunContext(cfg=cfg, tags=frozenset(), run_id="3fa2c01b", names=ResourceNames("ostf", "3fa2c01b"),
                     cleanup=Cleanup(), connect=lambda: NS(compute=api), connect_vcenter=lambda: None)
    west = cfg.zone_named("vc_west").vcenter

    found = vcenter.settled_instances(ctx, west)

    assert asked == ["vc_west-west1", "vc_west-west2"] and found == [gone]
    with pytest.raises(AssertionError, match=r"^1 instance\(s\) nova runs in vCenter zone vc_west have no VM in "
                                             r"vCenter 10.0.0.20:18990: server web-1 \(s-west\) ACTIVE on "
                                             r"vc_west-west2\. "):
        vcenter.check_instances_have_vms(ctx, found, set(), west)


def test_a_zone_that_is_not_its_hypervisors_first_shares_its_own_instance(dual_raw):
    cfg = config.build(_four_zones(dual_raw))
    built: list[str] = []
    shared = NS(ctx=NS(cfg=cfg), get=lambda key, build: built.append(key))
    for zone in cfg.zones:
        zones.server(shared, zone)
        zones.shared_volume(shared, zone)
    # The first zone of each hypervisor keeps the key the single-zone checks use (one instance per worker).
    assert built == ["kvm server", "kvm volume", "zone kvm_b server", "zone kvm_b volume",
                     "vcenter server", "vcenter volume", "zone vc_west server", "zone vc_west volume"]
