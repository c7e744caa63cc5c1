"""Fuel node roles the suite knows, their aliases, and the services each role runs.

fuel_health is installed without the repository's fixtures/, so the little it needs from
fixtures/roles.yaml lives here; a unit test keeps both in step.
"""

from __future__ import annotations

# Fuel shipped the seeds' roles under other names; both spellings are accepted everywhere.
ALIASES: dict[str, str] = {
    "compute-vmware": "vcenter-compute",
    "cinder-vmware": "cinder-vmdk",
}

# role -> services it runs (what configuration checks look for when the config does not list them).
SERVICES: dict[str, tuple[str, ...]] = {
    "controller": (
        "mariadb", "rabbitmq", "keystone", "glance-api", "placement-api", "nova-api", "nova-conductor",
        "nova-scheduler", "cinder-api", "cinder-scheduler", "neutron-server",
    ),
    "compute": ("nova-compute",),
    "cinder": ("cinder-volume",),
    "vcenter-compute": ("nova-compute",),
    "cinder-vmdk": ("cinder-volume",),
    "mongo": (),
    # Other roles a Fuel environment may hold; the suite does not check their services.
    "cinder-block-device": ("cinder-volume",),
    "ceph-osd": (),
    "base-os": (),
    "virt": (),
    "ironic": (),
}

KNOWN_ROLES: frozenset[str] = frozenset(SERVICES)


def normalize_role(name: str) -> str | None:
    """Return the canonical role name (aliases resolved), or None when the role is unknown."""
    role = ALIASES.get(name, name)
    return role if role in KNOWN_ROLES else None


def services_for(roles: tuple[str, ...]) -> tuple[str, ...]:
    """Return the services the given (canonical) roles run, in role order, without duplicates."""
    seen: dict[str, None] = {}
    for role in roles:
        for service in SERVICES.get(role, ()):
            seen.setdefault(service, None)
    return tuple(seen)
