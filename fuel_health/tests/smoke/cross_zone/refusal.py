"""The one body of the cross-zone refusal checks: a volume of one zone attached to an instance of another.

Three checks run it, one per kind of pair: a KVM volume and a vCenter instance, a vCenter volume and a KVM
instance, a vCenter volume and another vCenter zone's instance. They stay three OSTF checks, because Fuel's OSTF
tab, the fault matrix and the system tests know each by its id, and each has its own tags and release. The five
steps each declares are the five below, in this order.
"""

from __future__ import annotations

from fuel_health import steps
from fuel_health.clients.context import RunContext, Shared
from fuel_health.config import Zone
from fuel_health.pytest_plugin.ostf import StepRunner
from fuel_health.steps import compute, volume, zones


def check_volume_refused(ctx: RunContext, step: StepRunner, shared: Shared, pair: tuple[Zone, Zone]) -> None:
    """Attach the volume of pair's first zone to the instance of its second: refused, and nothing changed."""
    volume_zone, server_zone = pair
    with step(1):  # the instance of server_zone (shared)
        # The shared volume does not depend on the instance: made (if this worker has none yet) while it boots.
        making = steps.start(ctx, "making the shared volume", lambda: zones.shared_volume(shared, volume_zone))
        server = zones.server(shared, server_zone)
    with step(2):  # the volume of volume_zone (shared)
        vol = making.result()
    with step(3):
        volume.check_attach_refused(ctx, server, vol)
    with step(4):
        volume.check_unattached_everywhere(ctx, vol, server)
    with step(5):
        compute.check_active(ctx, server)
