"""What the screens read, as functions of a session: the UI runs no SQL of its own (an
import-linter contract keeps SQLAlchemy out of ui/), so each query a screen needs lives
here, next to the models it reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from director_tui.core.models import Preset, Segment, Task, UIState, Version, utcnow


@dataclass
class ReviewContext:
    """What the review screen shows beside a segment's versions."""

    presets: dict[int, str]  # preset id -> name
    numbers: dict[int, tuple[str, int]]  # this segment's version id -> (asset, number)
    elsewhere: dict[int, tuple[int, int]]  # other segments' versions its versions were made like -> (position, number)


def review_context(session: Session, segment_id: int, versions: list[Version]) -> ReviewContext:
    presets = {int(pid): name for pid, name in session.execute(select(col(Preset.id), col(Preset.name)))}
    numbers = {int(vid): (asset, int(number)) for vid, asset, number in session.execute(
        select(col(Version.id), col(Version.asset), col(Version.number)).where(col(Version.segment_id) == segment_id))}
    parents = {v.parent_version_id for v in versions if v.parent_version_id is not None
               and v.parent_version_id not in numbers}
    elsewhere = {int(vid): (int(position), int(number)) for vid, position, number in session.execute(
        select(col(Version.id), col(Segment.position), col(Version.number)).join(Segment, col(Segment.id) == col(Version.segment_id))
        .where(col(Version.id).in_(parents)))} if parents else {}
    return ReviewContext(presets, numbers, elsewhere)


def review_screen(session: Session, segment_id: int, asset: str) -> tuple[Segment | None, list[Version], list[Any],
                                                                      ReviewContext]:
    """What the review screen shows of a segment's asset, in one read session: the segment,
    its versions, its comments and their context."""
    from director_tui.core import review, streams

    versions = streams.versions(session, segment_id, asset)
    return (session.get(Segment, segment_id), versions, review.comments(session, segment_id),
            review_context(session, segment_id, versions))


def latest_variation_group(session: Session, segment_id: int, asset: str) -> str | None:
    return session.execute(select(col(Task.variation_group)).where(
        col(Task.segment_id) == segment_id, col(Task.asset) == asset, col(Task.variation_group).is_not(None))
        .order_by(col(Task.id).desc()).limit(1)).scalar()


def variation_grid(session: Session, group: str) -> tuple[str, list[tuple[Any, ...]]]:
    """The grid's title and one row per task of the group, in queued order: (task id, state,
    progress, message, error, seed, preset name, version id, number, path, decision,
    position, title, asset)."""
    rows = session.execute(
        select(col(Task.id), col(Task.state), col(Task.progress), col(Task.message), col(Task.error), col(Task.seed), col(Preset.name),
               col(Version.id), col(Version.number), col(Version.path), col(Version.decision), col(Segment.position),
               col(Segment.title), col(Task.asset))
        .join(Segment, col(Segment.id) == col(Task.segment_id))
        .outerjoin(Version, col(Version.task_id) == col(Task.id))
        .outerjoin(Preset, col(Preset.id) == col(Task.preset_id))
        .where(col(Task.variation_group) == group).order_by(col(Task.id))).all()
    title = f"{rows[0][11]}. {rows[0][12]} — {len(rows)} {rows[0][13]} variations" if rows else "variations"
    return title, [tuple(r) for r in rows]


def recent_tasks(session: Session, stream_id: int, limit: int) -> list[tuple[Task, int, str]]:
    """The stream's newest tasks, oldest of them first: (task, segment position, title)."""
    found = session.execute(
        select(Task, col(Segment.position), col(Segment.title)).join(Segment, col(Segment.id) == col(Task.segment_id))
        .where(col(Task.stream_id) == stream_id).order_by(col(Task.id).desc()).limit(limit)
    ).all()
    return [(task, int(position), title or "") for task, position, title in reversed(found)]


def current_version_path(session: Session, segment_id: int, asset: str) -> tuple[int, str] | None:
    """(number, path under media/) of the segment's current `asset`, or None (none yet)."""
    seg = session.get(Segment, segment_id)
    version_id = None if seg is None else (seg.keyframe_version_id if asset == "keyframe" else seg.video_version_id)
    version = session.get(Version, version_id) if version_id is not None else None
    return None if version is None else (version.number, version.path)


def version_at(session: Session, stream_id: int, position: int, asset: str, number: int) -> int | None:
    """The id of a segment's (by position) version of an asset by its number."""
    return session.execute(select(col(Version.id)).join(Segment, col(Segment.id) == col(Version.segment_id)).where(
        col(Segment.stream_id) == stream_id, col(Segment.position) == position, col(Version.asset) == asset,
        col(Version.number) == number)).scalar_one_or_none()


def save_ui_state(session: Session, user: str, stream_id: int, state: dict[str, Any]) -> None:
    """Where the director was (cursor, marks, filter, panes), per user per stream."""
    text = json.dumps(state)
    row = session.execute(select(UIState).where(col(UIState.user) == user, col(UIState.stream_id) == stream_id)
                          ).scalar_one_or_none()
    if row is None:
        session.add(UIState(user=user, stream_id=stream_id, state_json=text))
    elif row.state_json != text:
        row.state_json, row.updated_at = text, utcnow()


def dailies(session: Session, stream_id: int, which: str) -> list[tuple[int, int, str, int, str]]:
    """The clips dailies play, in segment order: (segment id, position, title, version
    number, path under media/); `approved`: the approved current clips, `current`: every
    segment's current clip, decided or not."""
    query = (select(col(Segment.id), col(Segment.position), col(Segment.title), col(Version.number), col(Version.path))
             .join(Version, col(Version.id) == col(Segment.video_version_id))
             .where(col(Segment.stream_id) == stream_id).order_by(col(Segment.position)))
    if which == "approved":
        query = query.where(col(Segment.video_state) == "approved")
    return [(int(a), int(b), c or "", int(d), e) for a, b, c, d, e in session.execute(query)]
