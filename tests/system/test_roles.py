"""Role rules per Fuel release (fixtures/releases/<release>.yaml), checked locally with one-line refusals.

They refuse what that release's Nailgun refuses, and only that (fuel-web <tag>:nailgun/nailgun/fixtures/
openstack.yaml roles_metadata, api/v1/validators/assignment.py)."""

from __future__ import annotations

import pytest

from fuel_health import fuel_data
from system_tests.helpers import roles
from system_tests.helpers.errors import RoleRestrictionError

VCENTER_ON = roles.ClusterFacts(cluster={"net_provider": "neutron"}, settings={"common": {"use_vcenter": True},
                                                                               "storage": {"volumes_lvm": True}})


def refusal(name: str, wanted: list[str], facts: roles.ClusterFacts | None = VCENTER_ON, release: str = "9.0",
            added: tuple[str, ...] = ()) -> str:
    with pytest.raises(RoleRestrictionError) as exc:
        roles.check_node(name, wanted, facts, release, added=added)
    return str(exc.value)


def test_vcenter_compute_with_compute_is_refused_in_one_line_in_both_spellings():
    expected = ("node slave-04: role vcenter-compute cannot be combined with compute "
                "(fixtures/releases/9.0.yaml compute-vmware.conflicts)")
    assert refusal("slave-04", ["compute", "vcenter-compute"], None) == expected
    assert refusal("slave-04", ["compute", "compute-vmware"], None) == expected


@pytest.mark.parametrize("release", ["8.0", "9.0"])
@pytest.mark.parametrize("other", ["controller", "cinder", "mongo", "base-os"])
def test_compute_vmware_keeps_to_itself_on_8_0_and_9_0(release, other):
    assert "cannot be combined with" in refusal("slave-04", [other, "compute-vmware"], None, release)


def test_7_0_compute_vmware_conflicts_with_everything():
    assert refusal("slave-04", ["cinder-vmware", "compute-vmware"], None, "7.0").endswith(
        "role vcenter-compute cannot be combined with cinder-vmdk "
        "(fixtures/releases/7.0.yaml compute-vmware.conflicts)")


@pytest.mark.parametrize("release", fuel_data.releases())
def test_cinder_and_cinder_vmdk_share_a_node_in_every_release(release):
    """fuel-qa 7.0-eol test_vcenter.py vcenter_multiroles_cindervmdk_and_cinder deploys exactly that."""
    assert roles.check_node("slave-05", ["controller", "cinder", "cinder-vmware"], VCENTER_ON, release) == (
        "controller", "cinder", "cinder-vmdk")


def test_6_1_has_no_compute_vmware():
    message = refusal("slave-04", ["compute-vmware"], VCENTER_ON, "6.1")
    assert message.startswith("node slave-04: role compute-vmware does not exist in Fuel 6.1 (its Nailgun knows: ")
    assert message.endswith("; fixtures/releases/6.1.yaml)") and "\n" not in message


def test_7_0_refuses_compute_vmware_on_a_deployed_cluster_only():
    locked = roles.ClusterFacts(VCENTER_ON.cluster, VCENTER_ON.settings, locked=True)
    assert roles.check_node("slave-04", ["compute-vmware"], VCENTER_ON, "7.0") == ("vcenter-compute",)
    assert "Fuel 7.0 refuses every vmware_attributes change once deployed (HTTP 403" in refusal(
        "slave-04", ["compute-vmware"], locked, "7.0")
    assert roles.check_node("slave-04", ["compute-vmware"], locked, "8.0") == ("vcenter-compute",)


def test_vcenter_roles_are_hidden_while_vcenter_is_off():
    off = roles.ClusterFacts(cluster={"net_provider": "neutron"}, settings={"common": {"use_vcenter": False}})
    assert "the role is hidden until common.use_vcenter is on (fixtures/releases/9.0.yaml cinder-vmware." \
           "restrictions" in refusal("slave-05", ["cinder-vmdk"], off)


def test_no_invented_rules_remain():
    """No zabbix-server role, no cinder<->cinder-vmdk conflict, no nova-network-only rule after 7.0."""
    for release in fuel_data.releases():
        rules = fuel_data.release_rules(release)["roles"]
        assert "zabbix-server" not in rules
        assert not rules["cinder-vmware"].get("conflicts")
        for meta in rules.values():
            assert all("net_provider" not in r["condition"] for r in meta.get("restrictions") or [])
    assert "zabbix-server" not in fuel_data.roles_metadata()["roles"]
    assert refusal("slave-09", ["zabbix-server"], None).startswith(
        "node slave-09: role zabbix-server does not exist in Fuel 9.0")


def test_allowed_roles_come_back_canonical():
    assert roles.check_node("slave-05", ["cinder-vmware"], VCENTER_ON) == ("cinder-vmdk",)
    assert fuel_data.fuel_role("cinder-vmdk") == "cinder-vmware"
    assert fuel_data.fuel_role("controller") == "controller"


def test_cluster_limits_and_the_cinder_vmdk_ha_rule():
    with pytest.raises(RoleRestrictionError, match=r"^cluster needs at least 1 controller node\(s\), has 0 "
                                                   r"\(fixtures/releases/9.0.yaml controller.limits.min\)$"):
        roles.check_cluster({"node-2": ["compute"]})
    warnings = roles.check_cluster({"node-1": ["controller"], "node-5": ["cinder-vmware"]})
    assert warnings == ["cinder-vmdk on 1 node(s) (node-5): no HA below 2"]
    assert roles.check_cluster({"node-1": ["controller"], "node-5": ["cinder-vmdk"], "node-6": ["cinder-vmdk"]}) == []


def test_an_unknown_release_is_named():
    with pytest.raises(Exception, match=r"no rules for Fuel release '5.1' in fixtures/releases \(known: 6.1, 7.0"):
        roles.check_node("slave-01", ["controller"], None, "5.1")
