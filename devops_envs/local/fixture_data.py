"""Read the shared deployment data in the repository's top-level `fixtures/` folder."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from devops_envs.local.errors import LabError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# The lab stands for the newest release (neutron, settings editable after deployment: the grow-later path);
# its topologies are checked against that release's role rules.
LAB_RELEASE = "9.0"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@cache
def roles_metadata() -> dict[str, Any]:
    """fixtures/roles.yaml: role metadata, aliases and the services each role runs."""
    return yaml.safe_load((FIXTURES / "roles.yaml").read_text())


def canonical_role(name: str) -> str:
    """Map Fuel's released names (compute-vmware, cinder-vmware) to the seed names."""
    return roles_metadata()["aliases"].get(name, name)


def role(name: str) -> dict[str, Any]:
    """Metadata of one role (aliases accepted)."""
    roles = roles_metadata()["roles"]
    canonical = canonical_role(name)
    if canonical not in roles:
        known = ", ".join(sorted(roles) + sorted(roles_metadata()["aliases"]))
        raise LabError(f"unknown role {name!r} (known: {known})")
    return roles[canonical]


@cache
def release_rules(release: str = LAB_RELEASE) -> dict[str, Any]:
    """fixtures/releases/<release>.yaml: what that Fuel release's Nailgun accepts (roles, modes, ...)."""
    path = FIXTURES / "releases" / f"{release}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in (FIXTURES / "releases").glob("*.yaml")))
        raise LabError(f"no release rules for Fuel {release} in fixtures/releases (known: {known})")
    return yaml.safe_load(path.read_text())


def conflicts(name: str, release: str = LAB_RELEASE) -> set[str]:
    """The roles (canonical names) that `name` may not share a node with in that release; '*' = all others."""
    rules = release_rules(release)["roles"]
    fuel = {seed: fuel for fuel, seed in roles_metadata()["aliases"].items()}.get(canonical_role(name), name)
    if fuel not in rules:
        raise LabError(f"role {name!r} does not exist in Fuel {release} (fixtures/releases/{release}.yaml)")
    listed = rules[fuel].get("conflicts") or []
    if listed == "*":
        return {"*"}
    return {canonical_role(r) for r in listed}


def config_fragment(role_name: str, filename: str) -> str | None:
    """The ini fragment fixtures/config/<role>/<filename>, or None when the role changes nothing there."""
    path = FIXTURES / "config" / role_name / filename
    return path.read_text() if path.exists() else None


def fill(text: str, values: dict[str, str], where: str) -> str:
    """Replace {{name}} placeholders; an unknown name is an error, never left in the output."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise LabError(f"{where}: no value for placeholder {{{{{key}}}}}")
        return str(values[key])

    return PLACEHOLDER.sub(value, text)
