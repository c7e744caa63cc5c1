"""Each vCenter zone's vCenter answers to that zone's credentials."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import vcenter, zones


@ostf.scenario(title="Each zone's vCenter is reachable with the zone's credentials",
               steps=["Log in to the zone's vCenter with its host, user and password from the VMware settings",
                      "Check it is a vCenter server, not a standalone ESXi host"],
               tags="use_vcenter", hypervisor="vcenter", duration="2 s", since="6.1")
@params.for_each("zone", zones.vcenters, what="vCenter zone (vmware_attributes availability_zones)")
def test_vcenter_login(ctx, step, zone):
    """The zone's nova-compute and cinder-volume log in the same way: if this fails, that vCenter zone is down."""
    with step(1):
        about = vcenter.login(ctx, zone.vcenter)
    with step(2):
        vcenter.check_is_vcenter(ctx, about, zone.vcenter)
