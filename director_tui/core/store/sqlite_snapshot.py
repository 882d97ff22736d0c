"""The first screen's data, and the read commands' queries, read with the standard
library's sqlite3 (SQLite's fast path).

Opening a stream must show its table about as fast as a bare Textual app;
importing SQLAlchemy and SQLModel alone costs ~0.3 s. So the first frame is
drawn from this read-only snapshot while the full store (ORM, migrations,
runner) opens in a thread. For a schema that is not at head, or anything odd,
it returns None and the caller takes the ORM path (`streams.snapshot_from_store`,
which any store answers). `open_reader` gives `list`, `status`, `activity` and `metrics`
a Reader (core/store/sql.py) on the same read-only connection, for the same reason.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from director_tui.core.rows import SegmentRow, Snapshot, TaskView, Totals, VersionRow
from director_tui.core.states import AssetState, TaskState

HEAD_REVISION = "0009_decision_receipts"  # kept equal to migrations.HEAD_REVISION by a test


def _parse_time(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


_ROWS_SQL = """
SELECT s.id, s.position, s.title, s.image_prompt, s.motion_prompt, s.duration,
       s.keyframe_version_id, kv.number, s.keyframe_state,
       s.video_version_id, vv.number, s.video_state, s.comment_count
FROM segment s
LEFT JOIN version kv ON kv.id = s.keyframe_version_id
LEFT JOIN version vv ON vv.id = s.video_version_id
WHERE s.stream_id = ? ORDER BY s.position
"""
_LATEST_SQL = """
SELECT t.id, t.segment_id, t.asset, t.state, t.progress, t.message, t.error
FROM task t JOIN (SELECT max(id) AS id FROM task WHERE stream_id = ? GROUP BY segment_id, asset) n
ON n.id = t.id
"""
_VERSIONS_SQL = """
SELECT id, number, created_at, seed, decision, generator, archive_location IS NOT NULL, path FROM version
WHERE segment_id = ? AND asset = ? ORDER BY number DESC
"""


class SqliteReader:
    """A Reader (core/store/sql.py) on a bare sqlite3 connection: `:name` parameters are sqlite3's own."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def all(self, sql: str, params: dict[str, Any] | None = None) -> list[Sequence[Any]]:
        return self.conn.execute(sql, params or {}).fetchall()


def _connect(db_path: Path) -> sqlite3.Connection | None:
    """Read-only, in one transaction (a consistent read), at this program's schema; else None
    (a link too: the full store decides whether it may be followed)."""
    if db_path.is_symlink() or not db_path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        conn.execute("BEGIN")
        head = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        head = None
    if head is None or head[0] != HEAD_REVISION:
        conn.close()
        return None
    return conn


@contextmanager
def open_reader(db_path: Path) -> Iterator[SqliteReader | None]:
    """A Reader on the workspace's database, or None where the full store must answer (no
    file yet, another schema, damage: it says what is wrong)."""
    conn = _connect(db_path)
    try:
        yield None if conn is None else SqliteReader(conn)
    finally:
        if conn is not None:
            conn.close()


def read_snapshot(db_path: Path, slug: str, user: str) -> Snapshot | None:
    conn = _connect(db_path)
    if conn is None:
        return None
    try:
        found = conn.execute("SELECT id, title FROM stream WHERE slug = ?", (slug,)).fetchone()
        if found is None:
            return None
        stream_id, title = found
        rows = [SegmentRow(*r) for r in conn.execute(_ROWS_SQL, (stream_id,))]
        latest = {(r[1], r[2]): TaskView(*r) for r in conn.execute(_LATEST_SQL, (stream_id,))}
        running = sum(1 for t in latest.values() if t.state == TaskState.RUNNING)
        queued = conn.execute("SELECT count(*) FROM task WHERE stream_id = ? AND state = ?",
                              (stream_id, TaskState.QUEUED)).fetchone()[0]
        state_row = conn.execute("SELECT state_json FROM ui_state WHERE user = ? AND stream_id = ?",
                                 (user, stream_id)).fetchone()
        ui_state = json.loads(state_row[0]) if state_row else {}
        versions: list[VersionRow] = []
        if ui_state.get("versions_open") and isinstance(ui_state.get("segment_id"), int):
            versions = [VersionRow(r[0], r[1], _parse_time(r[2]), r[3], r[4], r[5], bool(r[6]), r[7]) for r in
                        conn.execute(_VERSIONS_SQL, (ui_state["segment_id"], ui_state.get("asset", "keyframe")))]
    except (sqlite3.Error, ValueError):
        return None  # anything odd: the ORM path will say what is wrong
    finally:
        conn.close()
    totals = Totals(len(rows), sum(r.keyframe_state == AssetState.APPROVED for r in rows),
                    sum(r.video_state == AssetState.APPROVED for r in rows))
    return Snapshot(stream_id, slug, title, rows, latest, totals, running, int(queued), ui_state, versions)
