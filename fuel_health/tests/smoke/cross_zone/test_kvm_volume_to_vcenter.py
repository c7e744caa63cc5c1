"""A KVM-zone volume cannot be attached to a vCenter instance: every (KVM zone, vCenter zone) pair."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import zones
from fuel_health.tests.smoke.cross_zone import refusal


@ostf.scenario(title="Attaching a KVM-zone volume to a vCenter instance is refused",
               steps=["Boot an instance in the vCenter zone (shared)",
                      "Create a volume in the KVM zone (shared)",
                      "Attach the volume to the instance: refused with 400 'not in the same availability_zone'",
                      "Check the volume is still available and unattached in cinder's and nova's views",
                      "Check the instance is still ACTIVE"],
               tags="use_vcenter, volumes_vmdk, kvm_compute, volumes_lvm | volumes_ceph", duration="10 s",
               since="6.1")
@params.for_each("pair", zones.pairs("kvm", "vcenter"), what="KVM zone and vCenter zone")
def test_kvm_volume_refused_by_vcenter_instance(ctx, step, shared, pair):
    """nova-api refuses it (cross_az_attach = False): a KVM volume could never work on vCenter."""
    refusal.check_volume_refused(ctx, step, shared, pair)
