"""Console steps: what the guest itself printed on its serial console (nova's os-getConsoleOutput).

An API can say ACTIVE and in-use while the guest never booted or never saw its disk; only the guest's own
console tells. The KVM image's ready pattern and disk-list prefix come from the config
(hypervisors.kvm.console_ready / console_disks): the lab's TestVM prints `TESTVM READY` and
`TESTVM DISKS: vda vdb`; a cirros image prints `login:` (ready only).
"""

from __future__ import annotations

import re
import time

from openstack import exceptions as os_exc
from openstack.block_storage.v3.volume import Volume
from openstack.compute.v2.server import Server

from fuel_health.clients.context import RunContext
from fuel_health.steps import compute

# What a guest kernel prints when it cannot go on: named as the failure, whatever pattern was awaited.
PANIC = re.compile(r"Kernel panic - not syncing:[^\n]*")
POLL = 0.5


def output(ctx: RunContext, server: Server) -> str:
    """The whole console log of the server, as nova returns it."""
    try:
        return ctx.conn.compute.get_server_console_output(server.id).get("output") or ""
    except os_exc.HttpException as exc:
        raise AssertionError(f"nova returned no console output for {compute.label(server)}: {exc} (nova-compute on "
                             f"{getattr(server, 'compute_host', None) or '?'} reads the guest's console log)") from exc


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip()) or "(empty)"


def wait_for(ctx: RunContext, server: Server, pattern: str, what: str, after: int = 0) -> str:
    """Wait until the console shows the pattern (after offset `after`); fail at once on a kernel panic."""
    deadline = time.monotonic() + ctx.timeouts.boot
    regex = re.compile(pattern)
    text = ""
    while True:
        text = output(ctx, server)
        panic = PANIC.search(text)
        if panic:
            raise AssertionError(f"{compute.label(server)}: the guest's kernel panicked ({panic.group(0).strip()}) "
                                 f"before {what}: the image {ctx.zone('kvm').image} (or its kernel/ramdisk) is "
                                 "corrupt or unfit; upload it again")
        found = regex.search(text, after)
        if found:
            return text[found.start():]
        if time.monotonic() > deadline:
            raise AssertionError(f"{compute.label(server)}: no {what} ({pattern!r}) on its console after "
                                 f"{ctx.timeouts.boot} s; last lines: {_tail(text)}: the guest did not boot "
                                 f"(check its console log on {getattr(server, 'compute_host', None) or '?'})")
        time.sleep(POLL)


def check_booted(ctx: RunContext, server: Server) -> int:
    """The guest printed its ready pattern; returns the console's length then (later lines come after it)."""
    zone = ctx.zone("kvm")
    assert zone.console_ready
    wait_for(ctx, server, zone.console_ready, "ready marker")
    if zone.console_disks:  # the boot-time disk list follows the marker: only lines after it are changes
        wait_for(ctx, server, re.escape(zone.console_disks), "first disk list")
    return len(output(ctx, server))


def disks(text: str, prefix: str) -> list[str] | None:
    """The disks of the last disk-list line in text (None: no such line)."""
    lines = [line for line in text.splitlines() if line.strip().startswith(prefix)]
    return lines[-1].strip()[len(prefix):].split() if lines else None


def wait_disks(ctx: RunContext, server: Server, after: int, change: str, volume: Volume) -> tuple[list[str], int]:
    """Wait for a disk-list line after offset `after` that shows the change ("added" or "removed")."""
    prefix = ctx.zone("kvm").console_disks
    assert prefix
    before = disks(output(ctx, server)[:after], prefix) or []
    deadline = time.monotonic() + ctx.timeouts.attach
    while True:
        text = output(ctx, server)
        now = disks(text[after:], prefix)
        # A disk name that is new (or gone), not a longer list: a boot-time line must not count as the attach.
        if now is not None and (set(now) - set(before) if change == "added" else set(before) - set(now)):
            return now, len(text)
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{compute.label(server)}: volume {volume.id} is {'in-use' if change == 'added' else 'available'} "
                f"for nova and cinder, but the guest never saw a disk {change} (its disks: {' '.join(before) or 'none'}"
                f" before, {' '.join(now) if now is not None else 'no new disk line'} after {ctx.timeouts.attach} s)"
                f": the device did not reach QEMU (check nova-compute's and libvirtd's logs on "
                f"{getattr(server, 'compute_host', None) or '?'})")
        time.sleep(POLL)
