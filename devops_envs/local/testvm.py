"""Build the KVM zone's TestVM at install time, from Debian packages only (never a downloaded binary).

The guest is Debian's cloud kernel (`linux-image-cloud-amd64`) booted directly with an initramfs of
`busybox-static` plus the kernel's own virtio modules. Its /init prints a ready marker on the serial console,
then a line each time its set of virtio disks changes, which is what the suite's console check reads.

Glance shape: kernel + ramdisk images (aki/ari) and `TestVM` itself a small qcow2 root disk carrying
`kernel_id`/`ramdisk_id`. nova's libvirt driver boots that as a direct kernel boot (no firmware boot loader
under TCG, no boot-loader package to install): the spike reached the marker in 2.8 s that way. TestVM keeps
Fuel's name and disk format (qcow2), so the suite's image check sees what it sees on a Fuel cloud.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from devops_envs.local.errors import LabError

READY_MARKER = "TESTVM READY"
DISKS_MARKER = "TESTVM DISKS:"
# Load order matters: each pass loads what the previous pass made loadable (insmod has no dependency solver).
MODULES = ("virtio", "virtio_ring", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio_blk")
# The guest's /init: busybox applets, the modules, the marker, then one line per change of the disk set.
INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for pass in 1 2 3; do for f in /lib/modules/*.ko; do insmod $f 2>/dev/null; done; done
echo "{READY_MARKER}"
seen=""
while true; do
  now=$(ls /sys/block | grep -E '^vd' | tr '\\n' ' ')
  [ "$now" != "$seen" ] && echo "{DISKS_MARKER} $now" && seen="$now"
  sleep 1
done
"""
ROOT_DISK_MIB = 16  # TestVM's own disk (vda): the volume the suite attaches shows up next to it as vdb


def kernel() -> tuple[Path, str]:
    """The newest installed cloud kernel and its version."""
    found = sorted(Path("/boot").glob("vmlinuz-*-cloud-amd64"))
    if not found:
        raise LabError("no /boot/vmlinuz-*-cloud-amd64: apt-get install linux-image-cloud-amd64")
    path = found[-1]
    return path, path.name.removeprefix("vmlinuz-")


def fingerprint(version: str) -> str:
    return hashlib.sha256((version + INIT + " ".join(MODULES)).encode()).hexdigest()[:16]


def build(out: Path) -> dict[str, Path]:
    """Write out/testvm-vmlinuz, out/testvm-initrd.gz and out/testvm.qcow2 (skipped when up to date)."""
    vmlinuz, version = kernel()
    files = {"kernel": out / "testvm-vmlinuz", "ramdisk": out / "testvm-initrd.gz", "disk": out / "testvm.qcow2"}
    stamp = out / ".testvm-fingerprint"
    if stamp.exists() and stamp.read_text() == fingerprint(version) and all(p.exists() for p in files.values()):
        return files
    busybox = Path("/bin/busybox")
    if not busybox.exists() or not _is_static(busybox):
        raise LabError("/bin/busybox is missing or not static: apt-get install busybox-static")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="testvm-") as tmp:
        root = Path(tmp) / "root"
        for d in ("bin", "proc", "sys", "dev", "lib/modules"):
            (root / d).mkdir(parents=True)
        shutil.copy2(busybox, root / "bin" / "busybox")
        moddir = Path("/lib/modules") / version / "kernel"
        for name in MODULES:
            hits = list(moddir.rglob(f"{name}.ko*"))
            if not hits:
                raise LabError(f"module {name} not found under {moddir}: reinstall linux-image-cloud-amd64")
            data = hits[0].read_bytes()
            if hits[0].suffix == ".xz":
                raise LabError(f"{hits[0]} is xz-compressed: the TestVM builder needs plain .ko modules")
            (root / "lib/modules" / f"{name}.ko").write_bytes(data)
        init = root / "init"
        init.write_text(INIT)
        init.chmod(0o755)
        names = subprocess.run(["find", "."], cwd=root, capture_output=True, text=True, check=True).stdout
        cpio = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=names.encode(),
                              capture_output=True)
        if cpio.returncode != 0:
            raise LabError(f"cpio failed ({cpio.stderr.decode().strip()}): apt-get install cpio")
        files["ramdisk"].write_bytes(gzip.compress(cpio.stdout, compresslevel=6, mtime=0))
    shutil.copyfile(vmlinuz, files["kernel"])
    disk = files["disk"]
    disk.unlink(missing_ok=True)
    res = subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), f"{ROOT_DISK_MIB}M"],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise LabError(f"qemu-img create failed: {res.stderr.strip()} (apt-get install qemu-utils)")
    stamp.write_text(fingerprint(version))
    return files


def _is_static(path: Path) -> bool:
    """A static ELF has no PT_INTERP program header (no `file` command needed)."""
    return b"/lib64/ld-linux" not in path.read_bytes()[:8192]
