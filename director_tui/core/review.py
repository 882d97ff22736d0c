"""Decisions on versions: approve, reject, request regeneration.

Each function works inside the caller's write transaction and records an
activity row, so the CLI and the UI behave the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from director_tui.core import activity
from director_tui.core.models import (
    Asset,
    AssetState,
    Checkpoint,
    Decision,
    Review,
    Segment,
    Version,
    utcnow,
)
from director_tui.core.streams import NotFound, totals


class ReviewError(Exception):
    """A decision that cannot be made now; the message says why."""


@dataclass
class DecisionResult:
    segment_id: int
    asset: str
    version_number: int
    decision: str
    video_marked_stale: bool = False


def _segment(session: Session, segment_id: int) -> Segment:
    seg = session.get(Segment, segment_id)
    if seg is None:
        raise NotFound(f"segment {segment_id} not found")
    return seg


def _current_version(session: Session, seg: Segment, asset: str) -> Version:
    vid = seg.keyframe_version_id if asset == Asset.KEYFRAME else seg.video_version_id
    version = session.get(Version, vid) if vid else None
    if version is None:
        raise ReviewError(f"segment {seg.position} has no {asset} version yet")
    return version


def _set_state(seg: Segment, asset: str, state: str) -> None:
    if asset == Asset.KEYFRAME:
        seg.keyframe_state = state
    else:
        seg.video_state = state
    seg.updated_at = utcnow()


def mark_video_stale(session: Session, seg: Segment, actor: str, why: str) -> bool:
    """A clip made from a keyframe that is no longer the approved one is stale."""
    if seg.video_version_id is None or seg.video_state == AssetState.STALE:
        return False
    seg.video_state = AssetState.STALE
    seg.updated_at = utcnow()
    activity.record(session, "video.stale", actor, seg.stream_id, seg.id, reason=why)
    return True


def decide(session: Session, segment_id: int, asset: str, decision: str, actor: str,
           notes: str = "") -> DecisionResult:
    seg = _segment(session, segment_id)
    version = _current_version(session, seg, asset)
    state = {Decision.APPROVED: AssetState.APPROVED, Decision.REJECTED: AssetState.REJECTED,
             Decision.REGENERATE: AssetState.REGENERATE}[decision]
    if asset == Asset.VIDEO and decision == Decision.APPROVED and seg.video_state == AssetState.STALE:
        # Approving a stale clip is allowed, but say so in the log.
        notes = notes or "approved although made from an older keyframe"
    version.decision = decision
    session.add(Review(version_id=version.id, segment_id=seg.id, decision=decision, notes=notes,
                       reviewer=actor))
    _set_state(seg, asset, state)
    stale = False
    if asset == Asset.KEYFRAME and decision == Decision.APPROVED and seg.video_version_id:
        video = session.get(Version, seg.video_version_id)
        if video is not None and video.reference_version_id != version.id:
            stale = mark_video_stale(session, seg, actor, "a different keyframe was approved")
    activity.record(session, f"version.{decision}", actor, seg.stream_id, seg.id, asset=asset,
                    version=version.number, notes=notes)
    update_checkpoints(session, seg.stream_id)
    return DecisionResult(seg.id, asset, version.number, decision, stale)  # type: ignore[arg-type]


def approve(session: Session, segment_id: int, asset: str, actor: str, notes: str = "") -> DecisionResult:
    return decide(session, segment_id, asset, Decision.APPROVED, actor, notes)


def reject(session: Session, segment_id: int, asset: str, actor: str, notes: str = "") -> DecisionResult:
    return decide(session, segment_id, asset, Decision.REJECTED, actor, notes)


CHECKPOINT_ORDER = ("keyframes", "videos", "final_cut")


def update_checkpoints(session: Session, stream_id: int) -> None:
    """Close a checkpoint when its gate is passed; open the next one; reopen on regress."""
    t = totals(session, stream_id)
    passed = {"keyframes": t.segments > 0 and t.keyframes_approved == t.segments,
              "videos": t.final_cut_ready, "final_cut": False}
    existing = {c.name: c for c in session.execute(
        select(Checkpoint).where(Checkpoint.stream_id == stream_id)).scalars()}
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
