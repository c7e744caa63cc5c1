"""An attached vCenter volume is a disk of the instance's VM."""

from fuel_health.pytest_plugin import ostf
from fuel_health.steps import compute, vcenter, volume


@ostf.scenario(title="An attached vCenter volume is a virtual disk of the instance's VM",
               steps=["Boot an instance in the vCenter zone (shared)",
                      "Create a volume in the vCenter zone and attach it to the instance",
                      "Find the instance's VM in vCenter",
                      "Check the VM has a virtual disk whose uuid is the volume id"],
               tags="use_vcenter, volumes_vmdk", hypervisor="vcenter", duration="10 s", since="6.1")
def test_vcenter_volume_is_vm_disk(ctx, step, shared):
    """cinder's VMDK and nova's attach meet in vCenter: the volume's VMDK hangs on the VM."""
    zone = ctx.zone("vcenter")
    with step(1):
        server = compute.shared_server(shared, "vcenter")
    with step(2):
        vol = volume.create(ctx, zone)
        volume.attach(ctx, server, vol)
    with step(3):
        vm = vcenter.find_vm(ctx, server)
    with step(4):
        vcenter.check_disk_attached(ctx, vm, vol)
