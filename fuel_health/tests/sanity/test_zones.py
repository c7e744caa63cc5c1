"""Compute and volume availability zones match per hypervisor (cross_az_attach is off)."""

from fuel_health import ostf
from fuel_health.steps import services


@ostf.scenario(title="The KVM zone exists for both instances and volumes",
               steps=["Check the KVM zone is an available compute zone AND an available volume zone"],
               tags="use_vcenter, kvm_compute, volumes_lvm | volumes_ceph", hypervisor="kvm", duration="1 s",
               since="6.1")
def test_kvm_zones_match(ctx, step):
    """With cross_az_attach off, a volume attaches only to instances of a compute zone of the same name."""
    with step(1):
        services.check_zones_match(ctx, "kvm")


@ostf.scenario(title="The vCenter zone exists for both instances and volumes",
               steps=["Check the vCenter zone is an available compute zone AND an available volume zone"],
               tags="use_vcenter, volumes_vmdk", hypervisor="vcenter", duration="1 s", since="6.1")
def test_vcenter_zones_match(ctx, step):
    """Fuel named the cinder-vmdk zone <az_name>-cinder: with cross_az_attach off, no VMDK could ever attach."""
    with step(1):
        services.check_zones_match(ctx, "vcenter")
