"""The VMDK image does not run on a KVM host."""

from fuel_health.pytest_plugin import ostf
from fuel_health.steps import compute, services


@ostf.scenario(title="The vCenter image booted in the KVM zone does not become ACTIVE on QEMU/KVM",
               steps=["Check the KVM zone has an up, enabled QEMU/KVM compute (so a refusal is the image's, "
                      "not a dead zone's)",
                      "Boot the vCenter zone's image in the KVM zone and wait until it settles",
                      "Check the scheduler refused it (ERROR: no valid host), not ACTIVE on a QEMU/KVM hypervisor "
                      "and not any other failure",
                      "Boot the KVM zone's own image with the same flavor in the zone: it must become ACTIVE (so "
                      "the refusal was the image's hypervisor_type, not a full zone)"],
               tags="use_vcenter, kvm_compute", duration="7 s", since="6.1")
def test_vmdk_image_not_run_by_kvm(ctx, step):
    """The image's hypervisor_type=vmware keeps the scheduler from placing it on a KVM host."""
    image = ctx.zone("vcenter").image
    with step(1):
        services.check_zone_usable(ctx, "kvm")
    with step(2):
        outcome = compute.try_boot(ctx, ctx.zone("kvm"), image)
    with step(3):
        compute.check_scheduler_refused(ctx, outcome, "kvm", image)
    with step(4):  # NoValidHost does not say why: a full zone refuses every image alike
        compute.check_zone_takes_control(ctx, "kvm", image)
