"""A volume of one vCenter zone cannot be attached to an instance of another: every ordered pair of vCenter zones."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import zones
from fuel_health.tests.smoke.cross_zone import refusal


@ostf.scenario(title="Attaching a volume of one vCenter zone to an instance of another vCenter zone is refused",
               steps=["Boot an instance in the second vCenter zone of the pair (shared)",
                      "Create a volume in the first vCenter zone of the pair (shared)",
                      "Attach the volume to the instance: refused with 400 'not in the same availability_zone'",
                      "Check the volume is still available and unattached in cinder's and nova's views",
                      "Check the instance is still ACTIVE"],
               tags="use_vcenter, volumes_vmdk, multi_vcenter", hypervisor="vcenter", duration="10 s", since="7.0")
@params.for_each("pair", zones.pairs("vcenter", "vcenter"), what="pair of vCenter zones")
def test_vcenter_volume_refused_by_other_vcenter_instance(ctx, step, shared, pair):
    """Each vCenter zone's VMDKs live on its own vCenter's datastores: another vCenter's VM cannot use them."""
    refusal.check_volume_refused(ctx, step, shared, pair)
