"""The VMDK image does not run on a KVM host."""

from fuel_health import ostf
from fuel_health.steps import compute


@ostf.scenario(title="The vCenter image booted in the KVM zone does not become ACTIVE on QEMU/KVM",
               steps=["Boot the vCenter zone's image in the KVM zone and wait until it settles",
                      "Check it was refused or is in ERROR (no valid host), not ACTIVE on a QEMU/KVM hypervisor"],
               tags="use_vcenter, kvm_compute", duration="5 s", since="6.1")
def test_vmdk_image_not_run_by_kvm(ctx, step):
    """The image's hypervisor_type=vmware keeps the scheduler from placing it on a KVM host."""
    image = ctx.zone("vcenter").image
    with step(1):
        outcome = compute.try_boot(ctx, ctx.zone("kvm"), image)
    with step(2):
        compute.check_not_running_on(ctx, outcome, "kvm", image)
