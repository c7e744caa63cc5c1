"""Node steps (testinfra through clients.connections): read a service's config as the service does, check it.

A service reads several files, later ones winning (oslo.config's --config-file order). Fuel's layout:
nova-api reads nova.conf; a KVM or vcenter-compute node's nova-compute adds nova-compute.conf; a vCenter
nova-compute on controllers adds nova-compute.d/vmware-vcenter_<service_name>.conf; cinder-vmdk's
cinder-volume adds cinder.d/vmware-vcenter.conf. Files after the first are read when present.
"""

from __future__ import annotations

import configparser
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fuel_health.clients import connections
from fuel_health.clients.context import RunContext
from fuel_health.config import CONTROLLERS, ClusterConfig, Node, NovaCompute, VCenter, Zone

NOVA_CONF = "/etc/nova/nova.conf"
NOVA_COMPUTE_CONF = "/etc/nova/nova-compute.conf"
VMWARE_COMPUTE_CONF = "/etc/nova/nova-compute.d/vmware-vcenter_{service_name}.conf"
CINDER_CONF = "/etc/cinder/cinder.conf"
CINDER_VMDK_CONF = "/etc/cinder/cinder.d/vmware-vcenter.conf"
# Each vCenter zone's cinder-volume on a cinder-vmdk node adds its own file (fuel-library
# deployment/puppet/vmware/manifests/cinder/vmdk.pp: cinder-volume-vmware-<az_name>).
CINDER_VMDK_ZONE_CONF = "/etc/cinder/cinder.d/vmware-{az_name}.conf"
VMDK_DRIVER = "cinder.volume.drivers.vmware.vmdk.VMwareVcVmdkDriver"
VC_DRIVER = "vmwareapi.VMwareVCDriver"
_NO_DEFAULT_SECTION = "\x00"  # oslo's [DEFAULT] is a section like the others, not configparser's fallback
_TRUE, _FALSE = {"true", "1", "on", "yes"}, {"false", "0", "off", "no"}


# --- what to check: parameter sources for params.for_each ----------------------------------------------


def running(*services: str) -> Callable[[ClusterConfig], list[tuple[str, Node]]]:
    """Parameter source: the nodes running any of the services (one test per node)."""
    return lambda cfg: [(n.name, n) for n in cfg.nodes if set(services) & set(n.services)]


def with_role(role: str) -> Callable[[ClusterConfig], list[tuple[str, Node]]]:
    """Parameter source: the nodes with the role (aliases accepted)."""
    return lambda cfg: [(n.name, n) for n in cfg.nodes_with_role(role)]


def target_nodes(cfg: ClusterConfig, nc: NovaCompute) -> tuple[Node, ...]:
    """Return the nodes that run (or, on controllers, may run) the vCenter nova-compute of a cluster."""
    return cfg.nodes_with_role("controller") if nc.target_node == CONTROLLERS else (cfg.node(nc.target_node),)


@dataclass(frozen=True)
class VCenterCompute:
    """One vCenter nova-compute (a vSphere cluster of a zone) on one node that runs it, with the zone's vCenter."""

    vcenter: VCenter
    nova_compute: NovaCompute
    node: Node


def _vcenters(cfg: ClusterConfig) -> list[VCenter]:
    return [z.vcenter for z in cfg.vcenter_zones if z.vcenter is not None]


def vcenter_computes(cfg: ClusterConfig) -> list[tuple[str, VCenterCompute]]:
    """Parameter source: every node running a vCenter nova-compute, of every vCenter zone (`zone:svc@node`)."""
    return [(f"{vc.az_name}:{nc.service_name}@{node.name}", VCenterCompute(vc, nc, node))
            for vc in _vcenters(cfg) for nc in vc.nova_computes for node in target_nodes(cfg, nc)]


def controller_computes(cfg: ClusterConfig) -> list[tuple[str, tuple[VCenter, NovaCompute]]]:
    """Parameter source: the vCenter nova-computes of every zone that run on the controllers (`zone:svc`)."""
    return [(f"{vc.az_name}:{nc.service_name}", (vc, nc))
            for vc in _vcenters(cfg) for nc in vc.nova_computes if nc.target_node == CONTROLLERS]


@dataclass(frozen=True)
class VolumeBackend:
    """A node's cinder-volume as configuration checks see it: its role and the zones it may put volumes in."""

    node: Node
    role: str  # "cinder" (a KVM zone) or "cinder-vmdk" (one vCenter zone)
    zones: tuple[Zone, ...]  # cinder-vmdk: its one vCenter zone; cinder: the KVM zones (which one is not said)


def volume_nodes(cfg: ClusterConfig) -> list[tuple[str, VolumeBackend]]:
    """Parameter source: cinder nodes (`node-cinder`) and, per vCenter zone, each cinder-vmdk node's cinder-volume of
    that zone (`zone:node-cinder-vmdk`: Fuel runs one per zone on every cinder-vmdk node)."""
    out = [(f"{n.name}-cinder", VolumeBackend(n, "cinder", cfg.kvm_zones))
           for n in cfg.nodes_with_role("cinder") if cfg.kvm_zones]
    out += [(f"{z.zone}:{n.name}-cinder-vmdk", VolumeBackend(n, "cinder-vmdk", (z,)))
            for z in cfg.vcenter_zones for n in cfg.nodes_with_role("cinder-vmdk")]
    return out


# --- reading ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceConfig:
    """The merged config files of one service on one node; get() says which file a value came from."""

    node: Node
    files: tuple[tuple[str, configparser.ConfigParser], ...]  # (path, parsed), in reading order

    def get(self, section: str, key: str) -> tuple[str | None, str | None]:
        """Return (value, file) of section.key as the service sees it: the last file that sets it wins."""
        for path, parser in reversed(self.files):
            if parser.has_option(section, key):
                return parser.get(section, key).strip(), path
        return None, None

    @property
    def where(self) -> str:
        """Return 'node-2 (/etc/nova/nova.conf + /etc/nova/nova-compute.conf)'."""
        return f"{self.node.name} ({' + '.join(p for p, _ in self.files)})"


def read(ctx: RunContext, node: Node, main: str, *extra: str) -> ServiceConfig:
    """Read a service's config files on a node: main must exist, the extra ones are read when present."""
    parsed = []
    for i, path in enumerate((main, *extra)):
        f = connections.node_file(ctx.cfg, node, path)
        if not f.exists:
            if i == 0:
                raise AssertionError(f"{node.name}: {path} not found (looked at "
                                     f"{connections.node_path(ctx.cfg, node, path)} via {node.host})")
            continue
        parser = configparser.ConfigParser(strict=False, interpolation=None, default_section=_NO_DEFAULT_SECTION)
        try:
            parser.read_string(f.content_string, source=f"{node.name}:{path}")
        except configparser.Error as exc:
            raise AssertionError(f"{node.name}: {path} does not parse: {' '.join(str(exc).split())}") from None
        parsed.append((path, parser))
    return ServiceConfig(node, tuple(parsed))


def nova_compute_files(cfg: ClusterConfig, node: Node, nc: NovaCompute | None = None) -> tuple[str, ...]:
    """Return the files a nova-compute reads on the node (the vCenter one on controllers has its own)."""
    if nc is not None and nc.target_node == CONTROLLERS:
        return NOVA_CONF, VMWARE_COMPUTE_CONF.format(service_name=nc.service_name)
    return NOVA_CONF, NOVA_COMPUTE_CONF


def nova_configs(ctx: RunContext, node: Node) -> dict[str, ServiceConfig]:
    """Read the config of each nova-api / nova-compute the node runs: {service: config}."""
    files = {"nova-api": (NOVA_CONF,), "nova-compute": nova_compute_files(ctx.cfg, node)}
    return {service: read(ctx, node, *paths) for service, paths in files.items() if service in node.services}


def nova_compute_config(ctx: RunContext, node: Node, nc: NovaCompute | None = None) -> ServiceConfig:
    """Read the config of a nova-compute on the node (nc: the vCenter one of that vSphere cluster)."""
    return read(ctx, node, *nova_compute_files(ctx.cfg, node, nc))


def cinder_config(ctx: RunContext, node: Node, role: str, zone: Zone | None = None) -> ServiceConfig:
    """Read the config of the cinder-volume a role runs on the node (cinder-vmdk adds cinder.d/vmware-vcenter.conf;
    with a vCenter zone, that zone's cinder-volume: cinder.d/vmware-<az_name>.conf)."""
    if role != "cinder-vmdk":
        return read(ctx, node, CINDER_CONF)
    extra = CINDER_VMDK_ZONE_CONF.format(az_name=zone.zone) if zone is not None else CINDER_VMDK_CONF
    return read(ctx, node, CINDER_CONF, extra)


def _bool(value: str | None, default: bool) -> bool | None:
    if value is None:
        return default
    low = value.lower()
    return True if low in _TRUE else False if low in _FALSE else None


def backends(conf: ServiceConfig) -> list[str]:
    """Return the enabled backend sections of a cinder-volume ([] when it runs the old single backend)."""
    value, _ = conf.get("DEFAULT", "enabled_backends")
    return [b.strip() for b in (value or "").split(",") if b.strip()]


# --- checks ----------------------------------------------------------------------------------------------


def check_cross_az_attach_off(configs: dict[str, ServiceConfig]) -> list[str]:
    """Check [cinder] cross_az_attach is False in each service's config ({service: config})."""
    checked, problems = [], []
    for service, conf in configs.items():
        value, path = conf.get("cinder", "cross_az_attach")
        if value is None:
            value, path = conf.get("DEFAULT", "cinder_cross_az_attach")  # its Icehouse/Juno name
        if _bool(value, default=True) is not False:
            shown = f"{value!r} in {path}" if value is not None else "not set (nova's default is True)"
            problems.append(f"{service}: [cinder] cross_az_attach is {shown}")
        checked.append(f"{service}: {value} ({path})")
    if problems:
        node = next(iter(configs.values())).node.name
        raise AssertionError(f"{node}: {'; '.join(problems)}: a volume of one hypervisor's zone can then be attached "
                             "to the other's instances and fail there; set it to False and restart the service")
    return checked


def check_vcenter_compute_host(vc: VCenter, nc: NovaCompute, conf: ServiceConfig) -> str:
    """Check the vCenter nova-compute's [DEFAULT] host is <az_name>-<service_name> of its own zone."""
    expected = vc.compute_host(nc)
    value, path = conf.get("DEFAULT", "host")
    if value != expected:
        shown = f"{value!r} (in {path})" if value else "not set (defaults to the node's hostname)"
        raise AssertionError(f"{conf.where}: [DEFAULT] host is {shown}, expected {expected!r} for vSphere cluster "
                             f"{nc.vsphere_cluster}: the zone's aggregate holds {expected}, so this nova-compute's "
                             "instances land outside the vCenter zone or not at all")
    return f"host = {value} ({path})"


def check_vcenter_compute_cluster(nc: NovaCompute, conf: ServiceConfig) -> str:
    """Check the vCenter nova-compute runs VMwareVCDriver on its configured vSphere cluster."""
    driver, driver_file = conf.get("DEFAULT", "compute_driver")
    cluster, cluster_file = conf.get("vmware", "cluster_name")
    problems = []
    if driver != VC_DRIVER:
        problems.append(f"[DEFAULT] compute_driver is {driver!r} ({driver_file or 'not set'}), expected {VC_DRIVER}")
    if cluster != nc.vsphere_cluster:
        problems.append(f"[vmware] cluster_name is {cluster!r} ({cluster_file or 'not set'}), expected "
                        f"{nc.vsphere_cluster!r} (vsphere_cluster of {nc.service_name})")
    if problems:
        raise AssertionError(f"{conf.where}: {'; '.join(problems)}")
    return f"{driver} on {cluster}"


def check_vmdk_driver(conf: ServiceConfig) -> list[str]:
    """Check a cinder-vmdk cinder-volume runs the VMDK driver in every enabled backend."""
    found, problems = [], []
    for section in backends(conf) or ["DEFAULT"]:
        driver, path = conf.get(section, "volume_driver")
        found.append(f"[{section}] {driver}")
        if driver != VMDK_DRIVER:
            problems.append(f"[{section}] volume_driver is {driver!r} ({path or 'not set'})")
    if problems:
        raise AssertionError(f"{conf.where}: {'; '.join(problems)}, expected {VMDK_DRIVER}: this node's volumes are "
                             "not VMDKs and cannot attach to vCenter instances")
    return found


def check_same_host(configs: Sequence[ServiceConfig]) -> str:
    """Check every cinder-vmdk node sets the same [DEFAULT] host (one service for the HA pair)."""
    hosts = {conf.node.name: conf.get("DEFAULT", "host")[0] for conf in configs}
    shown = ", ".join(f"{n}: {h if h else 'not set (defaults to its hostname)'}" for n, h in hosts.items())
    if None in hosts.values() or len(set(hosts.values())) != 1:
        raise AssertionError(f"cinder-vmdk nodes do not share one [DEFAULT] host ({shown}): each shows as its own "
                             "cinder-volume, and its volumes are stuck when that node is down; set the same host "
                             "on all of them")
    return shown


def check_volume_zone(conf: ServiceConfig, backend: VolumeBackend) -> list[str]:
    """Check cinder-volume's storage_availability_zone and backend zones equal the nova zone it serves (a cinder
    node: one of the KVM zones, the description does not say which)."""
    names = [z.zone for z in backend.zones]
    value, path = conf.get("DEFAULT", "storage_availability_zone")
    seen = [("[DEFAULT] storage_availability_zone", value or "nova", path or "not set, default")]
    for section in backends(conf):
        in_zone, zone_path = conf.get(section, "backend_availability_zone")
        if in_zone is not None:
            seen.append((f"[{section}] backend_availability_zone", in_zone, zone_path))
    wrong = [f"{key} = {have} ({src})" for key, have, src in seen if have not in names]
    if wrong:
        raise AssertionError(f"{conf.where}: {'; '.join(wrong)}, expected {' or '.join(names) or 'a KVM zone'} (the "
                             f"nova zone this {backend.role} serves): with cross_az_attach = False its volumes can "
                             "never attach to that zone's instances")
    return [f"{key} = {have}" for key, have, _ in seen]


def check_libvirt_type(ctx: RunContext, conf: ServiceConfig) -> str:
    """Check a KVM compute's [libvirt] virt_type is the cluster's libvirt_type (kvm or qemu)."""
    expected = ctx.cfg.cluster.libvirt_type
    value, path = conf.get("libvirt", "virt_type")
    if value is None:
        value, path = conf.get("DEFAULT", "libvirt_type")  # the pre-Icehouse name
    have = value or "kvm"
    if have != expected:
        raise AssertionError(f"{conf.where}: [libvirt] virt_type is {have} ({path or 'not set, default'}), expected "
                             f"{expected} as the cluster settings say"
                             + (": kvm needs hardware virtualization, instances fail to spawn without it"
                                if have == "kvm" else ": qemu emulates, instances run very slowly"))
    return f"virt_type = {have}"


# --- pacemaker ---------------------------------------------------------------------------------------------


def pacemaker_resource(vc: VCenter, nc: NovaCompute) -> str:
    """Return the pacemaker resource Fuel makes for a vCenter nova-compute on controllers (its zone's host)."""
    return f"p_nova_compute_vmware_{vc.compute_host(nc)}"


def parse_locate(output: str) -> list[str]:
    """Return the nodes `crm_resource --resource R --locate` says R runs on ([] when it runs nowhere)."""
    nodes = []
    for line in output.splitlines():
        head, sep, tail = line.partition("is running on:")
        if sep and "NOT" not in head:
            nodes.append(tail.strip().split()[0] if tail.strip() else "?")
    return nodes


def pacemaker_locate(ctx: RunContext, resource: str) -> list[str]:
    """Return where pacemaker runs the resource, asking the controllers in turn until one answers."""
    errors = []
    for node in ctx.cfg.nodes_with_role("controller"):
        result = connections.node_host(ctx.cfg, node).run("crm_resource --resource %s --locate", resource)
        if result.rc == 0:
            return parse_locate(result.stdout)
        errors.append(f"{node.name}: rc {result.rc}: {' '.join((result.stderr or result.stdout).split())[:200]}")
    raise AssertionError(f"no controller answers `crm_resource --resource {resource} --locate` "
                         f"({'; '.join(errors) or 'no controller in the config'}): is the resource defined "
                         "(`crm_resource --list`) and pacemaker running?")


def check_runs_once(ctx: RunContext, resource: str, where: list[str]) -> str:
    """Check a pacemaker resource runs on exactly one node, and that node is a controller."""
    if len(where) != 1:
        why = ("the vCenter zone has no nova-compute; `crm resource cleanup` it and read its log" if not where
               else "two nova-computes drive one vSphere cluster")
        raise AssertionError(f"pacemaker resource {resource} runs on {len(where)} nodes ({', '.join(where) or 'none'}),"
                             f" expected exactly one controller: {why}")
    controllers = {part for n in ctx.cfg.nodes_with_role("controller") for part in (n.name, n.hostname)}
    if where[0] not in controllers and where[0].split(".")[0] not in controllers:
        raise AssertionError(f"pacemaker resource {resource} runs on {where[0]}, which is not a controller "
                             f"({', '.join(sorted(controllers))})")
    return f"{resource} on {where[0]}"
