"""All cinder-vmdk nodes share one host name."""

from fuel_health.pytest_plugin import ostf
from fuel_health.steps import nodes


@ostf.scenario(title="Every cinder-vmdk node sets the same [DEFAULT] host",
               steps=["Read [DEFAULT] host in the cinder config of every cinder-vmdk node",
                      "Check it is set and identical on all of them"],
               tags="cinder_vmdk_ha", hypervisor="vcenter", duration="1 s", since="6.1")
def test_cinder_vmdk_nodes_share_host(ctx, step):
    """The same host makes the nodes one active-active cinder-volume: any node serves every VMDK volume."""
    with step(1):
        configs = [nodes.cinder_config(ctx, node, "cinder-vmdk") for node in ctx.cfg.nodes_with_role("cinder-vmdk")]
    with step(2):
        nodes.check_same_host(configs)
