"""Does a test apply to this run? One answer for pytest collection, `fuel-health list` and the adapter."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from fuel_health.pytest_plugin import tags as tag_expr
from fuel_health.pytest_plugin.ostf import TEST_SETS, TestMeta


def fuel_version(release: str) -> tuple[int, ...] | None:
    """Return the Fuel version of a Nailgun release string ('2015.1.0-7.0' -> (7, 0)), else None."""
    m = re.search(r"-(\d+(?:\.\d+)*)$", release or "")
    return tuple(int(p) for p in m.group(1).split(".")) if m else None


def why_not(
    meta: TestMeta,
    tags: Iterable[str],
    *,
    sets: Collection[str] | None = None,
    hypervisor: str | None = None,
    release: str = "",
) -> str | None:
    """Return why the test is not run here (None when it applies)."""
    if sets and meta.test_set not in sets:
        return f"test set {meta.test_set} not selected (--set {','.join(sorted(sets))})"
    if hypervisor and meta.hypervisor not in (None, hypervisor):
        return f"hypervisor {meta.hypervisor} not selected (--hypervisor {hypervisor})"
    tags = frozenset(tags)
    set_reason = tag_expr.explain(TEST_SETS[meta.test_set].tags, tags)
    if set_reason:
        return f"test set {meta.test_set} {set_reason}"
    reason = tag_expr.explain(meta.tags, tags)
    if reason:
        return reason
    have = fuel_version(release)
    if meta.since and have is not None:
        since = tuple(int(p) for p in meta.since.split("."))
        if have < since:
            return f"available since Fuel {meta.since} (cluster runs {'.'.join(map(str, have))})"
    return None
