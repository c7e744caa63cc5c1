"""The cinder-vmdk nodes of an HA pair act as ONE cinder-volume service."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import services, zones


@ostf.scenario(title="The cinder-vmdk nodes show as one cinder-volume host",
               steps=["List the cinder-volume services of the vCenter zone (a case per zone)",
                      "Check there is exactly one host for all cinder-vmdk nodes"],
               tags="cinder_vmdk_ha", hypervisor="vcenter", duration="1 s", since="6.1")
@params.for_each("zone", zones.of("vcenter"), what="vCenter zone (vmware_attributes availability_zones)")
def test_cinder_vmdk_ha_is_one_host(ctx, step, zone):
    """cinder-vmdk is made highly available by giving every node the same host: one service row, many nodes."""
    # Every cinder-vmdk node runs one cinder-volume per vCenter zone (fuel-library vmware/cinder/vmdk.pp): each
    # zone's pair must be one host of its own.
    nodes = [n.name for n in ctx.cfg.nodes_with_role("cinder-vmdk")]
    with step(1):
        services.check_cinder_volume(ctx, zone.zone)
    with step(2):
        services.check_one_volume_host(ctx, zone.zone, nodes)
