"""Each zone's test image is in glance, active, fit for the zone's hypervisor: one case per zone."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import image, zones


@ostf.scenario(title="Each KVM zone's test image (TestVM) is active",
               steps=["Find the KVM zone's image and check it is active, qcow2 (raw on Ceph)",
                      "Check it is not marked for another hypervisor"],
               tags="kvm_compute", hypervisor="kvm", duration="1 s")
@params.for_each("zone", zones.of("kvm"), what="KVM zone (hypervisors.kvm)")
def test_kvm_image(ctx, step, zone):
    """The smoke checks of the KVM zone boot this image (each zone may name its own: hypervisors.kvm[].image)."""
    with step(1):
        image.check_active_with(ctx, zone.image, disk_formats={"qcow2", "raw"})
    with step(2):
        image.check_not_marked(ctx, zone.image, {"hypervisor_type": "vmware"})


@ostf.scenario(title="Each vCenter zone's test image (TestVM-VMDK) is active",
               steps=["Find the vCenter zone's image and check it is active, vmdk, with hypervisor_type=vmware"],
               tags="use_vcenter", hypervisor="vcenter", duration="1 s", since="6.1")
@params.for_each("zone", zones.of("vcenter"), what="vCenter zone (vmware_attributes availability_zones)")
def test_vcenter_image(ctx, step, zone):
    """hypervisor_type=vmware keeps the scheduler from sending the VMDK image to a KVM host."""
    with step(1):
        image.check_active_with(ctx, zone.image, disk_formats={"vmdk"}, properties={"hypervisor_type": "vmware"})
