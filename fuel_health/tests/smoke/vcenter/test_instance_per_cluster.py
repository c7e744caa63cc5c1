"""Each vSphere cluster of each vCenter zone boots an instance pinned to its nova-compute, then attaches a volume."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import hosts


@ostf.scenario(title="Launch an instance on each vSphere cluster and attach a volume to it",
               steps=["Boot the VMDK image pinned to the cluster's nova-compute (<zone>:<host>, needs admin), wait "
                      "until ACTIVE",
                      "Check the instance runs on that nova-compute, in its zone, on a VMware vCenter Server "
                      "hypervisor",
                      "Create a volume in the cluster's zone (requested while the instance boots)",
                      "Attach the volume to the instance and wait until in-use",
                      "Check cinder and nova both show the volume attached to the instance",
                      "Detach the volume and wait until available",
                      "Delete the volume and the instance (both requested at once)"],
               tags="use_vcenter, volumes_vmdk", duration="20 s", since="6.1")
@params.for_each(hosts.ARGNAME, hosts.vcenter_clusters, what="vSphere cluster (nova_computes of a vCenter zone)")
def test_vcenter_instance_with_volume_on_cluster(ctx, step, shared, request, host_case):
    """A broken vSphere cluster must not hide behind a healthy one: each cluster runs the zone's whole path.

    The paths of all clusters and hosts run at once (steps/hosts.py); each step here waits for its
    own cluster's step only.
    """
    path = hosts.path(ctx, shared, request)
    for n in range(1, hosts.STEPS + 1):  # the steps above, done by the host's path in the pool (steps/hosts.py)
        with step(n):
            path.result(n)
