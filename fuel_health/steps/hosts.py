"""Per-host smoke: boot and same-zone attach on each compute host of every KVM zone and on each vSphere cluster
of every vCenter zone, the boot pinned with `availability_zone="<zone>:<host>"`.

One case per host (ids `<zone>:<host>`, `<zone>:<service_name>` as in docs/checks.md), so the OSTF tab and
JUnit name the broken one; but a serial run must not pay one host after another. So the first case of a run
starts the whole path (boot, check, volume, attach, detach, delete) of EVERY selected per-host case in a bounded
pool, and each case only waits for its own host's steps: a dead host fails its own case at its own per-step
timeouts (the waiters') while the others go on. Under xdist a worker does not know which cases the others got,
so each case runs its own path there (the workers give the concurrency).

The paths use the session's context (its connection and names), each with its own cleanup registry: what a
path makes is registered right after it is made and undone LIFO when the path ends, passed or failed; the
session's cleanup waits for the pool and runs what an interrupted path left. Each path counts its API calls
and waits in a tally of its own, added to its case's when the case ends (JUnit properties, benchmarks).

Pinning to a host is admin-only in nova's default policy (`os_compute_api:servers:create:forced_host`,
nova/policies/servers.py): with other credentials each case fails saying per-host coverage needs admin.
"""

from __future__ import annotations

import contextvars
import dataclasses
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from openstack import exceptions as os_exc
from openstack import warnings as os_warnings
from openstack.compute.v2.flavor import Flavor
from openstack.compute.v2.hypervisor import Hypervisor
from openstack.compute.v2.server import Server
from openstack.image.v2.image import Image

from fuel_health.clients import metrics
from fuel_health.clients.context import RunContext, Shared
from fuel_health.clients.resources import Cleanup
from fuel_health.config import ClusterConfig, Zone
from fuel_health.steps import compute, start, volume, zones
from fuel_health.steps import image as image_steps
from fuel_health.steps.zones import ComputeCase

ARGNAME = "host_case"  # the parameter name of the per-host checks: how the first case finds the others
POOL = 4  # paths at once: nova-api, the scheduler and cinder of a Fuel controller serve them all
STEPS = 7
# What the serial case running beside the pool holds (a zone's smoke check: a server and a volume), kept out of the
# project's quota room the pool may take.
BESIDE = 1


def kvm_hosts(cfg: ClusterConfig) -> list[tuple[str, ComputeCase]]:
    """Parameter source: each listed host of each KVM zone, id `zone:host` (the sanity check's ids)."""
    return [(i, c) for i, c in zones.kvm_computes(cfg) if c.host is not None]


def vcenter_clusters(cfg: ClusterConfig) -> list[tuple[str, ComputeCase]]:
    """Parameter source: each vSphere cluster's nova-compute of each vCenter zone, id `zone:service_name`."""
    return [(i, c) for i, c in zones.vcenter_computes(cfg) if c.host is not None]


def pin(case: ComputeCase) -> str:
    """Return the availability_zone value that pins a boot to the case's host."""
    return f"{case.zone.zone}:{case.host}"


def unit(case: ComputeCase) -> str:
    """Return 'host X' or 'vSphere cluster C (nova-compute X)' for messages."""
    return f"vSphere cluster {case.cluster} (nova-compute {case.host})" if case.cluster else f"host {case.host}"


class Path:
    """One host's path running in the pool: a Future per step, set as each step ends, and one for its cleanup."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self.steps: list[Future[Any]] = [Future() for _ in range(STEPS)]
        self.cleaned: Future[None] = Future()
        self.registry = Cleanup()
        self.tally = metrics.Tally()  # what the path asked of the cloud: counted into its own case

    def result(self, n: int) -> Any:
        """Return step n's result, or raise its failure (in the case's own `with step(n)`); the last step (the
        deletes) also fails when undoing what the path made failed."""
        done = self.steps[n - 1].result()
        if n == STEPS:
            self.check_cleaned()
        return done

    def check_cleaned(self) -> None:
        """Raise when undoing what the path made failed (something may be left behind: the message names it)."""
        self.cleaned.result()

    def end(self) -> None:
        """Wait for the path and its undo to end; count its API calls and waits into the running case."""
        self.cleaned.exception()
        metrics.merge(self.tally)


class Paths:
    """The run's per-host paths (per worker): a bounded pool, the zones' image and flavor looked up once."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.pool = ThreadPoolExecutor(max_workers=pool_size(ctx), thread_name_prefix="fuel-health host")
        self.paths: dict[str, Path] = {}
        self.lock = threading.Lock()
        self._lookups: dict[str, Future[tuple[Any, Any]]] = {}
        ctx.conn  # noqa: B018 - the session's connection, opened here and not in a pool thread
        ctx.cleanup.add("wait for the per-host paths, then undo what an interrupted one left", self.close)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        for path in self.paths.values():
            path.registry.run()

    def start(self, cases: list[tuple[str, ComputeCase]]) -> None:
        """Submit the path of each case not started yet (with the caller's context: request ids, API counts)."""
        with self.lock:
            new = [(i, c) for i, c in cases if i not in self.paths]
            for case_id, _ in new:
                self.paths[case_id] = Path(case_id)
        for case_id, case in new:
            self.pool.submit(contextvars.copy_context().run, self._counted, self.paths[case_id], case)

    def _counted(self, path: Path, case: ComputeCase) -> None:
        with metrics.tally() as tally:
            path.tally = tally
            self._run(path, case)

    def image_and_flavor(self, zone: Zone) -> tuple[Image, Flavor]:
        """Look the zone's image and flavor up once per run; every host of the zone gets the same answer."""
        with self.lock:
            found = self._lookups.get(zone.zone)
            first = found is None
            if found is None:
                found = self._lookups[zone.zone] = Future()
        if first:
            try:
                found.set_result((image_steps.find(self.ctx, zone.image),
                                  compute.find_flavor(self.ctx, zone.flavor)))
            except BaseException as exc:  # noqa: BLE001 - every host of the zone fails with the same reason
                found.set_exception(exc)
        return found.result()

    def _run(self, path: Path, case: ComputeCase) -> None:
        ctx = dataclasses.replace(self.ctx, cleanup=path.registry)
        n = 0

        def do(fn: Callable[[], Any]) -> Any:
            nonlocal n
            value = fn()
            path.steps[n].set_result(value)
            n += 1
            return value

        def delete_both(server: Server, vol: Any) -> None:
            # Detached before: the instance's delete no longer needs the volume gone first.
            deleting = start(ctx, f"deleting the instance on {case.host}", lambda: compute.delete(ctx, server))
            volume.delete(ctx, vol)
            deleting.result()

        try:
            # The volume does not depend on the instance: cinder makes it while nova boots, as in the zone's own
            # smoke check (same checks, less wait); a failure stays step 3's.
            creating = start(ctx, f"creating the volume for {case.host}", lambda: volume.create(ctx, case.zone))
            server = do(lambda: compute.boot(ctx, case.zone, host=case.host, found=self.image_and_flavor(case.zone),
                                             hint=lambda c, s: pinned_hint(c, s, case)))
            do(lambda: check_on_host(ctx, server, case))
            vol = do(creating.result)
            do(lambda: volume.attach(ctx, server, vol))
            do(lambda: volume.check_attached(ctx, vol, server))
            do(lambda: volume.detach(ctx, server, vol))
            do(lambda: delete_both(server, vol))
        except BaseException as exc:  # noqa: BLE001 - handed to the case's step; the steps after it never ran
            path.steps[n].set_exception(exc)
            for later in path.steps[n + 1:]:
                later.set_exception(AssertionError(f"not reached: step {n + 1} failed"))
        finally:
            try:
                path.registry.run()
                path.cleaned.set_result(None)
            except BaseException as exc:  # noqa: BLE001 - the case reports it after its last step
                path.cleaned.set_exception(exc)


def pool_size(ctx: RunContext) -> int:
    """Return how many paths may run at once: POOL, fewer when the project's instance or volume quota has less
    room. Each path holds a server and a volume; past the quota nova's conductor sets a boot ERROR at its recheck
    ("Quota exceeded for instances", nova/conductor/manager.py:1004 _recheck_quota) and cinder refuses a volume
    (413 VolumeLimitExceeded, cinder/quota_utils.py:86), so a wider pool fails healthy hosts (the defaults: 10
    instances, nova/conf/quota.py:59; 10 volumes, cinder/quota.py:36)."""
    try:
        with warnings.catch_warnings():  # nova still reports the personality limits openstacksdk calls removed
            warnings.simplefilter("ignore", os_warnings.RemovedFieldWarning)
            servers = ctx.conn.compute.get_limits().absolute
        volumes = ctx.conn.block_storage.get_limits().absolute
    except Exception:  # noqa: BLE001 - limits unreadable (an API down: keystoneauth's errors are not the SDK's);
        return POOL  # the boots fail on their own then, and a quota, if hit, names itself in the case's message
    return fit(POOL, room(servers.instances, servers.instances_used),
               room(volumes.max_total_volumes, volumes.total_volumes_used))


def room(limit: int | None, used: int | None) -> int | None:
    """Return what a quota leaves the pool (None: unlimited or not reported)."""
    if limit is None or limit < 0:
        return None
    return limit - (used or 0) - BESIDE


def fit(pool: int, *rooms: int | None) -> int:
    """Return the pool bounded by each quota's room, at least 1: a full project fails its case naming the quota."""
    return max(1, min([pool, *(r for r in rooms if r is not None)]))


def path(ctx: RunContext, shared: Shared, request: pytest.FixtureRequest) -> Path:
    """Return the running case's path, starting every selected per-host case's path on the run's first call."""
    case_id = request.node.callspec.id
    paths = shared.get("per-host paths", Paths)
    if hasattr(request.config, "workerinput"):  # an xdist worker: only its own case (see the module doc)
        cases = [(case_id, request.node.callspec.params[ARGNAME])]
    else:
        cases = [(item.callspec.id, item.callspec.params[ARGNAME])
                 for item in request.session.items
                 if isinstance(getattr(getattr(item, "callspec", None), "params", {}).get(ARGNAME), ComputeCase)]
    paths.start(cases)
    found = paths.paths[case_id]
    # The case's teardown waits for its path, so a case that failed early does not end before its host's undo.
    ctx.cleanup.add(f"wait for the path on {case_id} to end", found.end)
    return found


def pinned_hint(ctx: RunContext, server: Server, case: ComputeCase) -> str:
    """Say why a pinned boot is stuck: with no host yet it waits for the pinned host's nova-compute, not for the
    scheduler (the general hint would blame the scheduler or the conductor)."""
    try:
        fresh = ctx.conn.compute.get_server(server.id)
        if fresh.compute_host or fresh.task_state not in (None, "scheduling"):
            return compute.stuck_hint(ctx, server)
        states = [f"{s.status}/{s.state}" for s in ctx.conn.compute.services(binary="nova-compute", host=case.host)]
    except os_exc.SDKException:
        return ""
    seen = f"its service is {', '.join(states)}" if states else "no nova-compute service is registered on it"
    return (f"; task_state {fresh.task_state}, host none: the boot is pinned to {unit(case)}, whose nova-compute "
            f"never took it ({seen}): start or fix nova-compute on {case.host} (its log names the cause)")


def check_on_host(ctx: RunContext, server: Server, case: ComputeCase) -> Hypervisor:
    """Check the instance runs on the host it was pinned to, in its zone, on its zone's hypervisor type."""
    server = ctx.conn.compute.get_server(server.id)
    if server.compute_host != case.host:
        raise AssertionError(f"{compute.label(server)} pinned to {pin(case)} runs on host {server.compute_host}: "
                             "nova did not honour the pin (is the suite's user admin, and does the host's "
                             "nova-compute report under that name?)")
    if server.availability_zone != case.zone.zone:
        raise AssertionError(f"{compute.label(server)} on {unit(case)} is in availability zone "
                             f"{server.availability_zone}, not {case.zone.zone}: add host {case.host} to zone "
                             f"{case.zone.zone}'s aggregate")
    hv = compute.hypervisor_of(ctx, server)
    expected = compute.HYPERVISOR_TYPES[case.zone.hypervisor]
    if hv.hypervisor_type not in expected:
        raise AssertionError(f"{compute.label(server)} on {unit(case)} runs on hypervisor {hv.name} of type "
                             f"{hv.hypervisor_type}, expected {' or '.join(sorted(expected))}: check that host's "
                             "compute_driver")
    return hv
