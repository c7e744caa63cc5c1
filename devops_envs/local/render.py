"""Render each node's service configs: lab template + fixtures/config fragments + lab overrides."""

from __future__ import annotations

import configparser
import hashlib
import hmac
import io
import os
from pathlib import Path

from devops_envs.local import fuel_data
from devops_envs.local import secrets as lab_secrets
from devops_envs.local.paths import HERE, LabPaths
from devops_envs.local.topology import Node, Topology, VCenterZone

GENERATED = "{{generated}}"  # a vcenter_password the lab makes up (secrets.yaml)

# Config files each service reads, relative to a node's etc/.
SERVICE_FILES: dict[str, tuple[str, ...]] = {
    "keystone": ("keystone/keystone.conf",),
    "glance-api": ("glance/glance-api.conf",),
    "placement-api": ("placement/placement.conf",),
    "nova-api": ("nova/nova.conf",),
    "nova-conductor": ("nova/nova.conf",),
    "nova-scheduler": ("nova/nova.conf",),
    "nova-compute": ("nova/nova.conf",),
    "cinder-api": ("cinder/cinder.conf",),
    "cinder-scheduler": ("cinder/cinder.conf",),
    "cinder-volume": ("cinder/cinder.conf",),
    "neutron-server": ("neutron/neutron.conf", "neutron/plugins/ml2/ml2_conf.ini"),
}
# Paste pipelines ship in the venv's etc/; the APIs read them from the node's etc/.
PASTE_FILES = {"nova-api": "nova/api-paste.ini", "cinder-api": "cinder/api-paste.ini",
               "neutron-server": "neutron/api-paste.ini", "glance-api": "glance/glance-api-paste.ini"}
# Each service has a MariaDB user of its own, with rights on its own databases only: one leaked config
# then opens one service's data, not every service's.
DB_USERS: dict[str, tuple[str, ...]] = {
    "keystone": ("keystone",), "placement": ("placement",), "glance": ("glance",), "cinder": ("cinder",),
    "neutron": ("neutron",), "nova": ("nova_api", "nova", "nova_cell0"),
}


def db_password(secrets: dict[str, str], user: str) -> str:
    """The MariaDB password of one service's user, derived from the lab's db_password (nothing more to store)."""
    return hmac.new(secrets["db_password"].encode(), f"mariadb:{user}".encode(), hashlib.sha256).hexdigest()[:32]


def write_private(path: Path, text: str) -> None:
    """Write a file that is 0600 from its first byte (configs hold passwords): never chmod after writing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode through O_CREAT: fix it before writing
    with os.fdopen(fd, "w") as out:
        out.write(text)


HEADER = "# Rendered by the local lab from devops_envs/local/templates, fixtures/config and the lab's overrides.\n"


def values(paths: LabPaths, topo: Topology, secrets: dict[str, str], node: Node) -> dict[str, str]:
    """Everything a template or fragment may ask for on this node."""
    out = {
        "hostname": node.name,
        "state_dir": str(paths.node_state(node.name)),
        "shared_state_dir": str(paths.data / "shared"),
        "etc_dir": str(paths.node_etc(node.name)),
        "venv": str(paths.venv),
        "kvm_zone": topo.kvm_zone,
        "libvirt_type": topo.cluster["settings"]["common"].get("libvirt_type", "qemu"),
        "transport_url": f"rabbit://openstack:{secrets['rabbit_password']}@127.0.0.1:5672/",
        "service_password": secrets["service_password"],
        "libvirt_uri": f"qemu:///system?socket={paths.node_root(node.name) / 'run/libvirt/libvirt-sock'}",
    }
    out.update({f"db_password_{user}": db_password(secrets, user) for user in DB_USERS})
    out.update(vmware_values(topo, secrets, node.name))
    return out


def vmware_values(topo: Topology, secrets: dict[str, str], node: str | None = None) -> dict[str, str]:
    """The placeholders of the vCenter fragments, from vmware_attributes (lab password if `{{generated}}`).

    A vcenter-compute node gets the nova_compute that targets it (its zone's vCenter, its cluster, service name,
    datastores); any other node the first vCenter zone's values."""
    zone = topo.vcenter_zone
    if zone is None:
        return {}
    return zone_values(topo, secrets, (topo.nova_compute_for(node) if node else None) or zone)


def zone_values(topo: Topology, secrets: dict[str, str], nc: VCenterZone) -> dict[str, str]:
    """The placeholders of the vCenter fragments for one nova_compute of one vCenter zone."""
    return {
        "az_name": nc.az_name,
        "service_name": nc.service_name,
        "vsphere_cluster": nc.vsphere_cluster,
        "datastore_regex": nc.datastore_regex,
        "vcenter_host": nc.host,
        "vcenter_port": str(topo.simulator(nc.az_name).port),
        "vcenter_username": nc.username,
        "vcenter_password": vcenter_password(topo, secrets, nc.az_name),
        "vcenter_insecure": "True",
        "cinder_vmdk_host": f"cinder-vmdk-{nc.az_name}",  # one host for the whole HA pair
    }


def vcenter_password(topo: Topology, secrets: dict[str, str], az_name: str | None = None) -> str:
    """A vCenter zone's password (default: the first zone's): as given, or the lab's generated one for that zone."""
    zone = topo.vcenter_zone if az_name is None else next(iter(topo.zone_computes(az_name)), None)
    assert zone is not None
    if zone.password != GENERATED:
        return zone.password
    return lab_secrets.vcenter_password(secrets, None if zone.az_name == topo.az_names[0] else zone.az_name)


def vmdk_zone_file(az_name: str) -> str:
    """The file (under a node's etc/) of a further vCenter zone's cinder-volume on a cinder-vmdk node.

    Fuel runs one cinder-volume per vCenter zone on every cinder-vmware node, each reading cinder.conf plus
    cinder.d/vmware-<az_name>.conf (fuel-library deployment/puppet/vmware/manifests/cinder/vmdk.pp). The lab's
    first zone stays in cinder.conf itself (as in every one-zone lab); each further zone's process reads only
    that file, a whole cinder.conf with the zone's values: layered on cinder.conf, [vmdk] vmware_cluster_name (a
    MultiStrOpt, values add up across files) would also name the first zone's cluster, unknown to this vCenter."""
    return f"cinder/cinder.d/vmware-{az_name}.conf"


def node_files(node: Node) -> list[str]:
    files: list[str] = []
    for service in node.services:
        files += [f for f in SERVICE_FILES.get(service, ()) if f not in files]
    return files


def overrides_dir(topo: Topology) -> Path:
    """Lab-only settings: the stand-in drivers (overrides/), or the real KVM zone's (overrides-libvirt/)."""
    return HERE / ("overrides-libvirt" if topo.kvm_virt == "libvirt" else "overrides")


def merged(rel: str, node: Node, overrides: Path = HERE / "overrides") -> tuple[str, list[str]]:
    """Merge template, fixture fragments and lab overrides for one file; returns text and its sources."""
    parser = configparser.ConfigParser(interpolation=None, strict=False, default_section="__none__")
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    sources = [HERE / "templates" / rel]
    base = Path(rel).name
    sources += [fuel_data.config_fragment_path("all", base)]
    for role in node.roles:
        sources += [fuel_data.config_fragment_path(role, base), overrides / role / base]
    used = [p for p in sources if p.exists()]
    for path in used:
        parser.read_string(path.read_text(), source=str(path))
    buf = io.StringIO()
    parser.write(buf)
    return HEADER + buf.getvalue(), [str(p) for p in used]


def render_node(paths: LabPaths, topo: Topology, secrets: dict[str, str], node: Node) -> list[Path]:
    """Write the node's config tree under nodes/<name>/etc and return the files written."""
    vals = values(paths, topo, secrets, node)
    etc = paths.node_etc(node.name)
    written = []
    for rel in node_files(node):
        text, _ = merged(rel, node, overrides_dir(topo))
        target = etc / rel
        write_private(target, fuel_data.fill(text, vals, f"{node.name}:{rel}"))
        written.append(target)
    for service, rel in PASTE_FILES.items():
        if service in node.services:
            write_private(etc / rel, (paths.venv / "etc" / rel).read_text())
    if "cinder-vmdk" in node.roles:
        text, _ = merged(SERVICE_FILES["cinder-volume"][0], node, overrides_dir(topo))
        for zone in topo.vcenter_zones[1:]:
            rel = vmdk_zone_file(zone.az_name)
            write_private(etc / rel, fuel_data.fill(text, {**vals, **zone_values(topo, secrets, zone)},
                                                       f"{node.name}:{rel}"))
            written.append(etc / rel)
    return written


def render_all(paths: LabPaths, topo: Topology, secrets: dict[str, str]) -> None:
    for node in topo.nodes:
        render_node(paths, topo, secrets, node)


def apply_edits(paths: LabPaths, topo: Topology, edits: list[tuple[str, str, str, str, str]]) -> None:
    """Set single keys in rendered files: (node, file under etc/, section, key, value). Used by lab faults."""
    for node, rel, section, key, value in edits:
        path = paths.node_etc(node) / rel
        parser = configparser.ConfigParser(interpolation=None, strict=False, default_section="__none__")
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(path)
        if not parser.has_section(section):
            parser.add_section(section)
        parser.set(section, key, value)
        buf = io.StringIO()
        parser.write(buf)
        write_private(path, HEADER + buf.getvalue())
