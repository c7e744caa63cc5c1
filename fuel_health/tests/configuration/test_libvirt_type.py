"""KVM computes use the cluster's libvirt_type."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import nodes


@ostf.scenario(title="KVM computes run libvirt with the cluster's libvirt_type",
               steps=["Read the nova-compute config of the KVM compute",
                      "Check [libvirt] virt_type equals the cluster setting (kvm or qemu)"],
               tags="kvm_compute", hypervisor="kvm", duration="1 s")
@params.for_each("node", nodes.with_role("compute"), what="KVM compute node")
def test_libvirt_type(ctx, step, node):
    """kvm without hardware virtualization fails every boot; qemu where kvm was chosen runs everything slowly."""
    with step(1):
        conf = nodes.nova_compute_config(ctx, node)
    with step(2):
        nodes.check_libvirt_type(ctx, conf)
