"""Each vSphere cluster of the VMware settings exists in its own zone's vCenter and can run VMs."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import vcenter, zones


@ostf.scenario(title="Each configured vSphere cluster exists in its zone's vCenter and has a usable ESXi host",
               steps=["Find the cluster (vsphere_cluster) in the datacenter of its own zone's vCenter",
                      "Check it has a connected ESXi host that is not in maintenance mode"],
               tags="use_vcenter", hypervisor="vcenter", duration="2 s", since="6.1")
@params.for_each("unit", zones.clusters, what="vSphere cluster (nova_computes of a vCenter zone)")
def test_vcenter_cluster(ctx, step, unit):
    """nova-compute for a missing cluster does not start; a cluster without a usable host places no VM."""
    with step(1):
        cluster = vcenter.find_cluster(ctx, unit.nova_compute.vsphere_cluster, unit.vcenter)
    with step(2):
        vcenter.check_cluster_hosts(ctx, cluster)
