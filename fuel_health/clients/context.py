"""RunContext: everything a step needs, in one argument (`compute.boot(ctx, zone)`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import pytest

from fuel_health.clients.resources import Cleanup, ResourceNames
from fuel_health.config import ClusterConfig, Timeouts, Zone

T = TypeVar("T")


class RunCache:
    """Answers that hold for the whole run, computed once per worker (e.g. which hosts a zone has).

    Not for health state: a service's up/down is read fresh by each check. A failed computation is not kept,
    so the next check asks again and fails on its own.
    """

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()  # guards _locks
        self._locks: dict[str, threading.Lock] = {}  # one per key: the pool's threads compute each key once

    def get(self, key: str, build: Callable[[], T]) -> T:
        """Return the value for key, computing it with build() the first time."""
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = build()
            return self._values[key]


@dataclass(frozen=True)
class RunContext:
    """Config, tags, names and this test's cleanup; the clients open on first use only."""

    cfg: ClusterConfig
    tags: frozenset[str]
    run_id: str
    names: ResourceNames
    cleanup: Cleanup
    # Factories, so a configuration check that never touches the API opens no connection.
    connect: Callable[[], Any] = field(repr=False)
    connect_vcenter: Callable[[], Any] = field(repr=False)
    # Endpoints the preflight found down ("keystone" | connections.vcenter_endpoint(vc) -> the message naming it).
    down: Mapping[str, str] = field(default_factory=dict)
    # The worker's vCenter sessions of every zone (connections.VCenterSessions); None where no vCenter is used.
    connect_vcenters: Callable[[], Any] | None = field(default=None, repr=False)
    cache: RunCache = field(default_factory=RunCache, repr=False)  # the worker's, shared by its tests

    @cached_property
    def conn(self) -> Any:
        """Return the openstacksdk Connection (shared per worker)."""
        return self.connect()

    @cached_property
    def vcenter(self) -> Any:
        """Return the pyvmomi ServiceInstance (shared per worker)."""
        return self.connect_vcenter()

    @cached_property
    def vcenters(self) -> Any:
        """Return this worker's vCenter sessions, one per zone (connections.VCenterSessions, shared per worker)."""
        if self.connect_vcenters is None:
            raise RuntimeError("this RunContext was made without connect_vcenters: pass the worker's VCenterSessions")
        return self.connect_vcenters()

    @property
    def timeouts(self) -> Timeouts:
        """Return the per-step timeouts of the config."""
        return self.cfg.timeouts

    def zone(self, hypervisor: str) -> Zone:
        """Return zone/image/flavor of a hypervisor (kvm or vcenter)."""
        return self.cfg.zone(hypervisor)


class Shared:
    """Resources several tests share, built once (per worker) on first use, cleaned up by their own context.

    The first test that needs one builds it and fails if that fails; every later test that needs it
    is skipped with the first failure as the reason (a failed prerequisite must not cascade).
    """

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self._built: dict[str, Any] = {}
        self._failed: dict[str, str] = {}
        self._lock = threading.Lock()  # guards _locks
        # One lock per resource: two different ones build at once (a test makes its shared volume while its
        # shared instance boots); re-entrant, as a build may use another shared resource.
        self._locks: dict[str, threading.RLock] = {}

    def get(self, key: str, build: Callable[[RunContext], T]) -> T:
        """Return the resource named key, building it with build(ctx) the first time."""
        with self._lock:
            lock = self._locks.setdefault(key, threading.RLock())
        with lock:
            if key in self._built:
                return self._built[key]
            if key in self._failed:
                pytest.skip(f"needs the shared {key}, which could not be made earlier in this run: "
                            f"{self._failed[key]}")
            try:
                value = self._built[key] = build(self.ctx)
            except Exception as exc:
                text = str(exc).strip().splitlines()
                self._failed[key] = text[0] if text else type(exc).__name__
                raise
            return value
