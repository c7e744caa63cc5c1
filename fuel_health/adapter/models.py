"""The adapter's tables (test runs and their tests), and the engine for SQLite or PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

# Test statuses (fuel-ostf's) and run statuses.
WAIT, RUNNING, SUCCESS, FAILURE, ERROR, SKIPPED, STOPPED, DISABLED = (
    "wait_running", "running", "success", "failure", "error", "skipped", "stopped", "disabled")
PENDING = (WAIT, RUNNING)  # not done yet
RUN_RUNNING, RUN_FINISHED = "running", "finished"
MAX_ID = 2**31 - 1  # ids are 32-bit in PostgreSQL


def utcnow() -> datetime:
    """Return the current UTC time, naive (SQLite keeps no time zone; every stored time is UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of the adapter's tables."""


class TestRun(Base):
    """One run of one test set on one cluster; `meta` holds the POST metadata (no secrets) and run_id."""

    __test__ = False
    __tablename__ = "testruns"
    __table_args__ = (Index("ix_testruns_cluster_set", "cluster_id", "testset", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    testset: Mapped[str] = mapped_column(String(64))
    cluster_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the pytest process (group leader)
    stop_requested: Mapped[bool] = mapped_column(default=False)
    tests: Mapped[list[TestResult]] = relationship(
        back_populates="testrun", order_by="TestResult.position", cascade="all, delete-orphan", lazy="selectin")


class TestResult(Base):
    """One test of a run: metadata as it was when the run started, and its status."""

    __test__ = False
    __tablename__ = "tests"
    __table_args__ = (UniqueConstraint("testrun_id", "test_id"),
                      Index("ix_tests_testrun_position", "testrun_id", "position"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    testrun_id: Mapped[int] = mapped_column(ForeignKey("testruns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    test_id: Mapped[str] = mapped_column(String(512))
    testset: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    duration: Mapped[str | None] = mapped_column(String(64), nullable=True)
    nodeid: Mapped[str] = mapped_column(Text)  # what pytest is given to select this test
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    taken: Mapped[float | None] = mapped_column(Float, nullable=True)
    testrun: Mapped[TestRun] = relationship(back_populates="tests")


def normalize_url(url: str) -> str:
    """Return an SQLAlchemy URL: postgresql:// uses psycopg 3; a bare path means an SQLite file."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        return f"sqlite:///{Path(url[len('sqlite:///'):]).expanduser().resolve()}"  # absolute for subprocesses
    return url


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL and a busy timeout, as the adapter and pytest write at once."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"  # the schema of adapters from before Alembic


def init_db(engine: Engine) -> sessionmaker:
    """Bring the schema to the newest version (Alembic) and return a session factory.

    A database of an adapter from before Alembic (tables, no alembic_version) is stamped with the baseline
    first, then upgraded like any other.
    """
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        tables = set(inspect(conn).get_table_names())
        if "testruns" in tables and "alembic_version" not in tables:
            command.stamp(cfg, BASELINE)
        command.upgrade(cfg, "head")
    return sessionmaker(engine, expire_on_commit=False)
