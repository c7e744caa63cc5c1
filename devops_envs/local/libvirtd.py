"""A private libvirtd per KVM compute node: its config, socket, state and logs under nodes/<node>/.

A root libvirtd keeps its state in fixed places (/etc/libvirt, /run/libvirt, /var/lib/libvirt,
/var/log/libvirt, /var/cache/libvirt). Each node's daemon runs in a mount namespace of its own where those
places are the node's folders: two KVM nodes never see each other's guests, and nothing lands in the
machine's own /var. Settings are those the spike proved here (../shared/design/lab-spike/kvm/README.md):
QEMU as root, no security driver, no cgroups, console files written by QEMU itself (no virtlogd).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from pathlib import Path

import psutil

from devops_envs.local.errors import LabError
from devops_envs.local.paths import LabPaths

# Where a root libvirtd looks, and the node folder that stands in for each (relative to nodes/<node>/).
BINDS = {"/etc/libvirt": "etc/libvirt", "/run/libvirt": "run/libvirt", "/var/lib/libvirt": "var/lib/libvirt",
         "/var/log/libvirt": "var/log/libvirt", "/var/cache/libvirt": "var/cache/libvirt"}
QEMU_CONF = """# Rendered by the local lab (devops_envs/local/libvirtd.py)
user = "root"
group = "root"
security_driver = "none"
# QEMU writes the serial console file itself: no virtlogd in the lab.
stdio_handler = "file"
cgroup_controllers = [ ]
# No private /dev per guest: the loop devices of cinder's lab backend must be visible to QEMU as they are.
namespaces = [ ]
remember_owner = 0
"""
QEMU = "/usr/bin/qemu-system-x86_64"
LIBVIRTD_CONF = """# Rendered by the local lab (devops_envs/local/libvirtd.py)
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
unix_sock_ro_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
"""


def pylibs(paths: LabPaths) -> Path:
    """Debian's libvirt binding (python3-libvirt, same CPython 3.11 ABI) for nova-compute: symlinks only."""
    return paths.home / "pylibs"


def ensure_pylibs(paths: LabPaths) -> None:
    found = sorted(Path("/usr/lib/python3/dist-packages").glob("libvirt*.py")) + sorted(
        Path("/usr/lib/python3/dist-packages").glob("libvirtmod*.so"))
    if not found:
        raise LabError("Debian's libvirt binding is missing: apt-get install python3-libvirt")
    target = pylibs(paths)
    target.mkdir(parents=True, exist_ok=True)
    for src in found:
        link = target / src.name
        if not link.is_symlink():
            link.symlink_to(src)


def ensure_qemu_user() -> None:
    """libvirtd looks up `libvirt-qemu` at start even when QEMU runs as root (libvirt-daemon-system makes it)."""
    if subprocess.run(["getent", "passwd", "libvirt-qemu"], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "libvirt-qemu"],
                       check=True, capture_output=True)


def node_dir(paths: LabPaths, node: str) -> Path:
    return paths.node_root(node)


def socket_path(paths: LabPaths, node: str) -> Path:
    return node_dir(paths, node) / "run" / "libvirt" / "libvirt-sock"


def uri(paths: LabPaths, node: str) -> str:
    """The URI nova-compute (and virsh) use to reach this node's daemon."""
    return f"qemu:///system?socket={socket_path(paths, node)}"


def prepare(paths: LabPaths, node: str) -> None:
    """The node's libvirt folders and configs (idempotent)."""
    root = node_dir(paths, node)
    for rel in BINDS.values():
        (root / rel).mkdir(mode=0o700, parents=True, exist_ok=True)
    (root / "etc/libvirt/qemu.conf").write_text(QEMU_CONF)
    (root / "etc/libvirt/libvirtd.conf").write_text(LIBVIRTD_CONF)
    for target in BINDS:
        Path(target).mkdir(parents=True, exist_ok=True)  # mount points must exist on the machine


def argv(paths: LabPaths, node: str) -> tuple[str, ...]:
    """libvirtd in its own mount namespace, with the node's folders bound over the fixed paths."""
    root = node_dir(paths, node)
    binds = " && ".join(f"mount --bind {shlex.quote(str(root / rel))} {target}" for target, rel in BINDS.items())
    exec_ = (f"exec /usr/sbin/libvirtd --config /etc/libvirt/libvirtd.conf "
             f"--pid-file {shlex.quote(str(root / 'run/libvirtd.pid'))}")
    # Its own hostname too: nova names the compute node after libvirt's hostname, and mirrors a zone's aggregate
    # into placement only for a resource provider named like the service's host (the node's name).
    # The `qemu-unusable` fault: this node's libvirtd (only) finds /bin/false where QEMU should be.
    flag = shlex.quote(str(flag_path(paths, node, "qemu-unusable")))
    broken = f"if [ -e {flag} ]; then mount --bind /bin/false {QEMU}; fi"
    return ("/usr/bin/unshare", "--mount", "--uts", "--propagation", "private", "--", "/bin/sh", "-c",
            f"hostname {shlex.quote(node)} && {binds} && {broken} && {exec_}")


def without_loop_devices(paths: LabPaths, node: str, argv: tuple[str, ...]) -> tuple[str, ...]:
    """Run argv in a mount namespace where, under the `no-free-loop-device` fault, every loop device node (and
    loop-control) is /dev/null: `losetup --find` finds no free device, for this service only."""
    flag = shlex.quote(str(flag_path(paths, node, "no-free-loop-device")))
    hide = f"if [ -e {flag} ]; then for d in /dev/loop-control /dev/loop[0-9]*; do mount --bind /dev/null $d; done; fi"
    return ("/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
            f"{hide}; exec {' '.join(shlex.quote(a) for a in argv)}")


def flag_path(paths: LabPaths, node: str, name: str) -> Path:
    return node_dir(paths, node) / "faults" / name


def ready(paths: LabPaths, node: str) -> bool:
    """The daemon answers on its socket (it probes QEMU's capabilities first: a few seconds on a cold start)."""
    if not socket_path(paths, node).exists():
        return False
    # `list`, not `version`: a daemon whose QEMU is broken (the qemu-unusable fault) still serves.
    res = subprocess.run(["virsh", "-c", uri(paths, node), "list", "--name"], capture_output=True, timeout=20)
    return res.returncode == 0


def guests(paths: LabPaths, node: str) -> list[psutil.Process]:
    """The node's QEMU processes, from the pid files its libvirtd keeps (QEMU is daemonized: not in its group)."""
    out = []
    for pidfile in (node_dir(paths, node) / "run/libvirt/qemu").glob("*.pid"):
        try:
            proc = psutil.Process(int(pidfile.read_text().strip()))
            if "qemu" in proc.name():
                out.append(proc)
        except (OSError, ValueError, psutil.Error):
            continue
    return out


def kill_guests(paths: LabPaths, node: str) -> list[str]:
    """`down` leaves no QEMU behind: kill what the node's libvirtd started (its daemon is stopped already)."""
    killed = []
    for proc in guests(paths, node):
        try:
            os.kill(proc.pid, signal.SIGKILL)
            killed.append(f"{proc.pid} {proc.name()}")
        except (ProcessLookupError, psutil.Error):
            continue
    return killed
