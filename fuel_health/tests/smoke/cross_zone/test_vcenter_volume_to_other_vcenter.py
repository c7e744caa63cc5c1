"""A volume of one vCenter zone cannot be attached to an instance of another: every ordered pair of vCenter zones."""

from fuel_health import steps
from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import compute, volume, zones


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
    volume_zone, server_zone = pair
    with step(1):
        # The shared volume does not depend on the instance: made (if this worker has none yet) while it boots.
        making = steps.start(ctx, "making the shared volume", lambda: zones.shared_volume(shared, volume_zone))
        server = zones.server(shared, server_zone)
    with step(2):
        vol = making.result()
    with step(3):
        volume.attach_refused(ctx, server, vol)
    with step(4):
        volume.check_unattached(ctx, vol, server)
    with step(5):
        compute.check_active(ctx, server)
