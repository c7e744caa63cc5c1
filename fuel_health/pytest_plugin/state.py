"""What one pytest process (controller or xdist worker) knows of the run, and how it learns it.

The plugin's hooks (plugin.py) and its fixtures (fixtures.py) both read this state from `config.stash`;
it lives here, below both, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from fuel_health import config as config_mod
from fuel_health.clients.resources import Cleanup
from fuel_health.config import ClusterConfig, ConfigError
from fuel_health.pytest_plugin.tags import deployment_tags

EXIT_CANNOT_RUN = 3


@dataclass
class RunState:
    """What one pytest process (controller or xdist worker) knows of the run; lives in config.stash."""

    active: bool
    run_id: str
    worker: str
    cfg: ClusterConfig | None = None
    tags: frozenset[str] = frozenset()
    sets: frozenset[str] | None = None
    hypervisor: str | None = None
    preflight: list[str] = field(default_factory=list)
    # Endpoints the preflight found unreachable or answering 5xx: the checks that need one fail naming it.
    down: dict[str, str] = field(default_factory=dict)
    auth_state: str | None = None  # the preflight's keystone token: the session's connections reuse it
    deselected: dict[str, str] = field(default_factory=dict)  # ostf id -> reason
    # nodeid -> (ostf id, test set, hypervisor, outcome)
    outcomes: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # ostf id -> one-line message
    pending: set[Cleanup] = field(default_factory=set)
    collect_errors: int = 0
    previous_sigterm: Any = None


STATE = pytest.StashKey[RunState]()


def exit_run(message: str) -> None:
    """End the run with exit code 3 and one line saying why it cannot run."""
    pytest.exit(f"fuel-health: cannot run: {message}", returncode=EXIT_CANNOT_RUN)


def activate(config: pytest.Config, state: RunState, *, lazy: bool = False) -> bool:
    """Load the config once in this process and compute the tags; False if lazy and none exists."""
    opt = config.option
    if opt.fh_nailgun_token:
        exit_run("--nailgun-token is refused: a token on the command line is visible in `ps`; "
                 "set $FUEL_HEALTH_NAILGUN_TOKEN or $FUEL_HEALTH_NAILGUN_TOKEN_FILE")
    try:
        state.cfg = config_mod.load(
            opt.fh_cluster_config, nailgun_url=opt.fh_nailgun_url, cluster_id=opt.fh_cluster_id,
            overrides=config_mod.parse_assignments(opt.fh_config_set or []))
    except ConfigError as exc:
        if lazy and isinstance(exc, config_mod.NoConfigFound):
            return False
        exit_run(str(exc))
    assert state.cfg is not None
    state.tags = deployment_tags(state.cfg)
    state.active = True
    # openstacksdk warns about its own future API changes on every call: noise in an operator's report.
    config.addinivalue_line("filterwarnings", "ignore::openstack.warnings._RemovedInSDKWarning")
    # The hypervisor listing asks for 2.87 (steps/compute.hypervisors), whose answer still carries the fields nova
    # dropped in 2.88; the sdk warns on each of them, and the suite reads none.
    config.addinivalue_line("filterwarnings", "ignore::openstack.warnings.RemovedFieldWarning")
    return True


def run_pending(state: RunState) -> list[str]:
    """Run every cleanup registry still pending (a teardown that never came); return the errors."""
    errors: list[str] = []
    for registry in list(state.pending):
        errors.extend(registry.run(raise_errors=False))
        state.pending.discard(registry)
    return errors


def allure_active(config: pytest.Config) -> bool:
    """Tell whether allure-pytest writes results (it registers its listener only with --alluredir)."""
    return config.pluginmanager.get_plugin("allure_listener") is not None
