"""Read the repository's data-only `fixtures/`: role metadata, cluster templates, scale steps, VMware template.

Nothing from fixtures/ is copied into code: every backend asks here. Role names are accepted in both
spellings (the seeds' vcenter-compute / cinder-vmdk and Fuel's compute-vmware / cinder-vmware).
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from system_tests.helpers.errors import FixtureError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
RELEASES = ("6.1", "7.0", "8.0", "9.0")
DEFAULT_RELEASE = "9.0"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def _load(rel: str) -> Any:
    path = FIXTURES / rel
    try:
        return yaml.safe_load(path.read_text())
    except OSError as exc:
        raise FixtureError(f"cannot read fixtures/{rel}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise FixtureError(f"fixtures/{rel}: not valid YAML ({str(exc).splitlines()[0]})") from None


@cache
def roles_metadata() -> dict[str, Any]:
    """fixtures/roles.yaml as loaded (aliases, roles)."""
    return _load("roles.yaml")


def canonical_role(name: str) -> str:
    """The seeds' name of a role (compute-vmware -> vcenter-compute, cinder-vmware -> cinder-vmdk)."""
    return roles_metadata()["aliases"].get(name, name)


def fuel_role(name: str) -> str:
    """The name Nailgun knows a role by (vcenter-compute -> compute-vmware, cinder-vmdk -> cinder-vmware)."""
    canonical = canonical_role(name)
    return next((fuel for fuel, seed in roles_metadata()["aliases"].items() if seed == canonical), canonical)


def role(name: str) -> dict[str, Any]:
    """Metadata of one role (aliases accepted); FixtureError names the known roles."""
    roles = roles_metadata()["roles"]
    canonical = canonical_role(name)
    if canonical not in roles:
        known = ", ".join(sorted(roles) + sorted(roles_metadata()["aliases"]))
        raise FixtureError(f"unknown role {name!r} (fixtures/roles.yaml knows: {known})")
    return roles[canonical]


@cache
def release_rules(release: str) -> dict[str, Any]:
    """fixtures/releases/<release>.yaml: modes, net providers, roles, what may change after deployment."""
    if release not in RELEASES:
        raise FixtureError(f"no rules for Fuel release {release!r} in fixtures/releases (known: {', '.join(RELEASES)})")
    return _load(f"releases/{release}.yaml")


def release_role(release: str, name: str) -> dict[str, Any] | None:
    """The role's conflicts/restrictions/limits in that release (aliases accepted), None when it has no such role."""
    return release_rules(release)["roles"].get(fuel_role(name))


def scenario_refusal(release: str, step: str) -> str | None:
    """Why that release cannot do a scenario step (`REFUSED: ...` in its fixture), or None."""
    text = str((release_rules(release).get("scenario") or {}).get(step) or "")
    return text.split(":", 1)[1].strip() if text.startswith("REFUSED:") else None


def cluster_template(name: str) -> dict[str, Any]:
    """fixtures/clusters/<name>.yaml: name, mode, net_provider, settings, nodes (fuel-devops slave names)."""
    path = FIXTURES / "clusters" / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in (FIXTURES / "clusters").glob("*.yaml")))
        raise FixtureError(f"no cluster template {name!r} in fixtures/clusters (known: {known})")
    return copy.deepcopy(_load(f"clusters/{name}.yaml"))


def scale_step(name: str) -> dict[str, Any]:
    """fixtures/scale/<name>.yaml: settings to change, nodes to add, VMware template and its target node."""
    path = FIXTURES / "scale" / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in (FIXTURES / "scale").glob("*.yaml")))
        raise FixtureError(f"no scale step {name!r} in fixtures/scale (known: {known})")
    return copy.deepcopy(_load(f"scale/{name}.yaml"))


def nodes_of(data: dict[str, Any]) -> dict[str, list[str]]:
    """The `nodes` list of a template or scale step as {name: roles}."""
    return {n["name"]: list(n["roles"]) for n in data.get("nodes") or []}


def vmware_template(rel: str = "vmware_attributes.yaml") -> tuple[dict[str, Any], dict[str, str]]:
    """The VMware settings template (Nailgun's editable.value with {{placeholders}}) and its validation rules."""
    data = copy.deepcopy(_load(rel))
    rules = data.pop("validation", {}) or {}
    return data, rules


def fill(value: Any, values: dict[str, str], where: str) -> Any:
    """Replace {{name}} placeholders in every string of a structure; an unknown name is an error."""
    if isinstance(value, dict):
        return {k: fill(v, values, where) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values, where) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise FixtureError(f"{where}: no value for placeholder {{{{{key}}}}} (have: {', '.join(sorted(values))})")
        return str(values[key])

    return PLACEHOLDER.sub(one, value)


def merge_settings(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Settings {group: {name: value}} with a change applied (a new dict)."""
    out = copy.deepcopy(base)
    for group, values in (change or {}).items():
        out.setdefault(group, {}).update(values)
    return out
