"""The runner's store operations on PostgreSQL (base.TaskQueries): the shared queue.

A claim is one statement: pick the best queued task `FOR UPDATE SKIP LOCKED` (a task
another worker is claiming at that instant is skipped, never waited for, never taken
twice), mark it running under this owner, and return it with what it needs to run.
The claim also foresees the version number the result will take; the result is linked at
that number's name and recorded in one statement, and uq_version_number refuses a number
another result took meanwhile (then the next). Claims and results take the advisory write
lock shared (workers never wait for each other, only for a director's decision being
written: see postgres.py). Progress and heartbeats touch only the worker's own running
rows and take no lock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

import psycopg

from director_tui.core.errors import StoreError
from director_tui.core.models import AssetState, TaskState
from director_tui.core.states import Asset
from director_tui.core.store.base import (
    UNSUCCESSFUL_KIND,
    Claimant,
    ClaimedTask,
    Placement,
    activity_row,
)

if TYPE_CHECKING:
    from contextlib import AbstractContextManager


class RawStore(Protocol):
    """What the queue's SQL needs of the PostgreSQL store (postgres.py's PostgresStore):
    typed here, not imported, so the store and its queries are no circle."""

    def raw_cursor(self, locked: bool = True) -> AbstractContextManager[Any]: ...
    def raw_pipeline(self) -> AbstractContextManager[Any]: ...
    def raw_statement(self) -> AbstractContextManager[Any]: ...


WRITE_LOCK = 0x6469726563746F72  # "director": the advisory lock every decision's write takes (postgres.py)

# Taken first in a claim or a result's statement, before any row is looked at: the advisory
# write lock, shared (a one-time filter), so a director's decision never runs alongside.
LOCK_SHARED = f"(SELECT 1 FROM (SELECT pg_advisory_xact_lock_shared({WRITE_LOCK})) AS lock) = 1"
# The claim's part of a statement: pick the best queued task of (stream, asset), skipping
# rows others are claiming; mark it ours; `next_task` is it with what it needs to run, and
# the version number its result will most likely take. {gate} holds before anything is read.
CLAIM_CTES = """
picked AS (
    SELECT id FROM task WHERE state = 'queued' AND stream_id = %(stream_id)s AND asset = %(asset)s
      AND {gate}
    ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED),
claimed AS (
    UPDATE task t SET state = 'running', owner = %(owner)s, owner_pid = %(owner_pid)s,
           owner_start = %(owner_start)s, started_at = %(now)s, heartbeat_at = %(now)s, progress = 0,
           message = 'starting', error = '', cancel_requested = false
    FROM picked WHERE t.id = picked.id
    RETURNING t.id, t.stream_id, t.segment_id, t.asset, t.prompt, t.seed, t.priority, t.reference_version_id,
              t.parent_version_id, t.variation_group, t.preset_id),
next_task AS (
    SELECT c.*, st.slug, st.width, st.height, s.position, s.duration, rv.path,
           (SELECT coalesce(max(number), 0) + 1 FROM version WHERE segment_id = c.segment_id AND asset = c.asset)
    FROM claimed c JOIN segment s ON s.id = c.segment_id JOIN stream st ON st.id = s.stream_id
    LEFT JOIN version rv ON rv.id = c.reference_version_id)"""
# One statement, its own transaction.
CLAIM = "WITH" + CLAIM_CTES.format(gate=LOCK_SHARED) + "\nSELECT * FROM next_task"
QUEUED_ASSETS = "SELECT DISTINCT stream_id, asset FROM task WHERE state = 'queued' AND stream_id = ANY(%(ids)s)"
SET_PID = ("UPDATE task SET pid = %(pid)s, pgid = %(pid)s, proc_start = %(proc_start)s, log_path = %(log_path)s "
           "WHERE id = %(id)s")
SET_REMOTE = "UPDATE task SET remote = %(remote)s, log_path = %(log_path)s WHERE id = %(id)s"
NEXT_NUMBER = "SELECT coalesce(max(number), 0) + 1 FROM version WHERE segment_id = %(id)s AND asset = %(asset)s"
# A result: the version, the segment's current one, the task done and the activity row in
# one statement, under the advisory lock (shared) and the segment's row lock (`old`: its
# state as this result finds it); the number is the one the claim foresaw, and
# uq_version_number refuses it if another result took it meanwhile (then again).
RECORD_CTES = """
old AS (
    SELECT keyframe_version_id, keyframe_state, video_state FROM segment
    WHERE id = %(segment_id)s AND {lock}
    FOR UPDATE),
v AS (
    INSERT INTO version (segment_id, asset, number, path, prompt, seed, generator, parent_version_id,
                         reference_version_id, variation_group, preset_id, width, height, duration,
                         size_bytes, checksum, task_id, created_at)
    SELECT %(segment_id)s, %(asset)s, %(number)s, %(path)s, %(prompt)s, %(seed)s, %(generator)s,
           %(parent_version_id)s, %(reference_version_id)s, %(variation_group)s, %(preset_id)s, %(width)s,
           %(height)s, %(duration)s, %(size_bytes)s, %(checksum)s, %(task_id)s, %(now)s FROM old
    RETURNING id),
seg AS (
    UPDATE segment SET {asset}_version_id = (SELECT id FROM v), {asset}_state = {state}, updated_at = %(now)s
    WHERE id = %(segment_id)s AND EXISTS (SELECT 1 FROM v)),
done AS (
    UPDATE task SET state = 'succeeded', progress = 1, message = 'done', finished_at = %(now)s,
           version_id = (SELECT id FROM v), pid = NULL, pgid = NULL, log_path = %(log_path)s
    WHERE id = %(task_id)s AND EXISTS (SELECT 1 FROM v)),
act AS (
    INSERT INTO activity (stream_id, segment_id, actor, kind, detail, created_at)
    SELECT %(stream_id)s, %(segment_id)s, %(actor)s, 'version.created', %(detail)s, %(now)s FROM v)"""
RECORD = "WITH" + RECORD_CTES + "\nSELECT v.id, old.keyframe_state, old.video_state FROM v, old"
# ... and, only once the result is in (`v`), the claim of the slot's next task of the same
# (stream, asset): a worker's one round trip per task (base.TaskQueries.claims_with_result).
RECORD_AND_CLAIM = ("WITH" + RECORD_CTES + "," + CLAIM_CTES.format(gate="EXISTS (SELECT 1 FROM v)")
                    + "\nSELECT v.id, old.keyframe_state, old.video_state, next_task.* "
                      "FROM v CROSS JOIN old LEFT JOIN next_task ON true")
# a clip made from a keyframe that is no longer the current approved one: stale on arrival
CLIP_STATE = ("CASE WHEN (SELECT keyframe_version_id FROM old) IS NOT DISTINCT FROM %(reference_version_id)s::integer "
              "AND (SELECT keyframe_state FROM old) = 'approved' THEN 'review' ELSE 'stale' END")
STATE_ON_ARRIVAL = {Asset.KEYFRAME: "'review'", Asset.VIDEO: CLIP_STATE}
# (asset, with the next claim) -> the statement
RECORD_SQL = {(asset, claims): sql.format(lock=LOCK_SHARED, asset=asset, state=state)
              for asset, state in STATE_ON_ARRIVAL.items()
              for claims, sql in ((False, RECORD), (True, RECORD_AND_CLAIM))}
FAILED = """
UPDATE task SET state = %(state)s, error = %(error)s, message = %(message)s, pid = NULL, pgid = NULL,
       log_path = %(log_path)s, finished_at = %(now)s WHERE id = %(id)s"""
REQUEUED = """
UPDATE task SET state = 'queued', error = %(error)s, message = %(message)s, pid = NULL, pgid = NULL, remote = NULL,
       log_path = %(log_path)s, owner = NULL, owner_pid = NULL, owner_start = NULL, started_at = NULL,
       progress = 0 WHERE id = %(id)s"""
ACTIVITY = """
INSERT INTO activity (stream_id, segment_id, actor, kind, detail, created_at)
VALUES (%(stream_id)s, %(segment_id)s, %(actor)s, %(kind)s, %(detail)s, %(now)s)"""
PROGRESS = "UPDATE task SET progress = %(progress)s, message = %(message)s WHERE id = %(id)s AND state = 'running'"
HEARTBEAT = "UPDATE task SET heartbeat_at = %(now)s WHERE id = ANY(%(ids)s) AND state = 'running'"
CANCEL_REQUESTS = "SELECT id FROM task WHERE id = ANY(%(ids)s) AND cancel_requested"


def now_utc() -> datetime:
    """The time as the ORM stores it in a `timestamp` column: UTC, no offset."""
    return datetime.now(UTC).replace(tzinfo=None)


class PostgresTaskQueries:
    claims_with_result = True  # base.TaskQueries: a worker's one round trip per task

    def __init__(self, store: RawStore) -> None:
        self.store = store

    def queued_assets(self, stream_ids: list[int]) -> set[tuple[int, str]]:
        if not stream_ids:
            return set()
        with self.store.raw_statement() as cur:
            cur.execute(QUEUED_ASSETS, {"ids": [int(i) for i in stream_ids]})
            return {(r[0], r[1]) for r in cur.fetchall()}

    def claim(self, stream_id: int, asset: str, owner: str, owner_pid: int,
              owner_start: float | None) -> ClaimedTask | None:
        with self.store.raw_statement() as cur:
            cur.execute(CLAIM, {"owner": owner, "owner_pid": owner_pid, "owner_start": owner_start,
                                "now": now_utc(), "stream_id": stream_id, "asset": asset})
            row = cur.fetchone()
        return None if row is None else ClaimedTask(*row)

    def set_pid(self, task_id: int, pid: int, proc_start: float | None, log_path: str) -> None:
        with self.store.raw_statement() as cur:
            cur.execute(SET_PID, {"pid": pid, "proc_start": proc_start, "log_path": log_path, "id": task_id})

    def set_remote(self, task_id: int, remote: str, log_path: str) -> None:
        with self.store.raw_statement() as cur:
            cur.execute(SET_REMOTE, {"remote": remote, "log_path": log_path, "id": task_id})

    @staticmethod
    def _activity(kind: str, actor: str, claimed: ClaimedTask, **detail: object) -> dict[str, object]:
        return activity_row(kind, actor, claimed, now_utc(), **detail)

    def record_version(self, task: ClaimedTask, actor: str, place: Placement,
                       generator: str, width: int, height: int, duration: float | None, size: int,
                       checksum: str, log_path: str) -> tuple[int, bool]:
        version_id, was_approved, _next = self._record(task, actor, place, generator, width, height, duration,
                                                       size, checksum, log_path, None)
        return version_id, was_approved

    def record_and_claim(self, task: ClaimedTask, actor: str, place: Placement, generator: str,
                         width: int, height: int, duration: float | None, size: int, checksum: str,
                         log_path: str, claimant: Claimant) -> tuple[int, bool, ClaimedTask | None]:
        return self._record(task, actor, place, generator, width, height, duration, size, checksum, log_path,
                            claimant)

    def _record(self, task: ClaimedTask, actor: str, place: Placement, generator: str, width: int, height: int,
                duration: float | None, size: int, checksum: str, log_path: str,
                claimant: Claimant | None) -> tuple[int, bool, ClaimedTask | None]:
        """As on SQLite: number, insert, make current, finish the task; the row never points
        at a missing file. The number comes with the claim; the file is linked at its name
        first, then one statement records it (one round trip), and claims the next task for
        `claimant`. A number taken meanwhile (two results for one segment at once; the file
        already there, or the insert refused: the whole statement undone, the claim too)
        means the next. Where the share makes no hard links: the file is moved inside the
        record's transaction instead (two round trips)."""
        number = task.next_number
        for _attempt in range(16):
            if number is None:
                with self.store.raw_statement() as cur:
                    cur.execute(NEXT_NUMBER, {"id": task.segment_id, "asset": task.asset})
                    number = int(cur.fetchone()[0])
            try:
                early = place.early(number)
            except FileExistsError:  # another result's, or what a crash left there: not ours to touch
                number += 1
                continue
            params = self._params(task, actor, place, number, generator, width, height, duration, size, checksum,
                                  log_path, claimant)
            try:
                row = self._execute(RECORD_SQL[task.asset, claimant is not None], params, place, number,
                                    in_transaction=not early)
            except psycopg.errors.UniqueViolation:
                if early:
                    place.withdraw(number)
                number = None
                continue
            except BaseException:
                if early:
                    place.withdraw(number)
                raise
            if early:
                place.done()
            version_id, key_state, video_state = row[:3]
            was_approved = (key_state if task.asset == Asset.KEYFRAME else video_state) == AssetState.APPROVED
            claimed = ClaimedTask(*cast("tuple[Any, ...]", row[3:])) if len(row) > 3 and row[3] is not None else None
            return int(cast(Any, version_id)), was_approved, claimed
        raise StoreError(f"segment {task.segment_id}: no free version number after 16 tries")

    def _params(self, task: ClaimedTask, actor: str, place: Placement, number: int, generator: str, width: int,
                height: int, duration: float | None, size: int, checksum: str, log_path: str,
                claimant: Claimant | None) -> dict[str, object]:
        activity = self._activity("version.created", actor, task, asset=task.asset, version=number,
                                  task=task.id, seed=task.seed)
        params = {
            "segment_id": task.segment_id, "asset": task.asset, "number": number, "path": str(place.path(number)),
            "prompt": task.prompt, "seed": task.seed, "generator": generator,
            "parent_version_id": task.parent_version_id, "reference_version_id": task.reference_version_id,
            "variation_group": task.variation_group, "preset_id": task.preset_id, "width": width, "height": height,
            "duration": duration, "size_bytes": size, "checksum": checksum, "task_id": task.id,
            "now": activity["now"], "log_path": log_path, "stream_id": task.stream_id, "actor": actor,
            "detail": activity["detail"]}
        if claimant is not None:
            params.update(owner=claimant.owner, owner_pid=claimant.pid, owner_start=claimant.start)
        return params

    def _execute(self, sql: str, params: dict[str, object], place: Placement, number: int,
                 in_transaction: bool) -> tuple[object, ...]:
        with self.store.raw_pipeline() if in_transaction else self.store.raw_statement() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
            if row is None:
                raise LookupError(f"segment {params['segment_id']} no longer exists")
            if in_transaction:
                place(number)  # moved inside the transaction: committed only once the file is there
        return row

    def finish_unsuccessful(self, task: ClaimedTask, actor: str, state: str, reason: str,
                            log_path: str) -> None:
        params = {"error": reason[:2000], "message": reason[:500], "log_path": log_path, "id": task.id}
        kind = UNSUCCESSFUL_KIND[state]
        with self.store.raw_cursor() as cur:
            if state == TaskState.QUEUED:
                cur.execute(REQUEUED, params)
            else:
                cur.execute(FAILED, {**params, "state": str(state), "now": now_utc()})
            cur.execute(ACTIVITY, self._activity(kind, actor, task, asset=task.asset, task=task.id,
                                                 reason=reason[:500]))

    def cancel_requests(self, task_ids: list[int]) -> list[int]:
        if not task_ids:
            return []
        with self.store.raw_statement() as cur:
            cur.execute(CANCEL_REQUESTS, {"ids": task_ids})
            return [r[0] for r in cur.fetchall()]

    def flush(self, progress: list[tuple[int, float, str]], running_ids: list[int]) -> list[int]:
        with self.store.raw_cursor(locked=False) as cur:
            if progress:
                cur.executemany(PROGRESS, [{"id": i, "progress": p, "message": m[:500]} for i, p, m in progress])
            if not running_ids:
                return []
            cur.execute(HEARTBEAT, {"now": now_utc(), "ids": running_ids})
            cur.execute(CANCEL_REQUESTS, {"ids": running_ids})
            return [r[0] for r in cur.fetchall()]
