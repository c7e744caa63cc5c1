"""The datastores nova may use (datastore_regex) exist and have room, cluster by cluster, zone by zone."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import vcenter, zones


@ostf.scenario(title="Datastores matching datastore_regex exist and have free space",
               steps=["Find the cluster (vsphere_cluster) in its own zone's vCenter",
                      "Check its datastores matching datastore_regex: one at least, accessible, with free space"],
               tags="use_vcenter", hypervisor="vcenter", duration="2 s", since="6.1")
@params.for_each("unit", zones.clusters, what="vSphere cluster (nova_computes of a vCenter zone)")
def test_vcenter_datastores(ctx, step, unit):
    """Instance disks and VMDK volumes go to these datastores: none matching or all full means no boot."""
    with step(1):
        cluster = vcenter.find_cluster(ctx, unit.nova_compute.vsphere_cluster, unit.vcenter)
    with step(2):
        vcenter.check_datastores(ctx, cluster, unit.nova_compute)
