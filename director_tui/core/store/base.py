"""The store's interface: what the rest of the program may ask of a database.

Reads and writes are SQLAlchemy sessions (the domain code in core/ is portable SQL
through the ORM); what differs between databases lives behind this interface: how a
write transaction starts and waits for others, how other instances' commits are noticed
(`change_token`), a consistent backup, which errors are worth retrying, and the runner's
hot-path queries (`tasks`, a TaskQueries). `core/store/sqlite.py` is the implementation
today; a PostgreSQL one (issue 17) implements the same. Importable without SQLAlchemy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from director_tui.core.states import TaskState

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session


@dataclass
class ClaimedTask:
    """A task this instance now owns, with what it needs to run."""

    id: int
    stream_id: int
    segment_id: int
    asset: str
    prompt: str
    seed: int
    priority: int
    reference_version_id: int | None
    parent_version_id: int | None
    variation_group: str | None
    preset_id: int | None
    slug: str
    width: int
    height: int
    position: int
    duration: float
    reference_path: str | None  # relative to media/
    next_number: int | None = None  # the version number this result will most likely take (PostgreSQL's claim)


@dataclass(frozen=True)
class Claimant:
    """Who claims a task: this instance's owner name, its pid and the pid's start time."""

    owner: str
    pid: int
    start: float | None


# the activity kind of a task that ends without a version, by the state it ends in
UNSUCCESSFUL_KIND = {TaskState.FAILED: "task.failed", TaskState.CANCELLED: "task.cancelled",
                     TaskState.QUEUED: "task.interrupted"}


def activity_row(kind: str, actor: str, claimed: ClaimedTask, now: object, **detail: object) -> dict[str, object]:
    """The parameters of the activity row a runner's query writes about a claimed task."""
    import json

    return {"stream_id": claimed.stream_id, "segment_id": claimed.segment_id, "actor": actor, "kind": kind,
            "detail": json.dumps(detail, ensure_ascii=False, default=str), "now": now}


class Placement(Protocol):
    """Where a finished generation goes in media/: `path(n)` says it, `place(n)` moves it
    there (inside the transaction that records it). A store that records in one statement
    first puts it there by `early(n)` (a hard link: never over another file; False where
    the filesystem has none), then `withdraw(n)` if the record is refused, `done()` if not."""

    def path(self, number: int) -> Path: ...

    def __call__(self, number: int) -> Path: ...

    def early(self, number: int) -> bool: ...

    def withdraw(self, number: int) -> None: ...

    def done(self) -> None: ...


class TaskQueries(Protocol):
    """The job runner's queries: few, short transactions, on its hot path (make bench: runner)."""

    # True where a result's own statement also claims the next task of its (stream, asset)
    # (record_and_claim: one round trip per task to a server); False where the runner does
    # better to claim and start the next task first, then record this one (SQLite: no
    # round trips, and the next generator starts before this output is validated).
    claims_with_result: bool

    def queued_assets(self, stream_ids: list[int]) -> set[tuple[int, str]]: ...

    def claim(self, stream_id: int, asset: str, owner: str, owner_pid: int,
              owner_start: float | None) -> ClaimedTask | None: ...

    def set_pid(self, task_id: int, pid: int, proc_start: float | None, log_path: str) -> None: ...

    def set_remote(self, task_id: int, remote: str, log_path: str) -> None:
        """A remote back end's handle (JSON), recorded before the work is submitted."""

    def record_version(self, task: ClaimedTask, actor: str, place: Placement, generator: str,
                       width: int, height: int, duration: float | None, size: int, checksum: str,
                       log_path: str) -> tuple[int, bool]: ...

    def record_and_claim(self, task: ClaimedTask, actor: str, place: Placement, generator: str,
                         width: int, height: int, duration: float | None, size: int, checksum: str,
                         log_path: str, claimant: Claimant) -> tuple[int, bool, ClaimedTask | None]:
        """record_version, then claim the next task of the same (stream, asset) for
        `claimant`; nothing is claimed when the result is not recorded."""

    def finish_unsuccessful(self, task: ClaimedTask, actor: str, state: str, reason: str, log_path: str) -> None: ...

    def cancel_requests(self, task_ids: list[int]) -> list[int]: ...

    def flush(self, progress: list[tuple[int, float, str]], running_ids: list[int]) -> list[int]: ...


class Store(ABC):
    url: str
    sync_interval_s = 0.5  # how often an open app asks change_token()
    shared_between_machines = False  # True: a task's owner may be on another machine (no pid checks)
    busy_attempts = 4  # how often a finished generation's record is tried while the store stays busy
    backup_name = "director.db"  # the database's file in a backup folder

    def connection_problem(self) -> str | None:
        """Why this instance cannot hear other instances now (a lost connection), or None."""
        return None

    def after_bulk_load(self, conn: Connection) -> None:
        """Rows were inserted with their ids (a copy from another store): make the next
        ids follow them. SQLite's do by themselves."""
        return None

    @abstractmethod
    def read(self) -> AbstractContextManager[Session]:
        """A read session (no lock held beyond the statement)."""

    @abstractmethod
    def write(self) -> AbstractContextManager[Session]:
        """A short write transaction, committed on exit, rolled back on error; waits for
        other writers up to the busy timeout, then raises."""

    @abstractmethod
    def read_conn(self) -> AbstractContextManager[Connection]: ...

    @abstractmethod
    def write_conn(self) -> AbstractContextManager[Connection]: ...

    @property
    @abstractmethod
    def tasks(self) -> TaskQueries:
        """The runner's queries, written for this database."""

    @abstractmethod
    def change_token(self) -> int:
        """A number that changes whenever another connection commits: the app polls it
        (twice a second) and reads again only when it moved."""

    def watched_files(self) -> list[Path]:
        """Files whose change means someone may have committed (core/store/watch.py wakes the
        app at once rather than at its next poll); [] where there are none to watch."""
        return []

    @abstractmethod
    def migrate(self) -> None:
        """Bring the schema to head (the same Alembic migrations on every database)."""

    @abstractmethod
    def backup_to(self, path: Path) -> dict[str, str]:
        """A consistent copy of the database at `path` while others keep writing; returns
        each version's path and recorded sha256 as the copy has them."""

    @abstractmethod
    def is_transient(self, exc: BaseException) -> bool:
        """Whether `exc` means "busy now, try again" (a lock held past the busy timeout)."""

    @abstractmethod
    def dispose(self) -> None: ...


T = TypeVar("T")


def while_busy(store: Store, fn: Callable[..., T], *args: object, attempts: int | None = None) -> T:
    """Call `fn(*args)` (in a worker thread) again while the store stays locked past its
    busy timeout (or, on a server, unreachable for a while): a finished generation is
    recorded late rather than thrown away."""
    import time

    attempts = attempts or store.busy_attempts
    for attempt in range(attempts):
        try:
            return fn(*args)
        except Exception as exc:
            if attempt == attempts - 1 or not store.is_transient(exc):
                raise
            time.sleep(min(10.0, 0.5 * 2 ** attempt))
    raise AssertionError("unreachable")
