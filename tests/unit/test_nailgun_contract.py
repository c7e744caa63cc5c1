"""The Nailgun loader against a CONTRACT server.

pytest-httpserver serves the response shapes of Nailgun's own handlers (fuel-web 7.0-9.0
nailgun/api/v1/handlers/): `{"editable": ...}` attributes, `{"editable": {"value": ...}}` vmware_attributes,
node lists (bare or wrapped in `{"objects": [...]}`), network configuration with `public_vip` and/or
`vips`. It is a contract test of our client and mapping, not a test of Nailgun.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fuel_health.config import nailgun as nailgun_loader
from fuel_health.config import nailgun_client as nailgun
from fuel_health.pytest_plugin.tags import deployment_tags

TOKEN = "gAAAA-nailgun-token"

CLUSTER = {
    "id": 1, "name": "dual_hv", "mode": "ha_compact", "status": "operational", "net_provider": "nova_network",
    "release_id": 2, "pending_release_id": None, "fuel_version": "8.0", "is_customized": False,
    "is_locked": True, "changes": [], "grouping": "roles", "ui_settings": {"view_mode": "standard"},
}
RELEASE = {
    "id": 2, "name": "Liberty on Ubuntu 14.04", "version": "liberty-8.0", "operating_system": "Ubuntu",
    "state": "available", "description": "This option will install the OpenStack Liberty packages.",
    "is_deployable": True, "can_update_from_versions": [],
}
ATTRIBUTES = {"editable": {
    "access": {
        "metadata": {"label": "OpenStack Access", "weight": 10},
        "email": {"value": "admin@localhost", "type": "text"},
        "password": {"value": "os-admin-pw", "type": "password"},
        "tenant": {"value": "admin", "type": "text"},
        "user": {"value": "admin", "type": "text"},
    },
    "additional_components": {
        "metadata": {"label": "Additional Components", "weight": 20},
        "ceilometer": {"value": False, "type": "checkbox"},
        "heat": {"value": True, "type": "hidden"},
        "murano": {"value": False, "type": "checkbox"},
        "sahara": {"value": False, "type": "checkbox"},
    },
    "common": {
        "metadata": {"label": "Common", "weight": 30},
        "auto_assign_floating_ip": {"value": False, "type": "checkbox"},
        "libvirt_type": {"value": "qemu", "type": "radio", "values": [{"data": "kvm"}, {"data": "qemu"}]},
        "use_vcenter": {"value": True, "type": "hidden"},
    },
    # No storage.volumes_vmdk: fuel-web 6.1-9.0 nailgun/nailgun/fixtures/openstack.yaml has none.
    "storage": {
        "metadata": {"label": "Storage", "weight": 60},
        "volumes_lvm": {"value": True, "type": "checkbox"},
        "volumes_ceph": {"value": False, "type": "checkbox"},
        "images_ceph": {"value": False, "type": "checkbox"},
        "images_vcenter": {"value": False, "type": "checkbox"},
        "osd_pool_size": {"value": "3", "type": "text"},
    },
    "public_ssl": {"horizon": {"value": False}, "services": {"value": False}},
}}


def _node(node_id: int, roles: list[str], public_ip: str | None = None) -> dict[str, Any]:
    return {
        "id": node_id, "name": f"Untitled ({node_id:02x}:5f)", "hostname": f"node-{node_id}",
        "fqdn": f"node-{node_id}.test.domain.local", "cluster": 1, "roles": roles, "pending_roles": [],
        "online": True, "status": "ready", "ip": f"10.109.0.{node_id + 2}", "mac": f"64:aa:bb:cc:dd:{node_id:02x}",
        "manufacturer": "KVM", "platform_name": None, "os_platform": "ubuntu", "progress": 100,
        "pending_addition": False, "pending_deletion": False, "error_type": None, "error_msg": None, "group_id": 1,
        "network_data": [{"name": "public", "ip": f"{public_ip}/24", "dev": "eth1"}] if public_ip else [],
    }


NODES = [_node(1, ["controller"], "172.16.0.3"), _node(2, ["compute", "cinder"]),
         _node(4, ["compute-vmware"]), _node(5, ["cinder-vmware"]), _node(6, [])]  # 6: not deployed yet
NETWORK = {
    "networking_parameters": {"net_manager": "FlatDHCPManager", "fixed_networks_cidr": "10.0.0.0/16",
                              "floating_ranges": [["172.16.0.128", "172.16.0.254"]],
                              "dns_nameservers": ["8.8.4.4", "8.8.8.8"]},
    "networks": [{"id": 1, "name": "public", "cidr": "172.16.0.0/24", "gateway": "172.16.0.1"}],
    "management_vip": "192.168.0.2", "public_vip": "172.16.0.2",
    "vips": {"public": {"ipaddr": "172.16.0.2", "namespace": "haproxy", "network_role": "public/vip"},
             "management": {"ipaddr": "192.168.0.2", "namespace": "haproxy", "network_role": "mgmt/vip"}},
}
VMWARE = {"editable": {"metadata": [{"name": "availability_zones", "type": "array"}], "value": {
    "availability_zones": [{
        "az_name": "vcenter", "vcenter_host": "172.16.0.254", "vcenter_username": "administrator@vsphere.local",
        "vcenter_password": "vc-pw",
        "nova_computes": [{"vsphere_cluster": "Cluster1", "service_name": "vmcluster1", "datastore_regex": ".*",
                           "target_node": {"current": {"id": "node-4", "label": "node-4"},
                                           "options": [{"id": "controllers", "label": "controllers"},
                                                       {"id": "node-4", "label": "node-4"}]}}],
    }],
    "glance": {"vcenter_host": "", "vcenter_username": "", "vcenter_password": "", "datacenter": "",
               "datastore": ""},
    "network": {"esxi_vlan_interface": "vmnic0"},
}}}


def _target(node: str) -> dict[str, Any]:
    # A `select` field (fuel-web 9.0 openstack.yaml vmware_attributes_metadata, nova_computes.target_node).
    return {"current": {"id": node, "label": node},
            "options": [{"id": "controllers", "label": "controllers"}, {"id": "node-4", "label": "node-4"}]}


# Two vCenter zones, as Fuel 8.0/9.0 store them (fuel-web 9.0 nailgun/nailgun/fixtures/openstack.yaml,
# vmware_attributes_metadata: availability_zones[] {az_name, vcenter_host, vcenter_username, vcenter_password,
# nova_computes[] {vsphere_cluster, service_name, datastore_regex, target_node}}, glance {...}): each zone its
# own vCenter and credentials, the first with two clusters (one on the controllers, one on node-4).
VMWARE_TWO_ZONES = {"editable": {
    "metadata": [{"name": "availability_zones", "type": "array"}, {"name": "glance", "type": "object"}],
    "value": {
        "availability_zones": [
            {"az_name": "vcenter", "vcenter_host": "172.16.0.254", "vcenter_username": "administrator@vsphere.local",
             "vcenter_password": "vc-pw",
             "nova_computes": [
                 {"vsphere_cluster": "Cluster1", "service_name": "vmcluster1", "datastore_regex": ".*",
                  "target_node": _target("controllers")},
                 {"vsphere_cluster": "Cluster2", "service_name": "vmcluster2", "datastore_regex": "^nfs",
                  "target_node": _target("node-4")}]},
            {"az_name": "vcenter2", "vcenter_host": "172.16.0.253", "vcenter_username": "root@vc2.local",
             "vcenter_password": "vc2-pw",
             "nova_computes": [{"vsphere_cluster": "Cluster3", "service_name": "vmcluster3", "datastore_regex": "",
                                "target_node": _target("controllers")}]},
        ],
        "glance": {"vcenter_host": "", "vcenter_username": "", "vcenter_password": "", "datacenter": "",
                   "datastore": ""},
    }}}


def serve(httpserver, *, attributes=ATTRIBUTES, nodes: Any = NODES, network=NETWORK, token=TOKEN,
          vmware=VMWARE) -> None:
    headers = {"X-Auth-Token": token} if token else None
    for path, body in (("/api/clusters/1", CLUSTER), ("/api/releases/2", RELEASE),
                       ("/api/clusters/1/attributes", attributes),
                       ("/api/clusters/1/network_configuration/nova_network", network),
                       ("/api/clusters/1/vmware_attributes", vmware)):
        httpserver.expect_request(path, method="GET", headers=headers).respond_with_json(body)
    httpserver.expect_request("/api/nodes", method="GET", query_string="cluster_id=1",
                              headers=headers).respond_with_json(nodes)


def test_dual_cluster_from_nailgun(httpserver):
    serve(httpserver)

    cfg = nailgun_loader.from_nailgun(httpserver.url_for("/"), 1, token=TOKEN)

    assert (cfg.cluster.name, cfg.cluster.release, cfg.cluster.mode) == ("dual_hv", "liberty-8.0", "ha_compact")
    assert cfg.cluster.nova_network_mode == "single_host"
    assert cfg.cloud.auth["auth_url"] == "http://172.16.0.2:5000/v3"
    assert cfg.cloud.auth["username"] == "admin" and cfg.cloud.auth["password"].reveal() == "os-admin-pw"
    assert [(n.name, n.roles, n.host) for n in cfg.nodes] == [
        ("node-1", ("controller",), "ssh://root@10.109.0.3"),
        ("node-2", ("compute", "cinder"), "ssh://root@10.109.0.4"),
        ("node-4", ("vcenter-compute",), "ssh://root@10.109.0.6"),
        ("node-5", ("cinder-vmdk",), "ssh://root@10.109.0.7"),
    ]
    # The KVM sanity checks expect nova-compute under these names: Nailgun's fqdn, as nova registers it.
    assert cfg.nodes[1].hostname == "node-2.test.domain.local"
    assert cfg.zone("kvm").zone == "nova" and cfg.zone("vcenter").zone == "vcenter"
    assert cfg.vcenter.host == "172.16.0.254" and cfg.vcenter.password.reveal() == "vc-pw"
    assert cfg.vcenter.nova_computes[0].target_node == "node-4"
    assert deployment_tags(cfg) >= {"ha", "nova_network", "qemu", "use_vcenter", "volumes_lvm", "volumes_vmdk",
                                    "heat", "kvm_compute", "vcenter_compute_node", "cinder_vmdk_node",
                                    "vcenter_on_node", "nova_network_single_host"}
    assert "vc-pw" not in repr(cfg) and "os-admin-pw" not in repr(cfg)


def test_login_gets_a_keystone_token_first(httpserver):
    httpserver.expect_request("/v2.0/tokens", method="POST", json={"auth": {
        "tenantName": "admin", "passwordCredentials": {"username": "admin", "password": "admin"}}},
    ).respond_with_json({"access": {"token": {"id": TOKEN, "expires": "2026-11-22T00:00:00Z"}}})
    serve(httpserver)

    cfg = nailgun_loader.from_nailgun(httpserver.url_for("/"), 1, username="admin", password="admin",
                               keystone_url=httpserver.url_for("/v2.0"))

    assert cfg.cluster.id == 1


def test_kvm_only_cluster_never_asks_for_vmware_attributes(httpserver):
    attributes = copy.deepcopy(ATTRIBUTES)
    attributes["editable"]["common"]["use_vcenter"]["value"] = False
    # Older releases wrap node lists in {"objects": [...]}; a multinode cluster has no VIP at all.
    network = {k: v for k, v in NETWORK.items() if k not in ("public_vip", "vips", "management_vip")}
    serve(httpserver, attributes=attributes, nodes={"objects": NODES[:2]}, network=network)

    cfg = nailgun_loader.from_nailgun(httpserver.url_for("/"), 1, token=TOKEN)

    assert cfg.vcenter is None and cfg.hypervisors.vcenter is None
    assert cfg.cluster.nova_network_mode == "multi_host"
    assert cfg.cloud.auth["auth_url"] == "http://172.16.0.3:5000/v3"  # the controller's public IP
    assert "/api/clusters/1/vmware_attributes" not in [req.path for req, _ in httpserver.log]


def test_ostf_access_creds_override_the_cluster_ones(httpserver):
    serve(httpserver)
    client = nailgun.NailgunClient(httpserver.url_for("/"), token=TOKEN)

    raw = nailgun_loader.raw_config(client, 1, os_creds={"ostf_os_username": "ostf", "ostf_os_password": "pw2",
                                                  "ostf_os_tenant_name": "services"})

    assert (raw["cloud"]["auth"]["username"], raw["cloud"]["auth"]["project_name"]) == ("ostf", "services")


def test_unknown_cluster_is_one_line(httpserver):
    httpserver.expect_request("/api/clusters/9").respond_with_json({"message": "Cluster not found"}, status=404)

    with pytest.raises(nailgun.NailgunError) as err:
        nailgun_loader.from_nailgun(httpserver.url_for("/"), 9, token=TOKEN)

    assert str(err.value).startswith("nailgun: GET http://")
    assert "/api/clusters/9: HTTP 404" in str(err.value) and "\n" not in str(err.value)


def test_bad_token_says_what_to_do(httpserver):
    httpserver.expect_request("/api/clusters/1").respond_with_data("Unauthorized", status=401)

    with pytest.raises(nailgun.NailgunError, match=r"HTTP 401 \(pass a valid token"):
        nailgun_loader.from_nailgun(httpserver.url_for("/"), 1, token="expired")


def test_unreachable_nailgun():
    with pytest.raises(nailgun.NailgunError, match=r"^nailgun: cannot reach http://127.0.0.1:9"):
        nailgun_loader.from_nailgun("http://127.0.0.1:9", 1, token=TOKEN, timeout=2)


@pytest.mark.parametrize(("use_vcenter", "nodes", "stored", "want"), [
    (True, NODES, None, True),               # vCenter on + a deployed cinder-vmware node: VMDK volumes
    (True, NODES[:3], None, False),          # no cinder-vmware node yet
    (False, NODES, None, False),             # vCenter off: the role does nothing
    (True, NODES[:3], True, True),           # fuel-ostf style cluster with the attribute: read as is
    (True, NODES, False, False),
])
def test_volumes_vmdk_comes_from_use_vcenter_and_a_cinder_vmware_node(httpserver, use_vcenter, nodes, stored,
                                                                      want):
    """No release 6.1-9.0 has storage.volumes_vmdk (fuel-web <tag>:nailgun/nailgun/fixtures/openstack.yaml)."""
    attributes = copy.deepcopy(ATTRIBUTES)
    attributes["editable"]["common"]["use_vcenter"]["value"] = use_vcenter
    if stored is not None:
        attributes["editable"]["storage"]["volumes_vmdk"] = {"value": stored, "type": "checkbox"}
    serve(httpserver, attributes=attributes, nodes=nodes)

    cfg = nailgun_loader.from_nailgun(httpserver.url_for("/"), 1, token=TOKEN)

    assert cfg.cluster.storage.volumes_vmdk is want
    assert ("volumes_vmdk" in deployment_tags(cfg)) is want


def test_several_vcenter_zones_from_nailgun_are_read_as_they_are(httpserver):
    """Was "vmware_attributes has several zones: pick one": now one vCenter zone per availability zone."""
    serve(httpserver, vmware=VMWARE_TWO_ZONES)

    cfg = nailgun_loader.from_nailgun(httpserver.url_for("/"), 1, token=TOKEN)

    assert [(z.hypervisor, z.zone) for z in cfg.zones] == [("kvm", "nova"), ("vcenter", "vcenter"),
                                                           ("vcenter", "vcenter2")]
    assert cfg.zone("kvm").hosts == ("node-2.test.domain.local",)
    first, second = cfg.vcenter_zones
    assert [(nc.vsphere_cluster, first.vcenter.compute_host(nc), nc.target_node)
            for nc in first.vcenter.nova_computes] == [("Cluster1", "vcenter-vmcluster1", "controllers"),
                                                       ("Cluster2", "vcenter-vmcluster2", "node-4")]
    assert (second.vcenter.host, second.vcenter.username, second.vcenter.password.reveal()) == (
        "172.16.0.253", "root@vc2.local", "vc2-pw")
    assert [second.vcenter.compute_host(nc) for nc in second.vcenter.nova_computes] == ["vcenter2-vmcluster3"]
    assert cfg.vcenter is first.vcenter  # the single-zone checks read the first zone
