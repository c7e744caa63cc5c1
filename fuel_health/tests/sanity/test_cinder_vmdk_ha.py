"""The cinder-vmdk nodes of an HA pair act as ONE cinder-volume service."""

from fuel_health.pytest_plugin import ostf
from fuel_health.steps import services


@ostf.scenario(title="The cinder-vmdk nodes show as one cinder-volume host",
               steps=["List the cinder-volume services of the vCenter zone",
                      "Check there is exactly one host for all cinder-vmdk nodes"],
               tags="cinder_vmdk_ha", hypervisor="vcenter", duration="1 s", since="6.1")
def test_cinder_vmdk_ha_is_one_host(ctx, step):
    """cinder-vmdk is made highly available by giving every node the same host: one service row, many nodes."""
    zone = ctx.zone("vcenter").zone
    nodes = [n.name for n in ctx.cfg.nodes_with_role("cinder-vmdk")]
    with step(1):
        services.check_cinder_volume(ctx, zone)
    with step(2):
        services.check_one_volume_host(ctx, zone, nodes)
