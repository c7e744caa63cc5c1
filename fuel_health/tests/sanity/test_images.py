"""Each hypervisor's test image is in glance, active, fit for that hypervisor."""

from fuel_health import ostf
from fuel_health.steps import image


@ostf.scenario(title="The KVM test image (TestVM) is active",
               steps=["Find the KVM zone's image and check it is active, qcow2 (raw on Ceph)",
                      "Check it is not marked for another hypervisor"],
               tags="kvm_compute", hypervisor="kvm", duration="1 s")
def test_kvm_image(ctx, step):
    """The smoke checks of the KVM zone boot this image."""
    name = ctx.zone("kvm").image
    with step(1):
        image.check(ctx, name, disk_formats={"qcow2", "raw"})
    with step(2):
        image.check_not(ctx, name, {"hypervisor_type": "vmware"})


@ostf.scenario(title="The vCenter test image (TestVM-VMDK) is active",
               steps=["Find the vCenter zone's image and check it is active, vmdk, with hypervisor_type=vmware"],
               tags="use_vcenter", hypervisor="vcenter", duration="1 s", since="6.1")
def test_vcenter_image(ctx, step):
    """hypervisor_type=vmware keeps the scheduler from sending the VMDK image to a KVM host."""
    with step(1):
        image.check(ctx, ctx.zone("vcenter").image, disk_formats={"vmdk"}, properties={"hypervisor_type": "vmware"})
