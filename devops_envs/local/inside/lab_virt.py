"""The lab's stand-in for the libvirt driver: nova's fake driver reporting a libvirt hypervisor.

It reports `QEMU`, or `KVM` when [libvirt] virt_type = kvm, with matching supported instances, so the
KVM zone looks to nova as a libvirt compute would. Based on FakeDriverWithoutFakeNodes: the node uuid
persists in state_path, so nova-compute restarts on existing state (plain FakeDriver refuses to).
"""

from nova.conf import CONF
from nova.objects import fields
from nova.virt import fake
from oslo_utils import versionutils


class LibvirtLikeDriver(fake.FakeDriverWithoutFakeNodes):
    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        hv_type = "KVM" if CONF.libvirt.virt_type == "kvm" else "QEMU"
        self.host_status_base.update({
            "hypervisor_type": hv_type,
            "hypervisor_version": versionutils.convert_version_to_int("8.2.0"),
            "supported_instances": [(fields.Architecture.X86_64, getattr(fields.HVType, hv_type),
                                     fields.VMMode.HVM)],
        })

    def get_host_uptime(self):
        return " 12:00:00 up 1 day,  1:00,  0 users,  load average: 0.00, 0.00, 0.00"
