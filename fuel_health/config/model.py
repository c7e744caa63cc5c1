"""The typed, frozen description of the cloud under test: N hypervisor zones, the nodes, the timeouts.

pydantic dataclasses: frozen (a check cannot change the cloud it was given), positional like the plain
dataclasses they replace, and type-checked when built. Raw input is validated by `schema.py`, which
builds these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field, fields, is_dataclass
from typing import Any

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass

from fuel_health.config.errors import ConfigError
from fuel_health.config.secret import MASK, Secret
from fuel_health.fuel_data import roles as fuel_roles

HYPERVISORS = ("kvm", "vcenter")
CONTROLLERS = "controllers"  # nova_computes target_node meaning "runs on the controllers"

# Secret is our own type (never a str): pydantic checks it with isinstance.
_FROZEN = ConfigDict(arbitrary_types_allowed=True, defer_build=True)


@dataclass(frozen=True, config=_FROZEN)
class Storage:
    """Storage backends enabled in the cluster settings (each becomes a deployment tag when on)."""

    volumes_lvm: bool
    volumes_vmdk: bool
    volumes_ceph: bool
    images_vcenter: bool


@dataclass(frozen=True, config=_FROZEN)
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


@dataclass(frozen=True, config=_FROZEN)
class CloudAccess:
    """How to reach the APIs: a clouds.yaml entry, an auth dict, or (neither) the OS_* environment."""

    name: str | None
    clouds_yaml: str | None
    auth: Mapping[str, Any] | None  # values: str, or Secret for the password
    region: str | None

    @property
    def kind(self) -> str:
        """Return 'clouds.yaml', 'auth' or 'env'."""
        return "clouds.yaml" if self.name else "auth" if self.auth else "env"


@dataclass(frozen=True, config=_FROZEN)
class NovaCompute:
    """One vSphere cluster served by a nova-compute (vmware_attributes nova_computes[])."""

    vsphere_cluster: str
    service_name: str
    datastore_regex: str
    target_node: str  # "controllers" or a vcenter-compute node's name


@dataclass(frozen=True, config=_FROZEN)
class VCenter:
    """The vCenter of one vCenter zone: its endpoint, credentials and clusters (one availability_zones entry)."""

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


@dataclass(frozen=True, config=_FROZEN)
class Zone:
    """One hypervisor zone: where and with what its checks boot, and what it is expected to hold.

    A KVM zone lists its expected nova-compute hosts; a vCenter zone carries its own vCenter (endpoint,
    credentials, clusters).
    """

    hypervisor: str  # "kvm" or "vcenter"
    zone: str  # the availability zone name
    image: str
    flavor: str
    # What the image prints on its console once booted (a regex: the lab's TestVM `TESTVM READY`, cirros
    # `login:`), and the prefix of its line listing its disks; None: the image can't say (no console checks).
    console_ready: str | None = None
    console_disks: str | None = None
    hosts: tuple[str, ...] = ()  # KVM: the nova-compute hosts (node hostnames) this zone must have
    vcenter: VCenter | None = None  # vCenter: this zone's own vCenter


@dataclass(frozen=True, config=_FROZEN)
class Hypervisors:
    """The first zone of each hypervisor (what the single-zone checks use); None when there is none."""

    kvm: Zone | None
    vcenter: Zone | None


@dataclass(frozen=True, config=_FROZEN)
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


@dataclass(frozen=True, config=_FROZEN)
class Timeouts:
    """Seconds per kind of step; vCenter is slow (image copies), so each is its own knob."""

    api: float
    boot: float
    volume: float
    attach: float
    delete: float
    vcenter: float


@dataclass(frozen=True, config=_FROZEN)
class ClusterConfig:
    """The single, frozen description of the cloud under test: any number of KVM and vCenter zones."""

    cluster: ClusterInfo
    cloud: CloudAccess
    zones: tuple[Zone, ...]  # KVM zones first, then vCenter zones (see schema.build for the order)
    nodes: tuple[Node, ...]
    timeouts: Timeouts
    resource_prefix: str
    source: str = "<dict>"
    # The validated input, kept (secrets wrapped) so overrides rebuild through the same checks.
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def kvm_zones(self) -> tuple[Zone, ...]:
        """Return every KVM zone, in the config's order."""
        return tuple(z for z in self.zones if z.hypervisor == "kvm")

    @property
    def vcenter_zones(self) -> tuple[Zone, ...]:
        """Return every vCenter zone (one per vmware_attributes availability_zones entry)."""
        return tuple(z for z in self.zones if z.hypervisor == "vcenter")

    @property
    def hypervisors(self) -> Hypervisors:
        """Return the first zone of each hypervisor: what the single-zone checks read."""
        kvm, vcenter = self.kvm_zones, self.vcenter_zones
        return Hypervisors(kvm=kvm[0] if kvm else None, vcenter=vcenter[0] if vcenter else None)

    @property
    def vcenter(self) -> VCenter | None:
        """Return the vCenter of the first vCenter zone (what the single-zone checks read), or None."""
        zone = self.hypervisors.vcenter
        return zone.vcenter if zone else None

    def zone(self, hypervisor: str) -> Zone:
        """Return the first zone of a hypervisor, or raise ConfigError if it has none."""
        if hypervisor not in HYPERVISORS:
            raise ValueError(f"unknown hypervisor {hypervisor!r} (expected one of {', '.join(HYPERVISORS)})")
        zone = getattr(self.hypervisors, hypervisor)
        if zone is None:
            raise ConfigError(f"hypervisors.{hypervisor}", "not configured",
                              f"set hypervisors.{hypervisor}.zone to the availability zone name")
        return zone

    def zone_named(self, name: str) -> Zone:
        """Return the zone with that availability zone name, or raise ConfigError."""
        for zone in self.zones:
            if zone.zone == name:
                return zone
        raise ConfigError("hypervisors", f"no zone named {name!r}",
                          f"known: {', '.join(z.zone for z in self.zones) or 'none'}")

    def nodes_with_role(self, role: str) -> tuple[Node, ...]:
        """Return the nodes that have the role (aliases accepted)."""
        return tuple(n for n in self.nodes if n.has_role(role))

    def node(self, name: str) -> Node:
        """Return the node with that name or hostname, or raise ConfigError."""
        for node in self.nodes:
            if name in (node.name, node.hostname):
                return node
        raise ConfigError("nodes", f"no node named {name!r}",
                          f"known: {', '.join(n.name for n in self.nodes) or 'none'}")

    def to_dict(self) -> dict[str, Any]:
        """Return the config as plain data with every secret masked (for `config show`)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name != "raw"}


def _plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return MASK
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value
