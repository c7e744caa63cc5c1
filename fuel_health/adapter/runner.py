"""Runs: each is one pytest process in its own process group; stop, restart, finalization, recovery.

The pytest process streams per-test status to the database itself (fuel_health/adapter/reporter.py);
the adapter only starts it, interrupts it (SIGINT to its group: the plugin's cleanup runs, as on Ctrl-C),
and when it exits marks what never reported: `stopped` after a stop, `error` (with the reason from its
log) otherwise. Runs found `running` at start-up were cut off by an adapter restart: they end in `error`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from fuel_health.adapter import models as m
from fuel_health.adapter.auth import caller_token
from fuel_health.adapter.catalog import Catalog, CatalogSource, Entry
from fuel_health.adapter.clusters import Cluster
from fuel_health.adapter.reporter import DB_ENV  # how pytest gets the database URL (kept out of `ps`)
from fuel_health.adapter.schemas import OsCreds
from fuel_health.adapter.settings import Settings
from fuel_health.clients import resources
from fuel_health.config import ClusterConfig

log = logging.getLogger("fuel_health.adapter")
# No cache files in the checkout; dev-only plugins that cost over a second of start-up (hypothesis, schemathesis).
_QUIET_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest")
# The adapter's own pytest plugin, which streams each test's status to its database (the run plugin never loads it).
_REPORTER = ("-p", "fuel_health.adapter.reporter")
_CANNOT_RUN = "fuel-health: cannot run:"  # the plugin's one line when the cloud or the config is wrong
_REASON_PREFIXES = ("INTERNALERROR>", "ERROR: ", "E   ")


class NotFound(LookupError):
    """A run or test named in the request does not exist (404)."""


class Conflict(RuntimeError):
    """The request clashes with a run's state, e.g. the set is still running (409)."""


@dataclass(frozen=True)
class NewRun:
    """A run to create: the cluster, the set's tests that apply there, the ones to run, credentials."""

    cluster: Cluster
    testset: str
    entries: Sequence[Entry]
    selected: frozenset[str]
    creds: OsCreds | None = None
    reason: str | None = None  # why the set has no test for this cluster (the run is then empty and finished)


def creds_env(cfg: ClusterConfig, creds: OsCreds | None, private: Path | None = None) -> dict[str, str]:
    """Return environment variables that make pytest use the POSTed OpenStack credentials.

    Only the auth fields change. A clouds.yaml entry is copied whole into `private` (a 0600 file the run
    deletes when it ends) with its username, password and project replaced, so its region, cacert, verify
    and interface stay as the operator wrote them.
    """
    given = {k: v for k, v in (("username", creds.ostf_os_username), ("password", creds.ostf_os_password),
                               ("project_name", creds.ostf_os_tenant_name)) if v} if creds else {}
    if not given:
        return {}
    if cfg.cloud.kind == "env":
        names = {"username": "OS_USERNAME", "password": "OS_PASSWORD", "project_name": "OS_PROJECT_NAME"}
        return {names[k]: v for k, v in given.items()}
    if cfg.cloud.kind == "clouds.yaml":
        if private is None:
            raise ValueError("a clouds.yaml cloud needs a private file for posted credentials")
        source = Path(cfg.cloud.clouds_yaml or "~/.config/openstack/clouds.yaml").expanduser()
        try:
            entry = dict(yaml.safe_load(source.read_text())["clouds"][cfg.cloud.name])
        except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise ValueError(f"cannot read entry {cfg.cloud.name} of {source}: {exc}") from None
        entry["auth"] = {**(entry.get("auth") or {}), **given}
        for key in ("cacert", "cert", "key"):  # relative to the original file
            if isinstance(entry.get(key), str) and not Path(entry[key]).expanduser().is_absolute():
                entry[key] = str(source.parent / entry[key])
        private.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yaml.safe_dump({"clouds": {cfg.cloud.name: entry}}, out, allow_unicode=True)
        return {"FUEL_HEALTH_CLOUD__CLOUDS_YAML": str(private)}
    # Values are read as YAML: JSON-quote them, or a password like 123 or yes would change type.
    return {f"FUEL_HEALTH_CLOUD__AUTH__{k.upper()}": json.dumps(v) for k, v in given.items()}


def log_reason(path: Path, returncode: int) -> str:
    """Return the line of a pytest log that says why tests did not run."""
    try:
        lines = [line.rstrip() for line in path.read_text(errors="replace").splitlines()[-300:] if line.strip()]
    except OSError:
        lines = []
    cannot = [line[line.index(_CANNOT_RUN):] for line in lines if _CANNOT_RUN in line]  # pytest.exit's banner
    if cannot:
        return cannot[0].rstrip(" !")[:300]
    for prefix in _REASON_PREFIXES:
        hits = [line for line in lines if line.startswith(prefix)]
        if hits:
            return hits[-1][:300]
    return f"pytest exited with code {returncode}" + (f": {lines[-1][:200]}" if lines else "")


def _is_our_pytest(pid: int, testrun_id: int) -> bool:
    try:
        cmd = psutil.Process(pid).cmdline()
    except (psutil.Error, OSError):
        return False
    return "--ostf-testrun-id" in cmd and cmd[cmd.index("--ostf-testrun-id") + 1:][:1] == [str(testrun_id)]


class Runner:
    """Starts, stops and finalizes runs; one lock serializes every state change of runs."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], catalog: CatalogSource) -> None:
        self.settings, self.sessions, self.catalog = settings, sessions, catalog
        self.lock = threading.RLock()
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._watchers: list[threading.Thread] = []
        self._creds: dict[int, OsCreds] = {}  # kept in memory only, for a restart
        self.shutting_down = False

    # --- create / restart / stop ---

    def create(self, new: Sequence[NewRun]) -> list[int]:
        """Record and start runs (all or none); Conflict if a set is already running on that cluster."""
        with self.lock:  # held until the processes exist: a stop arriving meanwhile finds them
            with self.sessions.begin() as s:
                wanted = [(n.cluster.id, n.testset) for n in new]
                for cid, testset in wanted:
                    if wanted.count((cid, testset)) > 1:
                        raise Conflict(f"test set {testset} is asked for twice for cluster {cid}")
                    self._check_idle(s, cid, testset)
                runs = [self._insert(s, n) for n in new]
                s.flush()
                ids = [r.id for r in runs]
            for run_id, n in zip(ids, new, strict=True):
                if n.creds:
                    self._creds[run_id] = n.creds
                if n.selected & {e.meta.id for e in n.entries}:
                    self._launch(run_id, n.cluster)
        return ids

    def _check_idle(self, s: Session, cluster_id: int, testset: str, but: int | None = None) -> None:
        busy = s.scalars(select(m.TestRun.id).where(
            m.TestRun.cluster_id == cluster_id, m.TestRun.testset == testset,
            m.TestRun.status == m.RUN_RUNNING, m.TestRun.id != (but or 0))).first()
        if busy is not None:
            raise Conflict(f"test set {testset} is still running on cluster {cluster_id} (test run {busy}): "
                           f"wait for it to finish or stop it (PUT /v1/testruns status=stopped)")

    def _insert(self, s: Session, new: NewRun) -> m.TestRun:
        meta = {"cluster_id": new.cluster.id, "run_id": resources.new_run_id(), "cluster": new.cluster.cfg.cluster.name}
        if new.creds and new.creds.ostf_os_username:
            meta["ostf_os_access_creds"] = {"ostf_os_username": new.creds.ostf_os_username,
                                            "ostf_os_tenant_name": new.creds.ostf_os_tenant_name}
        if new.reason:
            meta["reason"] = new.reason
        # Nothing to run (an empty set, or only other sets' tests asked for): finished at once, as fuel-ostf's was.
        idle = not new.selected & {e.meta.id for e in new.entries}
        run = m.TestRun(testset=new.testset, cluster_id=new.cluster.id, meta=meta,
                        status=m.RUN_FINISHED if idle else m.RUN_RUNNING, ended_at=m.utcnow() if idle else None)
        run.tests = [m.TestResult(position=i, test_id=e.meta.id, testset=e.meta.test_set, name=e.meta.title,
                                  description=e.description, duration=e.meta.duration or None, nodeid=e.nodeid,
                                  status=m.WAIT if e.meta.id in new.selected else m.DISABLED)
                     for i, e in enumerate(new.entries)]
        s.add(run)
        return run

    def restart(self, run_id: int, test_ids: Sequence[str], cluster: Cluster, creds: OsCreds | None) -> None:
        """Run some tests of a finished run again (default: every test it did not have disabled).

        fuel-ostf 9.0 (fuel_plugin/ostf_adapter/storage/models.py:376-394, :181-188) only reset the rows the run
        already had and ignored other ids. Fuel UI sends every checked test (fuel-ui 9.0:static/views/
        cluster_page_tabs/healthcheck_tab.js:157-163), so ours goes further, as issue 11 asks: a named test the
        run has not seen is added when it is of the run's set and applies to the cluster now; other ids are still
        ignored. Without credentials, a run whose credentials the adapter no longer holds is refused.
        """
        catalog = self.catalog.get()
        with self.lock:
            with self.sessions.begin() as s:
                run = self._get(s, run_id)
                wanted, given = self._restart_plan(s, run, test_ids, cluster, creds, catalog)
                by_id = {t.test_id: t for t in run.tests}
                position = max((t.position for t in run.tests), default=-1)
                for test_id in wanted:
                    entry = catalog.by_id[test_id]
                    row = by_id.get(test_id)
                    if row is None:  # new in the suite, or applies since the cluster changed
                        position += 1
                        row = m.TestResult(position=position, test_id=test_id, testset=entry.meta.test_set,
                                           name=entry.meta.title, description=entry.description,
                                           duration=entry.meta.duration or None, nodeid=entry.nodeid, status=m.WAIT)
                        run.tests.append(row)
                    row.status, row.message, row.step, row.taken = m.WAIT, None, None, None
                    row.nodeid = entry.nodeid
                run.status, run.ended_at, run.stop_requested, run.pid = m.RUN_RUNNING, None, False, None
                run.meta = {**run.meta, "run_id": resources.new_run_id()}
                if given:  # who this rerun runs as (never the password): a later restart needs it again
                    run.meta = {**run.meta, "ostf_os_access_creds": {
                        "ostf_os_username": creds.ostf_os_username,  # type: ignore[union-attr]
                        "ostf_os_tenant_name": creds.ostf_os_tenant_name}}  # type: ignore[union-attr]
            if given:
                self._creds[run_id] = creds  # type: ignore[assignment]
            self._launch(run_id, cluster)

    def check_restart(self, run_id: int, test_ids: Sequence[str], cluster: Cluster, creds: OsCreds | None) -> None:
        """Raise what restart() would refuse, changing nothing: a PUT list is checked whole before any run starts."""
        with self.lock, self.sessions() as s:
            self._restart_plan(s, self._get(s, run_id), test_ids, cluster, creds, self.catalog.get())

    def _restart_plan(self, s: Session, run: m.TestRun, test_ids: Sequence[str], cluster: Cluster,
                      creds: OsCreds | None, catalog: Catalog) -> tuple[list[str], bool]:
        """Return (the tests to rerun, whether credentials were posted), or raise Conflict/NotFound."""
        if run.status == m.RUN_RUNNING:
            raise Conflict(f"test run {run.id} is still running: stop it first or wait")
        self._check_idle(s, run.cluster_id, run.testset, but=run.id)
        posted = (run.meta or {}).get("ostf_os_access_creds") or {}
        given = creds is not None and bool(creds.ostf_os_username or creds.ostf_os_password)
        if posted and not given and run.id not in self._creds:
            raise Conflict(f"test run {run.id} ran as {posted.get('ostf_os_username')}, whose password this "
                           f"adapter no longer holds (it restarted since): send ostf_os_access_creds again")
        by_id = {t.test_id: t for t in run.tests}
        applies = {e.meta.id for e in cluster.tests(catalog, run.testset)}
        wanted = [t for t in dict.fromkeys(test_ids) if t in catalog.by_id and (t in applies or (
            t in by_id and catalog.by_id[t].meta.test_set == run.testset))]
        if not test_ids:
            wanted = [t.test_id for t in run.tests if t.status != m.DISABLED and t.test_id in catalog.by_id]
        if not wanted:
            raise NotFound(f"none of the tests asked for is in test set {run.testset} for cluster "
                           f"{run.cluster_id}: nothing to rerun in test run {run.id}")
        return wanted, given

    def stop(self, run_id: int) -> None:
        """Interrupt a run: its waiting tests become `stopped` now, the running one once cleanup is done.

        A finished run is left as it is (a 200, as in fuel-ostf 9.0:fuel_plugin/ostf_adapter/storage/models.py:
        396-405): Fuel UI stops the runs it saw running up to 3 s earlier (fuel-ui 9.0:static/views/
        cluster_page_tabs/healthcheck_tab.js:196-212), one may have finished since.
        """
        with self.lock:
            with self.sessions.begin() as s:
                run = self._get(s, run_id)
                if run.status != m.RUN_RUNNING or run.stop_requested:
                    return  # finished: nothing to do; stopping: a second SIGINT would cut the cleanup short
                run.stop_requested = True
                for t in run.tests:
                    if t.status == m.WAIT:
                        t.status, t.message = m.STOPPED, "stopped before it started"
            proc = self._procs.get(run_id)
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)

    @staticmethod
    def _get(s: Session, run_id: int) -> m.TestRun:
        run = s.get(m.TestRun, run_id)
        if run is None:
            raise NotFound(f"no test run {run_id}")
        return run

    # --- the pytest process ---

    def creds_path(self, run_id: int) -> Path:
        """Return the private clouds.yaml of a run with posted credentials (deleted when the run ends)."""
        return self.settings.log_dir / ".creds" / f"testrun-{run_id}.yaml"

    def log_path(self, run_id: int) -> Path:
        """Return the file that gets a run's pytest output."""
        return self.settings.log_dir / f"testrun-{run_id}.log"

    def _launch(self, run_id: int, cluster: Cluster) -> None:
        with self.sessions() as s:
            run = self._get(s, run_id)
            nodeids = [t.nodeid for t in run.tests if t.status == m.WAIT]
            testset, hex_id = run.testset, run.meta["run_id"]
        if not self.settings.execute:
            self._skip_all(run_id)
            return
        st = self.settings
        st.log_dir.mkdir(parents=True, exist_ok=True)
        argv = [st.python, "-m", "pytest", *nodeids, *_QUIET_PLUGINS, *_REPORTER, "--rootdir", str(self.catalog.root),
                "--tb=short", "-rfE", "--set", testset, "--run-id", hex_id, "--ostf-testrun-id", str(run_id),
                "--junitxml", str(st.log_dir / f"testrun-{run_id}-{hex_id}.xml"),
                *cluster.pytest_args, *st.pytest_args]
        try:
            posted = creds_env(cluster.cfg, self._creds.get(run_id), self.creds_path(run_id))
        except ValueError as exc:
            with self.log_path(run_id).open("a") as out:
                out.write(f"ERROR: cannot use the posted credentials: {exc}\n")
            self.finalize(run_id, -1)
            return
        env = {**self.catalog.env(), DB_ENV: m.normalize_url(st.db_url), **posted}
        token = caller_token() or st.nailgun_token  # the caller's keystone token, as fuel-ostf forwarded it
        if token:
            env["FUEL_HEALTH_NAILGUN_TOKEN"] = token
        with self.log_path(run_id).open("ab") as out:
            out.write(f"==== test run {run_id} ({hex_id}): {' '.join(argv[1:])}\n".encode())
            out.flush()
            try:
                proc = subprocess.Popen(argv, cwd=self.catalog.root, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as exc:
                out.write(f"ERROR: cannot start pytest: {exc}\n".encode())
                proc = None
        if proc is None:
            self.finalize(run_id, -1)
            return
        with self.sessions.begin() as s:
            s.execute(update(m.TestRun).where(m.TestRun.id == run_id).values(pid=proc.pid))
        self._procs[run_id] = proc
        watcher = threading.Thread(target=self._watch, args=(run_id, proc), name=f"testrun-{run_id}", daemon=True)
        self._watchers = [w for w in self._watchers if w.is_alive()] + [watcher]
        watcher.start()
        log.info("test run %s (%s): pytest pid %s, log %s", run_id, hex_id, proc.pid, self.log_path(run_id))

    def _skip_all(self, run_id: int) -> None:
        with self.sessions.begin() as s:
            run = self._get(s, run_id)
            for t in run.tests:
                if t.status == m.WAIT:
                    t.status, t.message = m.SKIPPED, "execution is disabled on this adapter (serve --no-execute)"
            run.status, run.ended_at = m.RUN_FINISHED, m.utcnow()

    def _watch(self, run_id: int, proc: subprocess.Popen[bytes]) -> None:
        code = proc.wait()
        try:
            self.finalize(run_id, code)
        except Exception:  # a watcher must not die silently: the run would stay `running`
            log.exception("test run %s: cannot record the end of the run", run_id)
        finally:
            with self.lock:
                if self._procs.get(run_id) is proc:
                    del self._procs[run_id]

    def finalize(self, run_id: int, returncode: int) -> None:
        """Mark the run finished and every test that never reported as stopped or error."""
        with self.lock, self.sessions.begin() as s:
            run = self._get(s, run_id)
            cleanup = [line.split("cleanup failed: ", 1)[1] for line in self._log_lines(run_id)
                       if line.startswith("fuel-health: cleanup failed: ")]
            for t in run.tests:
                if t.status not in m.PENDING:
                    continue
                if run.stop_requested:
                    t.status = m.STOPPED
                    t.message = "stopped while running" + (
                        f"; cleanup failed: {'; '.join(cleanup)}" if cleanup else "; its cleanup ran")
                elif self.shutting_down:
                    t.status, t.message = m.ERROR, "interrupted: the adapter shut down during the run"
                else:
                    t.status = m.ERROR
                    t.message = f"not run: {log_reason(self.log_path(run_id), returncode)}"
            run.status, run.ended_at, run.pid = m.RUN_FINISHED, m.utcnow(), None
        self.creds_path(run_id).unlink(missing_ok=True)
        log.info("test run %s finished (pytest exit code %s)", run_id, returncode)

    def _log_lines(self, run_id: int) -> list[str]:
        try:
            return self.log_path(run_id).read_text(errors="replace").splitlines()[-500:]
        except OSError:
            return []

    # --- adapter start and stop ---

    def recover(self) -> None:
        """At start-up: runs left `running` by an adapter that died are interrupted and end in `error`."""
        with self.lock, self.sessions.begin() as s:
            for run in s.scalars(select(m.TestRun).where(m.TestRun.status == m.RUN_RUNNING)).all():
                if run.pid and _is_our_pytest(run.pid, run.id):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(run.pid, signal.SIGINT)  # an orphan: let it clean up, then end
                for t in run.tests:
                    if t.status in m.PENDING:
                        t.status, t.message = m.ERROR, "interrupted: the adapter restarted during the run"
                run.status, run.ended_at, run.pid = m.RUN_FINISHED, m.utcnow(), None
                self.creds_path(run.id).unlink(missing_ok=True)
                log.warning("test run %s was cut off by an adapter restart: marked finished", run.id)

    def shutdown(self) -> None:
        """Interrupt every run (their cleanup runs), wait for them, and record how they ended."""
        self.shutting_down = True
        with self.lock:
            procs = [p for p in self._procs.values() if p.poll() is None]
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(self.settings.shutdown_grace)
            except subprocess.TimeoutExpired:
                log.error("pytest %s did not finish its cleanup in %.0f s: killed", proc.pid,
                          self.settings.shutdown_grace)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        for watcher in list(self._watchers):
            watcher.join(timeout=30)
