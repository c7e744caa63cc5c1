"""Every instance nova runs in the vCenter zone still has its VM in vCenter."""

from fuel_health import ostf
from fuel_health.steps import vcenter


@ostf.scenario(title="Every vCenter-zone instance nova reports has its VM in vCenter",
               steps=["List the settled instances of all projects on the vCenter computes",
                      "Read the instance UUIDs of all VMs in vCenter",
                      "Check each instance has its VM"],
               tags="use_vcenter", hypervisor="vcenter", duration="2 s", since="6.1")
def test_vcenter_instances_have_vms(ctx, step):
    """A VM deleted in vSphere's client leaves nova saying ACTIVE for hours; users see a server that is not there."""
    with step(1):
        servers = vcenter.settled_instances(ctx)
    with step(2):
        uuids = vcenter.vm_instance_uuids(ctx)
    with step(3):
        vcenter.check_instances_have_vms(ctx, servers, uuids)
