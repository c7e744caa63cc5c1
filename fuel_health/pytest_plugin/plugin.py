"""The pytest plugin of fuel-health (registered through the `pytest11` entry point).

INERT unless asked: it loads no config and opens nothing unless one of its options is given, the
command line points into fuel_health/tests, or the collected tests carry @ostf.scenario metadata.
So any other pytest run in the same environment (our own tests/unit) is untouched; OSTF tests picked
up with no config anywhere (a bare `pytest` at the repo root) are deselected with a warning.
The fixtures (cluster_config, tags, run_id, names, os_conn, vcenter, cleanup, step, ctx) are in
fuel_health/pytest_plugin/fixtures.py; the end-of-run summary in fuel_health/pytest_plugin/summary.py.

When active it: loads the ClusterConfig once per process, runs a preflight once per session (exit
code 3 with one line when the cloud cannot be reached), deselects tests that do not apply here and
says why at the end, adds `ostf_id`/`test_set`/`hypervisor`/`step` to JUnit, sets allure labels,
and runs every pending cleanup on success, failure, Ctrl-C and SIGTERM.
All state lives in `config.stash`: nothing module-global, so xdist workers share nothing by accident.
"""

from __future__ import annotations

import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fuel_health.clients import connections, metrics, resources
from fuel_health.config import ConfigError
from fuel_health.pytest_plugin import ostf, params, selection
from fuel_health.pytest_plugin.state import (
    EXIT_CANNOT_RUN,
    STATE,
    RunState,
    activate,
    allure_active,
    exit_run,
    run_pending,
)
from fuel_health.pytest_plugin.summary import failure_line, summary_lines

# The checks' folder, found by path: the plugin never imports the checks (pytest collects them).
TESTS_DIR = Path(__file__).resolve().parents[1] / "tests"
_OPTIONS = ("fh_cluster_config", "fh_nailgun_url", "fh_cluster_id", "fh_sets", "fh_hypervisor", "fh_run_id",
            "fh_config_set")


TALLY = pytest.StashKey[metrics.Tally]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fuel-health", "fuel-health: OSTF health checks of a dual-hypervisor cloud")
    group.addoption("--cluster-config", dest="fh_cluster_config", metavar="PATH",
                    help="cluster config YAML (docs/cluster-config.md); env FUEL_HEALTH_CONFIG")
    group.addoption("--nailgun-url", dest="fh_nailgun_url", metavar="URL",
                    help="build the config from Nailgun, e.g. http://10.20.0.2:8000")
    group.addoption("--cluster-id", dest="fh_cluster_id", metavar="N", help="Fuel environment id (Nailgun)")
    # Kept only to refuse it with the fix: a token in argv is visible in `ps` (tests/security).
    group.addoption("--nailgun-token", dest="fh_nailgun_token", metavar="TOKEN",
                    help="refused (visible in ps): use $FUEL_HEALTH_NAILGUN_TOKEN or $FUEL_HEALTH_NAILGUN_TOKEN_FILE")
    group.addoption("--hypervisor", dest="fh_hypervisor", choices=("kvm", "vcenter"),
                    help="run only the checks of one hypervisor (plus those not specific to one)")
    group.addoption("--set", dest="fh_sets", metavar="SETS",
                    help=f"comma-separated test sets: {','.join(ostf.TEST_SETS)}")
    group.addoption("--run-id", dest="fh_run_id", metavar="ID",
                    help="8 hex chars naming this run's resources (default: a new one)")
    group.addoption("--config-set", dest="fh_config_set", action="append", default=[], metavar="KEY=VALUE",
                    help="override one config key, e.g. timeouts.boot=300 (repeatable)")
    group.addoption("--no-preflight", dest="fh_no_preflight", action="store_true",
                    help="skip the reachability check of keystone and vCenter")


# --- activation -----------------------------------------------------------------------------------


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _points_at_suite(config: pytest.Config) -> bool:
    for arg in config.args:
        if config.option.pyargs and arg.split("::")[0].startswith("fuel_health"):
            return True
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        # Inside the suite only: a bare `pytest` at the repo root must still run our unit tests.
        if path == TESTS_DIR or TESTS_DIR in path.parents:
            return True
    return False


def _wants_activation(config: pytest.Config) -> bool:
    given = any(getattr(config.option, name, None) for name in _OPTIONS)
    return given or _points_at_suite(config)


def _preflight(config: pytest.Config, state: RunState) -> None:
    if _is_worker(config) or config.option.collectonly or config.option.fh_no_preflight or state.cfg is None:
        return
    try:
        found = connections.preflight(state.cfg)
    except (connections.CannotRun, ConfigError) as exc:  # the caller's side: credentials, TLS, config
        exit_run(str(exc))
    state.preflight, state.down, state.auth_state = found.lines, found.down, found.auth_state


def _run_id(config: pytest.Config) -> str:
    if _is_worker(config):
        return config.workerinput["fuel_health_run_id"]  # type: ignore[attr-defined]
    given = config.option.fh_run_id
    try:
        return resources.check_run_id(given) if given else resources.new_run_id()
    except ValueError as exc:
        raise pytest.UsageError(f"--run-id: {exc}") from None


def _parse_sets(value: str | None) -> frozenset[str] | None:
    if not value:
        return None
    sets = frozenset(s.strip() for s in value.split(",") if s.strip())
    unknown = sorted(sets - set(ostf.TEST_SETS))
    if unknown:
        raise pytest.UsageError(f"--set: unknown test set(s) {', '.join(unknown)} "
                                f"(known: {', '.join(ostf.TEST_SETS)})")
    return sets


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ostf: an OSTF health check declared with @ostf.scenario")
    for hv in ("kvm", "vcenter", "both"):
        config.addinivalue_line("markers", f"hypervisor_{hv}: a check of the {hv} hypervisor zone(s)")
    for test_set in ostf.TEST_SETS.values():
        config.addinivalue_line("markers", f"{test_set.id}: OSTF test set '{test_set.description}'")
    config.addinivalue_line("markers", f"{params.MARK}(argname, source): parametrize from the cluster config")
    if _is_worker(config):
        winput = config.workerinput  # type: ignore[attr-defined]
        worker, active = winput["workerid"], winput.get("fuel_health_active", False)
    else:
        worker, active = "main", _wants_activation(config)
    state = RunState(active=False, run_id=_run_id(config), worker=worker,
                     sets=_parse_sets(config.option.fh_sets), hypervisor=config.option.fh_hypervisor)
    if _is_worker(config):  # what the controller's preflight found
        state.down = dict(winput.get("fuel_health_down") or {})
        state.auth_state = winput.get("fuel_health_auth_state")
    config.stash[STATE] = state
    # Hooks that need the config live on a per-config object: no module-level state.
    config.pluginmanager.register(_RunPlugin(config, state), "fuel-health-run")
    config.pluginmanager.import_plugin("fuel_health.pytest_plugin.fixtures")
    if active:
        activate(config, state)


class _RunPlugin:
    """The hooks of one pytest process (controller or xdist worker)."""

    def __init__(self, config: pytest.Config, state: RunState) -> None:
        self.config, self.state = config, state

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Give every xdist worker the controller's run id, so all workers name resources alike."""
        node.workerinput["fuel_health_run_id"] = self.state.run_id
        node.workerinput["fuel_health_active"] = self.state.active
        node.workerinput["fuel_health_down"] = dict(self.state.down)
        node.workerinput["fuel_health_auth_state"] = self.state.auth_state

    def pytest_report_header(self) -> list[str]:
        state, cfg = self.state, self.state.cfg
        if not state.active or cfg is None:
            return []
        return [f"fuel-health: run {state.run_id}, cluster {cfg.cluster.name} (config: {cfg.source})",
                f"deployment tags: {', '.join(sorted(state.tags))}", *state.preflight]

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not self.state.active:
            return
        _preflight(self.config, self.state)
        if threading.current_thread() is threading.main_thread():
            self.state.previous_sigterm = signal.signal(signal.SIGTERM, _on_sigterm)

    def pytest_unconfigure(self) -> None:
        if self.state.previous_sigterm is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.state.previous_sigterm)
            self.state.previous_sigterm = None

    # --- collection ---

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if not any(True for _ in metafunc.definition.iter_markers(params.MARK)):
            return
        state = self.state
        if not state.active and activate(self.config, state, lazy=True):
            _preflight(self.config, state)  # what _activate_late would do, a bit earlier
        params.parametrize(metafunc, state.cfg)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        state, config = self.state, self.config
        metas = [(item, ostf.meta_of(getattr(item, "function", None))) for item in items]
        if not any(meta for _, meta in metas):
            return
        if not state.active and not self._activate_late(metas, items):
            return
        assert state.cfg is not None
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        for item, meta in metas:
            if meta is None:
                keep.append(item)
                continue
            reason = selection.why_not(meta, state.tags, sets=state.sets, hypervisor=state.hypervisor,
                                       release=state.cfg.cluster.release)
            if reason:
                drop.append(item)
                state.deselected[meta.id] = reason
            else:
                keep.append(item)
                item.user_properties.extend([("ostf_id", meta.id), ("test_set", meta.test_set),
                                             ("hypervisor", meta.hypervisor or "any")])
                if allure_active(config) and isinstance(item, pytest.Function):
                    # allure-pytest names a result after this attribute (set later, it would be overwritten)
                    item.function.__allure_display_name__ = meta.title  # type: ignore[attr-defined]
        # OSTF order: sanity before smoke before ... (a broken cloud fails fast and cheap).
        keep.sort(key=_priority)
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = keep
        if _is_worker(config):
            config.workeroutput["fuel_health_deselected"] = dict(state.deselected)  # type: ignore[attr-defined]

    def _activate_late(self, metas: list[tuple[pytest.Item, ostf.TestMeta | None]],
                       items: list[pytest.Item]) -> bool:
        # OSTF tests came in without being asked for by name (e.g. a bare `pytest` at the repo root).
        if activate(self.config, self.state, lazy=True):
            _preflight(self.config, self.state)
            return True
        # No config anywhere: leave the health checks out (with a reason) rather than fail the run.
        drop = [item for item, meta in metas if meta is not None]
        reason = "no cluster config (pass --cluster-config PATH or set FUEL_HEALTH_CONFIG)"
        self.state.deselected.update({meta.id: reason for _, meta in metas if meta is not None})
        self.config.hook.pytest_deselected(items=drop)
        items[:] = [item for item, meta in metas if meta is None]
        warnings.warn(pytest.PytestWarning(f"fuel-health: {len(drop)} OSTF checks deselected: {reason}"),
                      stacklevel=1)
        return False

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Collect a worker's deselection reasons (every worker collects the same tests)."""
        self.state.deselected.update(getattr(node, "workeroutput", {}).get("fuel_health_deselected", {}))

    # --- results ---

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        """A `[none]` case fails with its reason instead of running (params.NothingToCheck)."""
        reason = params.nothing_to_check(pyfuncitem)
        if reason:
            pytest.fail(reason, pytrace=False)
        return None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
        with metrics.tally() as counts:
            item.stash[TALLY] = counts
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
        counts = item.stash.get(TALLY, None)
        if call.when == "teardown" and counts is not None and ostf.meta_of(getattr(item, "function", None)):
            item.user_properties += counts.properties()  # JUnit: what the test asked of the cloud
        excinfo = call.excinfo
        if excinfo is not None and isinstance(excinfo.value, ostf.StepFailed) \
                and ostf.meta_of(getattr(item, "function", None)) is not None \
                and not any(name == "step" for name, _ in item.user_properties):
            item.user_properties.append(("step", excinfo.value.step))  # JUnit: OSTF's `step` field
        return (yield)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if "ostf_id" not in props:
            return
        ostf_id, test_set, hv = str(props["ostf_id"]), str(props["test_set"]), str(props["hypervisor"])
        before = self.state.outcomes.get(report.nodeid, (ostf_id, test_set, hv, "passed"))[3]
        outcome = before
        if report.when == "call":
            outcome = "failed" if report.failed else "skipped" if report.skipped else "passed"
        elif report.failed:
            outcome = before if before == "failed" else "error"  # setup/teardown trouble, e.g. cleanup
        elif report.skipped and report.when == "setup":
            outcome = "skipped"
        self.state.outcomes[report.nodeid] = (ostf_id, test_set, hv, outcome)
        # A test parametrized per node keeps one line per failing node: the summary names each.
        name = report.nodeid.rsplit("::", 1)[-1]
        key = ostf_id + (name[name.index("["):] if "[" in name else "")
        if report.failed and key not in self.state.failures:
            self.state.failures[key] = failure_line(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.state.collect_errors += 1

    # A wrapper around pytest's own teardown of every fixture, so what follows runs even when a fixture's
    # cleanup raised there (e.g. after an interrupt): the sweep below is for exactly that case.
    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        try:
            return (yield)
        finally:
            self._finish(session, exitstatus)

    def _finish(self, session: pytest.Session, exitstatus: int) -> None:
        errors = run_pending(self.state)
        for line in errors:
            sys.stderr.write(f"fuel-health: cleanup failed: {line}\n")
        if exitstatus == pytest.ExitCode.INTERRUPTED and self.state.active and self.state.cfg is not None:
            # Ctrl-C can land between a create call and the registration of its cleanup: sweep this run's
            # names too. A sweep error must never hide the interrupt itself.
            cfg = self.state.cfg
            try:
                for line in resources.sweep(connections.openstack_connection(cfg), cfg.resource_prefix,
                                            self.state.run_id, timeout=cfg.timeouts.delete):
                    sys.stderr.write(f"fuel-health: interrupted run, swept: {line}\n")
            except resources.CleanupFailed as exc:
                for line in exc.errors:
                    sys.stderr.write(f"fuel-health: interrupted run, sweep failed: {line}\n")
            except Exception as exc:  # noqa: BLE001 - said in one line, never hiding the interrupt itself
                sys.stderr.write(f"fuel-health: interrupted run, sweep failed: {' '.join(str(exc).split())}\n")
        if not self.state.active or _is_worker(self.config):
            return
        # Nothing to check here, or a test module that does not import: "cannot run", not healthy/interrupted.
        broken = exitstatus == pytest.ExitCode.INTERRUPTED and self.state.collect_errors
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED or broken:
            session.exitstatus = EXIT_CANNOT_RUN

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        if self.state.active and not _is_worker(self.config):
            state = self.state
            cluster = state.cfg.cluster.name if state.cfg else "?"
            for line in summary_lines(state.run_id, cluster, state.outcomes, state.failures, state.deselected,
                                      exitstatus):
                terminalreporter.write_line(line)


def _on_sigterm(signum: int, frame: Any) -> None:
    # Turn SIGTERM into Ctrl-C: pytest then tears fixtures down, and our cleanups run.
    raise KeyboardInterrupt("SIGTERM")


def _priority(item: pytest.Item) -> int:
    meta = ostf.meta_of(getattr(item, "function", None))
    return meta.priority if meta else 99
