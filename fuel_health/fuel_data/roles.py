"""Fuel node roles the suite knows, their aliases, and the services each role runs: fixtures/roles.yaml, read
through fuel_health.fuel_data (the one reader of fixtures/), shaped for the config loader."""

from __future__ import annotations

from fuel_health import fuel_data

# Fuel shipped the seeds' roles under other names; both spellings are accepted everywhere.
ALIASES: dict[str, str] = fuel_data.aliases()

# role -> services it runs (what configuration checks look for when the config does not list them).
SERVICES: dict[str, tuple[str, ...]] = {
    name: tuple(meta.get("services") or ()) for name, meta in fuel_data.roles_metadata()["roles"].items()}

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
