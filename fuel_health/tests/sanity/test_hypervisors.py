"""Each zone's computes report the hypervisor type of that zone, zone by zone: one case each."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import services, zones


@ostf.scenario(title="Each KVM zone's computes are QEMU/KVM hypervisors",
               steps=["Find the zone's KVM compute nodes of the cluster description and its compute hosts in the cloud",
                      "Check each reports an up, enabled hypervisor of type QEMU or KVM"],
               tags="kvm_compute", hypervisor="kvm", duration="2 s", since="6.1")
@params.for_each("zone", zones.of("kvm"), what="KVM zone (hypervisors.kvm)")
def test_kvm_hypervisor_type(ctx, step, zone):
    """A KVM-zone host reporting another hypervisor type gets KVM images it cannot run."""
    with step(1):
        hosts = services.hypervisor_hosts(ctx, zone)
    with step(2):
        services.check_hypervisors(ctx, zone, hosts)


@ostf.scenario(title="Each vSphere cluster of each vCenter zone is a 'VMware vCenter Server' hypervisor",
               steps=["Find the nova-compute host of each vSphere cluster of the zone",
                      "Check each reports an up, enabled hypervisor of type VMware vCenter Server"],
               tags="use_vcenter", hypervisor="vcenter", duration="2 s", since="6.1")
@params.for_each("zone", zones.of("vcenter"), what="vCenter zone (vmware_attributes availability_zones)")
def test_vcenter_hypervisor_type(ctx, step, zone):
    """nova-compute with VMwareVCDriver shows each vSphere cluster as one hypervisor of type VMware vCenter Server."""
    with step(1):
        hosts = services.hypervisor_hosts(ctx, zone)
    with step(2):
        services.check_hypervisors(ctx, zone, hosts)
