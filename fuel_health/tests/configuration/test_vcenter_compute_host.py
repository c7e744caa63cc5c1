"""The vCenter nova-compute registers as <az_name>-<service_name>, in every vCenter zone."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import nodes


@ostf.scenario(title="vCenter nova-compute host is <az_name>-<service_name> on the node running it",
               steps=["Read the config of the vCenter nova-compute on its target node",
                      "Check [DEFAULT] host is <az_name>-<service_name> of its own zone"],
               tags="use_vcenter", hypervisor="vcenter", duration="1 s", since="6.1")
@params.for_each("target", nodes.vcenter_computes, what="vCenter nova-compute (nova_computes)")
def test_vcenter_compute_host(ctx, step, target):
    """The vCenter zone's aggregate and the VMware settings name the host so: any other name leaves the zone."""
    with step(1):
        conf = nodes.nova_compute_config(ctx, target.node, target.nova_compute)
    with step(2):
        nodes.check_vcenter_compute_host(target.vcenter, target.nova_compute, conf)
