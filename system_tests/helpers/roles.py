"""Role restrictions of fixtures/roles.yaml, checked locally before any API or lab call.

The same check serves both backends: conflicts between the roles of one node, then the role's
`restrictions` (Nailgun-style conditions on settings and cluster attributes), then cluster-wide limits.
A restriction may name a `variant` (e.g. neutron_dvs): a backend that stands for that variant waives it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from system_tests.helpers import fixtures
from system_tests.helpers.errors import FixtureError, RoleRestrictionError

_CONDITION = re.compile(r"^\s*(settings|cluster):([\w.\-]+)\s*(==|!=)\s*(.+?)\s*$")


@dataclass(frozen=True)
class ClusterFacts:
    """What a restriction may look at: cluster attributes, settings {group: {name: value}}, waived variants."""

    cluster: Mapping[str, Any]
    settings: Mapping[str, Mapping[str, Any]]
    variants: frozenset[str] = field(default_factory=frozenset)


def condition_holds(condition: str, facts: ClusterFacts) -> bool:
    """Evaluate `settings:<group>.<name>.value ==|!= <literal>` or `cluster:<attr> ==|!= <literal>`."""
    match = _CONDITION.match(condition)
    if not match:
        raise FixtureError(f"fixtures/roles.yaml: cannot evaluate restriction {condition!r} (supported: "
                           "'settings:<group>.<name>.value == <literal>', 'cluster:<attr> != <literal>')")
    scope, path, op, literal = match.groups()
    want = yaml.safe_load(literal)
    if scope == "settings":
        parts = path.split(".")
        parts = parts[:-1] if parts[-1] == "value" else parts
        if len(parts) != 2:
            raise FixtureError(f"fixtures/roles.yaml: setting path {path!r} is not <group>.<name>.value")
        have = (facts.settings.get(parts[0]) or {}).get(parts[1])
    else:
        have = facts.cluster.get(path)
    if isinstance(want, bool):
        have = bool(have)  # an unset checkbox is off
    return (have == want) if op == "==" else (have != want)


def check_node(name: str, roles: Sequence[str], facts: ClusterFacts | None) -> tuple[str, ...]:
    """Return the node's canonical roles, or raise RoleRestrictionError (one line) naming the rule.

    Without facts only the roles themselves are checked (unknown names, conflicts): no cluster data needed."""
    try:
        canonical = tuple(dict.fromkeys(fixtures.canonical_role(r) for r in roles))
        metas = {r: fixtures.role(r) for r in canonical}
    except FixtureError as exc:
        raise RoleRestrictionError(f"node {name}: {exc}") from None
    if not canonical:
        raise RoleRestrictionError(f"node {name}: no role given")
    for r, meta in reversed(metas.items()):  # last first: the role being added is the one named
        conflicts = {fixtures.canonical_role(c) for c in meta.get("conflicts") or []}
        clash = sorted(set(canonical) - {r}) if "*" in conflicts else sorted(conflicts & set(canonical))
        if clash:
            raise RoleRestrictionError(f"node {name}: role {r} cannot be combined with {', '.join(clash)} "
                                       f"(fixtures/roles.yaml {r}.conflicts)")
    for r, meta in metas.items():
        for restriction in (meta.get("restrictions") or []) if facts is not None else []:
            if restriction.get("variant") in facts.variants:
                continue
            if condition_holds(restriction["condition"], facts):
                raise RoleRestrictionError(f"node {name}: role {r} refused: {restriction['message']} "
                                           f"(fixtures/roles.yaml {r}.restrictions: {restriction['condition']})")
    return canonical


def check_cluster(nodes: Mapping[str, Sequence[str]]) -> list[str]:
    """Check cluster-wide limits before a deploy; raise on a broken `min`, return warnings (HA, recommended)."""
    by_role: dict[str, list[str]] = {}
    for node, roles in nodes.items():
        for r in roles:
            by_role.setdefault(fixtures.canonical_role(r), []).append(node)
    warnings = []
    for r, meta in fixtures.roles_metadata()["roles"].items():
        have = by_role.get(r, [])
        limits = meta.get("limits") or {}
        if "min" in limits and len(have) < limits["min"]:
            raise RoleRestrictionError(f"cluster needs at least {limits['min']} {r} node(s), has {len(have)} "
                                       f"(fixtures/roles.yaml {r}.limits.min)")
        if "recommended" in limits and len(have) > limits["recommended"] and "ha" not in meta:
            warnings.append(f"{len(have)} {r} nodes ({', '.join(have)}): {limits['recommended']} recommended")
        ha_min = (meta.get("ha") or {}).get("min_nodes")
        if have and ha_min and len(have) < ha_min:
            warnings.append(f"{r} on {len(have)} node(s) ({', '.join(have)}): no HA below {ha_min}")
    return warnings
