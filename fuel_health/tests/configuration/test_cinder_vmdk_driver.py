"""cinder-vmdk nodes run cinder's VMDK driver."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import nodes


@ostf.scenario(title="cinder-vmdk nodes run the VMwareVcVmdkDriver",
               steps=["Read the cinder config of the cinder-vmdk node",
                      "Check every enabled backend's volume_driver is VMwareVcVmdkDriver"],
               tags="cinder_vmdk_node", hypervisor="vcenter", duration="1 s", since="6.1")
@params.for_each("node", nodes.with_role("cinder-vmdk"), what="cinder-vmdk node")
def test_cinder_vmdk_driver(ctx, step, node):
    """Only VMDK volumes attach to vCenter instances."""
    with step(1):
        conf = nodes.cinder_config(ctx, node, "cinder-vmdk")
    with step(2):
        nodes.check_vmdk_driver(conf)
