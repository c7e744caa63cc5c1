"""The lab's view of fixtures/: fuel_health.fuel_data (the one reader of fixtures/) with the release the lab
stands for, and its errors as LabError (printed as one line by the lab's CLI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from devops_envs.local.errors import LabError
from fuel_health import fuel_data
from fuel_health.fuel_data import FIXTURES, canonical_role, config_fragment_path

__all__ = ["FIXTURES", "LAB_RELEASE", "canonical_role", "config_fragment_path", "conflicts", "fill", "role"]

T = TypeVar("T")
# The lab stands for the newest release (neutron, settings editable after deployment: the grow-later path);
# its topologies are checked against that release's role rules.
LAB_RELEASE = fuel_data.newest_release()


def _as_lab_error(call: Callable[[], T]) -> T:
    try:
        return call()
    except fuel_data.FixtureError as exc:
        raise LabError(str(exc)) from None


def role(name: str) -> dict[str, Any]:
    """Metadata of one role (aliases accepted)."""
    return _as_lab_error(lambda: fuel_data.role(name))


def conflicts(name: str, release: str = LAB_RELEASE) -> set[str]:
    """The roles (canonical names) that `name` may not share a node with in that release; '*' = all others."""
    return _as_lab_error(lambda: fuel_data.conflicts(name, release))


def fill(text: str, values: dict[str, str], where: str) -> str:
    """Replace {{name}} placeholders; an unknown name is an error, never left in the output."""
    return _as_lab_error(lambda: fuel_data.fill(text, values, where))
