"""VMware settings: filled from fixtures/vmware_attributes.yaml, validated with Nailgun's rules kept there."""

from __future__ import annotations

import copy

import pytest

from system_tests.helpers import vmware
from system_tests.helpers.errors import FixtureError, VmwareSettingsError

VALUES = {"vcenter_host": "172.16.0.254", "vcenter_username": "administrator@vsphere.local", "vcenter_password": "x"}


def test_the_template_is_filled_and_targets_the_node():
    attrs = vmware.attributes(VALUES, "node-4")

    az = attrs["availability_zones"][0]
    assert (az["az_name"], az["vcenter_host"]) == ("vcenter", "172.16.0.254")
    assert vmware.target_nodes(attrs) == ["node-4"]
    assert "validation" not in attrs and "{{" not in str(attrs)


def test_a_missing_value_is_an_error_not_a_placeholder_left_in():
    with pytest.raises(FixtureError, match=r"no value for placeholder \{\{vcenter_password\}\}"):
        vmware.attributes({"vcenter_host": "h", "vcenter_username": "u"}, "node-4")


@pytest.mark.parametrize(("change", "message"), [
    (lambda az: az.update(az_name="nova"), r"az_name 'nova' does not match"),
    (lambda az: az.update(vcenter_password=""), r"empty vcenter_password"),
    (lambda az: az["nova_computes"].append(dict(az["nova_computes"][0])), r"vsphere_cluster 'Cluster1' is empty or "
                                                                            r"used twice"),
    (lambda az: az["nova_computes"][0]["target_node"]["current"].update(id="node-9"),
     r"target_node 'node-9' is not controllers or a vcenter-compute node \(vcenter-compute nodes: node-4\)"),
])
def test_what_nailgun_would_refuse_is_refused_first(change, message):
    attrs = copy.deepcopy(vmware.attributes(VALUES, "node-4"))
    change(attrs["availability_zones"][0])
    with pytest.raises(VmwareSettingsError, match=message):
        vmware.validate(attrs, ["node-4"])


def test_nova_compute_on_controllers_needs_no_vcenter_compute_node():
    vmware.validate(vmware.attributes(VALUES, "controllers"), [])
