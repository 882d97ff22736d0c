"""Decisions on versions: approve, reject, request regeneration.

Each function works inside the caller's write transaction and records an
activity row, so the CLI and the UI behave the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from director_tui.core import activity, journal, mentions, queue
from director_tui.core.models import (
    Asset,
    AssetState,
    Comment,
    Decision,
    Review,
    Segment,
    Task,
    VariationPick,
    Version,
    id_of,
    utcnow,
)
from director_tui.core.printable import not_unicode
from director_tui.core.segment_state import mark_video_stale, update_checkpoints
from director_tui.core.streams import NotFound


class ReviewError(Exception):
    """A decision that cannot be made now; the message says why."""


class BadText(ReviewError):
    """Text no store takes (empty, too long, a NUL, not Unicode): bad input, not a refusal
    of the moment (the CLI's exit 2, not 1)."""


@dataclass
class DecisionResult:
    segment_id: int
    asset: str
    version_number: int
    decision: str
    video_marked_stale: bool = False
    queued_task: int | None = None


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


def decide(session: Session, segment_id: int, asset: str, decision: str, actor: str,
           notes: str = "", *, queue_video: bool = False, journal_it: bool = True,
           expected: tuple[int | None, str] | None = None) -> DecisionResult:
    """Record a decision on the current version (journaled for undo).

    `queue_video`: after approving a keyframe, queue its clip in the same change
    (an undo then cancels that task if it has not started).
    `expected`: the (version id, state) the director was looking at; when a colleague
    decided or regenerated since, the decision is refused saying what is there now.
    """
    seg = _segment(session, segment_id)
    if expected is not None:
        check_unchanged(session, seg, asset, expected)
    if not journal_it:
        return _decide(session, seg, asset, decision, actor, notes, queue_video)
    label = f"{DECISION_NOUN[decision]} of segment {seg.position}'s {asset} v{_current_version(session, seg, asset).number}"
    with journal.journaled(session, seg.stream_id, actor, "decision", label, [id_of(seg)]) as pending:
        result = _decide(session, seg, asset, decision, actor, notes, queue_video)
        if result.queued_task is not None:
            pending.tasks.append(result.queued_task)
    return result


def check_unchanged(session: Session, seg: Segment, asset: str, expected: tuple[int | None, str]) -> None:
    """Refuse a decision made on what is no longer there (two directors, one version)."""
    now_id = seg.keyframe_version_id if asset == Asset.KEYFRAME else seg.video_version_id
    now_state = seg.keyframe_state if asset == Asset.KEYFRAME else seg.video_state
    if (now_id, now_state) == tuple(expected):
        return
    version = session.get(Version, now_id) if now_id else None
    last = session.execute(select(Review).where(col(Review.segment_id) == seg.id, col(Review.version_id) == now_id)
                           .order_by(col(Review.id).desc()).limit(1)).scalar_one_or_none() if now_id else None
    by = f" by {last.reviewer}" if last is not None and last.reviewer else ""
    what = f"v{version.number} {now_state}{by}" if version is not None else "no version"
    raise ReviewError(f"segment {seg.position}'s {asset} changed while you looked: it is now {what}; "
                      "your decision was not recorded (look again)")


DECISION_NOUN = {Decision.APPROVED: "approval", Decision.REJECTED: "rejection",
                 Decision.REGENERATE: "regeneration request"}


def _decide(session: Session, seg: Segment, asset: str, decision: str, actor: str, notes: str,
            queue_video: bool) -> DecisionResult:
    if (at := not_unicode(notes)) is not None:
        raise ReviewError(f"notes: not valid Unicode (a lone surrogate at {at})")
    version = _current_version(session, seg, asset)
    state = {Decision.APPROVED: AssetState.APPROVED, Decision.REJECTED: AssetState.REJECTED,
             Decision.REGENERATE: AssetState.REGENERATE}[decision]
    if asset == Asset.VIDEO and decision == Decision.APPROVED and seg.video_state == AssetState.STALE:
        # Approving a stale clip is allowed, but say so in the log.
        notes = notes or "approved although made from an older keyframe"
    version.decision = decision
    session.add(Review(version_id=id_of(version), segment_id=id_of(seg), decision=decision, notes=notes,
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
    queued = None
    if queue_video and asset == Asset.KEYFRAME and decision == Decision.APPROVED \
            and not _has_clip_from(session, seg, version) \
            and queue.active_task(session, seg.id, Asset.VIDEO) is None:  # type: ignore[arg-type]
        queued = queue.enqueue(session, seg.id, Asset.VIDEO, actor).id  # type: ignore[arg-type]
    return DecisionResult(seg.id, asset, version.number, decision, stale, queued)  # type: ignore[arg-type]


def _has_clip_from(session: Session, seg: Segment, keyframe: Version) -> bool:
    """The current clip was made from this keyframe: approving it again queues no second one
    (`r` on the clip makes another)."""
    clip = session.get(Version, seg.video_version_id) if seg.video_version_id else None
    return clip is not None and clip.reference_version_id == keyframe.id


@dataclass
class BatchResult:
    done: list[int]  # segment ids decided
    problems: list[str]  # one line each for the segments that could not take it
    queued: dict[int, int]  # segment id -> the clip task an approval queued


def decide_many(session: Session, segment_ids: list[int], asset: str, decision: str,
                actor: str, *, queue_video: bool = False) -> BatchResult:
    """One decision on many segments as one undoable change; a segment that cannot take it
    (no version yet) is skipped and reported. Approving keyframes with `queue_video`
    queues their clips, exactly as one approval does (and one undo cancels them)."""
    result = BatchResult([], [], {})
    if not segment_ids:
        return result
    stream_id = _segment(session, segment_ids[0]).stream_id
    label = f"{DECISION_NOUN[decision]} of {asset}s of {len(segment_ids)} segments"
    if len(segment_ids) == 1:
        label = f"{DECISION_NOUN[decision]} of segment {_segment(session, segment_ids[0]).position}'s {asset}"
    with journal.journaled(session, stream_id, actor, "decision", label, segment_ids) as pending:
        for sid in segment_ids:
            try:
                with session.begin_nested():
                    one = _decide(session, _segment(session, sid), asset, decision, actor, "", queue_video)
                result.done.append(sid)
                if one.queued_task is not None:
                    result.queued[sid] = one.queued_task
                    pending.tasks.append(one.queued_task)
            except (ReviewError, NotFound) as exc:
                result.problems.append(str(exc))
        if len(result.done) != len(segment_ids):  # the label names what was changed, not what was asked
            pending.label = (f"{DECISION_NOUN[decision]} of {asset}s of {len(result.done)} segments"
                             if len(result.done) != 1 else
                             f"{DECISION_NOUN[decision]} of segment {_segment(session, result.done[0]).position}'s {asset}")
    return result


def approve(session: Session, segment_id: int, asset: str, actor: str, notes: str = "",
            **kw: Any) -> DecisionResult:
    return decide(session, segment_id, asset, Decision.APPROVED, actor, notes, **kw)


def reject(session: Session, segment_id: int, asset: str, actor: str, notes: str = "",
           **kw: Any) -> DecisionResult:
    return decide(session, segment_id, asset, Decision.REJECTED, actor, notes, **kw)


# --- comments ----------------------------------------------------------------------

MAX_COMMENT_CHARS = 100_000
_TIMECODE = re.compile(r"^@?(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$|^@?(\d+(?:\.\d+)?)s?$")


TIMECODE_MAX_S = 24 * 3600.0  # a clip is at most 600 s (spec DURATION_MAX); a day is past any of them


def parse_timecode(text: str) -> float | None:
    """`00:02.5`, `1:02:03`, `@2.5`, `2.5s` → seconds; None when it is not a time code."""
    if len(text) > 32:  # 5,000 digits made inf (or int() refused them: a traceback)
        return None
    m = _TIMECODE.match(text.strip())
    if m is None:
        return None
    if m.group(4) is not None:
        seconds = float(m.group(4))
    else:
        seconds = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    return seconds if seconds <= TIMECODE_MAX_S else None


def format_timecode(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):02d}:{secs:04.1f}"


def split_timecode(text: str) -> tuple[float | None, str]:
    """A comment box entry "00:02.5 the horizon tilts" → (2.5, "the horizon tilts")."""
    first, _, rest = text.strip().partition(" ")
    seconds = parse_timecode(first) if ":" in first or first.startswith("@") or first.endswith("s") else None
    return (seconds, rest.strip()) if seconds is not None and rest.strip() else (None, text.strip())


def add_comment(session: Session, segment_id: int, body: str, author: str, *, asset: str | None = None,
                timecode: float | None = None, version_id: int | None = None) -> Comment:
    """A comment on the segment, tied to the current version of `asset` (if it has one),
    or to the segment's version `version_id` (any of its versions of `asset`)."""
    seg = _segment(session, segment_id)
    body = body.strip()
    if not body:
        raise BadText("comment: empty")
    if len(body) > MAX_COMMENT_CHARS:
        raise BadText(f"comment: longer than {MAX_COMMENT_CHARS:,} characters ({len(body):,})")
    if "\x00" in body:
        raise BadText(f"comment: holds a NUL character (at character {body.index(chr(0)) + 1})")
    if (at := not_unicode(body)) is not None:
        raise BadText(f"comment: not valid Unicode (a lone surrogate at {at})")
    version = None
    if version_id is not None:
        version = session.get(Version, version_id)
        if version is None or version.segment_id != seg.id or (asset is not None and version.asset != asset):
            raise NotFound(f"segment {seg.position} has no such {asset or ''} version (id {version_id})")
        asset = version.asset
    elif asset is not None:
        vid = seg.keyframe_version_id if asset == Asset.KEYFRAME else seg.video_version_id
        version = session.get(Version, vid) if vid else None
    if timecode is not None:
        if asset != Asset.VIDEO or version is None:
            raise ReviewError("comment: a time code needs a video version")
        if timecode < 0 or (version.duration and timecode > version.duration + 0.05):
            raise ReviewError(f"comment: time code {format_timecode(timecode)} is outside the clip "
                              f"(0–{format_timecode(version.duration or 0)})")
    comment = Comment(segment_id=seg.id, version_id=version.id if version else None,  # type: ignore[arg-type]
                      timecode=timecode, author=author, body=body)
    session.add(comment)
    session.flush()  # its id, for the mentions
    mentioned = mentions.record(session, comment, seg.stream_id)
    seg.comment_count += 1
    seg.updated_at = utcnow()
    activity.record(session, "comment.added", author, seg.stream_id, seg.id, asset=asset,
                    version=version.number if version else None, timecode=timecode, chars=len(body),
                    **({"mentions": mentioned} if mentioned else {}))
    return comment


def comments(session: Session, segment_id: int) -> list[Comment]:
    """Newest first."""
    return list(session.execute(select(Comment).where(col(Comment.segment_id) == segment_id)
                                .order_by(col(Comment.id).desc())).scalars())


# --- variations ------------------------------------------------------------------

def group_versions(session: Session, group: str) -> list[Version]:
    return list(session.execute(select(Version).where(col(Version.variation_group) == group)
                                .order_by(col(Version.task_id), col(Version.id))).scalars())  # queued order, not finish order


def pick_variation(session: Session, group: str, version_id: int, actor: str,
                   queue_video: bool = False) -> DecisionResult:
    """The winner of a variation group: approved and made current, the others rejected,
    the pick recorded (seed, preset, wording) for the recommendations. One undoable change."""
    versions = group_versions(session, group)
    winner = next((v for v in versions if v.id == version_id), None)
    if winner is None:
        raise ReviewError(f"version {version_id} is not in variation group {group}")
    seg = _segment(session, winner.segment_id)
    label = f"pick of v{winner.number} among {len(versions)} variations of segment {seg.position}"
    ids = [id_of(v) for v in versions]
    with journal.journaled(session, seg.stream_id, actor, "pick", label, [id_of(seg)], ids) as pending:
        if winner.asset == Asset.KEYFRAME:
            seg.keyframe_version_id = winner.id
        else:
            seg.video_version_id = winner.id
        result = _decide(session, seg, winner.asset, Decision.APPROVED, actor,
                         f"picked among {len(versions)} variations", queue_video)
        for v in versions:
            if v.id != winner.id and v.decision != Decision.REJECTED:
                v.decision = Decision.REJECTED
                session.add(Review(version_id=id_of(v), segment_id=id_of(seg), decision=Decision.REJECTED,
                                   notes=f"variation v{winner.number} picked", reviewer=actor))
        if result.queued_task is not None:
            pending.tasks.append(result.queued_task)
    session.add(VariationPick(stream_id=seg.stream_id, segment_id=id_of(seg), asset=winner.asset,
                              variation_group=group, version_id=winner.id, seed=winner.seed,  # type: ignore[arg-type]
                              preset_id=winner.preset_id, prompt=winner.prompt, candidates=len(versions),
                              picked_by=actor))
    activity.record(session, "variation.picked", actor, seg.stream_id, seg.id, asset=winner.asset,
                    version=winner.number, seed=winner.seed, preset=winner.preset_id, group=group,
                    candidates=len(versions))
    return result


def send_back(session: Session, segment_id: int, asset: str, actor: str, note: str,
              timecode: float | None = None) -> Task:
    """Regenerate with a note: the note is a comment on the current version (and the reason
    of its "regenerate" decision), then a new version is queued. One transaction: when the
    task cannot be queued, no comment is left behind either."""
    note = note.strip()
    if note:
        add_comment(session, segment_id, note, actor, asset=asset, timecode=timecode)
    return queue.enqueue(session, segment_id, asset, actor, regenerate=True, notes=note)
