"""The PostgreSQL store: one database shared by a studio's machines (psycopg 3).

What differs from SQLite, and why:
- Writers: every ORM write transaction takes one exclusive advisory lock first, so the
  domain code keeps SQLite's guarantee that a decision's read-check-write runs alone
  (BEGIN IMMEDIATE there); the runner's claims and results take it shared, so workers
  on many machines never wait for each other, only for a decision being written; progress
  and heartbeats (their own task rows) take none. Waits end after the busy timeout.
- The queue: claims are `FOR UPDATE SKIP LOCKED` (postgres_tasks.py); no broker.
- Other instances' commits: triggers NOTIFY `director_changes` (migration 0006); one
  listening connection per process counts them (`change_token`) and counts one more
  after every reconnect, since notifications sent while it was away are lost.
- Backups: `pg_dump` (custom format) of an exported snapshot, the checksums read in the
  same snapshot.
- No file checks and no mkdir of the workspace: on a studio the workspace is a shared
  mount, and a missing one must not quietly become an empty local folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import make_url
from sqlmodel import Session

from director_tui.core import (
    environment,
    models,  # noqa: F401  (registers the tables)
)
from director_tui.core.errors import StoreError, StoreUnusable
from director_tui.core.guards import media_root_missing
from director_tui.core.migrations import HEAD_REVISION
from director_tui.core.store.base import Store, TaskQueries
from director_tui.core.store.postgres_tasks import WRITE_LOCK, PostgresTaskQueries, now_utc

BUSY_TIMEOUT_MS = int(environment.number("DIRECTOR_BUSY_TIMEOUT_MS"))
MIGRATE_LOCK = WRITE_LOCK + 1
CHANNEL = "director_changes"
RECONNECT_S = (0.2, 0.5, 1.0, 2.0, 5.0)  # the listener's waits between attempts

__all__ = ["PostgresStore", "libpq_url", "open_url", "redact"]


def redact(url: str) -> str:
    from director_tui.core.store import redact as _redact

    return _redact(url)


def sqlalchemy_url(url: str) -> str:
    """postgres://, postgresql:// or postgresql+psycopg:// → the psycopg 3 dialect."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in ("postgres", "postgresql") else url


def libpq_url(url: str) -> tuple[str, dict[str, str]]:
    """(a URL libpq's tools take, without the password; the environment that carries it):
    a password never goes on a command line, where `ps` shows it."""
    parsed = make_url(sqlalchemy_url(url))
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _hint(exc: BaseException) -> str:
    """What a connection failure means, and what to do, in words."""
    words = str(getattr(exc, "orig", exc)).strip().splitlines()
    first = next((w for w in words if w.strip()), "no answer")
    low = str(exc).lower()
    if "password authentication failed" in low or "no password supplied" in low or "role" in low and "does not exist" in low:
        return f"wrong credentials ({first.split(': ', 1)[-1][:160]}); check the user and password in the URL"
    if "database" in low and "does not exist" in low:
        return f"{first.split(': ', 1)[-1][:160]}; create it (createdb) or fix the URL"
    if "refused" in low or "no such file" in low or "could not translate host" in low or "timeout" in low \
            or "timed out" in low or "name or service not known" in low:
        return f"cannot reach the server ({first.split(': ', 1)[-1][:160]}); is it running, and is the host right?"
    return first[:200]


class ChangeListener(threading.Thread):
    """LISTEN on its own connection; `token` grows with every notification and with every
    reconnect. `problem` says why it is not listening now (None while it is)."""

    def __init__(self, conninfo: str, env: dict[str, str]) -> None:
        super().__init__(name="director-store-listener", daemon=True)
        self.conninfo, self.env = conninfo, env
        self.token = 0
        self.problem: str | None = None
        self.listening = threading.Event()
        self._stop = threading.Event()

    def run(self) -> None:
        import psycopg

        attempt = 0
        while not self._stop.is_set():
            try:
                conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5,
                                       password=self.env.get("PGPASSWORD"))
            except psycopg.Error:
                self.problem = "cannot reach the server"
                self._stop.wait(RECONNECT_S[min(attempt, len(RECONNECT_S) - 1)])
                attempt += 1
                continue
            try:
                with conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.token += 1  # what was committed while we were away: read it all again
                    self.problem, attempt = None, 0
                    self.listening.set()
                    idle = 0.0
                    while not self._stop.is_set():
                        got = False
                        for _note in conn.notifies(timeout=0.25):
                            self.token += 1
                            got = True
                        idle = 0.0 if got else idle + 0.25
                        if idle >= 5.0:  # a silent network drop shows only when we speak
                            conn.execute("SELECT 1")
                            idle = 0.0
            except psycopg.Error:
                self.listening.clear()
                self.problem = "lost the connection"
                self._stop.wait(RECONNECT_S[0])

    def stop(self) -> None:
        self._stop.set()


CONNECT_OPTIONS = f"-c timezone=UTC -c lock_timeout={BUSY_TIMEOUT_MS}"
IDLE = TransactionStatus.IDLE


class RawConnections:
    """Idle psycopg connections for the runner's queries, one per thread using them at a
    time; a connection found broken is closed and forgotten (the next get makes a new one).
    They are in autocommit mode: a statement alone is its own transaction (one round trip),
    and a transaction is an explicit BEGIN … COMMIT (psycopg's `transaction()`, or a pipeline)."""

    def __init__(self, url: str) -> None:
        self.conninfo, self.env = libpq_url(url)
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def get(self) -> Any:
        import psycopg

        with self._lock:
            while self._idle:
                conn = self._idle.pop()
                if not conn.closed and not conn.broken:
                    return conn
        return psycopg.connect(self.conninfo, password=self.env.get("PGPASSWORD"), connect_timeout=10,
                               options=CONNECT_OPTIONS, application_name="director-tui runner", autocommit=True)

    def put(self, conn: Any) -> None:
        if conn.closed or conn.broken or conn.info.transaction_status != IDLE:
            conn.close()
            return
        with self._lock:
            if len(self._idle) < 8:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class PostgresStore(Store):
    sync_interval_s = 0.1  # change_token is a counter in memory: asking often costs nothing
    shared_between_machines = True
    busy_attempts = 40  # 0.5, 1, 2 … then every 10 s: a server restart (minutes) does not lose a result
    backup_name = "director.pgdump"

    def __init__(self, url: str) -> None:
        self.url = url
        self._tasks: TaskQueries | None = None
        self._listener: ChangeListener | None = None
        self._listener_lock = threading.Lock()
        self.engine = self._engine(url)
        self._raw_pool = RawConnections(url)

    @staticmethod
    def _engine(url: str) -> Engine:
        return create_engine(sqlalchemy_url(url), pool_pre_ping=True, pool_size=4, max_overflow=8,
                             connect_args={"connect_timeout": 10, "options": CONNECT_OPTIONS,
                                           "application_name": "director-tui"})

    @property
    def tasks(self) -> TaskQueries:
        if self._tasks is None:
            self._tasks = PostgresTaskQueries(self)
        return self._tasks

    # --- sessions ---------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            with session.begin():
                session.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
                yield session

    @contextmanager
    def write_conn(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            yield conn

    @contextmanager
    def read_conn(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def raw_cursor(self, locked: bool = True) -> Iterator[Any]:
        """A transaction on a bare psycopg cursor: the runner's hot path (make bench:
        studio), under the advisory write lock taken shared unless not `locked`.
        Its connections are this store's own, not the ORM's pool: no ping per checkout."""
        conn = self._raw_pool.get()
        try:
            with conn.transaction():
                cur = conn.cursor()
                if locked:
                    cur.execute(f"SELECT pg_advisory_xact_lock_shared({WRITE_LOCK})")
                yield cur
        finally:
            self._raw_pool.put(conn)  # a broken one is dropped there

    @contextmanager
    def raw_pipeline(self) -> Iterator[Any]:
        """A transaction sent as a pipeline: BEGIN goes out with the first statement and
        COMMIT on its own, so a transaction with one statement and some work of ours before
        its commit costs two round trips, not four (make bench: studio). The caller's block
        ends by the commit; an exception rolls back."""
        conn = self._raw_pool.get()
        committed = False
        try:  # autocommit: psycopg's own BEGIN would be a round trip of its own
            with conn.pipeline():
                cur = conn.cursor()
                cur.execute("BEGIN")
                yield cur
                cur.execute("COMMIT")
            committed = True
        finally:
            if not committed and not conn.closed and not conn.broken:
                try:  # the pipeline is synced by now: its aborted transaction ends here
                    conn.execute("ROLLBACK")
                except Exception:
                    conn.close()
            self._raw_pool.put(conn)

    @contextmanager
    def raw_statement(self) -> Iterator[Any]:
        """A cursor whose every statement is its own transaction (autocommit: one round trip)."""
        conn = self._raw_pool.get()
        try:
            yield conn.cursor()
        finally:
            self._raw_pool.put(conn)

    # --- other instances' commits -----------------------------------------------------------
    def _listening(self) -> ChangeListener:
        with self._listener_lock:
            if self._listener is None:
                conninfo, env = libpq_url(self.url)
                self._listener = ChangeListener(conninfo, env)
                self._listener.start()
                self._listener.listening.wait(5.0)
            return self._listener

    def change_token(self) -> int:
        return self._listening().token

    def connection_problem(self) -> str | None:
        listener = self._listener
        return None if listener is None else listener.problem

    def is_transient(self, exc: BaseException) -> bool:
        """A lock wait past the busy timeout, a deadlock or serialization failure, or a
        dropped connection: worth one more try."""
        orig = getattr(exc, "orig", exc)
        state = getattr(orig, "sqlstate", None) or ""
        if state in ("55P03", "40P01", "40001") or state.startswith("08"):
            return True
        name = type(orig).__name__
        return name in ("OperationalError", "InterfaceError") and "connection" in str(orig).lower()

    def after_bulk_load(self, conn: Connection) -> None:
        """Each table's id sequence past the highest id copied in."""
        for (table,) in conn.exec_driver_sql(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND column_name = 'id' AND column_default LIKE 'nextval(%%'").all():
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) "
                f'FROM "{table}"')

    # --- schema -----------------------------------------------------------------------------
    def schema_revision(self) -> str | None:
        """The store's Alembic revision; None for an empty database."""
        with self.engine.connect() as conn:
            has = conn.exec_driver_sql("SELECT to_regclass('alembic_version') IS NOT NULL").scalar()
            if not has:
                tables = conn.exec_driver_sql(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()").scalar()
                if tables:
                    raise StoreUnusable(f"store {redact(self.url)}: this database holds other tables and no "
                                     "director-tui schema; point the URL at an empty database")
                return None
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    def migrate(self, upgrade: bool = False) -> None:
        """Create the schema in an empty database; an older one is brought up to date only
        when asked (`init-store`: every machine's program must be new enough first)."""
        current = self.schema_revision()
        if current == HEAD_REVISION:
            return
        if current is not None:
            from director_tui.core.migrations import known_revisions

            if current not in known_revisions():
                raise StoreUnusable(f"store {redact(self.url)}: its schema ({current}) is newer than this program "
                                 f"knows ({HEAD_REVISION}); upgrade director-tui on this machine")
            if not upgrade:
                raise StoreUnusable(f"store {redact(self.url)}: its schema ({current}) is older than this program's "
                                 f"({HEAD_REVISION}); back it up, then run: director-tui init-store "
                                 f"{redact(self.url)}")
        from director_tui.core.migrations import upgrade_to_head

        with self.engine.connect() as conn:  # two machines starting at once: one migrates
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATE_LOCK})")
            try:
                upgrade_to_head(self.engine)
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATE_LOCK})")
                conn.commit()

    # --- backup -----------------------------------------------------------------------------
    def backup_to(self, path: Path) -> dict[str, str]:
        """pg_dump (custom format) of one snapshot; the checksums read in that snapshot."""
        pg_dump = client_tool("pg_dump")
        conninfo, env = libpq_url(self.url)
        path.unlink(missing_ok=True)
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
                sums = {str(p): str(c) for p, c in conn.exec_driver_sql("SELECT path, checksum FROM version") if c}
                argv = [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-owner",
                        f"--file={path}", f"--dbname={conninfo}"]
                # an argv, no shell; the URL is this user's own setting
                done = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True,  # noqa: S603
                                      timeout=3600)
        if done.returncode != 0:
            raise StoreError(f"pg_dump of {redact(self.url)} failed: {done.stderr.strip()[:300]}")
        return sums

    def restore_from(self, dump: Path) -> None:
        """Load a backup's `director.pgdump` into this (empty) database."""
        if self.schema_revision() is not None:
            raise StoreError(f"store {redact(self.url)}: not empty; restore into a new database "
                             "(createdb), then point the studio at it")
        conninfo, env = libpq_url(self.url)
        argv = [client_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
                f"--dbname={conninfo}", str(dump)]
        done = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True,  # noqa: S603
                              timeout=3600)
        if done.returncode != 0:
            raise StoreError(f"pg_restore into {redact(self.url)} failed: {done.stderr.strip()[:300]}")

    def dispose(self) -> None:
        if self._listener is not None:
            self._listener.stop()
        self._raw_pool.close()
        self.engine.dispose()


def requeue_now(url: str, task_ids: list[int], actor: str, reason: str) -> int:
    """The backstop's requeue (see sqlite.requeue_now), on a connection of its own."""
    import json

    import psycopg

    if not task_ids:
        return 0
    conninfo, env = libpq_url(url)
    moved = 0
    with psycopg.connect(conninfo, connect_timeout=2, password=env.get("PGPASSWORD")) as conn:
        for task_id in task_ids:
            cur = conn.execute(
                "UPDATE task SET state = 'queued', error = %(r)s, message = %(r)s, pid = NULL, pgid = NULL, "
                "remote = NULL, owner = NULL, owner_pid = NULL, owner_start = NULL, started_at = NULL, progress = 0 "
                "WHERE id = %(id)s AND state = 'running'", {"r": reason, "id": task_id})
            if cur.rowcount:
                moved += 1
                conn.execute("INSERT INTO activity (stream_id, segment_id, actor, kind, detail, created_at) "
                             "SELECT stream_id, segment_id, %s, 'task.interrupted', %s, %s FROM task WHERE id = %s",
                             (actor, json.dumps({"task": task_id, "reason": "backstop"}), now_utc(), task_id))
    return moved


def init_store(url: str) -> str:
    """Create the schema in an empty database, or bring an older one to head; says which."""
    store = PostgresStore(url)
    try:
        before = store.schema_revision()
        store.migrate(upgrade=True)
    except StoreError:
        raise
    except Exception as exc:
        raise StoreUnusable(f"store {redact(url)}: {_hint(exc)}") from None
    finally:
        store.dispose()
    if before == HEAD_REVISION:
        return f"store {redact(url)}: up to date ({HEAD_REVISION})"
    if before is None:
        return f"store {redact(url)}: schema created ({HEAD_REVISION})"
    return f"store {redact(url)}: schema upgraded from {before} to {HEAD_REVISION}"


def client_tool(name: str) -> str:
    """pg_dump / pg_restore: on PATH, else Debian's versioned folder (newest first)."""
    found = shutil.which(name)
    if found:
        return found
    import glob

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True,
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if candidates:
        return candidates[0]
    raise StoreError(f"{name} is not installed; install PostgreSQL's client tools (apt-get install postgresql-client)")


def open_url(home: Path, url: str) -> PostgresStore:
    """A postgresql:// store; its media and logs under `home` (this machine's media root)."""
    if not home.is_dir():  # never made here: a missing mount must not become an empty local folder
        raise StoreUnusable(media_root_missing(home))
    store = PostgresStore(url)
    try:
        store.migrate()
    except StoreError:
        store.dispose()
        raise
    except Exception as exc:
        store.dispose()
        raise StoreUnusable(f"store {redact(url)}: {_hint(exc)}") from None
    return store
