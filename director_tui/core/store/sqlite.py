"""The SQLite store: the workspace's `director.db`, in WAL mode, migrations applied on open.

Everything SQLite-specific lives in this package: here the engines and their pragmas,
BEGIN IMMEDIATE, `PRAGMA data_version` as the change token, the online backup, the
backstop's own-connection requeue and the checks of the file itself; the runner's raw
cursor SQL in sqlite_tasks.py; the first frame's read-only snapshot in sqlite_snapshot.py.
Writes start with BEGIN IMMEDIATE: a deferred transaction that reads and then writes
after another connection committed fails at once with "database is locked", whatever the
busy timeout (see DESIGN.md).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from director_tui.core import (
    environment,
    models,  # noqa: F401  (registers the tables)
)
from director_tui.core.errors import DamagedStore, StoreError, StoreUnusable
from director_tui.core.migrations import HEAD_REVISION
from director_tui.core.store import failures
from director_tui.core.store.base import Store, TaskQueries

# How long a write waits for another's (a colleague's, a backup's) before it gives up;
# DIRECTOR_BUSY_TIMEOUT_MS changes it (tests, or a studio with very long writers).
BUSY_TIMEOUT_MS = int(environment.number("DIRECTOR_BUSY_TIMEOUT_MS"))

__all__ = ["SqliteStore", "open_url", "open_workspace"]


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


class SqliteStore(Store):
    """Two engines on one database file: one for reads (deferred), one for writes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(url.removeprefix("sqlite:///"))
        self._tasks: TaskQueries | None = None
        self._users = 1  # the openers sharing this store (open_workspace: one store per file)
        self._pages_checked = False  # quick_check before the first write (_check_pages)
        # This process's writers queue here rather than in SQLite's busy handler, which
        # sleeps and retries (1, 2, 5, 10… ms): a thread waiting for another thread's short
        # transaction starts the moment it ends, and burns no CPU retrying (make bench:
        # runner, median of 4: 1.54 -> 1.48). Other processes still meet at BEGIN IMMEDIATE.
        self._write_lock = threading.RLock()
        self.read_engine = _sqlite_engine(url, immediate=False)
        self.write_engine = _sqlite_engine(url, immediate=True)

    @property
    def tasks(self) -> TaskQueries:
        if self._tasks is None:
            from director_tui.core.store.sqlite_tasks import SqliteTaskQueries

            self._tasks = SqliteTaskQueries(self)
        return self._tasks

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
            if not self._pages_checked:
                self._check_pages()
            yield
        finally:
            self._write_lock.release()

    def _check_pages(self) -> None:
        """Before this process's first write: SQLite's quick_check of every page (13 ms for a
        6 MB workspace of 20,000 segments). A damaged page that no query has touched yet (a
        zeroed interior page) would otherwise let approve and regen write on into a damaged
        file (issue 25); the write is refused with the one line to restore from a backup."""
        raw = self.read_engine.raw_connection()
        try:
            found = [str(r[0]) for r in raw.cursor().execute("PRAGMA quick_check(5)").fetchall()]
        finally:
            raw.close()
        if found != ["ok"]:
            first = next((line for f in found for line in f.splitlines() if not line.startswith("***")), "?")
            raise DamagedStore(failures.damaged(self.path, f"database disk image is malformed ({first})"))
        self._pages_checked = True

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
        own CPU (make bench: runner). SQLite only; times as sqlite_tasks.db_time writes them."""
        with self._writer():
            raw = self.write_engine.raw_connection()
            try:
                cur = raw.cursor()
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

    def change_token(self) -> int:
        """PRAGMA data_version: changes whenever another connection commits (one cheap read)."""
        with self.read_engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA data_version").scalar() or 0)

    def watched_files(self) -> list[Path]:
        """The database and its write-ahead log (a commit appends to it), unless the workspace
        is on a network share, where a commit on another machine makes no local event."""
        from director_tui.core.store.watch import on_network_share

        if on_network_share(self.path):
            return []
        return [self.path, self.path.with_name(self.path.name + "-wal")]

    def is_transient(self, exc: BaseException) -> bool:
        return failures.is_transient(exc)

    def backup_to(self, path: Path) -> dict[str, str]:
        """SQLite's online backup: a consistent copy while other instances keep writing."""
        src = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        path.unlink(missing_ok=True)
        out = sqlite3.connect(path)
        try:
            src.backup(out, pages=4096)
            return {str(p): str(c) for p, c in out.execute("SELECT path, checksum FROM version") if c}
        finally:
            out.close()
            src.close()

    def migrate(self) -> None:
        """Bring the schema to head. Fast path: a single query when already there."""
        try:
            with self.read_engine.connect() as conn:
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            current = None
        if current == HEAD_REVISION:
            return
        from director_tui.core.migrations import known_revisions, upgrade_to_head

        if current is not None and current not in known_revisions():
            raise StoreUnusable(f"{self.path}: its schema ({current}) is newer than this program knows "
                                f"({HEAD_REVISION}); upgrade director-tui on this machine; nothing was changed")
        upgrade_to_head(self.write_engine)

    def dispose(self) -> None:
        """One opener is done with it; the last one closes its connections."""
        with _OPEN_LOCK:
            self._users -= 1
            if self._users > 0:
                return
            if _OPEN.get(self.path) is self:
                del _OPEN[self.path]
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def open_url(home: Path, url: str) -> SqliteStore:
    """A `sqlite:///PATH` store URL: that file, with the workspace's media under `home`."""
    return open_workspace(home, Path(url.removeprefix("sqlite:///")).expanduser())


# One store per database file per process. Several stores would be harmless to SQLite
# (its unix VFS shares one lock table between a process's connections), but each opener
# used to check the file's header with a plain open()/close() first, and under POSIX
# advisory locks closing *any* descriptor of a file drops every lock the process holds on
# it: the next process to close its connection then believed it was the last, checkpointed
# and deleted director.db-wal under the running app, whose later commits went nowhere
# (issue 24; "How To Corrupt An SQLite Database File", 2.2). The header is now read through
# SQLite and the store is shared: `demo`, `work` and `regen --wait` opened it twice.
_OPEN: dict[Path, SqliteStore] = {}
_OPEN_LOCK = threading.RLock()  # re-entered by a failed open's dispose


def open_workspace(home: Path, db: Path | None = None) -> SqliteStore:
    """Open (creating if needed) the workspace database under `home` (or at `db`); a file
    this process has open already gives the same store (each opener disposes it once)."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        (home / "media").mkdir(exist_ok=True)
    except OSError as exc:
        raise StoreError(f"workspace {home}: cannot create it ({exc.strerror})") from exc
    if not os.access(home, os.W_OK):
        raise StoreError(f"workspace {home}: not writable")
    if db is None:
        db = home / "director.db"
        _refuse_a_link_out(home, db)
    key = Path(os.path.realpath(db))
    with _OPEN_LOCK:
        shared = _OPEN.get(key)
        if shared is not None:
            shared._users += 1
            return shared
        store = _open_file(home, db)
        store.path = key
        _OPEN[key] = store
        return store


def _refuse_a_link_out(home: Path, db: Path) -> None:
    """The workspace's director.db may not be a link out of the workspace: a colleague who
    can write a group workspace could point it at another SQLite file of the director's
    (which the migration would then write into). Another file is named with --store."""
    if not db.is_symlink():
        return
    target = Path(os.path.realpath(db))
    if not target.is_relative_to(Path(os.path.realpath(home))):
        raise StoreUnusable(f"{db}: a symbolic link out of the workspace (to {target}): refused, nothing was opened; "
                            f"use --store sqlite:///{target} to use that file")


def _open_file(home: Path, db: Path) -> SqliteStore:
    created = not db.exists()
    if not created:
        check_database_file(db)
    else:  # its log without it: the database was moved or deleted, and is not a new workspace
        for log in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-journal")):
            if log.exists() and log.stat().st_size:
                raise DamagedStore(f"{db}: missing, but {log.name} (its log of changes) is beside it: the database "
                                   f"was moved or deleted — restore {db.name} from a backup (director-tui export "
                                   f"backup makes them), or move {log.name} away to start a new workspace; nothing "
                                   "was changed")
    store = SqliteStore(sqlite_url(db))
    try:
        store.migrate()
    except StoreUnusable:  # a newer schema: said as it is
        store.dispose()
        raise
    except Exception as exc:  # damage, a full disk, a locked file
        store.dispose()
        if "not a database" in str(exc):
            raise DamagedStore(failures.damaged(db, "it does not start like an SQLite database")) from exc
        if isinstance(exc, sqlite3.DatabaseError) or "malformed" in str(exc):
            raise DamagedStore(failures.damaged(db, str(exc))) from exc
        raise StoreError(f"{db}: cannot open the database ({failures.first_line(exc)})") from exc
    if created:  # SQLite makes them 0644 under the umask; the workspace mode is 0600 or 0660
        for name in (db.name, f"{db.name}-wal", f"{db.name}-shm"):
            with contextlib.suppress(OSError):
                os.chmod(db.with_name(name), 0o666 & ~_umask())
    return store


def check_database_file(db: Path) -> None:
    """An existing director.db must not be empty: an emptied one would otherwise be taken
    for a new workspace (SQLite opens an empty file as one). Only stat(): never a
    descriptor of the file outside SQLite (see _OPEN); a header that is not SQLite's is
    SQLite's own "file is not a database" on the first read (open_workspace)."""
    try:
        st = os.stat(db)
    except OSError as exc:
        raise StoreError(f"{db}: cannot read it ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise StoreError(f"{db}: not a regular file")
    if st.st_size == 0:
        wal = db.with_name(db.name + "-wal")
        beside = " beside a write-ahead log of its changes" if wal.exists() and wal.stat().st_size else ""
        raise DamagedStore(failures.damaged(db, f"it is empty (0 bytes){beside}"))


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def requeue_now(db_path: Path, task_ids: list[int], actor: str, reason: str) -> int:
    """Put running tasks back on the queue with a connection of its own (the store's may be
    held by a stuck event loop: the app's backstop, ui/backstop.py); returns how many went back."""
    if not task_ids:
        return 0
    con = sqlite3.connect(db_path, timeout=2.0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        now = datetime.now(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        moved = 0
        for task_id in task_ids:
            cur = con.execute(
                "UPDATE task SET state = 'queued', error = ?, message = ?, pid = NULL, pgid = NULL, remote = NULL, owner = NULL, "
                "owner_pid = NULL, owner_start = NULL, started_at = NULL, progress = 0 "
                "WHERE id = ? AND state = 'running'", (reason, reason, task_id))
            if cur.rowcount:
                moved += 1
                con.execute("INSERT INTO activity (stream_id, segment_id, actor, kind, detail, created_at) "
                            "SELECT stream_id, segment_id, ?, 'task.interrupted', ?, ? FROM task WHERE id = ?",
                            (actor, f'{{"task": {task_id}, "reason": "backstop"}}', now, task_id))
        con.execute("COMMIT")
        return moved
    finally:
        con.close()
