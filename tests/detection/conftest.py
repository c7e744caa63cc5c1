"""Proof of detection runs on the real local lab: faults are injected with the lab's own `fault`/`heal`."""

from __future__ import annotations

from pathlib import Path

import pytest

from devops_envs.local.lab import Lab


@pytest.fixture(scope="session")
def lab() -> Lab:
    lab = Lab.default()
    lab.up()
    lab.heal()
    return lab


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "libvirt: a fault row of the real KVM zone (`make test-libvirt`: -m libvirt)")
    config.addinivalue_line("markers", "multi_vc: a per-unit row of the multi-vCenter lab (`make test-multi-vc`)")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The per-unit rows need the multi_vc lab; on any other lab they are not collected (not skipped: a
    `make test-multi-vc` whose lab is not multi_vc then runs nothing, and pytest's exit 5 fails it)."""
    if collection_path.name != "test_per_unit.py":
        return None
    topo = Lab.default().topology()
    return None if topo is not None and topo.name == "multi_vc" else True
