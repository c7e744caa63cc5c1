"""Compute steps: boot, find the hypervisor an instance runs on, delete."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openstack import exceptions as os_exc
from openstack import utils as os_utils
from openstack.compute.v2.flavor import Flavor
from openstack.compute.v2.hypervisor import Hypervisor
from openstack.compute.v2.server import Server
from openstack.image.v2.image import Image

from fuel_health.clients import connections, request_ids, waiters
from fuel_health.clients.context import RunContext, Shared
from fuel_health.config import Zone
from fuel_health.steps import http_error
from fuel_health.steps import image as image_steps

# hypervisor_type each zone's computes report (libvirt says QEMU for virt_type kvm as well as qemu).
HYPERVISOR_TYPES: dict[str, frozenset[str]] = {
    "kvm": frozenset({"QEMU", "KVM"}),
    "vcenter": frozenset({"VMware vCenter Server"}),
}


# nova 2.88 added `uptime` to the hypervisor detail listing, and nova-api fetches it by an RPC call to each
# hypervisor's nova-compute (nova/api/openstack/compute/hypervisors.py, _view_hypervisor; compute/api.py
# get_host_uptime). That is one round trip per host, and a nova-compute that died but is not yet reported down holds
# the whole listing for rpc_response_timeout (60 s): one dead host then fails every zone's checks. 2.87 answers
# from the database alone, with every field the checks read (type, state, status, service host).
_NO_UPTIME = "2.87"


def hypervisors(ctx: RunContext) -> list[Hypervisor]:
    """Return every hypervisor with its details, read from nova's database only (no call to any nova-compute)."""
    capped = _NO_UPTIME if os_utils.supports_microversion(ctx.conn.compute, "2.88") else None
    return list(ctx.conn.compute.hypervisors(details=True, microversion=capped))


def label(server: Server) -> str:
    """Return 'server <name> (<id>)' for messages."""
    return f"server {getattr(server, 'name', None) or '?'} ({server.id})"


def find_flavor(ctx: RunContext, name: str) -> Flavor:
    """Return the flavor by name or id; AssertionError naming the config key when it is missing."""
    try:
        return ctx.conn.compute.find_flavor(name, ignore_missing=False)
    except os_exc.NotFoundException:
        raise AssertionError(f"flavor {name!r} not found (create it, or set hypervisors.<zone>.flavor to an "
                             "existing flavor)") from None


def check_zone_endpoint(ctx: RunContext, zone: Zone, what: str = "an instance", done: str = "booted") -> None:
    """Refuse to create in a vCenter zone when the preflight found that zone's own vCenter down: nothing made
    there could be built, and nothing could be deleted again (cinder-vmdk's delete needs vCenter too: the
    volume would stay behind in error_deleting). Other zones, their vCenters up, go on."""
    down = ctx.down.get(connections.vcenter_endpoint(zone.vcenter)) if zone.vcenter is not None else None
    if down:
        raise AssertionError(f"{down}: {what} in zone {zone.zone} can be neither built nor deleted without it, "
                             f"so none is {done}")


def _create(ctx: RunContext, zone: Zone, image: str, where: str | None = None,
            found: tuple[Image, Flavor] | None = None) -> tuple[Server, str | None]:
    check_zone_endpoint(ctx, zone)
    img, flavor = found or (image_steps.find(ctx, image), find_flavor(ctx, zone.flavor))
    name = ctx.names("server")
    server = ctx.conn.compute.create_server(name=name, image_id=img.id, flavor_id=flavor.id, networks="none",
                                            availability_zone=where or zone.zone)
    ctx.cleanup.add(f"delete server {name} ({server.id})", lambda: delete(ctx, server))
    return server, request_ids.last()  # the boot's request id: the one to grep for in nova's logs


def boot(ctx: RunContext, zone: Zone, image: str | None = None, *, host: str | None = None,
         found: tuple[Image, Flavor] | None = None,
         hint: Callable[[RunContext, Server], str] | None = None) -> Server:
    """Boot the zone's image (or the one given) in the zone and wait until ACTIVE; fail fast on ERROR.

    With `host`, the boot is pinned to that host of the zone (`availability_zone="<zone>:<host>"`, admin-only in
    nova's default policy, `os_compute_api:servers:create:forced_host`). `found` is the image and flavor already
    looked up (per-host paths share their zone's); `hint` says why a boot is stuck (default: `stuck_hint`)."""
    image = image or zone.image
    where = f"{zone.zone}:{host}" if host else zone.zone
    placed = f"pinned to {where}" if host else f"in zone {zone.zone}"
    try:
        server, request_id = _create(ctx, zone, image, where, found)
    except os_exc.HttpException as exc:
        if host and exc.status_code == 403:
            raise AssertionError(f"per-host coverage needs admin: nova refused to pin a boot to {where} "
                                 f"({http_error(exc)}); run the suite with the cloud's admin credentials (the "
                                 "zone's own smoke check boots unpinned and does not need them)") from exc
        raise AssertionError(f"nova refused to boot {image} {placed}: {http_error(exc)}") from exc
    what = f"{label(server)} booted from {image} {placed} (boot request {request_id})"
    try:
        return waiters.wait_for_status(lambda: ctx.conn.compute.get_server(server.id), ready={"ACTIVE"},
                                       failed={"ERROR"}, timeout=ctx.timeouts.boot, what=what)
    except waiters.WaitTimeout as exc:
        raise AssertionError(f"{exc}{(hint or stuck_hint)(ctx, server)}") from exc


# Where a boot stuck in BUILD is waiting, by its task_state: what the operator should look at.
STUCK = {None: "nova-conductor or nova-scheduler never picked it up",
         "scheduling": "nova-conductor or nova-scheduler is not answering",
         "spawning": "the compute host's hypervisor is not finishing the spawn",
         "block_device_mapping": "cinder or the compute host is not finishing its volumes",
         "networking": "neutron is not answering the compute host"}


def stuck_hint(ctx: RunContext, server: Server) -> str:
    """Say which service a server stuck in BUILD waits for (from its task_state and host)."""
    try:
        fresh = ctx.conn.compute.get_server(server.id)
    except os_exc.SDKException:
        return ""
    hint = STUCK.get(fresh.task_state, "")
    if fresh.compute_host and _computes_down(ctx, host=fresh.compute_host):
        hint = f"nova-compute on {fresh.compute_host} is down"  # whatever the task_state: that is the cause
    elif not fresh.compute_host and (down := _computes_down(ctx, zone=fresh.availability_zone)):
        # The host is set only when a nova-compute claims the boot: the scheduler may have sent it to one that
        # died before taking it (before nova saw it down), so the zone's dead computes are the first suspects.
        hint = (f"nova-compute on {', '.join(down)} is down in zone {fresh.availability_zone}: the boot may have "
                f"been sent to it before nova saw it down; else {hint or 'see nova-conductor and nova-scheduler'}")
    return f"; task_state {fresh.task_state}, host {fresh.compute_host or 'none'}" + (f": {hint}" if hint else "")


def _computes_down(ctx: RunContext, host: str | None = None, zone: str | None = None) -> list[str]:
    """Return the hosts of the down nova-compute services on a host or in a zone (none when they can't be read)."""
    if host is None and not zone:
        return []
    try:
        found = ctx.conn.compute.services(binary="nova-compute", **({"host": host} if host else {}))
        return sorted(s.host for s in found if s.state == "down" and (zone is None or s.availability_zone == zone))
    except os_exc.SDKException:
        return []


def shared_server(shared: Shared, hypervisor: str) -> Server:
    """Return this worker's ACTIVE instance of the hypervisor's zone, shared by the tests that only use it."""
    return shared.get(f"{hypervisor} server", lambda ctx: boot(ctx, ctx.zone(hypervisor)))


def settle(ctx: RunContext, server: Server) -> Server:
    """Wait until a server is ACTIVE or ERROR, whichever comes (for boots that are meant to fail)."""
    return waiters.wait_for_status(lambda: ctx.conn.compute.get_server(server.id), ready={"ACTIVE", "ERROR"},
                                   failed=(), timeout=ctx.timeouts.boot, what=label(server))


def check_active(ctx: RunContext, server: Server) -> Server:
    """Check the server is still ACTIVE (e.g. after a refused operation); return it fresh."""
    fresh = ctx.conn.compute.get_server(server.id)
    if fresh.status != "ACTIVE" or fresh.task_state:
        fault = (fresh.fault or {}).get("message") if isinstance(fresh.fault, dict) else None
        raise AssertionError(
            f"{label(fresh)} is {fresh.status} (task {fresh.task_state or 'none'}), expected ACTIVE"
            + (f"; fault: {fault}" if fault else "") + f"; host {fresh.compute_host}, "
            f"request id {request_ids.last()}")
    return fresh


def hypervisor_of(ctx: RunContext, server: Server) -> Hypervisor:
    """Return the hypervisor the server runs on (matched by hypervisor_hostname and compute host).

    The server must be as just read (each caller has fetched or waited for it): no second GET of it here."""
    name, host = server.hypervisor_hostname, server.compute_host
    if not name:
        raise AssertionError(f"{label(server)} shows no hypervisor_hostname (status {server.status}): the "
                             "suite's user needs the admin role to see where instances run")
    found = [h for h in hypervisors(ctx) if h.name == name]
    # Exactly the server's compute host: a namesake on another host, or one without service details, is not it.
    on_host = [h for h in found if host and (getattr(h, "service_details", None) or {}).get("host") == host]
    if not on_host:
        others = ", ".join(f"{h.name} on {(getattr(h, 'service_details', None) or {}).get('host') or 'no host'}"
                           for h in found)
        raise AssertionError(f"{label(server)} runs on hypervisor {name} (compute host {host}), which is not in "
                             f"the hypervisor list on that host (found: {others or 'none'}): is nova-compute on "
                             "that host registered (`openstack hypervisor list --long`)?")
    return on_host[0]


def check_hypervisor(ctx: RunContext, server: Server, booted_in: Zone) -> Hypervisor:
    """Check the server is in the zone it was booted in and on a hypervisor of that zone's type; return it."""
    zone, hypervisor = booted_in.zone, booted_in.hypervisor
    server = ctx.conn.compute.get_server(server.id)
    if server.availability_zone != zone:
        raise AssertionError(f"{label(server)} is in availability zone {server.availability_zone}, not {zone} "
                             f"where it was booted (compute host {server.compute_host})")
    hv = hypervisor_of(ctx, server)
    expected = HYPERVISOR_TYPES[hypervisor]
    if hv.hypervisor_type not in expected:
        raise AssertionError(
            f"{label(server)} booted in zone {zone} landed on hypervisor {hv.name} of type {hv.hypervisor_type} "
            f"(compute host {server.compute_host}), expected {' or '.join(sorted(expected))}: that host's "
            f"nova-compute belongs to another hypervisor; check the aggregate of zone {zone} and its "
            "compute_driver")
    return hv


@dataclass(frozen=True)
class BootOutcome:
    """What a boot that may be refused gave: the server as it settled, or nova's refusal."""

    server: Any | None
    refusal: os_exc.HttpException | None


def try_boot(ctx: RunContext, zone: Zone, image: str) -> BootOutcome:
    """Boot an image in a zone where it may not belong; return the refusal (4xx) or the settled server."""
    try:
        server, _ = _create(ctx, zone, image)
    except os_exc.HttpException as exc:
        if exc.status_code is not None and 400 <= int(exc.status_code) < 500:
            return BootOutcome(None, exc)
        raise
    return BootOutcome(settle(ctx, server), None)


# nova's NoValidHost, as the server's fault shows it: the scheduler found no host that passes its filters.
NO_VALID_HOST = "No valid host was found"


def check_scheduler_refused(ctx: RunContext, outcome: BootOutcome, hypervisor: str, image: str) -> str:
    """Check the boot ended in ERROR with the scheduler's NoValidHost, not ACTIVE and not another failure.

    Only the scheduler's refusal is a pass: an API refusal (403 quota, 400...) or an ERROR for any other reason
    means nothing was checked. The caller first makes sure the zone has usable hosts (see
    services.check_zone_usable), then that the zone still takes its own image (check_zone_takes_control): only
    both make NoValidHost mean the image's hypervisor_type kept it off them.
    """
    zone = ctx.zone(hypervisor).zone
    if outcome.refusal is not None:
        raise AssertionError(f"nova-api refused to boot {image} in zone {zone} before any scheduling: "
                             f"{http_error(outcome.refusal)}; expected the scheduler's refusal (ERROR, "
                             f"'{NO_VALID_HOST}' for hypervisor_type=vmware), so nothing was checked")
    server = outcome.server
    if server.status != "ACTIVE":
        fault = (server.fault or {}).get("message") if isinstance(server.fault, dict) else None
        if server.status == "ERROR" and fault and NO_VALID_HOST.lower() in fault.lower():
            return f"ERROR: {fault} (the scheduler refused it: no valid host for hypervisor_type=vmware)"
        raise AssertionError(f"{label(server)} from image {image} in zone {zone} ended {server.status} with "
                             f"fault {fault or 'none recorded'!r}, not the scheduler's '{NO_VALID_HOST}': the "
                             f"boot failed for another reason, so the refusal of a VMDK image was not checked")
    hv = hypervisor_of(ctx, server)
    if hv.hypervisor_type in HYPERVISOR_TYPES[hypervisor]:
        cause = ("the scheduler does not check the image's hypervisor_type: enable ImagePropertiesFilter in "
                 "[filter_scheduler] enabled_filters, and check the image has hypervisor_type=vmware")
    else:
        cause = f"a {hv.hypervisor_type} compute host is in zone {zone}: check the zone's aggregates"
    raise AssertionError(f"{label(server)} from image {image} went ACTIVE in zone {zone} on hypervisor {hv.name} "
                         f"({hv.hypervisor_type}, host {server.compute_host}): {cause}")


def check_zone_takes_control(ctx: RunContext, hypervisor: str, refused_image: str) -> str:
    """After a NoValidHost: boot the zone's own image with the same flavor in the same zone; it must go ACTIVE.

    nova's NoValidHost does not say which filter or resource refused (nova/exception.py:1360, "No valid host
    was found. %(reason)s", the reason is "There are not enough hosts available." for every cause), so a full
    zone (no RAM, disk or vCPUs left) refuses the VMDK image exactly as hypervisor_type=vmware does. A control
    boot right after it tells the two apart: it is booted after the refusal, never alongside (a control
    scheduled first could take the zone's last room and make the refusal a capacity one). The control is
    deleted by the run's cleanup.
    """
    zone = ctx.zone(hypervisor)
    flavor = zone.flavor
    what = f"the control boot of zone {zone.zone}'s own image {zone.image} with the same flavor {flavor}"
    try:
        server, request_id = _create(ctx, zone, zone.image)
    except os_exc.HttpException as exc:
        raise AssertionError(f"nova-api refused {what}: {http_error(exc)}; so the refusal of {refused_image} "
                             "there proves nothing about its hypervisor_type") from exc
    control = settle(ctx, server)
    if control.status == "ACTIVE":
        return f"{label(control)} from {zone.image}, flavor {flavor}, went ACTIVE in zone {zone.zone}"
    fault = (control.fault or {}).get("message") if isinstance(control.fault, dict) else None
    if control.status == "ERROR" and fault and NO_VALID_HOST.lower() in fault.lower():
        raise AssertionError(f"zone {zone.zone} cannot take an instance of flavor {flavor} at all: {what} was "
                             f"refused too ({fault.strip()}, boot request {request_id}), so the refusal of "
                             f"{refused_image} is the zone's capacity, not hypervisor_type=vmware; free RAM, "
                             f"disk or vCPUs in zone {zone.zone} (`openstack hypervisor show`, placement "
                             "inventory and allocation ratios) and run the check again")
    raise AssertionError(f"{what} ended {control.status} with fault {fault or 'none recorded'!r} (boot request "
                         f"{request_id}): zone {zone.zone} does not boot its own image, so the refusal of "
                         f"{refused_image} proves nothing about its hypervisor_type")


def action_error(ctx: RunContext, server: Server, action: str) -> str | None:
    """Return the failure nova recorded for the server's last `action` (e.g. attach_volume), if any."""
    with contextlib.suppress(Exception):
        actions = [a for a in ctx.conn.compute.server_actions(server.id) if a.action == action]
        if not actions:
            return None
        last = max(actions, key=lambda a: a.start_time or "")
        detail = ctx.conn.compute.get_server_action(last.request_id, server.id)
        for event in detail.events or []:
            if (event.get("result") or "").lower() == "error":
                # nova stores the traceback's frames only (its last line is a source line, e.g. cinderclient's
                # `raise exceptions.from_response(...)`); the exception itself is the event's `details` (2.84+:
                # the message for admins, the exception's class otherwise).
                trace = (event.get("traceback") or "").strip().splitlines()
                why = (event.get("details") or "").strip() or (
                    f"traceback ends at {trace[-1].strip()}" if trace else "no details (nova before 2.84)")
                return f"nova action {action} {last.request_id}: {event.get('event')} failed: {why}"
        return f"nova action {action} {last.request_id}: {last.message or 'no error recorded'}"
    return None


@dataclass(frozen=True)
class _Deleting:
    """A server as a delete sees it: ERROR with no task left means nova gave up deleting it."""

    id: str
    name: str | None
    status: str
    fault: Any


def _deleting_view(ctx: RunContext, server_id: str) -> _Deleting:
    server = ctx.conn.compute.get_server(server_id)
    failed = server.status == "ERROR" and not server.task_state
    return _Deleting(server.id, server.name, "delete-failed" if failed else server.status, server.fault)


def delete(ctx: RunContext, server: Server) -> None:
    """Delete the server and wait until nova no longer knows it (fails fast if nova gives up deleting)."""
    try:
        ctx.conn.compute.delete_server(server.id)
    except os_exc.NotFoundException:
        return
    waiters.wait_for_delete(lambda: _deleting_view(ctx, server.id), timeout=ctx.timeouts.delete,
                            what=f"{label(server)} being deleted", failed={"delete-failed"})
