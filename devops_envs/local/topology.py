"""Lab files (nodes -> roles, VMware settings) loaded and checked against fixtures/ (roles, release rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devops_envs.local import fuel_data
from devops_envs.local.errors import LabError

LAB_FILES = Path(__file__).resolve().parent
KVM_VIRT = ("fake", "libvirt")


@dataclass(frozen=True)
class Node:
    name: str
    roles: tuple[str, ...]

    @property
    def services(self) -> tuple[str, ...]:
        """OpenStack services this node runs, in role order (from fixtures/roles.yaml)."""
        out: list[str] = []
        for r in self.roles:
            out += [s for s in fuel_data.role(r)["services"] if s not in out]
        return tuple(out)


@dataclass(frozen=True)
class VCenterZone:
    az_name: str
    host: str
    username: str
    password: str
    vsphere_cluster: str
    service_name: str
    datastore_regex: str
    target_node: str


@dataclass(frozen=True)
class Simulator:
    """The vCenter simulator (vcsim) of one vCenter zone: lab only, what vmware_attributes does not say."""

    az_name: str
    port: int
    datacenter: str
    clusters: tuple[str, ...]
    datastores: tuple[str, ...]
    section: str  # where the lab file sets it: `vcenter`, or `vcenter.zones.<az_name>`


@dataclass(frozen=True)
class Topology:
    name: str
    cluster: dict[str, Any]
    kvm_zone: str
    nodes: tuple[Node, ...]
    vmware_attributes: dict[str, Any] | None
    vcenter: dict[str, Any] = field(default_factory=dict)
    # Lab only: what runs the KVM zone. "libvirt": nova's LibvirtDriver on a private libvirtd, QEMU guests,
    # loop-device volumes (libvirtd.py, testvm.py, inside/lab_volume.py); "fake": the API-only stand-in.
    kvm_virt: str = "fake"

    def nodes_with(self, role: str) -> list[Node]:
        return [n for n in self.nodes if role in n.roles]

    @property
    def controller(self) -> Node:
        return self.nodes_with("controller")[0]

    @property
    def use_vcenter(self) -> bool:
        return bool(self.cluster["settings"]["common"].get("use_vcenter"))

    @property
    def vcenter_zone(self) -> VCenterZone | None:
        """The first vCenter zone with its first nova_compute (the zone-wide fields are the same in every entry)."""
        computes = self.nova_computes
        return computes[0] if computes else None

    @property
    def az_names(self) -> list[str]:
        """The vCenter availability zones, in vmware_attributes order (Fuel 7.0+ deploys any number)."""
        return [az["az_name"] for az in (self.vmware_attributes or {}).get("availability_zones") or []]

    def zone_computes(self, az_name: str) -> list[VCenterZone]:
        """One entry per nova_computes item of one vCenter zone: each vSphere cluster and the node that runs it."""
        for az in (self.vmware_attributes or {}).get("availability_zones") or []:
            if az["az_name"] == az_name:
                return [VCenterZone(az["az_name"], az["vcenter_host"], az["vcenter_username"], az["vcenter_password"],
                                    nc["vsphere_cluster"], nc["service_name"], nc["datastore_regex"],
                                    nc["target_node"]["current"]["id"]) for nc in az.get("nova_computes") or []]
        return []

    @property
    def vcenter_zones(self) -> list[VCenterZone]:
        """Each vCenter zone that has a nova_compute, as its first one (what zone-wide settings are read from)."""
        return [computes[0] for computes in map(self.zone_computes, self.az_names) if computes]

    @property
    def nova_computes(self) -> list[VCenterZone]:
        """Every nova_computes item of every vCenter zone, zone by zone."""
        return [nc for az in self.az_names for nc in self.zone_computes(az)]

    def nova_compute_for(self, node: str) -> VCenterZone | None:
        """The nova_compute a vcenter-compute node runs (its target_node), None for any other node."""
        return next((nc for nc in self.nova_computes if nc.target_node == node), None)

    def simulator(self, az_name: str) -> Simulator:
        """The vcsim of a vCenter zone. The first zone's is the `vcenter` section; each further zone has its own
        process under `vcenter.zones.<az_name>` (its own port; datacenter and datastores default to the first's).
        Clusters: as listed (a vCenter may have clusters Fuel is told about only later), else the zone's
        nova_computes' vsphere_clusters."""
        first = not self.az_names or az_name == self.az_names[0]
        own = self.vcenter if first else (self.vcenter.get("zones") or {}).get(az_name) or {}
        listed = own.get("clusters")
        clusters = [str(c) for c in listed] if listed else list(
            dict.fromkeys(nc.vsphere_cluster for nc in self.zone_computes(az_name)))
        return Simulator(az_name, int(own.get("port", 18990)),
                         str(own.get("datacenter", self.vcenter.get("datacenter", "Datacenter"))),
                         tuple(clusters),
                         tuple(own.get("datastores", self.vcenter.get("datastores", ["datastore1"]))),
                         "vcenter" if first else f"vcenter.zones.{az_name}")

    @property
    def vsphere_clusters(self) -> list[str]:
        """The clusters the first vCenter zone's simulator serves."""
        zone = self.vcenter_zone
        return list(self.simulator(zone.az_name).clusters) if zone else []

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "cluster": self.cluster, "kvm_zone": self.kvm_zone,
                               "nodes": [{"name": n.name, "roles": list(n.roles)} for n in self.nodes]}
        if self.kvm_virt != "fake":
            out["kvm_virt"] = self.kvm_virt
        if self.vmware_attributes:
            out["vmware_attributes"] = self.vmware_attributes
            out["vcenter"] = self.vcenter
        return out


def resolve(name_or_path: str) -> Path:
    """A lab name (dual_hv, kvm_only) or a path to a lab file."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = LAB_FILES / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in LAB_FILES.glob("*.yaml")))
        raise LabError(f"no lab file {name_or_path!r} (known labs: {known})")
    return path


def load(name_or_path: str) -> Topology:
    """Load and validate a lab file."""
    path = resolve(name_or_path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise LabError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return from_dict(data, where=str(path))


def from_dict(data: dict[str, Any], where: str = "lab") -> Topology:
    """Build a Topology from its dict form (a lab file or the lab's saved state) and validate it."""
    try:
        nodes = tuple(Node(n["name"], tuple(fuel_data.canonical_role(r) for r in n["roles"]))
                      for n in data["nodes"])
        topo = Topology(name=data["name"], cluster=data["cluster"], kvm_zone=data.get("kvm_zone", "nova"),
                        nodes=nodes, vmware_attributes=data.get("vmware_attributes"),
                        vcenter=data.get("vcenter") or {}, kvm_virt=data.get("kvm_virt", "fake"))
        validate(topo, where)  # reads vmware_attributes entries: a missing key is reported the same way
    except (KeyError, TypeError) as exc:
        raise LabError(f"{where}: missing or malformed key {exc}") from None
    return topo


def validate(topo: Topology, where: str) -> None:
    """Apply the role conflicts of the lab's Fuel release (fixtures/releases/9.0.yaml), as Nailgun would."""
    names = [n.name for n in topo.nodes]
    if len(set(names)) != len(names):
        raise LabError(f"{where}: duplicate node names in {names}")
    for node in topo.nodes:
        for r in node.roles:
            fuel_data.role(r)  # an unknown role is refused by name
            banned = fuel_data.conflicts(r)
            clash = sorted(set(node.roles) - {r}) if "*" in banned else sorted(banned & set(node.roles))
            if clash:
                raise LabError(f"{where}: node {node.name}: role {r} cannot be combined with {', '.join(clash)}")
    if topo.kvm_virt not in KVM_VIRT:
        raise LabError(f"{where}: kvm_virt {topo.kvm_virt!r} is not one of {', '.join(KVM_VIRT)}")
    if len(topo.nodes_with("controller")) != 1:
        raise LabError(f"{where}: the lab needs exactly one controller node")
    vcenter_roles = topo.nodes_with("vcenter-compute") + topo.nodes_with("cinder-vmdk")
    if vcenter_roles and not topo.use_vcenter:
        raise LabError(f"{where}: vCenter roles on {vcenter_roles[0].name} need settings common.use_vcenter: true")
    if topo.use_vcenter:
        validate_vcenter(topo, where)


def validate_vcenter(topo: Topology, where: str) -> None:
    """vCenter zones: each has its own simulator and clusters; one nova-compute per cluster and node."""
    if topo.vcenter_zone is None:
        raise LabError(f"{where}: use_vcenter is true but vmware_attributes is missing")
    names = topo.az_names
    for az in names:
        if az == topo.kvm_zone or az == "nova":
            raise LabError(f"{where}: az_name {az!r} must differ from the KVM zone and from 'nova'")
        if names.count(az) > 1:
            raise LabError(f"{where}: az_name {az!r} given more than once (each vCenter zone has its own name)")
        if not topo.zone_computes(az):
            raise LabError(f"{where}: vCenter zone {az} has no nova_computes (give it at least one vSphere cluster)")
    extra = topo.vcenter.get("zones") or {}
    if not isinstance(extra, dict):
        raise LabError(f"{where}: vcenter.zones must map each further az_name to its simulator ({{port: ...}})")
    for az in extra:
        if not isinstance(extra[az], dict):
            raise LabError(f"{where}: vcenter.zones.{az} must be a mapping ({{port: ..., clusters: [...]}})")
        if az not in names[1:]:
            raise LabError(f"{where}: vcenter.zones.{az} is no further vCenter zone (az_names: {', '.join(names)}; "
                           "the first zone's simulator is the vcenter section itself)")
    ports: dict[int, str] = {}
    for az in names:
        if az != names[0] and "port" not in (extra.get(az) or {}):
            raise LabError(f"{where}: vcenter.zones.{az}.port: missing (each vCenter zone runs its own simulator "
                           "on its own port)")
        sim = topo.simulator(az)
        if sim.port in ports:
            raise LabError(f"{where}: {sim.section}.port {sim.port} is also the port of zone {ports[sim.port]}'s "
                           "simulator (give each vCenter zone its own port)")
        ports[sim.port] = az
    targets = [n.name for n in topo.nodes_with("vcenter-compute")]
    nodes = [nc.target_node for nc in topo.nova_computes]  # one nova-compute per vcenter-compute node
    twice = sorted({v for v in nodes if nodes.count(v) > 1})
    if twice:
        raise LabError(f"{where}: nova_computes target_node {', '.join(twice)} given more than once")
    for az in names:
        computes = topo.zone_computes(az)
        sim = topo.simulator(az)
        for key in ("vsphere_cluster", "service_name"):  # one nova-compute per cluster of a vCenter
            values = [getattr(nc, key) for nc in computes]
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise LabError(f"{where}: nova_computes {key} {', '.join(twice)} given more than once")
        for nc in computes:
            if nc.target_node not in targets:
                raise LabError(f"{where}: nova_computes target_node {nc.target_node!r} is not a vcenter-compute "
                               f"node (vcenter-compute nodes: {', '.join(targets) or 'none'})")
            if nc.vsphere_cluster not in sim.clusters:
                whose = "the lab's vCenter" if sim.section == "vcenter" else f"zone {az}'s vCenter"
                raise LabError(f"{where}: nova_computes vsphere_cluster {nc.vsphere_cluster!r} is not a cluster of "
                               f"{whose} ({', '.join(sim.clusters)}): add it to {sim.section}.clusters")
    idle = [t for t in targets if topo.nova_compute_for(t) is None]
    if idle:
        raise LabError(f"{where}: vcenter-compute node {idle[0]} runs no nova_compute (give it a nova_computes "
                       "entry with that target_node)")


def dump(topo: Topology) -> str:
    return yaml.safe_dump(topo.to_dict(), sort_keys=False)
