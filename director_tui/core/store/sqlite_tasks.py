"""The runner's store operations on SQLite (base.TaskQueries): few, short transactions of
precompiled SQL.

With four generators starting at once on two cores, the runner's own CPU time
shows directly in the wall time of a batch (make bench: runner overhead), so
the hot path (claim, pid, result) runs plain SQL on the sqlite3 cursor, with
times written as SQLAlchemy writes them (db_time), and the rest module-level
`text()` statements; each task costs three write transactions: claim (with
everything needed to run it), pid, result.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import BindParameter, Boolean, bindparam, text

from director_tui.core.models import AssetState, Task, TaskState, utcnow
from director_tui.core.states import Asset
from director_tui.core.store.base import (
    UNSUCCESSFUL_KIND,
    Claimant,
    ClaimedTask,
    Placement,
    activity_row,
)

if TYPE_CHECKING:
    import sqlite3
    from contextlib import AbstractContextManager

    from sqlalchemy.engine import Connection


class CursorStore(Protocol):
    """What the queue's SQL needs of the SQLite store (sqlite.py's SqliteStore): typed here,
    not imported, so the store and its queries are no circle."""

    def read_cursor(self) -> AbstractContextManager[sqlite3.Cursor]: ...
    def write_cursor(self) -> AbstractContextManager[sqlite3.Cursor]: ...
    def read_conn(self) -> AbstractContextManager[Connection]: ...
    def write_conn(self) -> AbstractContextManager[Connection]: ...


def db_time(t: datetime) -> str:
    """A time as SQLAlchemy's SQLite DateTime stores it (UTC, no offset), for raw SQL."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")



_TIME = Task.__table__.c.started_at.type  # type: ignore[attr-defined]  # same storage as the ORM's


def _t(sql: str, *expanding: str, times: tuple[str, ...] = ("now",), flags: tuple[str, ...] = ()) -> object:
    params: list[BindParameter[Any]] = [bindparam(name, expanding=True) for name in expanding]
    params += [bindparam(name, type_=_TIME) for name in times if f":{name}" in sql]
    params += [bindparam(name, type_=Boolean()) for name in flags]
    return text(sql).bindparams(*params)


QUEUED_ASSETS = "SELECT DISTINCT stream_id, asset FROM task WHERE state = 'queued' AND stream_id IN ({})"
CLAIM = ("""
UPDATE task SET state = 'running', owner = :owner, owner_pid = :owner_pid, owner_start = :owner_start,
       started_at = :now, heartbeat_at = :now, progress = 0, message = 'starting', error = '',
       cancel_requested = :no
WHERE id = (SELECT id FROM task WHERE state = 'queued' AND stream_id = :stream_id AND asset = :asset
            ORDER BY priority DESC, id LIMIT 1)
  AND state = 'queued'
RETURNING id, stream_id, segment_id, asset, prompt, seed, priority, reference_version_id,
          parent_version_id, variation_group, preset_id""")
CONTEXT = """
SELECT st.slug, st.width, st.height, s.position, s.duration
FROM segment s JOIN stream st ON st.id = s.stream_id WHERE s.id = :segment_id"""
REFERENCE = "SELECT path FROM version WHERE id = :id"
SET_REMOTE = "UPDATE task SET remote = :remote, log_path = :log_path WHERE id = :id"
SET_PID = "UPDATE task SET pid = :pid, pgid = :pid, proc_start = :proc_start, log_path = :log_path WHERE id = :id"
NEXT_NUMBER = "SELECT coalesce(max(number), 0) + 1 FROM version WHERE segment_id = :segment_id AND asset = :asset"
INSERT_VERSION = ("""
INSERT INTO version (segment_id, asset, number, path, prompt, seed, generator, parent_version_id,
                     reference_version_id, variation_group, preset_id, width, height, duration,
                     size_bytes, checksum, task_id, created_at)
VALUES (:segment_id, :asset, :number, :path, :prompt, :seed, :generator, :parent_version_id,
        :reference_version_id, :variation_group, :preset_id, :width, :height, :duration, :size_bytes,
        :checksum, :task_id, :now)
RETURNING id""")
SEGMENT_STATE = "SELECT keyframe_version_id, keyframe_state, video_state FROM segment WHERE id = :id"
SET_KEYFRAME = "UPDATE segment SET keyframe_version_id = :vid, keyframe_state = :state, updated_at = :now WHERE id = :id"
SET_VIDEO = "UPDATE segment SET video_version_id = :vid, video_state = :state, updated_at = :now WHERE id = :id"
SUCCEEDED = """
UPDATE task SET state = 'succeeded', progress = 1, message = 'done', finished_at = :now, version_id = :vid,
       pid = NULL, pgid = NULL, log_path = :log_path WHERE id = :id"""
FAILED = _t("""
UPDATE task SET state = :state, error = :error, message = :message, pid = NULL, pgid = NULL,
       log_path = :log_path, finished_at = :now WHERE id = :id""")
REQUEUED = _t("""
UPDATE task SET state = 'queued', error = :error, message = :message, pid = NULL, pgid = NULL, remote = NULL,
       log_path = :log_path, owner = NULL, owner_pid = NULL, owner_start = NULL, started_at = NULL,
       progress = 0 WHERE id = :id""")
ACTIVITY_SQL = """
INSERT INTO activity (stream_id, segment_id, actor, kind, detail, created_at)
VALUES (:stream_id, :segment_id, :actor, :kind, :detail, :now)"""
ACTIVITY = _t(ACTIVITY_SQL)
PROGRESS = _t("UPDATE task SET progress = :progress, message = :message WHERE id = :id AND state = 'running'")
HEARTBEAT = _t("UPDATE task SET heartbeat_at = :now WHERE id IN :ids AND state = 'running'", "ids")
CANCEL_REQUESTS = _t("SELECT id FROM task WHERE id IN :ids AND cancel_requested = :yes", "ids", flags=("yes",))


class SqliteTaskQueries:
    claims_with_result = False  # base.TaskQueries: the runner claims the next first, then records

    def __init__(self, store: CursorStore) -> None:
        self.store = store

    def queued_assets(self, stream_ids: list[int]) -> set[tuple[int, str]]:
        """(stream, asset) pairs with something queued — a read, so idle claims cost no write."""
        if not stream_ids:
            return set()
        with self.store.read_cursor() as cur:
            sql = QUEUED_ASSETS.format(", ".join("?" * len(stream_ids)))
            return {(r[0], r[1]) for r in cur.execute(sql, [int(i) for i in stream_ids])}

    def claim(self, stream_id: int, asset: str, owner: str, owner_pid: int,
              owner_start: float | None) -> ClaimedTask | None:
        """Atomically move the best queued task to running (BEGIN IMMEDIATE + UPDATE … RETURNING)."""
        with self.store.write_cursor() as cur:
            row = cur.execute(CLAIM, {"owner": owner, "owner_pid": owner_pid, "owner_start": owner_start,
                                      "now": db_time(utcnow()), "no": 0, "stream_id": stream_id,
                                      "asset": asset}).fetchone()
            if row is None:
                return None
            ctx = cur.execute(CONTEXT, {"segment_id": row[2]}).fetchone()
            ref = None
            if row[7] is not None:
                found = cur.execute(REFERENCE, {"id": row[7]}).fetchone()
                ref = found[0] if found else None
        args: tuple[Any, ...] = (*row, *ctx, ref)
        return ClaimedTask(*args)

    def set_pid(self, task_id: int, pid: int, proc_start: float | None, log_path: str) -> None:
        with self.store.write_cursor() as cur:
            cur.execute(SET_PID, {"pid": pid, "proc_start": proc_start, "log_path": log_path, "id": task_id})

    def set_remote(self, task_id: int, remote: str, log_path: str) -> None:
        with self.store.write_cursor() as cur:
            cur.execute(SET_REMOTE, {"remote": remote, "log_path": log_path, "id": task_id})

    @staticmethod
    def _activity(kind: str, actor: str, claimed: ClaimedTask, **detail: object) -> dict[str, object]:
        return activity_row(kind, actor, claimed, utcnow(), **detail)

    def record_version(self, task: ClaimedTask, actor: str, place: Placement,
                       generator: str, width: int, height: int, duration: float | None, size: int,
                       checksum: str, log_path: str) -> tuple[int, bool]:
        """Number the version, let `place(number)` move the file into media/ (inside the write
        lock, so the row never points at a missing file), insert it, make it current, finish
        the task. Returns (version id, whether the asset had been approved: the caller then
        re-checks the checkpoints)."""
        now = db_time(utcnow())
        with self.store.write_cursor() as cur:
            number = cur.execute(NEXT_NUMBER, {"segment_id": task.segment_id, "asset": task.asset}).fetchone()[0]
            rel_path = place(number)
            version_id = cur.execute(INSERT_VERSION, {
                "segment_id": task.segment_id, "asset": task.asset, "number": number, "path": str(rel_path),
                "prompt": task.prompt, "seed": task.seed, "generator": generator,
                "parent_version_id": task.parent_version_id, "reference_version_id": task.reference_version_id,
                "variation_group": task.variation_group, "preset_id": task.preset_id, "width": width,
                "height": height, "duration": duration,
                "size_bytes": size, "checksum": checksum, "task_id": task.id, "now": now}).fetchone()[0]
            key_version, key_state, video_state = cur.execute(SEGMENT_STATE, {"id": task.segment_id}).fetchone()
            if task.asset == Asset.KEYFRAME:
                was_approved = key_state == AssetState.APPROVED
                cur.execute(SET_KEYFRAME, {"vid": version_id, "state": str(AssetState.REVIEW), "now": now,
                                           "id": task.segment_id})
            else:
                was_approved = video_state == AssetState.APPROVED
                # made from a keyframe that is no longer the current approved one (another was
                # approved, or the approval was undone while the clip rendered): stale on arrival
                stale = key_version != task.reference_version_id or key_state != AssetState.APPROVED
                cur.execute(SET_VIDEO, {"vid": version_id, "now": now, "id": task.segment_id,
                                        "state": str(AssetState.STALE if stale else AssetState.REVIEW)})
            cur.execute(SUCCEEDED, {"now": now, "vid": version_id, "log_path": log_path, "id": task.id})
            activity = self._activity("version.created", actor, task, asset=task.asset, version=number, task=task.id,
                                 seed=task.seed)
            cur.execute(ACTIVITY_SQL, {**activity, "now": db_time(activity["now"])})  # type: ignore[arg-type]
        return int(version_id), was_approved

    def record_and_claim(self, task: ClaimedTask, actor: str, place: Placement, generator: str,
                         width: int, height: int, duration: float | None, size: int, checksum: str,
                         log_path: str, claimant: Claimant) -> tuple[int, bool, ClaimedTask | None]:
        """Two transactions, as the runner does it here (claims_with_result is False)."""
        version_id, was_approved = self.record_version(task, actor, place, generator, width, height, duration,
                                                       size, checksum, log_path)
        return version_id, was_approved, self.claim(task.stream_id, task.asset, claimant.owner, claimant.pid,
                                                    claimant.start)

    def finish_unsuccessful(self, task: ClaimedTask, actor: str, state: str, reason: str,
                            log_path: str) -> None:
        params = {"error": reason[:2000], "message": reason[:500], "log_path": log_path, "id": task.id}
        kind = UNSUCCESSFUL_KIND[state]
        with self.store.write_conn() as conn:
            if state == TaskState.QUEUED:  # interrupted by our own shutdown: back for the next instance
                conn.execute(REQUEUED, params)  # type: ignore[call-overload]
            else:
                conn.execute(FAILED, {**params, "state": state, "now": utcnow()})  # type: ignore[call-overload]
            conn.execute(ACTIVITY, self._activity(kind, actor, task, asset=task.asset, task=task.id,  # type: ignore[call-overload]
                                             reason=reason[:500]))

    def cancel_requests(self, task_ids: list[int]) -> list[int]:
        """Which of these tasks someone asked to cancel (a read: no heartbeat, no lock)."""
        with self.store.read_conn() as conn:
            return list(conn.execute(CANCEL_REQUESTS, {"ids": task_ids, "yes": True}).scalars())  # type: ignore[call-overload]

    def flush(self, progress: list[tuple[int, float, str]], running_ids: list[int]) -> list[int]:
        """Progress of dirty tasks, heartbeats of all running ones; returns ids asked to cancel."""
        with self.store.write_conn() as conn:
            if progress:
                conn.execute(PROGRESS, [{"id": i, "progress": p, "message": m[:500]} for i, p, m in progress])  # type: ignore[call-overload]
            conn.execute(HEARTBEAT, {"now": utcnow(), "ids": running_ids})  # type: ignore[call-overload]
            return list(conn.execute(CANCEL_REQUESTS, {"ids": running_ids, "yes": True}).scalars())  # type: ignore[call-overload]
