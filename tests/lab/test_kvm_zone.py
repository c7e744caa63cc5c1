"""The real KVM zone's parts, for real on this machine: TestVM boots under a node's private libvirtd.

No OpenStack here: the lab's own libvirtd argv in a throwaway lab home, and a domain as nova's libvirt driver
writes it for TestVM (direct kernel boot, q35, serial console to a file). Needs the packages of
devops_envs/local/kvm_zone.py (installed by `up --topology dual_hv_libvirt`); it installs them if missing.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from devops_envs.local import kvm_zone, libvirtd, testvm, topology
from devops_envs.local.errors import LabError
from devops_envs.local.paths import LabPaths

DOMAIN = """<domain type='qemu'><name>labtest</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='q35'>hvm</type><kernel>{kernel}</kernel><initrd>{initrd}</initrd>
<cmdline>{cmdline}</cmdline></os><features><acpi/><apic/></features><devices>
<serial type='file'><source path='{console}'/><target port='0'/></serial></devices></domain>"""


def test_kvm_virt_is_checked():
    data = topology.load("dual_hv").to_dict()
    assert topology.from_dict(data).kvm_virt == "fake"
    assert topology.load("dual_hv_libvirt").kvm_virt == "libvirt"
    with pytest.raises(LabError, match="kvm_virt 'xen' is not one of fake, libvirt"):
        topology.from_dict({**data, "kvm_virt": "xen"})


@pytest.fixture()
def daemon(tmp_path: Path):
    paths = LabPaths(tmp_path / "lab")
    paths.logs.mkdir(parents=True)
    kvm_zone.ensure_installed(paths)
    libvirtd.prepare(paths, "node-2")
    proc = subprocess.Popen(libvirtd.argv(paths, "node-2"), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not libvirtd.ready(paths, "node-2"):
            assert proc.poll() is None and time.monotonic() < deadline, "libvirtd did not come up"
            time.sleep(0.5)
        yield paths
    finally:
        proc.terminate()
        proc.wait(20)
        libvirtd.kill_guests(paths, "node-2")


def test_testvm_boots_to_its_marker_and_leaves_no_qemu(daemon: LabPaths, tmp_path: Path):
    files = testvm.build(daemon.data / "images")
    console = tmp_path / "console.log"
    xml = tmp_path / "domain.xml"
    xml.write_text(DOMAIN.format(kernel=files["kernel"], initrd=files["ramdisk"], cmdline=kvm_zone.CMDLINE,
                                 console=console))
    uri = libvirtd.uri(daemon, "node-2")
    t0 = time.monotonic()
    subprocess.run(["virsh", "-c", uri, "create", str(xml)], check=True, capture_output=True)
    assert libvirtd.guests(daemon, "node-2"), "no QEMU process for the domain"
    while testvm.READY_MARKER not in (console.read_text() if console.exists() else ""):
        assert time.monotonic() - t0 < 60, f"no marker; console: {console.read_text()[-300:]}"
        time.sleep(0.2)
    assert f"{testvm.DISKS_MARKER} " in console.read_text() or testvm.READY_MARKER in console.read_text()
    libvirtd.kill_guests(daemon, "node-2")
    time.sleep(0.5)
    assert not [p for p in libvirtd.guests(daemon, "node-2") if p.is_running() and p.status() != "zombie"]
