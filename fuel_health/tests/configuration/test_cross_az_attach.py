"""cross_az_attach is off wherever nova decides about attaching volumes."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import nodes


@ostf.scenario(title="[cinder] cross_az_attach = False on nodes running nova-api or nova-compute",
               steps=["Read the nova config of the node's nova-api / nova-compute",
                      "Check [cinder] cross_az_attach is False for each"],
               tags="use_vcenter", hypervisor="both", duration="1 s", since="6.1")
@params.for_each("node", nodes.running("nova-api", "nova-compute"), what="node running nova-api or nova-compute")
def test_cross_az_attach_is_off(ctx, step, node):
    """Off, nova refuses a volume of the other hypervisor's zone instead of failing inside the hypervisor."""
    with step(1):
        configs = nodes.nova_configs(ctx, node)
    with step(2):
        nodes.check_cross_az_attach_off(configs)
