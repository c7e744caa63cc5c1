"""An instance of the vCenter zone runs on vCenter and gets a volume of its zone attached and detached."""

from fuel_health import steps
from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import compute, volume, zones


@ostf.scenario(title="Launch an instance in the vCenter zone and attach a volume to it",
               steps=["Boot the VMDK image in the vCenter zone and wait until ACTIVE",
                      "Check the instance runs on a VMware vCenter Server hypervisor of the zone",
                      "Create a volume in the vCenter zone (requested while the instance boots)",
                      "Attach the volume to the instance and wait until in-use",
                      "Check cinder and nova both show the volume attached to the instance",
                      "Detach the volume and wait until available",
                      "Delete the volume", "Delete the instance (requested with the volume's delete)"],
               tags="use_vcenter, volumes_vmdk", duration="20 s", since="6.1")
@params.for_each("zone", zones.of("vcenter"), what="vCenter zone (vmware_attributes availability_zones)")
def test_vcenter_instance_with_volume(ctx, step, zone):
    """The vCenter zone's whole path: VMwareVCDriver on the vSphere cluster, cinder VMDK volume, attach, detach."""
    with step(1):
        # Step 3's volume does not depend on the instance: cinder makes it while nova boots (same checks, less wait).
        creating = steps.start(ctx, "creating the volume", lambda: volume.create(ctx, zone))
        server = compute.boot(ctx, zone)
    with step(2):
        compute.check_hypervisor(ctx, server, zone)
    with step(3):
        vol = creating.result()
    with step(4):
        volume.attach(ctx, server, vol)
    with step(5):
        volume.check_attached(ctx, vol, server)
    with step(6):
        volume.detach(ctx, server, vol)
    with step(7):
        # Detached in step 6: the instance's delete no longer needs the volume gone first.
        deleting = steps.start(ctx, "deleting the instance", lambda: compute.delete(ctx, server))
        volume.delete(ctx, vol)
    with step(8):
        deleting.result()
