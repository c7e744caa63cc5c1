"""Security tests: the lab's doors, the cleanup sweep, the config loader, TLS and secrets.

Tests that need the lab use it read-only (run them under `flock -s /tmp/fuel-lab.lock`); they never start,
stop or reset it. A lab that is not up is a failure with a reason, never a skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import openstack
import pytest

from devops_envs.local.lab import Lab


@pytest.fixture(scope="session")
def lab() -> Lab:
    lab = Lab.default()
    if not lab.paths.suite_config.is_file() or not lab.paths.clouds_yaml.is_file():
        pytest.fail(f"the local lab is not up ({lab.paths.suite_config} missing): "
                    "run `python -m devops_envs.local up` first")
    return lab


@pytest.fixture(scope="session")
def conn(lab: Lab) -> Iterator[openstack.connection.Connection]:
    conn = lab.connect(compute_api_version="2.37")
    yield conn
    conn.close()
