"""Compute and volume availability zones match, zone by zone (cross_az_attach is off): one case each."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import services, zones


@ostf.scenario(title="Each KVM zone exists for both instances and volumes",
               steps=["Check the KVM zone is an available compute zone AND an available volume zone"],
               tags="use_vcenter, kvm_compute, volumes_lvm | volumes_ceph", hypervisor="kvm", duration="1 s",
               since="6.1")
@params.for_each("zone", zones.of("kvm"), what="KVM zone (hypervisors.kvm)")
def test_kvm_zones_match(ctx, step, zone):
    """With cross_az_attach off, a volume attaches only to instances of a compute zone of the same name."""
    with step(1):
        services.check_zones_match(ctx, zone)


@ostf.scenario(title="Each vCenter zone exists for both instances and volumes",
               steps=["Check the vCenter zone is an available compute zone AND an available volume zone"],
               tags="use_vcenter, volumes_vmdk", hypervisor="vcenter", duration="1 s", since="6.1")
@params.for_each("zone", zones.of("vcenter"), what="vCenter zone (vmware_attributes availability_zones)")
def test_vcenter_zones_match(ctx, step, zone):
    """Fuel named the cinder-vmdk zone <az_name>-cinder: with cross_az_attach off, no VMDK could ever attach."""
    with step(1):
        services.check_zones_match(ctx, zone)
