"""Role restrictions from fixtures/roles.yaml, checked locally with one-line refusals."""

from __future__ import annotations

import pytest

from system_tests.helpers import fixtures, roles
from system_tests.helpers.errors import RoleRestrictionError

VCENTER_ON = roles.ClusterFacts(cluster={"net_provider": "nova_network"},
                                settings={"common": {"use_vcenter": True}})


def refusal(name: str, wanted: list[str], facts: roles.ClusterFacts | None = VCENTER_ON) -> str:
    with pytest.raises(RoleRestrictionError) as exc:
        roles.check_node(name, wanted, facts)
    return str(exc.value)


def test_vcenter_compute_with_compute_is_refused_in_one_line_in_both_spellings():
    expected = ("node slave-04: role vcenter-compute cannot be combined with compute "
                "(fixtures/roles.yaml vcenter-compute.conflicts)")
    assert refusal("slave-04", ["compute", "vcenter-compute"], None) == expected
    assert refusal("slave-04", ["compute", "compute-vmware"], None) == expected


def test_allowed_roles_come_back_canonical():
    assert roles.check_node("slave-05", ["cinder-vmware"], VCENTER_ON) == ("cinder-vmdk",)
    assert fixtures.fuel_role("cinder-vmdk") == "cinder-vmware"
    assert fixtures.fuel_role("controller") == "controller"


def test_vcenter_roles_need_vcenter_on():
    off = roles.ClusterFacts(cluster={"net_provider": "nova_network"}, settings={"common": {"use_vcenter": False}})
    assert "vCenter must be enabled" in refusal("slave-05", ["cinder-vmdk"], off)


def test_nova_network_only_unless_the_neutron_dvs_variant():
    neutron = {"net_provider": "neutron"}
    message = refusal("slave-04", ["vcenter-compute"], roles.ClusterFacts(neutron, VCENTER_ON.settings))
    assert "works with nova-network only" in message
    dvs = roles.ClusterFacts(neutron, VCENTER_ON.settings, variants=frozenset({"neutron_dvs"}))
    assert roles.check_node("slave-04", ["vcenter-compute"], dvs) == ("vcenter-compute",)


def test_unknown_role_is_refused_naming_the_known_ones():
    assert refusal("slave-09", ["ceph-osd"]).startswith("node slave-09: unknown role 'ceph-osd' (fixtures/roles.yaml "
                                                        "knows: cinder, cinder-vmdk, compute")


def test_cluster_limits_and_the_cinder_vmdk_ha_rule():
    with pytest.raises(RoleRestrictionError, match=r"^cluster needs at least 1 controller node\(s\), has 0"):
        roles.check_cluster({"node-2": ["compute"]})
    warnings = roles.check_cluster({"node-1": ["controller"], "node-5": ["cinder-vmware"]})
    assert warnings == ["cinder-vmdk on 1 node(s) (node-5): no HA below 2"]
    assert roles.check_cluster({"node-1": ["controller"], "node-5": ["cinder-vmdk"], "node-6": ["cinder-vmdk"]}) == []
