"""The FastAPI app: fuel-ostf's REST API under /v1, /ostf/v1 and /ostf (Fuel UI's paths), and the page at /.

Errors are one line in {"message": ..., "detail": ...} (the same text): 400 malformed or missing input,
404 unknown cluster, test or run, 409 a set that is still running (or a run that is),
503 when discovery, Nailgun or the database
cannot answer. Nothing a client sends gives a 500.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from fuel_health.adapter import dblock, page
from fuel_health.adapter import models as m
from fuel_health.adapter.catalog import Catalog, CatalogError, CatalogSource
from fuel_health.adapter.clusters import Cluster, Clusters, ClusterUnavailable, UnknownCluster, default_files
from fuel_health.adapter.runner import Conflict, NewRun, NotFound, Runner
from fuel_health.adapter.schemas import (
    ClusterOut,
    PostBody,
    Problem,
    PutBody,
    RunRequest,
    RunRequests,
    RunUpdates,
    TestOut,
    TestRunOut,
    TestSetOut,
)
from fuel_health.adapter.settings import Settings
from fuel_health.pytest_plugin.ostf import TEST_SETS

log = logging.getLogger("fuel_health.adapter")
PREFIXES = ("/v1", "/ostf/v1", "/ostf")  # /ostf/<x> is what Fuel UI asks (nginx maps it to /v1/<x>)
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": Problem} for code in (400, 404, 409, 503)}
ClusterId = Annotated[int, Path(ge=0, le=m.MAX_ID, description="Fuel environment id")]


@dataclass
class Adapter:
    """What the routes work with."""

    settings: Settings
    sessions: sessionmaker[Session]
    catalog: CatalogSource
    clusters: Clusters
    runner: Runner


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat() if value else None


def run_out(run: m.TestRun) -> dict[str, Any]:
    """Return a run in fuel-ostf's shape."""
    return {"id": run.id, "testset": run.testset, "meta": run.meta or {}, "cluster_id": run.cluster_id,
            "status": run.status, "started_at": _iso(run.started_at), "ended_at": _iso(run.ended_at),
            "tests": [{"id": t.test_id, "testset": t.testset, "name": t.name, "description": t.description,
                       "duration": t.duration, "message": t.message, "step": t.step, "status": t.status,
                       "taken": t.taken} for t in run.tests]}


def _runs(s: Session, ids: list[int]) -> list[dict[str, Any]]:
    runs = {r.id: r for r in s.scalars(select(m.TestRun).where(m.TestRun.id.in_(ids)))} if ids else {}
    return [run_out(runs[i]) for i in ids if i in runs]


def _set_reason(catalog: Catalog, cluster: Cluster, testset: str) -> str:
    if testset not in TEST_SETS:
        return f"unknown test set {testset} (known: {', '.join(TEST_SETS)})"
    in_set = [e for e in catalog.entries if e.meta.test_set == testset]
    if not in_set:
        return f"test set {testset} has no tests in the suite"
    return f"test set {testset} has no test that applies to cluster {cluster.id}: {cluster.why_not(in_set[0])}"


def _new_run(adapter: Adapter, catalog: Catalog, item: RunRequest) -> NewRun:
    """One POST item as fuel-ostf took it (fuel-ostf 9.0:fuel_plugin/ostf_adapter/storage/models.py:277-330).

    A set with no test for the cluster gets a finished, empty run (fuel-qa posts `ha` with sanity and smoke:
    fuel-qa mitaka-eol:core/models/fuel_client/ostf_client.py:69-79). A test of another set is ignored for
    this set (fuel-qa puts its one test into every set's record, ibid. 74-75): this set's tests are then all
    `disabled`. A test that exists nowhere, or does not apply to the cluster, is still a 404 with the reason.
    """
    cluster = adapter.clusters.get(item.metadata.cluster_id)
    if item.testset not in TEST_SETS:
        raise NotFound(_set_reason(catalog, cluster, item.testset))
    entries = cluster.tests(catalog, item.testset)
    ids = {e.meta.id for e in entries}
    for test_id in item.tests or []:
        entry = catalog.by_id.get(test_id)
        if entry is None:
            raise NotFound(f"unknown test {test_id}")
        why = cluster.why_not(entry)
        if why is not None:
            raise NotFound(f"test {test_id} does not apply to cluster {cluster.id}: {why}")
    selected = frozenset(t for t in item.tests if t in ids) if item.tests else frozenset(ids)
    return NewRun(cluster=cluster, testset=item.testset, entries=entries, selected=selected,
                  creds=item.metadata.ostf_os_access_creds,
                  reason=None if entries else _set_reason(catalog, cluster, item.testset))


def build_router(adapter: Adapter) -> APIRouter:
    """Return the API routes (mounted under each of PREFIXES)."""
    router = APIRouter(responses=ERRORS)

    @router.get("/testsets/{cluster_id}", response_model=list[TestSetOut], summary="Test sets of a cluster")
    def testsets(cluster_id: ClusterId) -> list[dict[str, Any]]:
        """The sets with at least one test that applies to the cluster, by OSTF priority."""
        cluster = adapter.clusters.get(cluster_id)
        return [{"id": s.id, "name": s.description} for s in cluster.testsets(adapter.catalog.get())]

    @router.get("/tests/{cluster_id}", response_model=list[TestOut], summary="Tests of a cluster")
    def tests(cluster_id: ClusterId) -> list[dict[str, Any]]:
        """The tests that apply to the cluster, with title, description (numbered scenario) and duration."""
        cluster = adapter.clusters.get(cluster_id)
        return [{"id": e.meta.id, "testset": e.meta.test_set, "name": e.meta.title, "description": e.description,
                 "duration": e.meta.duration or None} for e in cluster.tests(adapter.catalog.get())]

    @router.get("/testruns", response_model=list[TestRunOut], summary="All test runs")
    def testruns(limit: Annotated[int | None, Query(ge=1, le=100_000, description="only the newest N")] = None,
                 ) -> list[dict[str, Any]]:
        """Every run, oldest first (or the newest `limit` runs)."""
        with adapter.sessions() as s:
            q = select(m.TestRun).order_by(m.TestRun.id.desc())
            return [run_out(r) for r in s.scalars(q.limit(limit) if limit else q)][::-1]

    @router.get("/testruns/last/{cluster_id}", response_model=list[TestRunOut],
                summary="The last run of each test set of a cluster")
    def last(cluster_id: ClusterId) -> list[dict[str, Any]]:
        """The newest run of every test set run on the cluster (what the UI polls)."""
        with adapter.sessions() as s:
            ids = list(s.scalars(select(func.max(m.TestRun.id)).where(m.TestRun.cluster_id == cluster_id)
                                 .group_by(m.TestRun.testset)))
            if not ids:
                with contextlib.suppress(ClusterUnavailable):  # Nailgun down: no runs either way
                    adapter.clusters.get(cluster_id)  # 404 for an unknown cluster
            runs = _runs(s, sorted(ids))
        return sorted(runs, key=lambda r: TEST_SETS[r["testset"]].priority if r["testset"] in TEST_SETS else 99)

    @router.get("/testruns/{testrun_id}", response_model=TestRunOut, summary="One test run")
    def testrun(testrun_id: Annotated[int, Path(ge=0, le=m.MAX_ID)]) -> dict[str, Any]:
        """A run and its tests."""
        with adapter.sessions() as s:
            run = s.get(m.TestRun, testrun_id)
            if run is None:
                raise NotFound(f"no test run {testrun_id}")
            return run_out(run)

    @router.post("/testruns", response_model=list[TestRunOut], summary="Start test runs")
    def start(body: PostBody) -> list[dict[str, Any]]:
        """Start one run per item (all or none); 409 if that set is still running on that cluster."""
        items = body.objects if isinstance(body, RunRequests) else body
        catalog = adapter.catalog.get()
        ids = adapter.runner.create([_new_run(adapter, catalog, item) for item in items])
        with adapter.sessions() as s:
            return _runs(s, ids)

    @router.put("/testruns", response_model=list[TestRunOut], summary="Stop or restart test runs")
    def change(body: PutBody) -> list[dict[str, Any]]:
        """`stopped` interrupts a run (its cleanup runs); `restarted` reruns the named tests of a finished run."""
        items = body.objects if isinstance(body, RunUpdates) else body
        with adapter.sessions() as s:
            found = {item.id: s.get(m.TestRun, item.id) for item in items}
        for item in items:
            run = found[item.id]
            if run is None:
                raise NotFound(f"no test run {item.id}")
        # All or none, as POST: a refused restart must not leave the items before it started (Fuel UI sends
        # one item per set and shows only the error: fuel-ui 9.0 healthcheck_tab.js:136-170).
        for item in items:
            if item.status != "stopped":
                cluster = adapter.clusters.get(found[item.id].cluster_id)  # type: ignore[union-attr]
                adapter.runner.check_restart(item.id, item.tests or [], cluster, item.creds())
        for item in items:
            if item.status == "stopped":
                adapter.runner.stop(item.id)
            else:
                cluster = adapter.clusters.get(found[item.id].cluster_id)  # type: ignore[union-attr]
                adapter.runner.restart(item.id, item.tests or [], cluster, item.creds())
        with adapter.sessions() as s:
            return _runs(s, [item.id for item in items])

    @router.get("/clusters", response_model=list[ClusterOut], summary="Clusters this adapter knows")
    def clusters() -> list[dict[str, Any]]:
        """The clusters of the config files (and Nailgun's), with their deployment tags."""
        return [{"id": c.id, "name": c.cfg.cluster.name, "source": c.source, "tags": sorted(c.tags)}
                for c in adapter.clusters.listing()]

    return router


def _validation_line(exc: RequestValidationError) -> str:
    errors = list(exc.errors())
    for err in errors:
        if err.get("type") == "json_invalid":
            return f"malformed JSON: {(err.get('ctx') or {}).get('error', 'cannot parse the body')}"
    err = max(errors, key=lambda e: len(e.get("loc", ())), default={"loc": (), "msg": "invalid request"})
    where = ""
    for part in err.get("loc", ()):
        if isinstance(part, int):
            where += f"[{part}]"
        elif "[" not in str(part) and not str(part)[:1].isupper():  # drop pydantic's union branch names
            where += f".{part}" if where else str(part)
    hint = " (send a JSON list of runs, or {\"objects\": [...]})" if where in ("body", "body.objects") else ""
    return f"{where or 'request'}: {err.get('msg', 'invalid')}{hint}"


def _problem(status: int, detail: str) -> JSONResponse:
    # Fuel UI shows `message` only (fuel-ui 9.0:static/utils.js:273-287); FastAPI clients read `detail`.
    line = " ".join(str(detail).split())
    return JSONResponse({"message": line, "detail": line}, status_code=status)


def _handlers(app: FastAPI) -> None:
    mapping: list[tuple[type[Exception], int]] = [
        (UnknownCluster, 404), (NotFound, 404), (Conflict, 409), (CatalogError, 503), (ClusterUnavailable, 503)]
    for exc_type, status in mapping:
        app.add_exception_handler(exc_type, _handler(status))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _problem(400, _validation_line(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(exc.status_code, str(exc.detail))

    @app.exception_handler(SQLAlchemyError)
    async def database(_: Request, exc: SQLAlchemyError) -> JSONResponse:
        log.error("database error: %s", exc)
        return _problem(503, f"database unavailable: {type(exc).__name__}")


def _handler(status: int) -> Callable[[Request, Exception], Any]:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        return _problem(status, str(exc))

    return handle


def create_app(settings: Settings) -> FastAPI:
    """Build the app: database, catalogue, cluster sources and runner from the settings."""
    engine = m.make_engine(settings.db_url)
    lock = dblock.acquire(settings.db_url, engine)  # DatabaseBusy: another adapter serves this database
    sessions = m.init_db(engine)  # Alembic: an older schema is upgraded here
    catalog = CatalogSource(settings.tests_dir, settings.python)
    files = settings.cluster_configs or (() if settings.nailgun_url else tuple(default_files()))
    adapter = Adapter(settings=settings, sessions=sessions, catalog=catalog,
                      clusters=Clusters(files, settings.nailgun_url, settings.nailgun_token),
                      runner=Runner(settings, sessions, catalog))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        adapter.runner.recover()
        yield
        adapter.runner.shutdown()
        lock.release()
        engine.dispose()

    app = FastAPI(title="fuel-health OSTF adapter", version="1.0",
                  description="fuel-ostf's REST API for Fuel UI's OSTF tab and fuel-qa. The same routes are "
                              "served under /v1, /ostf/v1 and /ostf (the paths Fuel UI uses).",
                  lifespan=lifespan)
    app.state.adapter = adapter
    router = build_router(adapter)
    for prefix in PREFIXES:
        app.include_router(router, prefix=prefix, include_in_schema=prefix == "/v1")
    _handlers(app)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    @app.get("/ostf/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        return page.html()

    @app.get("/ostf", include_in_schema=False)
    def ostf_root() -> RedirectResponse:
        return RedirectResponse("/ostf/")

    return app
