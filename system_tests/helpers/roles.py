"""Role rules of one Fuel release (fixtures/releases/<release>.yaml), checked locally before any API or lab call.

The same check serves both backends and refuses what that release's Nailgun refuses, and only that:
- a role the release does not have (6.1 has no compute-vmware: its Nailgun silently drops it,
  fuel-web 6.1:nailgun/nailgun/objects/node.py:605, so we refuse it loudly instead);
- `conflicts` between the roles of one node (fuel-web <tag>:nailgun/nailgun/api/v1/validators/assignment.py
  check_roles_for_conflicts; `"*"` = every other role);
- `restrictions` on settings: Fuel UI evaluates them (a `hide` role is not offered, a restricted one is greyed
  out with its message); Nailgun's API itself does not (assignment.py check_roles_requirement reads only
  `depends`), so the contract double accepts what our check refuses here, as the UI would;
- compute-vmware added to a deployed cluster whose release cannot give it a nova_compute (6.1/7.0: PUT
  vmware_attributes on a locked cluster is 403, fuel-web 7.0:nailgun/nailgun/api/v1/handlers/cluster.py:324).
Every refusal is one line naming the release file and the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from fuel_health import fuel_data
from system_tests.helpers.errors import FixtureError, RoleRestrictionError

_CONDITION = re.compile(r"^\s*(settings|cluster):([\w.\-]+)\s*(==|!=)\s*(.+?)\s*$")


@dataclass(frozen=True)
class ClusterFacts:
    """What a rule may look at: cluster attributes, settings {group: {name: value}}, whether it is locked."""

    cluster: Mapping[str, Any]
    settings: Mapping[str, Mapping[str, Any]]
    locked: bool = False


def condition_holds(condition: str, facts: ClusterFacts) -> bool:
    """Evaluate `settings:<group>.<name>.value ==|!= <literal>` or `cluster:<attr> ==|!= <literal>`."""
    match = _CONDITION.match(condition)
    if not match:
        raise FixtureError(f"fixtures/releases: cannot evaluate restriction {condition!r} (supported: "
                           "'settings:<group>.<name>.value == <literal>', 'cluster:<attr> != <literal>')")
    scope, path, op, literal = match.groups()
    want = yaml.safe_load(literal)
    if scope == "settings":
        parts = path.split(".")
        parts = parts[:-1] if parts[-1] == "value" else parts
        if len(parts) != 2:
            raise FixtureError(f"fixtures/releases: setting path {path!r} is not <group>.<name>.value")
        have = (facts.settings.get(parts[0]) or {}).get(parts[1])
    else:
        have = facts.cluster.get(path)
    if isinstance(want, bool):
        have = bool(have)  # an unset checkbox is off
    return (have == want) if op == "==" else (have != want)


def _where(release: str, role: str, rule: str) -> str:
    return f"fixtures/releases/{release}.yaml {fuel_data.fuel_role(role)}.{rule}"


def check_node(name: str, roles: Sequence[str], facts: ClusterFacts | None,
               release: str = fuel_data.newest_release(), added: Sequence[str] = ()) -> tuple[str, ...]:
    """Return the node's canonical roles, or raise RoleRestrictionError (one line) naming the rule.

    `added` are the roles being added now (default: all of them). Without facts only the roles themselves
    are checked (existence in the release, conflicts): no cluster data needed."""
    canonical = tuple(dict.fromkeys(fuel_data.canonical_role(r) for r in roles))
    if not canonical:
        raise RoleRestrictionError(f"node {name}: no role given")
    try:
        metas = {r: fuel_data.release_role(release, r) for r in canonical}
    except FixtureError as exc:
        raise RoleRestrictionError(f"node {name}: {exc}") from None
    missing = [r for r, meta in metas.items() if meta is None]
    if missing:
        r = missing[0]
        known = ", ".join(sorted(fuel_data.release_rules(release)["roles"]))
        raise RoleRestrictionError(f"node {name}: role {fuel_data.fuel_role(r)} does not exist in Fuel {release} "
                                   f"(its Nailgun knows: {known}; fixtures/releases/{release}.yaml)")
    for r, meta in reversed(metas.items()):  # last first: the role being added is the one named
        listed = (meta or {}).get("conflicts") or []
        banned = {"*"} if listed == "*" else {fuel_data.canonical_role(c) for c in listed}
        clash = sorted(set(canonical) - {r}) if "*" in banned else sorted(banned & set(canonical))
        if clash:
            raise RoleRestrictionError(f"node {name}: role {r} cannot be combined with {', '.join(clash)} "
                                       f"({_where(release, r, 'conflicts')})")
    if facts is None:
        return canonical
    new = {fuel_data.canonical_role(r) for r in added} or set(canonical)
    for r, meta in metas.items():
        for restriction in (meta or {}).get("restrictions") or []:
            if condition_holds(restriction["condition"], facts):
                raise RoleRestrictionError(f"node {name}: role {r} refused (Fuel UI): {restriction['message']} "
                                           f"({_where(release, r, 'restrictions')}: {restriction['condition']})")
    rules = fuel_data.release_rules(release)
    if "vcenter-compute" in new and facts.locked and \
            "nova_computes" not in rules["after_deploy"]["vmware_when_locked"]["editable"]:
        status = rules["after_deploy"]["vmware_when_locked"]["status"]
        raise RoleRestrictionError(
            f"node {name}: role compute-vmware refused on the deployed cluster: it needs a nova_compute targeting "
            f"it, and Fuel {release} refuses every vmware_attributes change once deployed (HTTP {status}; "
            f"fixtures/releases/{release}.yaml after_deploy.vmware_when_locked)")
    return canonical


def check_cluster(nodes: Mapping[str, Sequence[str]], release: str = fuel_data.newest_release()) -> list[str]:
    """Check cluster-wide limits before a deploy; raise on a broken `min`, return warnings (HA, recommended)."""
    by_role: dict[str, list[str]] = {}
    for node, roles in nodes.items():
        for r in roles:
            by_role.setdefault(fuel_data.canonical_role(r), []).append(node)
    warnings = []
    for fuel_name, meta in fuel_data.release_rules(release)["roles"].items():
        r = fuel_data.canonical_role(fuel_name)
        have = by_role.get(r, [])
        limits = meta.get("limits") or {}
        # Only the controller's min binds our clusters: the other mins (ironic, mongo) apply once enabled.
        if "min" in limits and r == "controller" and len(have) < limits["min"]:
            raise RoleRestrictionError(f"cluster needs at least {limits['min']} {r} node(s), has {len(have)} "
                                       f"({_where(release, r, 'limits.min')})")
        ha = (fuel_data.roles_metadata()["roles"].get(r) or {}).get("ha") or {}
        if "recommended" in limits and len(have) > limits["recommended"] and not ha and r != "controller":
            warnings.append(f"{len(have)} {r} nodes ({', '.join(have)}): {limits['recommended']} recommended")
        if have and ha.get("min_nodes") and len(have) < ha["min_nodes"]:
            warnings.append(f"{r} on {len(have)} node(s) ({', '.join(have)}): no HA below {ha['min_nodes']}")
    return warnings
