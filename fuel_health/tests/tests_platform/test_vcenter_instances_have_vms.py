"""Every instance nova runs in a vCenter zone still has its VM in that zone's vCenter: one case per zone."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import vcenter, zones


@ostf.scenario(title="Every instance nova reports in each vCenter zone has its VM in the zone's vCenter",
               steps=["List the settled instances of all projects on the zone's vCenter computes",
                      "Read the instance UUIDs of all VMs in the zone's vCenter",
                      "Check each instance has its VM"],
               tags="use_vcenter", hypervisor="vcenter", duration="2 s", since="6.1")
@params.for_each("zone", zones.vcenters, what="vCenter zone (vmware_attributes availability_zones)")
def test_vcenter_instances_have_vms(ctx, step, zone):
    """A VM deleted in vSphere's client leaves nova saying ACTIVE for hours; users see a server that is not there."""
    with step(1):
        servers = vcenter.settled_instances(ctx, zone.vcenter)
    with step(2):
        uuids = vcenter.vm_instance_uuids(ctx, zone.vcenter)
    with step(3):
        vcenter.check_instances_have_vms(ctx, servers, uuids, zone.vcenter)
