"""State every decision and generation may change on a segment or its stream, kept in one
place so that review, queue and journal all lean on it and none on each other: a clip
goes stale when its keyframe is no longer the approved one, and checkpoints open and close
as the approvals add up."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from director_tui.core import activity
from director_tui.core.models import AssetState, Checkpoint, Segment, utcnow
from director_tui.core.streams import totals


def mark_video_stale(session: Session, seg: Segment, actor: str, why: str) -> bool:
    """A clip made from a keyframe that is no longer the approved one is stale."""
    if seg.video_version_id is None or seg.video_state == AssetState.STALE:
        return False
    seg.video_state = AssetState.STALE
    seg.updated_at = utcnow()
    activity.record(session, "video.stale", actor, seg.stream_id, seg.id, reason=why)
    return True


CHECKPOINT_ORDER = ("keyframes", "videos", "final_cut")


def update_checkpoints(session: Session, stream_id: int) -> None:
    """Close a checkpoint when its gate is passed; open the next one; reopen on regress."""
    t = totals(session, stream_id)
    passed = {"keyframes": t.segments > 0 and t.keyframes_approved == t.segments,
              "videos": t.final_cut_ready, "final_cut": False}
    existing = {c.name: c for c in session.execute(
        select(Checkpoint).where(col(Checkpoint.stream_id) == stream_id)).scalars()}
    now = utcnow()
    for i, name in enumerate(CHECKPOINT_ORDER):
        cp = existing.get(name)
        if cp is None:
            if i == 0 or passed[CHECKPOINT_ORDER[i - 1]]:
                cp = Checkpoint(stream_id=stream_id, name=name, started_at=now)
                session.add(cp)
                existing[name] = cp
            else:
                continue
        if passed[name] and cp.completed_at is None:
            cp.completed_at = now
            activity.record(session, "checkpoint.passed", "", stream_id, checkpoint=name)
        elif not passed[name] and cp.completed_at is not None:
            cp.completed_at = None
            activity.record(session, "checkpoint.reopened", "", stream_id, checkpoint=name)
