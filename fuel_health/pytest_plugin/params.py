"""Tests parametrized from the cluster config: one test per node (or per vCenter cluster), so a failure names it.

    @ostf.scenario(...)
    @params.for_each("node", nodes.running("nova-api", "nova-compute"))
    def test_cross_az_attach_is_off(ctx, step, node): ...

`source(cfg)` returns (id, value) pairs; the plugin's pytest_generate_tests turns them into parameters
(ids like `test_cross_az_attach_is_off[node-1]`). When the config has nothing to check, the test is one
`[none]` case that FAILS and says what is missing: a check that applies to this cluster (its tags said so)
but finds nothing to look at means the cluster description is incomplete, never a silent pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pytest

from fuel_health.config import ClusterConfig

F = TypeVar("F", bound=Callable[..., Any])
Source = Callable[[ClusterConfig], Iterable[tuple[str, Any]]]
MARK = "fuel_health_each"


def for_each(argname: str, source: Source, *, what: str | None = None) -> Callable[[F], F]:
    """Parametrize `argname` with the (id, value) pairs source(cfg) gives for the run's config."""

    def decorate(func: F) -> F:
        return getattr(pytest.mark, MARK)(argname, source, what=what or argname)(func)

    return decorate


def parametrize(metafunc: pytest.Metafunc, cfg: ClusterConfig | None) -> None:
    """Apply every for_each mark of a test function (called from the plugin's pytest_generate_tests)."""
    for mark in metafunc.definition.iter_markers(MARK):
        argname, source = mark.args
        what = mark.kwargs.get("what", argname)
        pairs = list(source(cfg)) if cfg is not None else []
        if pairs:
            metafunc.parametrize(argname, [v for _, v in pairs], ids=[i for i, _ in pairs])
        elif cfg is None:  # no config at all: the plugin deselects these checks and says why
            metafunc.parametrize(argname, [pytest.param(None, marks=pytest.mark.skip(reason="no cluster config"))],
                                 ids=["none"])
        else:
            reason = (f"nothing to check: the cluster config lists no {what}, though this check applies to the "
                      f"cluster (tags); complete the cluster description (or the node roles in Nailgun)")
            metafunc.parametrize(argname, [NothingToCheck(reason)], ids=["none"])


class NothingToCheck:
    """The value of a `[none]` case: the plugin fails the test with its reason instead of running it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return "NothingToCheck"


def nothing_to_check(item: Any) -> str | None:
    """Return the reason when a collected test is a `[none]` case (nothing in the config to check)."""
    callspec = getattr(item, "callspec", None)
    for value in (callspec.params.values() if callspec else ()):
        if isinstance(value, NothingToCheck):
            return value.reason
    return None
