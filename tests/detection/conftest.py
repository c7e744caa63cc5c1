"""Proof of detection runs on the real local lab: faults are injected with the lab's own `fault`/`heal`."""

from __future__ import annotations

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
