"""Each compute host of each KVM zone boots an instance pinned to it and gets a volume of its zone attached."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import hosts


@ostf.scenario(title="Launch an instance on each KVM compute host and attach a volume to it",
               steps=["Boot the KVM image pinned to the host (<zone>:<host>, needs admin) and wait until ACTIVE",
                      "Check the instance runs on that host, in its zone, on a QEMU/KVM hypervisor",
                      "Create a volume in the host's zone (requested while the instance boots)",
                      "Attach the volume to the instance and wait until in-use",
                      "Check cinder and nova both show the volume attached to the instance",
                      "Detach the volume and wait until available",
                      "Delete the volume and the instance (both requested at once)"],
               tags="kvm_compute, volumes_lvm | volumes_ceph", duration="15 s", since="6.1")
@params.for_each(hosts.ARGNAME, hosts.kvm_hosts, what="KVM compute host (hypervisors.kvm[].hosts)")
def test_kvm_instance_with_volume_on_host(ctx, step, shared, request, host_case):
    """A broken KVM host must not hide behind a healthy one: each listed host runs the zone's whole path.

    The paths of all hosts run at once (steps/hosts.py); each step here waits for its own host's step only.
    """
    path = hosts.path(ctx, shared, request)
    for n in range(1, hosts.STEPS + 1):  # the steps above, done by the host's path in the pool (steps/hosts.py)
        with step(n):
            path.result(n)
