"""Deployment tags from the config, and OSTF tag expressions."""

from __future__ import annotations

import pytest

from fuel_health import config
from fuel_health.pytest_plugin.tags import TagExpressionError, deployment_tags, explain, matches, parse


def test_kvm_only_cluster(kvm_raw):
    assert deployment_tags(config.build(kvm_raw)) == {
        "multinode", "nova_network", "nova_network_multi_host", "qemu", "volumes_lvm", "kvm_compute"}


def test_kvm_only_cluster_without_node_list_still_has_kvm_compute(kvm_raw):
    kvm_raw["nodes"] = []
    assert "kvm_compute" in deployment_tags(config.build(kvm_raw))


def test_dual_cluster_with_a_vcenter_compute_node(dual_raw):
    assert deployment_tags(config.build(dual_raw)) == {
        "multinode", "nova_network", "nova_network_single_host", "qemu", "use_vcenter", "volumes_lvm",
        "volumes_vmdk", "kvm_compute", "vcenter_compute_node", "cinder_vmdk_node", "vcenter_on_node"}


def test_dual_cluster_with_vcenter_nova_compute_on_controllers(dual_raw):
    dual_raw["cluster"].update(mode="ha_compact", libvirt_type="kvm", additional_components=["sahara"])
    dual_raw["vmware_attributes"]["availability_zones"][0]["nova_computes"][0]["target_node"] = {
        "current": {"id": "controllers"}}
    dual_raw["nodes"] = [n for n in dual_raw["nodes"] if n["name"] != "node-4"]
    dual_raw["nodes"].append({"name": "node-6", "roles": ["cinder-vmdk"]})

    tags = deployment_tags(config.build(dual_raw))

    assert {"ha", "kvm", "vcenter_on_controllers", "cinder_vmdk_node", "cinder_vmdk_ha", "sahara",
            "additional_components"} <= tags
    assert not {"vcenter_compute_node", "vcenter_on_node", "multinode", "qemu"} & tags


def test_two_vcenter_zones_add_multi_vcenter(dual_raw):
    # The vCenter-with-vCenter refusal applies only where there are two vCenter zones to pair.
    assert "multi_vcenter" not in deployment_tags(config.build(dual_raw))
    zones = dual_raw["vmware_attributes"]["availability_zones"]
    zones.append({**zones[0], "az_name": "vc_west", "nova_computes": [
        {**zones[0]["nova_computes"][0], "vsphere_cluster": "West1", "service_name": "west1"}]})
    assert "multi_vcenter" in deployment_tags(config.build(dual_raw))


def test_neutron_has_no_nova_network_mode_tag(kvm_raw):
    kvm_raw["cluster"].update(net_provider="neutron", nova_network_mode=None)
    tags = deployment_tags(config.build(kvm_raw))
    assert "neutron" in tags and not any(t.startswith("nova_network") for t in tags)


@pytest.mark.parametrize(("expr", "tags", "expected"), [
    ("", set(), True),
    ("   ", {"x"}, True),
    ("use_vcenter", {"use_vcenter"}, True),
    ("use_vcenter", {"kvm"}, False),
    ("kvm | qemu", {"qemu"}, True),
    ("kvm|qemu", {"vcenter"}, False),
    ("kvm | qemu, volumes_lvm", {"qemu", "volumes_lvm"}, True),
    ("kvm | qemu, volumes_lvm", {"qemu"}, False),
    ("  KVM |qemu ,  Volumes_LVM ", {"kvm", "volumes_lvm"}, True),
    ("a, b, c", {"a", "b", "c", "d"}, True),
    ("a, b | c", {"a", "c"}, True),
])
def test_matches(expr, tags, expected):
    assert matches(expr, tags) is expected


def test_explain_says_what_is_missing_and_what_the_cluster_has():
    assert explain("kvm | qemu, volumes_lvm", {"qemu", "volumes_lvm"}) is None
    assert explain("use_vcenter", {"kvm", "multinode"}) == "needs use_vcenter (cluster has: kvm, multinode)"
    assert explain("kvm | qemu, use_vcenter, volumes_vmdk", {"multinode"}) == (
        "needs one of kvm | qemu, use_vcenter, volumes_vmdk (cluster has: multinode)")


@pytest.mark.parametrize("expr", ["a,,b", "a | , b", "|a", "use vcenter"])
def test_malformed_expressions(expr):
    with pytest.raises(TagExpressionError):
        parse(expr)
