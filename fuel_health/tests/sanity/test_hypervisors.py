"""Each zone's computes report the hypervisor type of that zone."""

from fuel_health import ostf
from fuel_health.steps import services


@ostf.scenario(title="The KVM zone's computes are QEMU/KVM hypervisors",
               steps=["Find the KVM compute nodes of the cluster description and the compute hosts of the KVM zone",
                      "Check each reports an up, enabled hypervisor of type QEMU or KVM"],
               tags="kvm_compute", hypervisor="kvm", duration="2 s", since="6.1")
def test_kvm_hypervisor_type(ctx, step):
    """A KVM-zone host reporting another hypervisor type gets KVM images it cannot run."""
    with step(1):
        hosts = services.kvm_compute_hosts(ctx) | services.compute_hosts(ctx, ctx.zone("kvm").zone)
    with step(2):
        services.check_hypervisors(ctx, "kvm", hosts)


@ostf.scenario(title="Each vSphere cluster is a 'VMware vCenter Server' hypervisor",
               steps=["Find the nova-compute host of each configured vSphere cluster",
                      "Check each reports an up, enabled hypervisor of type VMware vCenter Server"],
               tags="use_vcenter", hypervisor="vcenter", duration="2 s", since="6.1")
def test_vcenter_hypervisor_type(ctx, step):
    """nova-compute with VMwareVCDriver shows each vSphere cluster as one hypervisor of type VMware vCenter Server."""
    with step(1):
        hosts = services.vcenter_compute_hosts(ctx)
    with step(2):
        services.check_hypervisors(ctx, "vcenter", hosts)
