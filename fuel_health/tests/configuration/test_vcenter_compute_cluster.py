"""The vCenter nova-compute drives its configured vSphere cluster, in every vCenter zone."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import nodes


@ostf.scenario(title="vCenter nova-compute runs VMwareVCDriver on its configured vSphere cluster",
               steps=["Read the config of the vCenter nova-compute on its target node",
                      "Check compute_driver is vmwareapi.VMwareVCDriver and [vmware] cluster_name is vsphere_cluster"],
               tags="use_vcenter", hypervisor="vcenter", duration="1 s", since="6.1")
@params.for_each("target", nodes.vcenter_computes, what="vCenter nova-compute (nova_computes)")
def test_vcenter_compute_cluster(ctx, step, target):
    """A wrong cluster_name puts the zone's instances into another vSphere cluster (or nowhere)."""
    with step(1):
        conf = nodes.nova_compute_config(ctx, target.node, target.nova_compute)
    with step(2):
        nodes.check_vcenter_compute_cluster(target.nova_compute, conf)
