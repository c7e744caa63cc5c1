"""nova-compute is up in each hypervisor's zone."""

from fuel_health import ostf
from fuel_health.steps import services


@ostf.scenario(title="nova-compute is up in the KVM zone",
               steps=["Find the KVM compute nodes of the cluster description (its compute nodes)",
                      "Check each, and every other host of the KVM zone, has an enabled nova-compute that is up"],
               tags="kvm_compute", hypervisor="kvm", duration="2 s", since="6.1")
def test_kvm_nova_compute_up(ctx, step):
    """Every KVM compute node of the cluster, and every compute host of the zone, runs an enabled nova-compute."""
    zone = ctx.zone("kvm").zone
    with step(1):
        hosts = services.kvm_compute_hosts(ctx)
    with step(2):
        services.check_nova_compute(ctx, zone, expected=hosts)


@ostf.scenario(title="nova-compute is up for each vSphere cluster in the vCenter zone",
               steps=["Find the nova-compute host of each configured vSphere cluster (<az_name>-<service_name>)",
                      "Check each is in the vCenter zone, enabled and up, like every other host of the zone"],
               tags="use_vcenter", hypervisor="vcenter", duration="2 s", since="6.1")
def test_vcenter_nova_compute_up(ctx, step):
    """Each vSphere cluster of the VMware settings has its nova-compute, in the vCenter zone, enabled and up."""
    zone = ctx.zone("vcenter").zone
    with step(1):
        hosts = services.vcenter_compute_hosts(ctx)
    with step(2):
        services.check_nova_compute(ctx, zone, expected=hosts)
