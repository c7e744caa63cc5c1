"""Named, reversible faults: each breaks exactly one thing in the running lab; `heal` puts it back.

They prove that a health check catches the fault it names (and that the HA case is NOT a failure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from devops_envs.local.errors import LabError
from devops_envs.local.topology import Topology

Value = Callable[[Topology], str]


@dataclass(frozen=True)
class ConfigEdit:
    """Set [section] key = value in one config file on the nodes with a role (last node only: one_node)."""

    role: str
    file: str
    section: str
    key: str
    value: Value
    one_node: bool = False


@dataclass(frozen=True)
class Fault:
    name: str
    breaks: str
    stop: tuple[str, ...] = ()  # services to stop, as "<role>:<service>" (last such node) or "vcenter:vcsim"
    config: tuple[ConfigEdit, ...] = ()
    cloud: tuple[str, ...] = ()  # cloud_setup.py action + args; `heal` re-runs the idempotent `ready`
    heal_cloud: tuple[str, ...] = ()  # cloud_setup.py action + args that undoes what `ready` cannot
    needs_vcenter: bool = False
    # Restarted on heal: workers that keep a session to what the fault broke (e.g. the simulator lost its state).
    restart_on_heal: tuple[str, ...] = field(default=())
    # Roles of a node the suite's config lists but the lab never deploys (Nailgun has it; nova never saw it).
    phantom: tuple[str, ...] = ()
    # A second process of a service, same config and host, started as "<role>:<service>" (stopped on heal).
    twin: tuple[str, ...] = ()
    # False: config edits are written but the services keep running on the old config (drift found only on restart).
    restart: bool = True
    # Needs the real KVM zone (lab file `kvm_virt: libvirt`): libvirtd, QEMU guests, loop devices.
    needs_libvirt: bool = False
    # A flag file nodes/<last node with the role>/faults/<flag> that a service reads at start (libvirtd.py),
    # set as (role, flag); the services named "<role>:<service>" in flag_restart restart on fault and heal.
    flag: tuple[str, str] = ()
    flag_restart: tuple[str, ...] = ()
    # "<role>:nova-compute" whose libvirt connection the fault drops. nova notices a lost connection on its own
    # time (libvirt's close callback, or its next periodic task) and then auto-disables the service, and
    # re-enables it once it reconnects; the fault is on only once nova has settled (see Lab.fault), so what
    # the checks see does not depend on the machine's load.
    libvirt_client: str = ""

    def applies_to(self, topo: Topology) -> bool:
        return (topo.use_vcenter or not self.needs_vcenter) and (topo.kvm_virt == "libvirt" or not self.needs_libvirt)


def _az(topo: Topology) -> str:
    assert topo.vcenter_zone is not None
    return topo.vcenter_zone.az_name


PHANTOM_NODE = "node-99"  # the name of a phantom node (Fault.phantom) in the suite's config


def _vc_host(topo: Topology) -> str:
    zone = topo.vcenter_zone
    assert zone is not None
    return f"{zone.az_name}-{zone.service_name}"


FAULTS: tuple[Fault, ...] = (
    Fault("vcenter-compute-stopped", "the vCenter nova-compute is stopped",
          stop=("vcenter-compute:nova-compute",), needs_vcenter=True),
    Fault("kvm-compute-stopped", "the KVM nova-compute is stopped", stop=("compute:nova-compute",)),
    Fault("compute-disabled", "the vCenter nova-compute service is disabled through the API",
          cloud=("disable-compute", "{vc_host}"), needs_vcenter=True),
    Fault("vcenter-host-out-of-aggregate", "the vCenter compute host is removed from its zone's aggregate",
          cloud=("aggregate-remove", "{vc_host}"), needs_vcenter=True),
    Fault("cross-az-attach-on", "[cinder] cross_az_attach = True in nova.conf (nova-api and computes)",
          config=(ConfigEdit("controller", "nova/nova.conf", "cinder", "cross_az_attach", lambda t: "True"),
                  ConfigEdit("compute", "nova/nova.conf", "cinder", "cross_az_attach", lambda t: "True"),
                  ConfigEdit("vcenter-compute", "nova/nova.conf", "cinder", "cross_az_attach",
                             lambda t: "True"))),
    Fault("testvm-vmdk-deleted", "the TestVM-VMDK image is deleted", cloud=("delete-image", "TestVM-VMDK"),
          needs_vcenter=True),
    Fault("testvm-vmdk-no-hypervisor-type", "TestVM-VMDK lost its hypervisor_type property",
          cloud=("drop-image-property", "TestVM-VMDK", "hypervisor_type"), needs_vcenter=True),
    Fault("vcenter-cinder-zone-renamed", "the vCenter cinder zone is <az_name>-cinder, not the nova zone",
          config=(ConfigEdit("cinder-vmdk", "cinder/cinder.conf", "DEFAULT", "storage_availability_zone",
                             lambda t: f"{_az(t)}-cinder"),
                  ConfigEdit("cinder-vmdk", "cinder/cinder.conf", "vmdk", "backend_availability_zone",
                             lambda t: f"{_az(t)}-cinder")), needs_vcenter=True),
    Fault("cinder-vmdk-host-differs", "one cinder-vmdk node runs with a different `host` than its HA peer",
          config=(ConfigEdit("cinder-vmdk", "cinder/cinder.conf", "DEFAULT", "host",
                             lambda t: f"cinder-vmdk-{_az(t)}-other", one_node=True),), needs_vcenter=True),
    Fault("cinder-vmdk-node-stopped", "one of the two cinder-vmdk nodes is stopped (the pair still serves: only the "
          "ha consumer check fails)", stop=("cinder-vmdk:cinder-volume",), needs_vcenter=True),
    Fault("vcenter-compute-twin", "a second vCenter nova-compute runs with the same host (two drive one vSphere "
          "cluster)", twin=("vcenter-compute:nova-compute",), needs_vcenter=True),
    Fault("node-rabbit-port-wrong", "the KVM compute node's nova.conf transport_url points at port 5673 (written, "
          "nova-compute not restarted yet)",
          config=(ConfigEdit("compute", "nova/nova.conf", "DEFAULT", "transport_url",
                             lambda t: "rabbit://openstack:stale-password@127.0.0.1:5673/"),), restart=False),
    Fault("node-db-user-wrong", "the KVM cinder node's [database] connection names user cinder_typo (written, "
          "cinder-volume not restarted yet)",
          config=(ConfigEdit("cinder", "cinder/cinder.conf", "database", "connection",
                             lambda t: "mysql+pymysql://cinder_typo:stale-password@127.0.0.1:3306/cinder"),),
          restart=False),
    # A full zone: placement offers no RAM there, so every boot ends in the scheduler's NoValidHost, the same
    # fault hypervisor_type=vmware gives (0.0001 of the stand-in's 800000 MB, or of a real host's RAM, < 512 MB).
    Fault("kvm-zone-full", "the KVM zone is full: the KVM compute's ram_allocation_ratio is 0.0001 (placement "
          "has no room for an m1.tiny)",
          config=(ConfigEdit("compute", "nova/nova.conf", "DEFAULT", "ram_allocation_ratio", lambda t: "0.0001"),)),
    Fault("vcenter-down", "the vCenter simulator is stopped", stop=("vcenter:vcsim",), needs_vcenter=True,
          restart_on_heal=("vcenter-compute:nova-compute", "cinder-vmdk:cinder-volume", "cinder-vmdk!:cinder-volume")),
    Fault("vcenter-vm-deleted", "a server's VM is destroyed in vCenter behind nova's back (nova still says ACTIVE)",
          cloud=("delete-vm", "{vc_zone}"), heal_cloud=("heal-delete-vm", "{vc_zone}"), needs_vcenter=True),
    Fault("nova-conductor-stopped", "nova-conductor is stopped", stop=("controller:nova-conductor",)),
    Fault("nova-scheduler-stopped", "nova-scheduler is stopped", stop=("controller:nova-scheduler",)),
    Fault("cinder-api-stopped", "cinder-api is stopped", stop=("controller:cinder-api",)),
    Fault("cinder-scheduler-stopped", "cinder-scheduler is stopped", stop=("controller:cinder-scheduler",)),
    Fault("glance-api-stopped", "glance-api is stopped", stop=("controller:glance-api",)),
    Fault("keystone-stopped", "keystone is stopped: nothing can authenticate", stop=("controller:keystone",)),
    Fault("libvirtd-stopped", "the KVM compute node's libvirtd is stopped (nova-compute runs on)",
          stop=("compute:libvirtd",), libvirt_client="compute:nova-compute", needs_libvirt=True),
    Fault("qemu-unusable", "the KVM compute node's QEMU binary is unusable (/usr/bin/qemu-system-x86_64 is /bin/false "
          "for its libvirtd)", flag=("compute", "qemu-unusable"), flag_restart=("compute:libvirtd",),
          libvirt_client="compute:nova-compute", needs_libvirt=True),
    Fault("no-free-loop-device", "the KVM cinder node finds no free loop device (its cinder-volume sees every "
          "/dev/loop* as /dev/null)", flag=("cinder", "no-free-loop-device"), flag_restart=("cinder:cinder-volume",),
          needs_libvirt=True),
    Fault("testvm-corrupted", "TestVM's ramdisk is corrupt: the guest's kernel panics at boot",
          cloud=("corrupt-ramdisk", "TestVM"), heal_cloud=("heal-corrupt-ramdisk", "TestVM"), needs_libvirt=True),
    Fault("kvm-compute-unregistered", f"the config lists a KVM compute node ({PHANTOM_NODE}) that never registered "
          "with nova (never deployed)", phantom=("compute",)),
)


def by_name(name: str) -> Fault:
    for fault in FAULTS:
        if fault.name == name:
            return fault
    raise LabError(f"unknown fault {name!r} (known: {', '.join(f.name for f in FAULTS)})")


def cloud_args(fault: Fault, topo: Topology, heal: bool = False) -> list[str]:
    values = {"vc_host": _vc_host(topo) if topo.vcenter_zone else "",
              "vc_zone": _az(topo) if topo.vcenter_zone else ""}
    return [a.format(**values) for a in (fault.heal_cloud if heal else fault.cloud)]
