"""The one reader of the repository's data-only `fixtures/`: Fuel's roles and their aliases, each release's
rules, cluster templates, scale steps, the VMware settings template and the per-role config fragments.

The suite (fuel_health.fuel_data.roles), the lab (devops_envs.local) and the system tests (system_tests.helpers) all
read fixtures/ here, so no role name, alias or rule is copied into code. Role names are accepted in both
spellings: the seeds' `vcenter-compute` / `cinder-vmdk` and Fuel's `compute-vmware` / `cinder-vmware`.
Every problem is a FixtureError whose one line names the file.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# fixtures/ ships inside the package as fuel_health/_fixtures: in a checkout a symlink to the repository's
# fixtures/ (resolved, so paths and messages name fixtures/ itself), in a wheel the files (pyproject.toml
# package-data), so an installed package reads the same data as a checkout.
FIXTURES = Path(str(resources.files("fuel_health") / "_fixtures")).resolve()
FIXTURES_MISSING = ("fixtures/ ships in the package as fuel_health/_fixtures: reinstall the package, or in a checkout "
                    "restore that symlink to ../fixtures")
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


class FixtureError(ValueError):
    """fixtures/ is missing something or holds something unusable (one line, naming the file)."""


def load(rel: str) -> Any:
    """fixtures/<rel> parsed as YAML (a fresh object each call: callers may change it)."""
    return copy.deepcopy(_load(rel))


@cache
def _load(rel: str) -> Any:
    try:
        return yaml.safe_load((FIXTURES / rel).read_text())
    except OSError as exc:
        raise FixtureError(f"cannot read fixtures/{rel} in {FIXTURES.parent}: {exc.strerror or exc} "
                           f"({FIXTURES_MISSING})") from None
    except yaml.YAMLError as exc:
        raise FixtureError(f"fixtures/{rel}: not valid YAML ({str(exc).splitlines()[0]})") from None


def _named(folder: str, name: str, what: str) -> Any:
    """fixtures/<folder>/<name>.yaml, or FixtureError listing the names there."""
    if not (FIXTURES / folder / f"{name}.yaml").exists():
        raise FixtureError(f"no {what} {name!r} in fixtures/{folder} (known: {', '.join(names(folder))})")
    return load(f"{folder}/{name}.yaml")


def names(folder: str) -> list[str]:
    """The YAML files of fixtures/<folder>, by stem, sorted."""
    return sorted(p.stem for p in (FIXTURES / folder).glob("*.yaml"))


# --- roles (fixtures/roles.yaml) ---


def roles_metadata() -> dict[str, Any]:
    """fixtures/roles.yaml as loaded (aliases, roles); shared: do not change it."""
    return _load("roles.yaml")


def aliases() -> dict[str, str]:
    """Fuel's released role names -> the seeds' names (compute-vmware -> vcenter-compute, ...)."""
    return dict(roles_metadata()["aliases"])


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


# --- releases (fixtures/releases/<release>.yaml) ---


@cache
def releases() -> tuple[str, ...]:
    """The Fuel releases fixtures/releases has rules for, oldest first."""
    return tuple(sorted(names("releases"), key=lambda r: tuple(int(p) for p in r.split("."))))


def newest_release() -> str:
    """The newest release with rules: the lab stands for it (neutron, settings editable after deployment)."""
    if not releases():
        raise FixtureError(f"no release rules in {FIXTURES / 'releases'} ({FIXTURES_MISSING})")
    return releases()[-1]


def release_rules(release: str) -> dict[str, Any]:
    """fixtures/releases/<release>.yaml: modes, net providers, roles, what may change after deployment."""
    if release not in releases():
        raise FixtureError(f"no rules for Fuel release {release!r} in fixtures/releases "
                           f"(known: {', '.join(releases())})")
    return _load(f"releases/{release}.yaml")


def release_role(release: str, name: str) -> dict[str, Any] | None:
    """The role's conflicts/restrictions/limits in that release (aliases accepted), None when it has no such role."""
    return release_rules(release)["roles"].get(fuel_role(name))


def conflicts(name: str, release: str) -> set[str]:
    """The roles (seeds' names) that `name` may not share a node with in that release; {'*'} = every other."""
    meta = release_role(release, name)
    if meta is None:
        raise FixtureError(f"role {name!r} does not exist in Fuel {release} (fixtures/releases/{release}.yaml)")
    listed = meta.get("conflicts") or []
    return {"*"} if listed == "*" else {canonical_role(r) for r in listed}


def scenario_refusal(release: str, step: str) -> str | None:
    """Why that release cannot do a scenario step (`REFUSED: ...` in its file), or None."""
    text = str((release_rules(release).get("scenario") or {}).get(step) or "")
    return text.split(":", 1)[1].strip() if text.startswith("REFUSED:") else None


# --- clusters, scale steps, VMware settings, config fragments ---


def cluster_template(name: str) -> dict[str, Any]:
    """fixtures/clusters/<name>.yaml: name, mode, net_provider, settings, nodes (fuel-devops slave names)."""
    return _named("clusters", name, "cluster template")


def scale_step(name: str) -> dict[str, Any]:
    """fixtures/scale/<name>.yaml: settings to change, nodes to add, VMware template and its target node."""
    return _named("scale", name, "scale step")


def nodes_of(data: dict[str, Any]) -> dict[str, list[str]]:
    """The `nodes` list of a cluster template or scale step as {name: roles}."""
    return {n["name"]: list(n["roles"]) for n in data.get("nodes") or []}


def merge_settings(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Settings {group: {name: value}} with a change applied (a new dict)."""
    out = copy.deepcopy(base)
    for group, values in (change or {}).items():
        out.setdefault(group, {}).update(values)
    return out


def vmware_template(rel: str = "vmware_attributes.yaml") -> tuple[dict[str, Any], dict[str, str]]:
    """The VMware settings template (Nailgun's editable.value with {{placeholders}}) and its validation rules."""
    data = load(rel)
    rules = data.pop("validation", {}) or {}
    return data, rules


def config_fragment_path(folder: str, filename: str) -> Path:
    """fixtures/config/<folder>/<filename>: a role's (or `all`'s) ini fragment; it may not exist."""
    return FIXTURES / "config" / folder / filename


def fill(value: Any, values: dict[str, str], where: str) -> Any:
    """Replace {{name}} placeholders in a string or in every string of a structure; an unknown name is an error,
    never left in the output."""
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
