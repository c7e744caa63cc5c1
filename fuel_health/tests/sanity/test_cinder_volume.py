"""cinder-volume is up in each hypervisor zone's volume zone, zone by zone: one case each."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import services, zones


@ostf.scenario(title="cinder-volume is up in each KVM zone",
               steps=["Check the KVM zone has cinder-volume services, each enabled and up"],
               tags="kvm_compute, volumes_lvm | volumes_ceph", hypervisor="kvm", duration="1 s", since="6.1")
@params.for_each("zone", zones.of("kvm"), what="KVM zone (hypervisors.kvm)")
def test_kvm_cinder_volume_up(ctx, step, zone):
    """Volumes for the zone's KVM instances can be created: its cinder-volume reports in, in the same zone."""
    with step(1):
        services.check_cinder_volume(ctx, zone.zone)


@ostf.scenario(title="cinder-volume (VMDK) is up in each vCenter zone",
               steps=["Check the vCenter zone has cinder-volume services, each enabled and up"],
               tags="use_vcenter, volumes_vmdk", hypervisor="vcenter", duration="1 s", since="6.1")
@params.for_each("zone", zones.of("vcenter"), what="vCenter zone (vmware_attributes availability_zones)")
def test_vcenter_cinder_volume_up(ctx, step, zone):
    """Volumes for the zone's vCenter instances can be created: its cinder-vmdk service reports in."""
    with step(1):
        services.check_cinder_volume(ctx, zone.zone)
