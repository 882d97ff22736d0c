"""The store: an engine built from a URL, migrations applied on open.

Everything SQLite-specific lives here. Writes go through `Store.write()`,
which on SQLite starts with BEGIN IMMEDIATE: a deferred transaction that reads
and then writes after another connection committed fails at once with
"database is locked", whatever the busy timeout (see DESIGN.md).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from director_tui.core import models  # noqa: F401  (registers the tables)
from director_tui.core.errors import DamagedStore, StoreError
from director_tui.core.migrations import HEAD_REVISION

# How long a write waits for another's (a colleague's, a backup's) before it gives up;
# DIRECTOR_BUSY_TIMEOUT_MS changes it (tests, or a studio with very long writers).
BUSY_TIMEOUT_MS = int(os.environ.get("DIRECTOR_BUSY_TIMEOUT_MS", "30000") or 30000)

__all__ = ["DamagedStore", "Store", "StoreError", "open_store"]


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Let us issue BEGIN ourselves (pysqlite's own BEGIN is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: object) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[attr-defined]

    return engine


class Store:
    """Two engines on one database: one for reads (deferred), one for writes."""

    def __init__(self, url: str) -> None:
        self.url = url
        # This process's writers queue here rather than in SQLite's busy handler, which
        # sleeps and retries (1, 2, 5, 10… ms): a thread waiting for another thread's short
        # transaction starts the moment it ends, and burns no CPU retrying (make bench:
        # runner, median of 4: 1.54 -> 1.48). Other processes still meet at BEGIN IMMEDIATE.
        self._write_lock = threading.RLock()
        if url.startswith("sqlite"):
            self.read_engine = _sqlite_engine(url, immediate=False)
            self.write_engine = _sqlite_engine(url, immediate=True)
        else:
            self.read_engine = self.write_engine = create_engine(url)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.read_engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def _writer(self) -> Iterator[None]:
        # a timeout like SQLite's busy timeout: never a deadlock, at worst a clear error
        if not self._write_lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise StoreError(f"the database stayed busy for {BUSY_TIMEOUT_MS // 1000} s (a write in this process)")
        try:
            yield
        finally:
            self._write_lock.release()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction, committed on exit, rolled back on error."""
        with self._writer(), Session(self.write_engine, expire_on_commit=False) as session:
            with session.begin():
                yield session

    @contextmanager
    def write_conn(self) -> Iterator[Connection]:
        """A short write transaction on a bare connection (SQLAlchemy Core; the runner's hot path)."""
        with self._writer(), self.write_engine.begin() as conn:
            yield conn

    @contextmanager
    def write_cursor(self) -> Iterator[sqlite3.Cursor]:
        """A short write transaction on the bare sqlite3 cursor: the runner's claims and
        results, where SQLAlchemy's per-statement work (~50 µs) was most of the runner's
        own CPU (make bench: runner). SQLite only; times as `db_time()` writes them."""
        with self._writer():
            raw = self.write_engine.raw_connection()
            try:
                cur = raw.cursor()  # type: ignore[assignment]
                cur.execute("BEGIN IMMEDIATE")
                try:
                    yield cur  # type: ignore[misc]
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                raw.close()  # back to the pool

    @contextmanager
    def read_cursor(self) -> Iterator[sqlite3.Cursor]:
        raw = self.read_engine.raw_connection()
        try:
            yield raw.cursor()  # type: ignore[misc]
        finally:
            raw.close()

    @contextmanager
    def read_conn(self) -> Iterator[Connection]:
        with self.read_engine.connect() as conn:
            yield conn

    def data_version(self) -> int:
        """Changes whenever another connection commits (cheap change detection)."""
        with self.read_engine.connect() as conn:
            if self.url.startswith("sqlite"):
                return int(conn.exec_driver_sql("PRAGMA data_version").scalar() or 0)
            return 0

    def migrate(self) -> None:
        """Bring the schema to head. Fast path: a single query when already there."""
        try:
            with self.read_engine.connect() as conn:
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            current = None
        if current == HEAD_REVISION:
            return
        from director_tui.core.migrations import upgrade_to_head

        upgrade_to_head(self.write_engine)

    def dispose(self) -> None:
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()


def db_time(t: datetime) -> str:
    """A time as SQLAlchemy's SQLite DateTime stores it (UTC, no offset), for raw SQL."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def open_store(home: Path) -> Store:
    """Open (creating if needed) the workspace database under `home`."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        (home / "media").mkdir(exist_ok=True)
    except OSError as exc:
        raise StoreError(f"workspace {home}: cannot create it ({exc.strerror})") from exc
    if not os.access(home, os.W_OK):
        raise StoreError(f"workspace {home}: not writable")
    db = home / "director.db"
    created = not db.exists()
    if not created:
        check_database_file(db)
    store = Store(sqlite_url(db))
    try:
        store.migrate()
    except sqlite3.DatabaseError as exc:
        store.dispose()
        raise DamagedStore(damaged(db, str(exc))) from exc
    except Exception as exc:  # a full disk, a locked file, a newer schema
        store.dispose()
        if "malformed" in str(exc) or "not a database" in str(exc):
            raise DamagedStore(damaged(db, str(exc))) from exc
        raise StoreError(f"workspace {home}: cannot open director.db ({exc})") from exc
    if created:  # SQLite makes them 0644 under the umask; the workspace mode is 0600 or 0660
        for name in ("director.db", "director.db-wal", "director.db-shm"):
            with contextlib.suppress(OSError):
                os.chmod(home / name, 0o666 & ~_umask())
    return store


SQLITE_MAGIC = b"SQLite format 3\x00"


def damaged(db: Path, why: str) -> str:
    why = next((w for w in DAMAGE_WORDS if w in why), why.strip().splitlines()[0] if why.strip() else "unreadable")
    return (f"{db}: damaged ({why}); nothing was changed — restore it from a backup "
            "(director-tui export backup makes them), or move it away to start a new workspace")


DAMAGE_WORDS = ("database disk image is malformed", "file is not a database", "database corrupt")


def damaged_message(exc: BaseException, home: str | Path | None) -> str | None:
    """The one line for an error that says the database file is damaged, else None."""
    text = str(exc)
    if not isinstance(exc, sqlite3.DatabaseError | StoreError) and "DatabaseError" not in type(exc).__name__:
        return None
    if not any(word in text for word in DAMAGE_WORDS):
        return None
    from director_tui.config import resolve_home

    why = next(word for word in DAMAGE_WORDS if word in text)
    return damaged(resolve_home(home) / "director.db", why)


def unavailable(exc: BaseException) -> str | None:
    """Why the database could not take a write, in words, or None for another error."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return "the database stayed locked (another program's long write)"
    if "disk is full" in text or "No space left" in text:
        return "the disk is full"
    if "readonly" in text or "read-only" in text:
        return "the database cannot be written (read-only)"
    if isinstance(exc, StoreError | sqlite3.OperationalError) or "OperationalError" in type(exc).__name__:
        return f"the database refused it ({text.splitlines()[0][:120]})"
    return None


def check_database_file(db: Path) -> None:
    """An existing director.db must start like an SQLite database: an emptied or overwritten
    one would otherwise be taken for a new workspace (SQLite opens an empty file as one)."""
    try:
        with open(db, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"{db}: cannot read it ({exc.strerror or exc})") from None
    if not head:
        wal = db.with_name(db.name + "-wal")
        beside = " beside a write-ahead log of its changes" if wal.exists() and wal.stat().st_size else ""
        raise DamagedStore(damaged(db, f"it is empty (0 bytes){beside}"))
    if head != SQLITE_MAGIC:
        raise DamagedStore(damaged(db, "it does not start like an SQLite database"))


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask
