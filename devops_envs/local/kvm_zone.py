"""The real KVM zone (lab file `kvm_virt: libvirt`): what `up` installs, prepares, uploads and `down` stops.

nova-compute on each KVM node runs nova's LibvirtDriver (virt_type qemu) against that node's private
libvirtd (libvirtd.py); TestVM is built here from Debian packages (testvm.py); cinder's lab backend hands
out loop devices (inside/lab_volume.py)."""

from __future__ import annotations

import json
import shutil
import subprocess

from devops_envs.local import install, libvirtd, testvm
from devops_envs.local.paths import LabPaths
from devops_envs.local.services import Service
from devops_envs.local.topology import Topology

APT_PACKAGES = ("qemu-system-x86", "libvirt-daemon", "libvirt-daemon-driver-qemu", "libvirt-clients",
                "linux-image-cloud-amd64", "busybox-static", "cpio", "python3-libvirt", "qemu-utils")
# The guest's kernel command line: serial console only, quiet (each line costs under TCG); a panic still shows.
CMDLINE = "console=ttyS0 quiet"
# What the suite's console checks wait for (fuel_health/steps/console.py), as TestVM prints it.
CONSOLE = {"console_ready": testvm.READY_MARKER, "console_disks": testvm.DISKS_MARKER}


def ensure_installed(paths: LabPaths) -> None:
    """Debian's QEMU, libvirt and the TestVM's ingredients; the libvirt binding for nova; TestVM built."""
    install.ensure_apt(paths.logs / "install.log", APT_PACKAGES)
    libvirtd.ensure_qemu_user()
    libvirtd.ensure_pylibs(paths)
    testvm.build(paths.data / "images")


def prepare(paths: LabPaths, topo: Topology) -> None:
    if topo.kvm_virt == "libvirt":
        for node in topo.nodes_with("compute"):
            libvirtd.prepare(paths, node.name)
            (paths.node_state(node.name) / "nova" / "instances").mkdir(parents=True, exist_ok=True)


def set_flag(paths: LabPaths, topo: Topology, flag: tuple[str, str], on: bool) -> None:
    """A lab fault's flag file on the last node with the role (read by that node's services at start)."""
    role, name = flag
    path = libvirtd.flag_path(paths, topo.nodes_with(role)[-1].name, name)
    if on:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    else:
        path.unlink(missing_ok=True)


def images(paths: LabPaths) -> list[dict]:
    """Glance's view of TestVM: kernel (aki) and ramdisk (ari), and TestVM (qcow2, Fuel's name and format) that
    names them, so nova's libvirt driver boots it directly (testvm.py says why)."""
    files = testvm.build(paths.data / "images")
    return [
        {"name": "TestVM-kernel", "file": str(files["kernel"]), "disk_format": "aki", "container_format": "aki"},
        {"name": "TestVM-ramdisk", "file": str(files["ramdisk"]), "disk_format": "ari", "container_format": "ari"},
        {"name": "TestVM", "file": str(files["disk"]), "disk_format": "qcow2",
         "properties": {"os_command_line": CMDLINE},
         "links": {"kernel_id": "TestVM-kernel", "ramdisk_id": "TestVM-ramdisk"}},
    ]


def stop(paths: LabPaths, topo: Topology, sup, all_svcs: list[Service]) -> list[str]:  # noqa: ANN001
    """Stop each node's libvirtd, then kill any QEMU it leaves (guests are daemonized, outside its group)."""
    sup.stop([s for s in all_svcs if s.name == "libvirtd"], timeout=15)
    killed = []
    for node in topo.nodes_with("compute"):
        killed += libvirtd.kill_guests(paths, node.name)
    return killed


def release_loops(paths: LabPaths) -> list[str]:
    """Detach every loop device whose backing file is (or was, before a delete) under the lab home.

    The lab's volume backend detaches its loop device on detach and delete, but a cinder-volume killed in between
    (a fault row, a `down` mid-run) leaves the device holding a deleted volume file: the kernel keeps it across
    `reset`, and after a few runs `losetup --find` has none left for the lab."""
    if shutil.which("losetup") is None:
        return []
    res = subprocess.run(["losetup", "--list", "--json", "--output", "NAME,BACK-FILE"], capture_output=True,
                         text=True, check=False)
    if res.returncode != 0 or not res.stdout.strip():
        return []
    home = str(paths.home).rstrip("/") + "/"
    released = []
    for dev in json.loads(res.stdout).get("loopdevices", []):
        back = (dev.get("back-file") or "").removesuffix(" (deleted)")
        if back.startswith(home):
            subprocess.run(["losetup", "--detach", dev["name"]], capture_output=True, check=False)
            released.append(f"loop {dev['name']} ({back})")
    return released
