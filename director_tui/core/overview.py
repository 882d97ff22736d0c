"""The workspace's streams and a stream's state as plain data: what `list` and `status`
print (and `--json`). Plain SQL on a Reader (core/store/sql.py), so the same queries run
on any store's session and, for the read commands' fast path, on a bare sqlite3
connection. No SQLAlchemy here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from director_tui.core.store.sql import Reader

_STREAMS = """
SELECT st.slug, st.title, st.created_at, count(s.id),
       sum(CASE WHEN s.keyframe_state = 'approved' THEN 1 ELSE 0 END),
       sum(CASE WHEN s.video_state = 'approved' THEN 1 ELSE 0 END)
FROM stream st LEFT JOIN segment s ON s.stream_id = st.id
GROUP BY st.id, st.slug, st.title, st.created_at ORDER BY st.slug"""
_SEGMENTS = """
SELECT s.id, s.position, s.title, s.image_prompt, s.motion_prompt, s.duration, kv.number, s.keyframe_state,
       vv.number, s.video_state, s.comment_count
FROM segment s
LEFT JOIN version kv ON kv.id = s.keyframe_version_id
LEFT JOIN version vv ON vv.id = s.video_version_id
WHERE s.stream_id = :stream ORDER BY s.position"""
_LATEST_TASKS = """
SELECT t.id, t.segment_id, t.asset, t.state, t.progress, t.message, t.error
FROM task t JOIN (SELECT max(id) AS id FROM task WHERE stream_id = :stream GROUP BY segment_id, asset) n
ON n.id = t.id"""


def _iso_seconds(value: Any) -> str:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.isoformat(timespec="seconds")


def list_streams(db: Reader) -> list[dict[str, Any]]:
    return [{"slug": slug, "title": title, "segments": int(n), "keyframes_approved": int(keys or 0),
             "videos_approved": int(clips or 0), "created_at": _iso_seconds(created)}
            for slug, title, created, n, keys, clips in db.all(_STREAMS)]


def stream_slugs(db: Reader) -> list[str]:
    return [r[0] for r in db.all("SELECT slug FROM stream ORDER BY slug")]


def stream_row(db: Reader, slug: str) -> tuple[int, str, str] | None:
    """(id, title, generators_json) of the stream, or None."""
    found = db.all("SELECT id, title, generators_json FROM stream WHERE slug = :slug", {"slug": slug})
    return (int(found[0][0]), found[0][1], found[0][2] or "{}") if found else None


def status(db: Reader, slug: str) -> dict[str, Any] | None:
    """The stream's state (what `status --json` prints), or None when there is no such stream."""
    found = stream_row(db, slug)
    return None if found is None else status_of(db, slug, found)


def status_of(db: Reader, slug: str, found: tuple[int, str, str]) -> dict[str, Any]:
    """`status` of the stream `stream_row` found."""
    stream_id, title, _generators = found
    latest = {(r[1], r[2]): r for r in db.all(_LATEST_TASKS, {"stream": stream_id})}
    queued = db.all("SELECT count(*) FROM task WHERE stream_id = :stream AND state = 'queued'",
                    {"stream": stream_id})[0][0]

    def task_info(seg_id: int, asset: str) -> dict[str, Any] | None:
        row = latest.get((seg_id, asset))
        if row is None:
            return None
        return {"id": int(row[0]), "state": row[3], "progress": float(row[4] or 0), "message": row[5] or "",
                "error": row[6] or ""}

    segments = []
    for seg_id, position, seg_title, image, motion, duration, key_n, key_state, clip_n, clip_state, comments \
            in db.all(_SEGMENTS, {"stream": stream_id}):
        segments.append({
            "position": int(position), "title": seg_title, "image_prompt": image, "motion_prompt": motion,
            "duration": float(duration),
            "keyframe": {"version": key_n, "state": key_state, "task": task_info(seg_id, "keyframe")},
            "video": {"version": clip_n, "state": clip_state, "task": task_info(seg_id, "video")},
            "comments": int(comments or 0),
        })
    n = len(segments)
    keys = sum(s["keyframe"]["state"] == "approved" for s in segments)
    clips = sum(s["video"]["state"] == "approved" for s in segments)
    return {
        "stream": slug,
        "title": title,
        "segments": segments,
        "totals": {
            "segments": n,
            "keyframes": {"approved": keys, "total": n},
            "videos": {"approved": clips, "total": n},
            "final_cut": {"ready": n > 0 and clips == n},
        },
        "tasks": {"running": sum(1 for r in latest.values() if r[3] == "running"), "queued": int(queued)},
    }
