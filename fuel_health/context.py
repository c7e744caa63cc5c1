"""RunContext: everything a step needs, in one argument (`compute.boot(ctx, zone)`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from fuel_health.config_model import ClusterConfig, Timeouts, Zone
from fuel_health.resources import Cleanup, ResourceNames


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

    @cached_property
    def conn(self) -> Any:
        """Return the openstacksdk Connection (shared per worker)."""
        return self.connect()

    @cached_property
    def vcenter(self) -> Any:
        """Return the pyvmomi ServiceInstance (shared per worker)."""
        return self.connect_vcenter()

    @property
    def timeouts(self) -> Timeouts:
        """Return the per-step timeouts of the config."""
        return self.cfg.timeouts

    def zone(self, hypervisor: str) -> Zone:
        """Return zone/image/flavor of a hypervisor (kvm or vcenter)."""
        return self.cfg.zone(hypervisor)
