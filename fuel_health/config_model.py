"""The typed, frozen description of the cloud under test (what `fuel_health.config` builds)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from fuel_health import roles as fuel_roles
from fuel_health.secret import MASK, Secret

HYPERVISORS = ("kvm", "vcenter")
CONTROLLERS = "controllers"  # nova_computes target_node meaning "runs on the controllers"


class ConfigError(Exception):
    """A missing or wrong config value; str() is one line naming the key path and the fix."""

    def __init__(self, path: str, problem: str, fix: str | None = None) -> None:
        self.path, self.problem, self.fix = path, problem, fix
        super().__init__(f"{path}: {problem}" + (f" ({fix})" if fix else ""))


# --- the typed description ------------------------------------------------------------------------


@dataclass(frozen=True)
class Storage:
    """Storage backends enabled in the cluster settings (each becomes a deployment tag when on)."""

    volumes_lvm: bool
    volumes_vmdk: bool
    volumes_ceph: bool
    images_vcenter: bool


@dataclass(frozen=True)
class ClusterInfo:
    """What Nailgun knows of the environment; the deployment tags come from here."""

    id: int | None
    name: str
    release: str
    mode: str
    net_provider: str
    nova_network_mode: str | None
    libvirt_type: str
    use_vcenter: bool
    storage: Storage
    additional_components: tuple[str, ...]


@dataclass(frozen=True)
class CloudAccess:
    """How to reach the APIs: a clouds.yaml entry, an auth dict, or (neither) the OS_* environment."""

    name: str | None
    clouds_yaml: str | None
    auth: Mapping[str, str | Secret] | None
    region: str | None

    @property
    def kind(self) -> str:
        """Return 'clouds.yaml', 'auth' or 'env'."""
        return "clouds.yaml" if self.name else "auth" if self.auth else "env"


@dataclass(frozen=True)
class Zone:
    """Where and with what a hypervisor's checks boot: availability zone, image, flavor."""

    hypervisor: str
    zone: str
    image: str
    flavor: str
    # What the image prints on its console once booted (a regex: the lab's TestVM `TESTVM READY`, cirros
    # `login:`), and the prefix of its line listing its disks; None: the image can't say (no console checks).
    console_ready: str | None = None
    console_disks: str | None = None


@dataclass(frozen=True)
class Hypervisors:
    """The zone of each hypervisor; None when the cluster has no such zone."""

    kvm: Zone | None
    vcenter: Zone | None


@dataclass(frozen=True)
class NovaCompute:
    """One vSphere cluster served by a nova-compute (vmware_attributes nova_computes[])."""

    vsphere_cluster: str
    service_name: str
    datastore_regex: str
    target_node: str  # "controllers" or a vcenter-compute node's name


@dataclass(frozen=True)
class VCenter:
    """The vCenter of the vCenter zone (from vmware_attributes + the vcenter section)."""

    host: str
    port: int
    username: str
    password: Secret
    insecure: bool
    datacenter: str | None
    az_name: str
    nova_computes: tuple[NovaCompute, ...]
    # Trust for vCenter's certificate besides the system's: a CA file (vcenter.cafile) or the PEM text
    # Fuel 9.1+ keeps in vmware_attributes (vcenter_ca_file: {name, content}).
    cafile: str | None = None
    cadata: str | None = None

    def compute_host(self, nova_compute: NovaCompute) -> str:
        """Return the nova-compute `host` Fuel gives a vCenter cluster: <az_name>-<service_name>."""
        return f"{self.az_name}-{nova_compute.service_name}"


@dataclass(frozen=True)
class Node:
    """A node as configuration checks reach it: roles (aliases resolved), testinfra spec, root."""

    name: str
    hostname: str
    roles: tuple[str, ...]
    host: str  # testinfra host spec
    root: str  # prefix of /etc/... paths ("/" on real nodes)
    services: tuple[str, ...]

    def has_role(self, role: str) -> bool:
        """Tell whether the node has the role (aliases accepted)."""
        return fuel_roles.ALIASES.get(role, role) in self.roles


@dataclass(frozen=True)
class Timeouts:
    """Seconds per kind of step; vCenter is slow (image copies), so each is its own knob."""

    api: float
    boot: float
    volume: float
    attach: float
    delete: float
    vcenter: float


@dataclass(frozen=True)
class ClusterConfig:
    """The single, frozen description of the cloud under test."""

    cluster: ClusterInfo
    cloud: CloudAccess
    hypervisors: Hypervisors
    vcenter: VCenter | None
    nodes: tuple[Node, ...]
    timeouts: Timeouts
    resource_prefix: str
    source: str = "<dict>"
    # The validated input, kept (secrets wrapped) so overrides rebuild through the same checks.
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def zone(self, hypervisor: str) -> Zone:
        """Return the zone/image/flavor of a hypervisor, or raise ConfigError if not configured."""
        if hypervisor not in HYPERVISORS:
            raise ValueError(f"unknown hypervisor {hypervisor!r} (expected one of {', '.join(HYPERVISORS)})")
        zone = getattr(self.hypervisors, hypervisor)
        if zone is None:
            raise ConfigError(f"hypervisors.{hypervisor}", "not configured",
                              f"set hypervisors.{hypervisor}.zone to the availability zone name")
        return zone

    def nodes_with_role(self, role: str) -> tuple[Node, ...]:
        """Return the nodes that have the role (aliases accepted)."""
        return tuple(n for n in self.nodes if n.has_role(role))

    def node(self, name: str) -> Node:
        """Return the node with that name or hostname, or raise ConfigError."""
        for node in self.nodes:
            if name in (node.name, node.hostname):
                return node
        raise ConfigError("nodes", f"no node named {name!r}", f"known: {_names(self.nodes) or 'none'}")

    def to_dict(self) -> dict[str, Any]:
        """Return the config as plain data with every secret masked (for `config show`)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if not f.name.startswith("_")}


def _names(nodes: tuple[Node, ...]) -> str:
    return ", ".join(n.name for n in nodes)


def _plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return MASK
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value) if not f.name.startswith("_")}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


