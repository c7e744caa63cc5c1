"""Volume steps: create, attach, detach, delete, and attaches that must be refused."""

from __future__ import annotations

import contextlib
import re

from openstack import exceptions as os_exc
from openstack.block_storage.v3.volume import Volume
from openstack.compute.v2.server import Server

from fuel_health.clients import request_ids, waiters
from fuel_health.clients.context import RunContext, Shared
from fuel_health.config import Zone
from fuel_health.steps import compute, http_error

SIZE_GB = 1
# Statuses in which cinder lets a volume be deleted (anything else: wait for it to get there first).
DELETABLE = frozenset({"available", "error", "error_restoring", "error_extending", "error_managing"})
ATTACHING = frozenset({"reserved", "attaching"})  # cinder's states while nova attaches the volume
CROSS_AZ_MESSAGE = "not in the same availability_zone"
# nova since Liberty says "...are not in the same availability_zone"; Juno/Kilo said "...not in same availability_zone".
_CROSS_AZ_RE = re.compile(r"not in (the )?same availability[_ ]zone", re.IGNORECASE)


def label(volume: Volume) -> str:
    """Return 'volume <name> (<id>)' for messages."""
    return f"volume {getattr(volume, 'name', None) or '?'} ({volume.id})"


def _get(ctx: RunContext, volume: Volume) -> Volume:
    return ctx.conn.block_storage.get_volume(volume.id)


def create(ctx: RunContext, zone: Zone, size: int = SIZE_GB) -> Volume:
    """Create a volume in the zone and wait until available; its removal is registered at once."""
    compute.check_zone_endpoint(ctx, zone, "a volume", "created")
    name = ctx.names("volume")
    try:
        volume = ctx.conn.block_storage.create_volume(name=name, size=size, availability_zone=zone.zone)
    except os_exc.HttpException as exc:
        raise AssertionError(f"cinder refused a {size} GB volume in zone {zone.zone}: {http_error(exc)}") from exc
    request_id = request_ids.last()
    ctx.cleanup.add(f"delete volume {name} ({volume.id})", lambda: remove(ctx, volume))
    what = f"{label(volume)} of {size} GB in zone {zone.zone} (create request {request_id})"
    volume = waiters.wait_for_status(lambda: _get(ctx, volume), ready={"available"}, failed={"error"},
                                     timeout=ctx.timeouts.volume, what=what)
    if volume.availability_zone != zone.zone:
        raise AssertionError(f"{label(volume)} was created in zone {volume.availability_zone}, not {zone.zone} "
                             "as asked: cinder falls back to another zone (allow_availability_zone_fallback)")
    return volume


def shared_volume(shared: Shared, hypervisor: str) -> Volume:
    """Return this worker's available volume of the hypervisor's zone, shared by tests that never attach it."""
    return shared.get(f"{hypervisor} volume", lambda ctx: create(ctx, ctx.zone(hypervisor)))


def attach(ctx: RunContext, server: Server, volume: Volume) -> Volume:
    """Attach the volume to the server and wait until in-use; the detach is registered at once."""
    try:
        ctx.conn.compute.create_volume_attachment(server.id, volume_id=volume.id)
    except os_exc.HttpException as exc:
        raise AssertionError(f"nova refused to attach {label(volume)} to {compute.label(server)}: "
                             f"{http_error(exc)}") from exc
    request_id = request_ids.last()
    ctx.cleanup.add(f"detach {label(volume)} from {compute.label(server)}", lambda: detach_if_attached(
        ctx, server, volume))
    what = f"{label(volume)} attaching to {compute.label(server)} (attach request {request_id})"
    try:
        # nova reserves the volume before answering: `available` again means nova-compute rolled the attach back.
        return waiters.wait_for_status(lambda: _get(ctx, volume), ready={"in-use"},
                                       failed={"error", "error_attaching", "available"},
                                       timeout=ctx.timeouts.attach, what=what)
    except waiters.ResourceFailed as exc:
        why = compute.action_error(ctx, server, "attach_volume")
        # The export is cinder-volume's half of the attach (nova's traceback ends in cinderclient when it
        # failed): name its backend host too (admin view), so both logs to read are in the message.
        backend = getattr(volume, "host", None)
        raise AssertionError(f"{exc}" + (f"; {why}" if why else "") + "; see nova-compute's log on host "
                             f"{getattr(server, 'compute_host', None) or '?'}"
                             + (f" and cinder-volume's log of {backend}" if backend else "")) from exc


def check_attached(ctx: RunContext, volume: Volume, server: Server) -> Volume:
    """Check cinder shows the volume in-use by the server AND nova lists it among the server's volumes."""
    fresh = _get(ctx, volume)
    servers = [a.get("server_id") for a in fresh.attachments or []]
    if fresh.status != "in-use" or server.id not in servers:
        raise AssertionError(f"{label(fresh)} is {fresh.status}, attached to {servers or 'nothing'}; expected in-use "
                             f"by {compute.label(server)} (request id {request_ids.last()})")
    in_nova = [a.volume_id for a in ctx.conn.compute.volume_attachments(server.id)]
    if volume.id not in in_nova:
        raise AssertionError(f"cinder has {label(fresh)} in-use by {compute.label(server)}, but nova lists "
                             f"{in_nova or 'no volumes'} for it: nova and cinder disagree; check nova-compute's log")
    return fresh


def detach(ctx: RunContext, server: Server, volume: Volume) -> Volume:
    """Detach the volume from the server and wait until available; fail fast if nova rolls it back."""
    try:
        ctx.conn.compute.delete_volume_attachment(server.id, volume.id)
    except os_exc.HttpException as exc:
        raise AssertionError(f"nova refused to detach {label(volume)} from {compute.label(server)}: "
                             f"{http_error(exc)}") from exc
    request_id = request_ids.last()
    what = f"{label(volume)} detaching from {compute.label(server)} (detach request {request_id})"
    try:
        # nova marks the volume `detaching` before answering: `in-use` again means the detach was rolled back.
        return waiters.wait_for_status(lambda: _get(ctx, volume), ready={"available"},
                                       failed={"error", "error_detaching", "in-use"},
                                       timeout=ctx.timeouts.attach, what=what)
    except waiters.ResourceFailed as exc:
        why = compute.action_error(ctx, server, "detach_volume")
        raise AssertionError(f"{exc}" + (f"; {why}" if why else "")) from exc


def detach_if_attached(ctx: RunContext, server: Server, volume: Volume) -> None:
    """Detach the volume from the server unless it is not attached there any more (cleanup)."""
    try:
        fresh = _get(ctx, volume)
    except os_exc.NotFoundException:
        return
    if server.id in [a.get("server_id") for a in fresh.attachments or []]:
        with contextlib.suppress(os_exc.NotFoundException):
            ctx.conn.compute.delete_volume_attachment(server.id, volume.id)
    if fresh.status not in DELETABLE:
        _wait_free(ctx, volume)


def _wait_free(ctx: RunContext, volume: Volume) -> Volume:
    return waiters.wait_for_status(lambda: _get(ctx, volume), ready=DELETABLE,
                                   failed={"error_detaching", "error_deleting"}, timeout=ctx.timeouts.attach,
                                   what=f"{label(volume)} becoming free to delete")


def delete(ctx: RunContext, volume: Volume) -> None:
    """Delete the volume and wait until cinder no longer knows it."""
    try:
        ctx.conn.block_storage.delete_volume(volume.id)
    except os_exc.NotFoundException:
        return
    waiters.wait_for_delete(lambda: _get(ctx, volume), timeout=ctx.timeouts.delete,
                            what=f"{label(volume)} being deleted")


def remove(ctx: RunContext, volume: Volume) -> None:
    """Cleanup: detach the volume from whatever still holds it, wait until free, delete, wait until gone."""
    try:
        fresh = _get(ctx, volume)
    except os_exc.NotFoundException:
        return
    if fresh.status in ATTACHING:
        # An attach in flight (a Ctrl-C mid-attach): it shows no attachment yet and ends in-use, so waiting
        # for `available` would wait forever. Let it land, then detach what it attached.
        fresh = waiters.wait_for_status(lambda: _get(ctx, volume), ready=DELETABLE | {"in-use"}, failed=(),
                                        timeout=ctx.timeouts.attach, what=f"{label(volume)} finishing its attach")
    for attachment in fresh.attachments or []:
        # NotFound: the server is gone already and detaches asynchronously; waiting below covers it.
        if attachment.get("server_id"):
            with contextlib.suppress(os_exc.NotFoundException):
                ctx.conn.compute.delete_volume_attachment(attachment["server_id"], volume.id)
    if fresh.status == "creating" and not getattr(fresh, "host", None):
        _force_delete(ctx, volume)  # never scheduled: nothing will make it deletable any sooner
        return
    if fresh.status not in DELETABLE or fresh.attachments:
        try:
            _wait_free(ctx, volume)
        except waiters.WaitTimeout:
            if _get(ctx, volume).status != "creating":
                raise
            _force_delete(ctx, volume)
            return
    delete(ctx, volume)


def _force_delete(ctx: RunContext, volume: Volume) -> None:
    """Admin force-delete of a volume stuck `creating` (cinder-scheduler down): a create processed later
    finds no volume and stops there."""
    ctx.conn.block_storage.delete_volume(volume.id, force=True)
    waiters.wait_for_delete(lambda: _get(ctx, volume), timeout=ctx.timeouts.delete,
                            what=f"{label(volume)} being force-deleted")


def check_attach_refused(ctx: RunContext, server: Server, volume: Volume) -> os_exc.HttpException:
    """Check nova refuses this attach across zones with 400 'not in the same availability_zone'; return the refusal."""
    where = (f"{label(volume)} (zone {volume.availability_zone}) to {compute.label(server)} "
             f"(zone {server.availability_zone})")
    try:
        ctx.conn.compute.create_volume_attachment(server.id, volume_id=volume.id)
    except os_exc.HttpException as exc:
        if exc.status_code == 400 and _CROSS_AZ_RE.search(str(exc)):
            return exc
        raise AssertionError(f"attach of {where} failed, but not with the cross-zone refusal: {http_error(exc)}; "
                             f"expected HTTP 400 '...{CROSS_AZ_MESSAGE}...'") from exc
    ctx.cleanup.add(f"detach {label(volume)} from {compute.label(server)}",
                    lambda: detach_if_attached(ctx, server, volume))
    raise AssertionError(f"attach of {where} was accepted (request id {request_ids.last()}): nova-api does not "
                         "enforce zones; set [cinder] cross_az_attach = False in nova.conf on the controllers "
                         "and restart nova-api")


def check_unattached_everywhere(ctx: RunContext, volume: Volume, server: Server) -> Volume:
    """Check a refused attach left nothing: the volume available with no attachment in cinder, and not among
    the server's volumes in nova (a half-done attach shows in one view and not in the other)."""
    fresh = check_status(ctx, volume, "available")
    attached = [a.get("server_id") or a.get("attachment_id") or "?" for a in fresh.attachments or []]
    problems = []
    if attached:
        problems.append(f"cinder lists attachments to {', '.join(map(str, attached))}")
    in_nova = [a.volume_id for a in ctx.conn.compute.volume_attachments(server.id)]
    if volume.id in in_nova:
        problems.append(f"nova lists it among the volumes of {compute.label(server)}")
    if problems:
        raise AssertionError(f"{label(fresh)} is available, but {' and '.join(problems)} after a refused attach: "
                             f"a half-done attach (request id {request_ids.last()}); detach it and check nova-api's "
                             "and cinder-api's logs")
    return fresh


def check_status(ctx: RunContext, volume: Volume, status: str) -> Volume:
    """Check the volume is in that status (e.g. still available after a refused attach); return it."""
    fresh = _get(ctx, volume)
    if fresh.status != status:
        servers = [a.get("server_id") for a in fresh.attachments or []]
        raise AssertionError(f"{label(fresh)} is {fresh.status}, expected {status}"
                             + (f" (attached to {', '.join(servers)})" if servers else "")
                             + f"; request id {request_ids.last()}")
    return fresh
