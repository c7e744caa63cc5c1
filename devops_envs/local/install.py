"""Install what the lab needs, once: Debian packages, the OpenStack venv, the vCenter simulator."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from devops_envs.local.errors import LabError
from devops_envs.local.paths import HERE, LabPaths, open_private

# qemu-utils: cinder converts qcow2 images into KVM-zone volumes with qemu-img, as on a real KVM cloud.
APT_PACKAGES = ("rabbitmq-server", "mariadb-server", "golang-go", "golang-github-vmware-govmomi-dev", "sudo",
                "qemu-utils")
# The six services, pinned; everything they pull in is pinned by constraints.txt.
OPENSTACK = ("nova==34.0.0", "cinder==29.0.0", "keystone==30.0.0", "glance==33.0.0",
             "openstack-placement==16.0.0", "neutron==29.0.0", "openstacksdk", "gunicorn", "PyMySQL")
CONSTRAINTS = HERE / "constraints.txt"


def say(msg: str) -> None:
    print(f"[lab] {msg}", flush=True)


def missing_apt_packages(packages: tuple[str, ...] = APT_PACKAGES) -> list[str]:
    out = []
    for pkg in packages:
        res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
        if "install ok installed" not in res.stdout:
            out.append(pkg)
    return out


def ensure_apt(log: Path, packages: tuple[str, ...] = APT_PACKAGES) -> None:
    """Install the Debian packages that are missing (root only), logging apt's output privately."""
    missing = missing_apt_packages(packages)
    if not missing:
        return
    if os.geteuid() != 0:
        raise LabError(f"missing Debian packages: {' '.join(missing)} (run as root, or apt-get install them)")
    say(f"apt-get install {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with open_private(log) as out:
        steps = [["apt-get", "update", "-qq"],
                 ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", "--no-install-recommends",
                  *missing]]
        for cmd in steps:
            if subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env).returncode != 0:
                raise LabError(f"{' '.join(cmd[:2])} failed for {' '.join(missing)} (see {log})")


def venv_fingerprint() -> str:
    return hashlib.sha256(CONSTRAINTS.read_bytes() + " ".join(OPENSTACK).encode()).hexdigest()[:16]


def ensure_venv(paths: LabPaths, log: Path) -> None:
    """The OpenStack services get a venv of their own, apart from the suite's."""
    marker = paths.venv / ".lab-fingerprint"
    if marker.exists() and marker.read_text() == venv_fingerprint():
        return
    say(f"installing OpenStack 2026.2 into {paths.venv} (about 3 minutes)")
    if not paths.python.exists():
        run([sys.executable if _has_venv() else "python3", "-m", "venv", str(paths.venv)], log)
    pip = [str(paths.python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run([*pip, "-U", "pip", "setuptools", "wheel"], log)
    run([*pip, "-c", str(CONSTRAINTS), *OPENSTACK], log)
    marker.write_text(venv_fingerprint())


def _has_venv() -> bool:
    return subprocess.run([sys.executable, "-c", "import venv, ensurepip"], capture_output=True).returncode == 0


def ensure_vcsim(paths: LabPaths, log: Path) -> None:
    """Build the simulator from our Go main over Debian's govmomi, and generate the vim WSDL it serves."""
    from devops_envs.local import vcsim_build

    try:
        vcsim_build.build_vcsim(HERE / "vcsim", paths.vcsim_build)
        vcsim_build.make_wsdl(paths.python, paths.wsdl, paths.home / "cache")
    except RuntimeError as exc:
        raise LabError(str(exc).splitlines()[0]) from None


def run(cmd: list[str], log: Path) -> None:
    with open_private(log) as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        if subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
            raise LabError(f"{Path(cmd[0]).name} {' '.join(cmd[1:3])} ... failed (see {log})")


def ensure_installed(paths: LabPaths, with_vcenter: bool) -> None:
    paths.logs.mkdir(parents=True, exist_ok=True)
    log = paths.logs / "install.log"
    ensure_apt(log)
    for tool in ("mariadbd", "mariadb-install-db"):
        if not shutil.which(tool, path="/usr/sbin:/usr/bin"):
            raise LabError(f"{tool} not found: apt-get install --no-install-recommends mariadb-server")
    ensure_venv(paths, log)
    if with_vcenter:
        ensure_vcsim(paths, log)
