"""What the KVM zone's guest itself sees: it booted, and a volume hot-plugged into it appears and goes away."""

from fuel_health.pytest_plugin import ostf
from fuel_health.steps import compute, console, volume


@ostf.scenario(title="An instance of the KVM zone boots and sees its volume come and go (console)",
               steps=["Boot the KVM image in the KVM zone and wait until ACTIVE",
                      "Read the console until the guest's ready marker (a kernel panic fails here)",
                      "Create a volume in the KVM zone and attach it (in-use)",
                      "Check the guest's console lists one more disk",
                      "Detach the volume (available) and check the guest's console lists one disk less",
                      "Delete the volume", "Delete the instance"],
               tags="kvm_compute, kvm_console_disks, volumes_lvm | volumes_ceph", duration="25 s", since="6.1")
def test_kvm_instance_console_volume(ctx, step):
    """ACTIVE and in-use are what the APIs say; the guest's console says whether QEMU really booted and got the disk."""
    zone = ctx.zone("kvm")
    with step(1):
        server = compute.boot(ctx, zone)
    with step(2):
        seen = console.check_booted(ctx, server)
    with step(3):
        vol = volume.create(ctx, zone)
        volume.attach(ctx, server, vol)
    with step(4):
        _, seen = console.wait_disks(ctx, server, seen, "added", vol)
    with step(5):
        volume.detach(ctx, server, vol)
        console.wait_disks(ctx, server, seen, "removed", vol)
    with step(6):
        volume.delete(ctx, vol)
    with step(7):
        compute.delete(ctx, server)


@ostf.scenario(title="An instance of the KVM zone boots to its ready marker (console)",
               steps=["Boot the KVM image in the KVM zone and wait until ACTIVE",
                      "Read the console until the guest's ready marker (a kernel panic fails here)",
                      "Delete the instance"],
               tags="kvm_compute, kvm_console", duration="15 s", since="6.1")
def test_kvm_instance_console_boot(ctx, step):
    """ACTIVE only means nova-compute started the guest: its console says whether its kernel really booted."""
    with step(1):
        server = compute.boot(ctx, ctx.zone("kvm"))
    with step(2):
        console.check_booted(ctx, server)
    with step(3):
        compute.delete(ctx, server)
