"""The fixtures of the plugin: config, tags, run id, names, connections, cleanup, step, ctx.

Registered by the plugin (plugin.py) at configure time. Session-scoped ones are per xdist worker.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from fuel_health.clients import connections
from fuel_health.clients.context import RunCache, RunContext, Shared
from fuel_health.clients.resources import Cleanup, ResourceNames
from fuel_health.config import ClusterConfig, ConfigError
from fuel_health.pytest_plugin import ostf
from fuel_health.pytest_plugin.state import STATE, RunState, activate, allure_active, run_pending


def _state(request: pytest.FixtureRequest) -> RunState:
    state = request.config.stash[STATE]
    if state.cfg is None:  # a fixture asked for outside an active run: load the config now (or exit 3)
        activate(request.config, state)
    return state


@pytest.fixture(scope="session")
def cluster_config(request: pytest.FixtureRequest) -> ClusterConfig:
    """The run's frozen ClusterConfig."""
    cfg = _state(request).cfg
    assert cfg is not None
    return cfg


@pytest.fixture(scope="session")
def tags(request: pytest.FixtureRequest) -> frozenset[str]:
    """The cluster's deployment tags."""
    return _state(request).tags


@pytest.fixture(scope="session")
def run_id(request: pytest.FixtureRequest) -> str:
    """The run id, the same in every xdist worker (the controller hands it out)."""
    return request.config.stash[STATE].run_id


@pytest.fixture(scope="session")
def names(request: pytest.FixtureRequest, cluster_config: ClusterConfig, run_id: str) -> ResourceNames:
    """Unique resource names for this worker: names('server') -> ostf-<run>-<worker>-server-1."""
    return ResourceNames(cluster_config.resource_prefix, run_id, request.config.stash[STATE].worker)


@pytest.fixture(scope="session")
def os_conn(request: pytest.FixtureRequest, cluster_config: ClusterConfig, run_id: str) -> Iterator[Any]:
    """The openstacksdk Connection of this worker (with the preflight's token); fails if keystone is down."""
    state = request.config.stash[STATE]
    _fail_if_down(state, "keystone")
    conn = connections.openstack_connection(cluster_config, run_id=run_id, auth_state=state.auth_state)
    yield conn
    conn.close()


def _fail_if_down(state: RunState, endpoint: str) -> None:
    # A health failure of every check that needs the endpoint; the checks that don't still run.
    if endpoint in state.down:
        pytest.fail(f"{state.down[endpoint]}: this check needs it (found by the preflight)", pytrace=False)


@pytest.fixture(scope="session")
def vcenter_sessions(cluster_config: ClusterConfig) -> Iterator[connections.VCenterSessions]:
    """This worker's vCenter sessions, one per vCenter zone, opened on first use and logged out at the end."""
    sessions = connections.VCenterSessions(cluster_config)
    yield sessions
    sessions.close()


@pytest.fixture(scope="session")
def vcenter(request: pytest.FixtureRequest, cluster_config: ClusterConfig,
            vcenter_sessions: connections.VCenterSessions) -> Any:
    """The first vCenter zone's pyvmomi ServiceInstance of this worker; fails if the preflight found it down."""
    vc = cluster_config.vcenter
    if vc is None:
        raise ConfigError("vmware_attributes", "vCenter is not configured", "cluster.use_vcenter is false")
    _fail_if_down(request.config.stash[STATE], connections.vcenter_endpoint(vc))
    return vcenter_sessions.get(vc)


@pytest.fixture
def cleanup(request: pytest.FixtureRequest) -> Iterator[Cleanup]:
    """This test's cleanup registry; it runs at teardown whatever happened (failures error the test)."""
    state = request.config.stash[STATE]
    registry = Cleanup()
    state.pending.add(registry)  # the session finalizer runs it if this teardown never comes
    try:
        yield registry
    finally:
        state.pending.discard(registry)
        registry.run()


@pytest.fixture
def step(request: pytest.FixtureRequest) -> ostf.StepRunner:
    """`with step(n):` blocks numbered after the test's @ostf.scenario steps."""
    meta = ostf.meta_of(getattr(request.node, "function", None))
    if meta is None:
        pytest.fail(f"{request.node.nodeid}: the step fixture needs @ostf.scenario metadata", pytrace=False)
    return ostf.StepRunner(meta, allure_active=allure_active(request.config))


@pytest.fixture(scope="session")
def run_cache() -> RunCache:
    """What holds for the whole run (a zone's hosts), computed once per worker."""
    return RunCache()


@pytest.fixture
def ctx(request: pytest.FixtureRequest, cluster_config: ClusterConfig, tags: frozenset[str], run_id: str,
        names: ResourceNames, cleanup: Cleanup, run_cache: RunCache) -> RunContext:
    """Everything a step needs; os_conn and the vCenter sessions open only when a step first uses them."""
    return RunContext(cfg=cluster_config, tags=tags, run_id=run_id, names=names, cleanup=cleanup, cache=run_cache,
                      connect=lambda: request.getfixturevalue("os_conn"),
                      connect_vcenter=lambda: request.getfixturevalue("vcenter"),
                      connect_vcenters=lambda: request.getfixturevalue("vcenter_sessions"),
                      down=request.config.stash[STATE].down)


@pytest.fixture(scope="session")
def shared_ctx(request: pytest.FixtureRequest, cluster_config: ClusterConfig, tags: frozenset[str], run_id: str,
               names: ResourceNames, os_conn: Any, run_cache: RunCache) -> Iterator[RunContext]:
    """A RunContext for resources several tests share; its cleanup runs at the end of the session (per worker).

    It asks for os_conn itself, so the connection outlives this cleanup; vCenter still opens on first use.
    """
    state = request.config.stash[STATE]
    registry = Cleanup()
    state.pending.add(registry)
    try:
        yield RunContext(cfg=cluster_config, tags=tags, run_id=run_id, names=names, cleanup=registry, cache=run_cache,
                         connect=lambda: os_conn, connect_vcenter=lambda: request.getfixturevalue("vcenter"),
                         connect_vcenters=lambda: request.getfixturevalue("vcenter_sessions"), down=state.down)
    finally:
        state.pending.discard(registry)
        registry.run()


@pytest.fixture(scope="session")
def shared(shared_ctx: RunContext) -> Shared:
    """Build-once resources shared by tests: shared.get("vcenter server", lambda ctx: ...)."""
    return Shared(shared_ctx)


@pytest.fixture(scope="session", autouse=True)
def _fuel_health_pending_cleanups(request: pytest.FixtureRequest) -> Iterator[None]:
    """Session-level finalizer: whatever cleanup is still pending runs here at the latest."""
    yield
    for line in run_pending(request.config.stash[STATE]):
        sys.stderr.write(f"fuel-health: cleanup failed: {line}\n")


@pytest.fixture(autouse=True)
def _fuel_health_allure(request: pytest.FixtureRequest) -> None:
    """Label allure results from the metadata: feature = test set, story = hypervisor, ostf_id.

    The title is set at collection and the description is the docstring (allure's own default).
    """
    meta = ostf.meta_of(getattr(request.node, "function", None))
    if meta is None or not allure_active(request.config):
        return
    import allure

    allure.dynamic.feature(meta.test_set)
    allure.dynamic.story(meta.hypervisor or "any")
    allure.dynamic.label("ostf_id", meta.id)
