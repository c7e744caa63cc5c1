"""Per-zone and per-unit parameter sources, and the shared instance and volume of any zone.

Every zone of the description gets its own cases, so a broken unit fails only its own case and the OSTF tab
and JUnit name it. Id scheme (docs/checks.md):

    <zone>:<host>          a KVM zone's nova-compute host               test_kvm_nova_compute_up[nova:node-2]
    <zone>:<service_name>  a vCenter zone's nova-compute (one cluster)  test_vcenter_nova_compute_up[vcenter:vmcluster1]
    <zone>                 the zone itself (its volume service, its vCenter, the hosts the description does not list)
    <zone>:<vsphere_cluster>  a vSphere cluster in its zone's vCenter   test_vcenter_cluster[vcenter:Cluster1]
    <from>-to-<to>         a cross-zone pair: the volume's zone, then the instance's zone (`-k` can select it)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import permutations

from openstack.block_storage.v3.volume import Volume
from openstack.compute.v2.server import Server

from fuel_health.clients.context import Shared
from fuel_health.config import ClusterConfig, NovaCompute, VCenter, Zone
from fuel_health.steps import compute, volume


@dataclass(frozen=True)
class ComputeCase:
    """One case of a nova-compute check: a host the description lists, or (host None) the rest of its zone."""

    zone: Zone
    host: str | None
    cluster: str | None = None  # vCenter: the vSphere cluster the host drives


@dataclass(frozen=True)
class ClusterCase:
    """One vSphere cluster (nova_computes entry) with the vCenter of its own zone."""

    zone: Zone
    vcenter: VCenter
    nova_compute: NovaCompute


def kvm_computes(cfg: ClusterConfig) -> list[tuple[str, ComputeCase]]:
    """Parameter source: each KVM zone's listed hosts (`zone:host`), then the zone's own case (`zone`)."""
    out: list[tuple[str, ComputeCase]] = []
    for zone in cfg.kvm_zones:
        out += [(f"{zone.zone}:{host}", ComputeCase(zone, host)) for host in zone.hosts]
        out.append((zone.zone, ComputeCase(zone, None)))
    return out


def vcenter_computes(cfg: ClusterConfig) -> list[tuple[str, ComputeCase]]:
    """Parameter source: each vCenter zone's clusters (`zone:service_name`), then the zone's own case (`zone`)."""
    out: list[tuple[str, ComputeCase]] = []
    for zone in cfg.vcenter_zones:
        vc = zone.vcenter
        out += [(f"{zone.zone}:{nc.service_name}", ComputeCase(zone, vc.compute_host(nc), nc.vsphere_cluster))
                for nc in (vc.nova_computes if vc else ())]
        out.append((zone.zone, ComputeCase(zone, None)))
    return out


def of(hypervisor: str) -> Callable[[ClusterConfig], list[tuple[str, Zone]]]:
    """Return a parameter source: every zone of the hypervisor, id = the zone's name."""

    def source(cfg: ClusterConfig) -> list[tuple[str, Zone]]:
        return [(z.zone, z) for z in (cfg.kvm_zones if hypervisor == "kvm" else cfg.vcenter_zones)]

    return source


def vcenters(cfg: ClusterConfig) -> list[tuple[str, Zone]]:
    """Parameter source: every vCenter zone that has its vCenter, id = the zone's name."""
    return [(z.zone, z) for z in cfg.vcenter_zones if z.vcenter is not None]


def clusters(cfg: ClusterConfig) -> list[tuple[str, ClusterCase]]:
    """Parameter source: every vSphere cluster of every vCenter zone, id `zone:vsphere_cluster`."""
    return [(f"{z.zone}:{nc.vsphere_cluster}", ClusterCase(z, z.vcenter, nc))
            for z in cfg.vcenter_zones if z.vcenter is not None for nc in z.vcenter.nova_computes]


def pairs(volume_hypervisor: str,
          server_hypervisor: str) -> Callable[[ClusterConfig], list[tuple[str, tuple[Zone, Zone]]]]:
    """Return a parameter source: every ordered pair of distinct zones (volume's zone, instance's zone), id `a-to-b`."""

    def source(cfg: ClusterConfig) -> list[tuple[str, tuple[Zone, Zone]]]:
        by = {"kvm": cfg.kvm_zones, "vcenter": cfg.vcenter_zones}
        if volume_hypervisor == server_hypervisor:
            found = list(permutations(by[volume_hypervisor], 2))
        else:
            found = [(a, b) for a in by[volume_hypervisor] for b in by[server_hypervisor]]
        return [(f"{a.zone}-to-{b.zone}", (a, b)) for a, b in found]

    return source


def _first(shared: Shared, zone: Zone) -> bool:
    # The first zone of a hypervisor keeps the shared key the single-zone checks use: one instance, not two.
    return getattr(shared.ctx.cfg.hypervisors, zone.hypervisor) == zone


def server(shared: Shared, zone: Zone) -> Server:
    """Return this worker's ACTIVE instance of the zone, shared by the tests that only use it."""
    if _first(shared, zone):
        return compute.shared_server(shared, zone.hypervisor)
    return shared.get(f"zone {zone.zone} server", lambda ctx: compute.boot(ctx, zone))


def shared_volume(shared: Shared, zone: Zone) -> Volume:
    """Return this worker's available volume of the zone, shared by tests that never attach it."""
    if _first(shared, zone):
        return volume.shared_volume(shared, zone.hypervisor)
    return shared.get(f"zone {zone.zone} volume", lambda ctx: volume.create(ctx, zone))
