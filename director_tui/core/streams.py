"""Read models: streams, segment rows, versions, checkpoint totals, status."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from director_tui.core.errors import NotFound
from director_tui.core.models import AssetState, Segment, Stream, Task, TaskState, Version
from director_tui.core.rows import SegmentRow, Snapshot, TaskView, Totals, VersionRow

__all__ = ["NotFound", "SegmentRow", "TaskView", "Totals"]


def get_stream(session: Session, slug: str) -> Stream:
    stream = session.execute(select(Stream).where(col(Stream.slug) == slug)).scalar_one_or_none()
    if stream is None:
        raise NotFound(f"stream {slug!r} not found (see `director-tui list`)")
    return stream


def segment_rows(session: Session, stream_id: int, segment_ids: list[int] | None = None,
                 updated_since: datetime | None = None) -> list[SegmentRow]:
    kv = aliased(Version)
    vv = aliased(Version)
    query = (
        select(
            col(Segment.id), col(Segment.position), col(Segment.title), col(Segment.image_prompt),
            col(Segment.motion_prompt), col(Segment.duration),
            col(Segment.keyframe_version_id), col(kv.number), col(Segment.keyframe_state),
            col(Segment.video_version_id), col(vv.number), col(Segment.video_state), col(Segment.comment_count),
        )
        .outerjoin(kv, col(kv.id) == col(Segment.keyframe_version_id))
        .outerjoin(vv, col(vv.id) == col(Segment.video_version_id))
        .where(col(Segment.stream_id) == stream_id)
        .order_by(col(Segment.position))
    )
    if segment_ids is not None:
        query = query.where(col(Segment.id).in_(segment_ids))
    if updated_since is not None:
        query = query.where(col(Segment.updated_at) >= updated_since)
    return [SegmentRow(*row) for row in session.execute(query)]


def active_tasks(session: Session, stream_id: int) -> list[TaskView]:
    rows = session.execute(
        select(col(Task.id), col(Task.segment_id), col(Task.asset), col(Task.state), col(Task.progress), col(Task.message), col(Task.error))
        .where(col(Task.stream_id) == stream_id, col(Task.state).in_(TaskState.ACTIVE))
        .order_by(col(Task.id))
    )
    return [TaskView(*row) for row in rows]


def latest_tasks(session: Session, stream_id: int) -> dict[tuple[int, str], TaskView]:
    """The newest task per (segment, asset)."""
    newest = (
        select(func.max(col(Task.id)).label("id"))
        .where(col(Task.stream_id) == stream_id)
        .group_by(col(Task.segment_id), col(Task.asset))
        .subquery()
    )
    rows = session.execute(
        select(col(Task.id), col(Task.segment_id), col(Task.asset), col(Task.state), col(Task.progress), col(Task.message), col(Task.error))
        .join(newest, newest.c.id == col(Task.id))
    )
    return {(r[1], r[2]): TaskView(*r) for r in rows}


def versions(session: Session, segment_id: int, asset: str) -> list[Version]:
    return list(
        session.execute(
            select(Version)
            .where(col(Version.segment_id) == segment_id, col(Version.asset) == asset)
            .order_by(col(Version.number).desc())
        ).scalars()
    )


def totals(session: Session, stream_id: int) -> Totals:
    row = session.execute(
        select(
            func.count(col(Segment.id)),
            func.sum(case((col(Segment.keyframe_state) == AssetState.APPROVED, 1), else_=0)),
            func.sum(case((col(Segment.video_state) == AssetState.APPROVED, 1), else_=0)),
        ).where(col(Segment.stream_id) == stream_id)
    ).one()
    return Totals(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


def list_streams(session: Session) -> list[dict[str, Any]]:
    from director_tui.core import overview
    from director_tui.core.store.sql import SessionReader

    return overview.list_streams(SessionReader(session))


def status(session: Session, slug: str) -> dict[str, Any]:
    """The stream's state as plain data (what `status --json` prints; core/overview.py)."""
    from director_tui.core import overview
    from director_tui.core.store.sql import SessionReader

    data = overview.status(SessionReader(session), slug)
    if data is None:
        get_stream(session, slug)  # raises NotFound, saying so as everywhere
    return data  # type: ignore[return-value]


def snapshot_from_store(session: Any, slug: str, user: str) -> Snapshot:
    """The same snapshot through the ORM (any database URL); raises NotFound."""
    from director_tui.core.models import UIState

    stream = get_stream(session, slug)
    assert stream.id is not None
    rows = segment_rows(session, stream.id)
    latest = latest_tasks(session, stream.id)
    active = active_tasks(session, stream.id)
    saved = session.execute(select(UIState).where(col(UIState.user) == user,
                                                  col(UIState.stream_id) == stream.id)).scalar_one_or_none()
    ui_state = json.loads(saved.state_json) if saved else {}
    shown: list[VersionRow] = []
    if ui_state.get("versions_open") and isinstance(ui_state.get("segment_id"), int):
        shown = [VersionRow.of(v) for v in
                 versions(session, ui_state["segment_id"], ui_state.get("asset", "keyframe"))]
    return Snapshot(stream.id, stream.slug, stream.title, rows, latest, totals(session, stream.id),
                    sum(t.state == TaskState.RUNNING for t in active),
                    sum(t.state == TaskState.QUEUED for t in active), ui_state, shown)
