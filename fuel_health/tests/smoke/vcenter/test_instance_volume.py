"""An instance of the vCenter zone runs on vCenter and gets a volume of its zone attached and detached."""

from fuel_health import ostf
from fuel_health.steps import compute, volume


@ostf.scenario(title="Launch an instance in the vCenter zone and attach a volume to it",
               steps=["Boot the VMDK image in the vCenter zone and wait until ACTIVE",
                      "Check the instance runs on a VMware vCenter Server hypervisor of the zone",
                      "Create a volume in the vCenter zone",
                      "Attach the volume to the instance and wait until in-use",
                      "Check cinder and nova both show the volume attached to the instance",
                      "Detach the volume and wait until available",
                      "Delete the volume", "Delete the instance"],
               tags="use_vcenter, volumes_vmdk", duration="20 s", since="6.1")
def test_vcenter_instance_with_volume(ctx, step):
    """The vCenter zone's whole path: VMwareVCDriver on the vSphere cluster, cinder VMDK volume, attach, detach."""
    zone = ctx.zone("vcenter")
    with step(1):
        server = compute.boot(ctx, zone)
    with step(2):
        compute.check_hypervisor(ctx, server, "vcenter")
    with step(3):
        vol = volume.create(ctx, zone)
    with step(4):
        volume.attach(ctx, server, vol)
    with step(5):
        volume.check_attached(ctx, vol, server)
    with step(6):
        volume.detach(ctx, server, vol)
    with step(7):
        volume.delete(ctx, vol)
    with step(8):
        compute.delete(ctx, server)
