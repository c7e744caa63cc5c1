"""Service steps (read-only): nova-compute and cinder-volume per zone, hypervisors, availability zones."""

from __future__ import annotations

from collections.abc import Iterable

from openstack.block_storage.v3.service import Service as VolumeService
from openstack.compute.v2.hypervisor import Hypervisor
from openstack.compute.v2.service import Service as ComputeService

from fuel_health.clients.context import RunContext
from fuel_health.config import Zone
from fuel_health.steps.compute import HYPERVISOR_TYPES, hypervisors

# Who puts a zone's cinder-volume where: the hint for a volume zone that does not match its compute zone.
VOLUME_ROLE = {"kvm": "cinder", "vcenter": "cinder-vmdk"}


def _state(service: ComputeService | VolumeService) -> str | None:
    """Return why a service is not usable (disabled, down), or None when it is enabled and up."""
    problems = []
    if service.status != "enabled":
        problems.append(f"disabled ({service.disabled_reason or 'no reason given'})")
    if service.state != "up":
        problems.append(f"down (last heartbeat {service.updated_at or 'never'})")
    return " and ".join(problems) or None


def hypervisor_hosts(ctx: RunContext, zone: Zone) -> set[str]:
    """Return the nova-compute hosts whose hypervisors a zone must have.

    KVM: the compute nodes the description puts in the zone (a node that never registered is then a failure,
    not an absence nobody notices) and every host the cloud has in the zone. vCenter: the host Fuel gives each
    of the zone's vSphere clusters, <az_name>-<service_name>.
    """
    if zone.hypervisor == "kvm":
        return set(zone.hosts) | compute_hosts(ctx, zone.zone)
    vc = zone.vcenter
    return {vc.compute_host(nc) for nc in vc.nova_computes} if vc else set()


def check_zone_usable(ctx: RunContext, hypervisor: str) -> list[str]:
    """Check the zone has at least one enabled, up nova-compute with an up hypervisor of the zone's type."""
    zone = ctx.zone(hypervisor).zone
    services = {s.host: s for s in ctx.conn.compute.services(binary="nova-compute") if s.availability_zone == zone}
    expected = HYPERVISOR_TYPES[hypervisor]
    usable = sorted(
        {(hv.service_details or {}).get("host") for hv in hypervisors(ctx)
         if hv.hypervisor_type in expected and hv.state == "up" and hv.status == "enabled"
         and (getattr(hv, "service_details", None) or {}).get("host") in services}
        & {h for h, svc in services.items() if _state(svc) is None})
    if not usable:
        kinds = "/".join(sorted(expected))
        seen = "; ".join(f"nova-compute on {h} is {_state(svc) or f'up, but has no up {kinds} hypervisor'}"
                         for h, svc in sorted(services.items())) or "no nova-compute at all"
        raise AssertionError(f"zone {zone} has no usable {kinds} compute ({seen}): a refused boot there would "
                             "prove nothing")
    return usable


def compute_hosts(ctx: RunContext, zone: str) -> set[str]:
    """Return the hosts of a compute zone: its aggregates' hosts and the nova-computes reporting that zone.

    Listed once per run (the worker's cache): every host's case asks, and N hosts must not cost 2N listings.
    Membership does not change during a run; each host's up/down state is still read fresh by its own case.
    """

    def listing() -> frozenset[str]:
        hosts = {h for agg in ctx.conn.compute.aggregates() if agg.availability_zone == zone for h in agg.hosts or []}
        hosts |= {s.host for s in ctx.conn.compute.services(binary="nova-compute") if s.availability_zone == zone}
        return frozenset(hosts)

    return set(ctx.cache.get(f"compute hosts of zone {zone}", listing))


def check_compute_host(ctx: RunContext, zone: str, host: str, cluster: str | None = None) -> str:
    """Check ONE host the description lists has an enabled, up nova-compute in the zone (its own case)."""
    # nova filters by host itself: one small answer per case, not every nova-compute of the cloud.
    service = next((s for s in ctx.conn.compute.services(binary="nova-compute", host=host) if s.host == host), None)
    what = f"nova-compute {host}" + (f" (vSphere cluster {cluster})" if cluster else "")
    if service is None:
        raise AssertionError(f"zone {zone}: no nova-compute registered as host {host}" + (
            f" for vSphere cluster {cluster}" if cluster else "") + " (check nova-compute on the node that should "
            "run it, and its [DEFAULT] host)")
    if host not in compute_hosts(ctx, zone):
        raise AssertionError(f"zone {zone}: {what} is in zone {service.availability_zone}, not {zone} (add the "
                             f"host to an aggregate with availability_zone={zone})")
    if _state(service):
        raise AssertionError(f"zone {zone}: nova-compute on {host} is {_state(service)}"
                             + (f": instances of vSphere cluster {cluster} cannot be built" if cluster else ""))
    return f"{what} up in zone {zone}"


def check_other_computes(ctx: RunContext, zone: str, listed: Iterable[str]) -> list[str]:
    """Check every host of the zone the description does NOT list has an enabled, up nova-compute.

    The listed hosts have their own cases; this one keeps a host the cloud put in the zone on its own (an
    aggregate member, a service reporting the zone) from going unchecked. With none listed, the zone must
    have at least one compute host.
    """
    listed = set(listed)
    services = {s.host: s for s in ctx.conn.compute.services(binary="nova-compute")}
    others = sorted(compute_hosts(ctx, zone) - listed)
    problems = []
    for host in others:
        service = services.get(host)
        if service is None:
            problems.append(f"host {host} is in an aggregate of zone {zone} but no nova-compute runs as {host}")
        elif _state(service):
            problems.append(f"nova-compute on {host} is {_state(service)}")
    if problems:
        raise AssertionError(f"zone {zone}: {'; '.join(problems)} (a host the cluster description does not list"
                             + (f"; listed: {', '.join(sorted(listed))}" if listed else "") + ")")
    if not others and not listed:
        raise AssertionError(f"zone {zone}: no compute host at all (neither in the cloud nor in the cluster "
                             "description): nothing can be booted there")
    return others


def volume_services(ctx: RunContext, zone: str) -> list[VolumeService]:
    """Return the cinder-volume services of a volume zone."""
    return [s for s in ctx.conn.block_storage.services(binary="cinder-volume") if s.availability_zone == zone]


def check_cinder_volume(ctx: RunContext, zone: str) -> list[str]:
    """Check the volume zone has at least one cinder-volume, and every one of them is enabled and up."""
    services = volume_services(ctx, zone)
    if not services:
        zones = sorted({s.availability_zone for s in ctx.conn.block_storage.services(binary="cinder-volume")})
        raise AssertionError(f"no cinder-volume in volume zone {zone} (cinder-volume zones: "
                             f"{', '.join(zones) or 'none'}): volumes cannot be created there; check "
                             "storage_availability_zone / backend_availability_zone in cinder.conf")
    problems = [f"cinder-volume {s.host} is {_state(s)}" for s in services if _state(s)]
    if problems:
        raise AssertionError(f"volume zone {zone}: {'; '.join(problems)} (check cinder-volume on its node(s))")
    return sorted(s.host for s in services)


def check_one_volume_host(ctx: RunContext, zone: str, nodes: Iterable[str]) -> str:
    """Check the zone's cinder-volume nodes show as ONE service host (HA: same `host` on every node)."""
    nodes = sorted(nodes)
    hosts = sorted(s.host for s in volume_services(ctx, zone))
    if len(hosts) != 1:
        raise AssertionError(
            f"volume zone {zone} has {len(hosts)} cinder-volume hosts ({', '.join(hosts) or 'none'}) for the "
            f"{len(nodes)} cinder-vmdk nodes {', '.join(nodes)}: they must share one [DEFAULT] host, or each "
            "node's volumes become unmanageable when that node is down")
    return hosts[0]


def check_hypervisors(ctx: RunContext, zone: Zone, hosts: Iterable[str]) -> list[str]:
    """Check each host of the zone has an up, enabled hypervisor of its type (QEMU/KVM or VMware vCenter Server)."""
    expected = HYPERVISOR_TYPES[zone.hypervisor]
    by_host: dict[str, list[Hypervisor]] = {}
    for hv in hypervisors(ctx):
        # Exactly its service's host: a hypervisor without service details is on no host (a namesake is not it).
        host = (getattr(hv, "service_details", None) or {}).get("host")
        if host:
            by_host.setdefault(host, []).append(hv)
    problems, seen = [], []
    for host in sorted(hosts):
        mine = by_host.get(host, [])
        if not mine:
            problems.append(f"host {host} reports no hypervisor (nova-compute there has not registered a node)")
        for hv in mine:
            seen.append(f"{hv.name} ({hv.hypervisor_type})")
            if hv.hypervisor_type not in expected:
                problems.append(f"host {host} reports hypervisor {hv.name} of type {hv.hypervisor_type}, expected "
                                f"{' or '.join(sorted(expected))} (check compute_driver in its nova.conf)")
            elif hv.state != "up" or hv.status != "enabled":
                problems.append(f"hypervisor {hv.name} on host {host} is {hv.state}/{hv.status}")
    if not hosts:
        problems.append("no compute host to check")
    if problems:
        types = sorted({hv.hypervisor_type for hvs in by_host.values() for hv in hvs})
        raise AssertionError(f"zone {zone.zone}: {'; '.join(problems)} (hypervisor types in the cloud: "
                             f"{', '.join(types) or 'none'})")
    return seen


def check_zones_match(ctx: RunContext, of: Zone) -> str:
    """Check the zone exists, available, for compute AND for volumes (cross_az_attach=False)."""
    hypervisor, zone = of.hypervisor, of.zone
    compute = {z.name: z for z in ctx.conn.compute.availability_zones()}
    volumes = {z.name: z for z in ctx.conn.block_storage.availability_zones()}
    problems = []
    for kind, zones in (("compute", compute), ("volume", volumes)):
        if zone not in zones:
            problems.append(f"no {kind} zone {zone} ({kind} zones: {', '.join(sorted(zones)) or 'none'})")
        elif not (zones[zone].state or {}).get("available"):
            problems.append(f"{kind} zone {zone} is not available (all its services are down)")
    if problems:
        strays = sorted(set(volumes) - set(compute))
        hint = (f"; volume zone(s) {', '.join(strays)} match no compute zone" if strays else "")
        raise AssertionError(
            f"{hypervisor} zone {zone}: {'; '.join(problems)}{hint}: with [cinder] cross_az_attach = False no "
            f"volume can be attached to instances of zone {zone}; set storage_availability_zone={zone} on the "
            f"{VOLUME_ROLE[hypervisor]} nodes, or fix the zone's aggregate")
    return zone


def check_control_services(ctx: RunContext, project: str, binaries: Iterable[str]) -> list[str]:
    """Check each control service (e.g. nova-conductor, nova-scheduler) has at least one enabled, up instance."""
    listing = list(ctx.conn.compute.services() if project == "nova" else ctx.conn.block_storage.services())
    problems, found = [], []
    for binary in binaries:
        rows = [s for s in listing if s.binary == binary]
        usable = [s for s in rows if _state(s) is None]
        if not rows:
            problems.append(f"no {binary} registered")
        elif not usable:
            problems.append(f"{binary} on {', '.join(s.host for s in rows)} is {_state(rows[0])}")
        found += [f"{binary}@{s.host}" for s in usable]
    if problems:
        raise AssertionError(f"{project} control services: {'; '.join(problems)}: instances/volumes cannot be "
                             f"scheduled or built (check the {project} services on the controllers)")
    return found
