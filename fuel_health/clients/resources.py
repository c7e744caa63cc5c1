"""Run ids, resource names, the cleanup registry, and the sweep of leftovers.

Every resource a test creates is named `<prefix>-<run_id>-<worker>-<kind>-<n>` (worker = xdist worker
id or `main`), so names are unique per worker and `fuel-health cleanup --run-id ID` finds exactly
one run's leftovers, while `--prefix P` finds every run's. Nothing not matching is ever touched:
the sweep matches that full pattern (never a bare prefix, so `ostf-db-master` is safe), only in the
suite's own project unless asked for all, and never sweeps global kinds (flavors, aggregates, public
images) by prefix alone, since another team's objects may share a prefix; a run id is specific enough.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openstack import exceptions as os_exc

from fuel_health.clients import waiters
from fuel_health.config import PREFIX_RE  # one resource-prefix rule for the config and the sweep

_RUN_ID_RE = re.compile(r"^[0-9a-f]{8}$")
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# Workers are `main` or xdist's gw0, gw1, ... (pytest_plugin/plugin.py); anything else is not a name we made.
_WORKER_RE = re.compile(r"^(?:main|gw[0-9]+)$")
PREFIX_RULE = "a letter then up to 31 letters, digits or _ (no '-'), e.g. ostf"


def new_run_id() -> str:
    """Return a fresh run id: 8 hex characters."""
    return secrets.token_hex(4)


def check_run_id(run_id: str) -> str:
    """Return the run id if it has the form new_run_id() makes, else raise ValueError."""
    if not _RUN_ID_RE.match(run_id or ""):
        raise ValueError(f"run id {run_id!r} is not 8 lowercase hex characters (e.g. 3fa2c01b)")
    return run_id


def check_prefix(prefix: str) -> str:
    """Return the resource prefix if it follows the config's rule, else raise ValueError."""
    if not prefix:
        raise ValueError("an empty resource prefix would match everything")
    if not PREFIX_RE.match(prefix):
        raise ValueError(f"resource prefix {prefix!r} is not valid ({PREFIX_RULE})")
    return prefix


def resource_name(prefix: str, run_id: str, worker: str, kind: str, n: int) -> str:
    """Return `<prefix>-<run_id>-<worker>-<kind>-<n>`."""
    if not _KIND_RE.match(kind):
        raise ValueError(f"resource kind {kind!r}: use lowercase letters, digits and _")
    if not _WORKER_RE.match(worker):
        raise ValueError(f"worker {worker!r}: main or gw<N> (the sweep matches only those)")
    return f"{prefix}-{run_id}-{worker}-{kind}-{n}"


def run_prefix(prefix: str, run_id: str | None = None) -> str:
    """Return the name prefix the sweep reports: `<prefix>-<run_id>-`, or `<prefix>-` for all runs."""
    check_prefix(prefix)
    return f"{prefix}-{check_run_id(run_id)}-" if run_id else f"{prefix}-"


def name_pattern(prefix: str, run_id: str | None = None) -> re.Pattern[str]:
    """Return the regex of the full names the suite makes: `<prefix>-<run_id>-<worker>-<kind>-<n>`."""
    run = re.escape(check_run_id(run_id)) if run_id else "[0-9a-f]{8}"
    return re.compile(rf"^{re.escape(check_prefix(prefix))}-{run}-(?:main|gw[0-9]+)-[a-z][a-z0-9_]*-[1-9][0-9]*$")


@dataclass
class ResourceNames:
    """Hands out unique names for one worker of one run: names("server") -> ostf-3fa2c01b-gw0-server-1."""

    prefix: str
    run_id: str
    worker: str = "main"
    _counters: dict[str, itertools.count[int]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, kind: str) -> str:
        with self._lock:
            n = next(self._counters.setdefault(kind, itertools.count(1)))
        return resource_name(self.prefix, self.run_id, self.worker, kind, n)


class CleanupFailed(AssertionError):
    """Some cleanups failed; the message lists every failure, one line each."""

    def __init__(self, errors: list[str], done: list[str] | None = None) -> None:
        self.errors, self.done = errors, done or []
        lines = "\n".join(f"  - {e}" for e in errors)
        super().__init__(f"{len(errors)} cleanup(s) failed (resources may be left; "
                         f"`fuel-health cleanup --run-id` removes them):\n{lines}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Cleanup:
    """LIFO registry of undo actions; register right after creating, run() once at the end."""

    def __init__(self) -> None:
        self._items: list[tuple[str, Callable[[], Any]]] = []
        self._lock = threading.Lock()

    def add(self, description: str, fn: Callable[[], Any]) -> None:
        """Register fn (which must delete AND wait until gone) under a description like 'delete server X'."""
        with self._lock:
            self._items.append((description, fn))

    def __len__(self) -> int:
        return len(self._items)

    def pending(self) -> list[str]:
        """Return the descriptions not yet run, newest first."""
        with self._lock:
            return [d for d, _ in reversed(self._items)]

    def run(self, *, raise_errors: bool = True) -> list[str]:
        """Run everything newest first; NotFound counts as done; report all failures at the end.

        An undo that failed is run once more at the end if an older one succeeded after it: what blocked it may
        be gone now. A volume whose detach never completes (a guest that panicked never releases the disk)
        cannot be deleted, but deleting its server, registered before it, detaches it."""
        errors = self._drain()
        if errors.retry:
            with self._lock:
                self._items.extend((d, f) for d, f, _ in reversed(errors.retry))  # popped newest first again
            errors = _Errors(errors.final + self._drain().all)
        if errors.all and raise_errors:
            raise CleanupFailed([e for _, _, e in errors.all])
        return [e for _, _, e in errors.all]

    def _drain(self) -> _Errors:
        """Pop and run until empty (an undo added meanwhile, e.g. by work still running, runs too); failures
        followed by a success are `retry`, the others `final`."""
        final: list[tuple[str, Callable[[], Any], str]] = []
        retry: list[tuple[str, Callable[[], Any], str]] = []
        interrupted: KeyboardInterrupt | None = None
        while True:
            with self._lock:
                if not self._items:
                    break
                description, fn = self._items.pop()  # popped first: a second run() never repeats it
            try:
                fn()
            except os_exc.NotFoundException:
                retry, final = retry + final, []  # already gone: that is what we wanted
            except KeyboardInterrupt as exc:
                # Ctrl-C (or SIGTERM) during cleanup: finish it first, then let the interrupt through.
                interrupted = interrupted or exc
                with self._lock:
                    self._items.append((description, fn))  # its delete/wait was cut short: run it again
            except Exception as exc:
                final.append((description, fn, f"{description}: {_one_line(exc)}"))
            else:
                retry, final = retry + final, []
        if interrupted is not None:
            raise interrupted
        return _Errors(final, retry)


@dataclass(frozen=True)
class _Errors:
    final: list[tuple[str, Callable[[], Any], str]]
    retry: list[tuple[str, Callable[[], Any], str]] = field(default_factory=list)

    @property
    def all(self) -> list[tuple[str, Callable[[], Any], str]]:
        return self.retry + self.final


# --- the sweep -------------------------------------------------------------------------------------


def sweep(conn: Any, prefix: str, run_id: str | None = None, dry_run: bool = False,
          timeout: float = 120.0, all_projects: bool = False) -> list[str]:
    """Delete what the suite made: servers, snapshots, volumes, images, keypairs (and, for one run id,
    flavors and aggregates) whose name is `<prefix>-<run_id>-<worker>-<kind>-<n>` in full.

    Only the connection's own project is looked at unless all_projects; a prefix sweep (no run id) leaves
    global kinds (flavors, aggregates) and public or community images alone.
    """
    pattern = name_pattern(prefix, run_id)
    project = None if all_projects else getattr(conn, "current_project_id", None)
    if not all_projects and not project:
        raise ValueError("cannot tell this connection's project (a domain-scoped login?): refusing to sweep; "
                         "log in to a project, or sweep every project with --all-projects")
    by_prefix = run_id is None

    def mine(obj: Any, owner: str = "project_id") -> bool:
        if not pattern.match(getattr(obj, "name", None) or ""):
            return False
        # Listings are project-scoped already (servers, volumes); glance shows an admin every image.
        owned_by = getattr(obj, owner, None)
        return all_projects or owned_by is None or owned_by == project

    done: list[str] = []
    errors: list[str] = []
    verb = "would delete" if dry_run else "deleted"

    def act(kind: str, obj: Any, delete: Callable[[], Any], get: Callable[[], Any] | None) -> None:
        label = f"{kind} {obj.name} ({obj.id})"
        if dry_run:
            done.append(f"{verb} {label}")
            return
        try:
            delete()
            if get is not None:
                waiters.wait_for_delete(get, timeout=timeout, what=label)
            done.append(f"{verb} {label}")
        except os_exc.NotFoundException:
            done.append(f"{verb} {label} (already gone)")
        except Exception as exc:
            errors.append(f"{kind} {obj.name} ({obj.id}): {_one_line(exc)}")

    listing = {"all_projects": True} if all_projects else {}
    compute, volumes, images = conn.compute, conn.block_storage, conn.image
    # Servers first: they hold volumes, keypairs, flavors and images in use.
    servers = [s for s in compute.servers(**listing) if mine(s)]
    our_server_ids = {s.id for s in servers}
    for s in servers:
        act("server", s, lambda s=s: compute.delete_server(s, force=False),
            lambda s=s: compute.get_server(s.id))
    for snap in [x for x in volumes.snapshots(**listing) if mine(x)]:
        act("snapshot", snap, lambda x=snap: volumes.delete_snapshot(x),
            lambda x=snap: volumes.get_snapshot(x.id))
    for vol in [v for v in volumes.volumes(**listing) if mine(v)]:
        foreign = [a.get("server_id") for a in (getattr(vol, "attachments", None) or [])
                   if a.get("server_id") not in our_server_ids]
        if foreign:
            errors.append(f"volume {vol.name} ({vol.id}): attached to server(s) not ours "
                          f"{', '.join(map(str, foreign))}: left alone")
            continue
        act("volume", vol, lambda v=vol: _detach_and_delete(conn, v, timeout),
            lambda v=vol: volumes.get_volume(v.id))
    for image in [i for i in images.images() if mine(i, "owner")]:
        if by_prefix and getattr(image, "visibility", None) in ("public", "community"):
            continue  # seen by every project: only a sweep of one run id may take it
        act("image", image, lambda i=image: images.delete_image(i), lambda i=image: images.get_image(i.id))
    if not by_prefix:  # flavors and aggregates are global: never swept by a prefix alone
        for flavor in [f for f in compute.flavors() if mine(f, "")]:
            act("flavor", flavor, lambda f=flavor: compute.delete_flavor(f), None)
        for agg in [a for a in compute.aggregates() if mine(a, "")]:
            act("aggregate", agg, lambda a=agg: _empty_and_delete_aggregate(compute, a), None)
    for kp in [k for k in compute.keypairs() if mine(k, "")]:  # keypairs belong to the user
        act("keypair", kp, lambda k=kp: compute.delete_keypair(k), None)
    if errors:
        raise CleanupFailed(errors, done)
    return done


# cinder deletes only a settled volume. A sweep can meet one still `creating`: a Ctrl-C that landed between the
# create call and the registration of its cleanup, which is the window the interrupted run's sweep is for.
SETTLED = frozenset({"available", "in-use", "error", "error_restoring", "error_extending", "error_managing"})


def _detach_and_delete(conn: Any, volume: Any, timeout: float) -> None:
    if getattr(volume, "status", None) == "error_deleting":
        # A delete the backend failed (cinder-vmdk while vCenter was down): cinder never retries it, and refuses
        # a new delete until the status is reset, as an operator would (`cinder reset-state --state error`).
        conn.block_storage.reset_volume_status(volume, status="error")
        volume = conn.block_storage.get_volume(volume.id)
    if getattr(volume, "status", None) not in SETTLED:
        get = lambda: conn.block_storage.get_volume(volume.id)  # noqa: E731 - the waiter's getter
        try:
            volume = waiters.wait_for_status(get, ready=SETTLED, failed=frozenset(), timeout=timeout,
                                             what=f"volume {volume.name} ({volume.id}) settling")
        except waiters.WaitTimeout:
            if get().status != "creating":
                raise
            conn.block_storage.delete_volume(volume, force=True)  # never scheduled (cinder-scheduler down)
            return
    # Attachments left after our servers are gone are stale ones to our own servers: detach first.
    for attachment in getattr(volume, "attachments", None) or []:
        server_id = attachment.get("server_id")
        if server_id:
            with contextlib.suppress(os_exc.NotFoundException):
                conn.compute.delete_volume_attachment(server_id, volume.id)
    if getattr(volume, "attachments", None):
        waiters.wait_for_status(lambda: conn.block_storage.get_volume(volume.id), ready={"available"},
                                failed={"error", "error_detaching"}, timeout=timeout,
                                what=f"volume {volume.name} ({volume.id}) detaching")
    conn.block_storage.delete_volume(volume)


def _empty_and_delete_aggregate(compute: Any, aggregate: Any) -> None:
    # nova refuses to delete an aggregate that still has hosts.
    for host in list(getattr(aggregate, "hosts", None) or []):
        compute.remove_host_from_aggregate(aggregate, host)
    compute.delete_aggregate(aggregate)
