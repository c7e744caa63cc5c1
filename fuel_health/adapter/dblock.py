"""One adapter per database: a lock taken at start and held for the adapter's life.

Two adapters on one database would each take the other's running runs as crashed at start-up and mark them
`error`. SQLite: an flock on `<file>.adapter.lock` beside the database. PostgreSQL: a session advisory lock
on a connection kept open. The lock goes with the process, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from fuel_health.adapter.models import normalize_url

LOCK_KEY = 0x05F7_AD47  # the advisory lock id of "the fuel-health adapter" in a PostgreSQL database


class DatabaseBusy(RuntimeError):
    """Another adapter holds the database: one line, said at start."""


class DatabaseLock:
    """Holds the lock until release() or the process ends."""

    def __init__(self, holder: Any) -> None:
        self._holder = holder

    def release(self) -> None:
        """Give the lock back (the adapter is stopping)."""
        if isinstance(self._holder, int):
            os.close(self._holder)
        elif self._holder is not None:
            self._holder.close()
        self._holder = None


def acquire(url: str, engine: Engine) -> DatabaseLock:
    """Take the database's adapter lock, or raise DatabaseBusy saying who holds it."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if not path or path == ":memory:":
            return DatabaseLock(None)
        lock = Path(path + ".adapter.lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise DatabaseBusy(f"database {path} is in use by another adapter (pid {holder}): stop it, or give "
                               f"this one its own --db") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        return DatabaseLock(fd)
    conn = engine.connect()
    got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
    conn.commit()
    if not got:
        holder = conn.execute(text("SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                                   "WHERE l.locktype = 'advisory' AND l.objid = :k"), {"k": LOCK_KEY}).scalar()
        conn.close()
        raise DatabaseBusy(f"database {engine.url.render_as_string(hide_password=True)} is in use by another "
                           f"adapter (its PostgreSQL backend pid {holder}): stop it, or give this one its own --db")
    return DatabaseLock(conn)
