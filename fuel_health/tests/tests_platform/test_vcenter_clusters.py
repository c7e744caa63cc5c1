"""Each vSphere cluster of the VMware settings exists in vCenter and can run VMs."""

from fuel_health import ostf, params
from fuel_health.steps import vcenter


@ostf.scenario(title="Each configured vSphere cluster exists and has a usable ESXi host",
               steps=["Find the cluster (vsphere_cluster) in vCenter's datacenter",
                      "Check it has a connected ESXi host that is not in maintenance mode"],
               tags="use_vcenter", hypervisor="vcenter", duration="2 s", since="6.1")
@params.for_each("nova_compute", vcenter.configured_clusters, what="vSphere cluster (nova_computes)")
def test_vcenter_cluster(ctx, step, nova_compute):
    """nova-compute for a missing cluster does not start; a cluster without a usable host places no VM."""
    with step(1):
        cluster = vcenter.find_cluster(ctx, nova_compute.vsphere_cluster)
    with step(2):
        vcenter.check_cluster_hosts(ctx, cluster)
