"""cinder-volume is up in each hypervisor's volume zone."""

from fuel_health import ostf
from fuel_health.steps import services


@ostf.scenario(title="cinder-volume is up in the KVM zone",
               steps=["Check the KVM zone has cinder-volume services, each enabled and up"],
               tags="kvm_compute, volumes_lvm | volumes_ceph", hypervisor="kvm", duration="1 s", since="6.1")
def test_kvm_cinder_volume_up(ctx, step):
    """Volumes for KVM instances can be created: the KVM zone's cinder-volume reports in."""
    with step(1):
        services.check_cinder_volume(ctx, ctx.zone("kvm").zone)


@ostf.scenario(title="cinder-volume (VMDK) is up in the vCenter zone",
               steps=["Check the vCenter zone has cinder-volume services, each enabled and up"],
               tags="use_vcenter, volumes_vmdk", hypervisor="vcenter", duration="1 s", since="6.1")
def test_vcenter_cinder_volume_up(ctx, step):
    """Volumes for vCenter instances can be created: the vCenter zone's cinder-volume reports in."""
    with step(1):
        services.check_cinder_volume(ctx, ctx.zone("vcenter").zone)
