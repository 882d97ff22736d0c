"""The undo journal: before/after values of every undoable change, kept in the store.

Because the journal is in the database, undo works after a restart. An undo
(or redo) only applies when the fields still hold what the change left there;
if someone changed them since, it is refused and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from director_tui.core import activity, queue
from director_tui.core.models import (
    AssetState,
    JournalEntry,
    PromptRevision,
    Segment,
    Task,
    TaskState,
    Version,
    id_of,
    utcnow,
)
from director_tui.core.segment_state import update_checkpoints

SEGMENT_FIELDS = ("image_prompt", "motion_prompt", "keyframe_version_id", "keyframe_state",
                  "video_version_id", "video_state")
PROMPT_FIELDS = {"image_prompt": "image", "motion_prompt": "motion"}


class UndoError(Exception):
    """Nothing to undo/redo, or the change cannot be reverted; the message says why."""


@dataclass
class Pending:
    """What the change did beyond its fields (tasks it queued: an undo cancels them)."""

    tasks: list[int] = field(default_factory=list)
    label: str = ""  # set inside the block when what it did is known (a batch: how many it changed)


def capture(session: Session, segment_ids: Iterable[int], version_ids: Iterable[int] = ()) -> dict[str, Any]:
    segs: dict[str, dict[str, Any]] = {}
    versions = set(version_ids)
    for sid in segment_ids:
        seg = session.get(Segment, sid)
        if seg is None:
            continue
        segs[str(sid)] = {f: getattr(seg, f) for f in SEGMENT_FIELDS}
        versions.update(v for v in (seg.keyframe_version_id, seg.video_version_id) if v)
    decisions = {}
    for vid in versions:
        version = session.get(Version, vid)
        if version is not None:
            decisions[str(vid)] = version.decision
    return {"segments": segs, "versions": decisions}


@contextmanager
def journaled(session: Session, stream_id: int, user: str, kind: str, label: str,
              segment_ids: list[int], version_ids: Iterable[int] = ()) -> Iterator[Pending]:
    """Record the change made inside the block as one undoable journal entry: only what it
    changed, and nothing at all when it changed nothing (a batch that every segment refused
    is no change: `u` then takes back the last change that happened, issue 24)."""
    version_ids = list(version_ids)
    before = capture(session, segment_ids, version_ids)
    pending = Pending()
    yield pending
    session.flush()
    after = capture(session, segment_ids, [int(v) for v in before["versions"]])
    for part in ("segments", "versions"):
        for key in [k for k in before[part] if before[part][k] == after[part].get(k)]:
            del before[part][key]
            after[part].pop(key, None)
    if not before["segments"] and not before["versions"] and not pending.tasks:
        return
    record(session, stream_id, user, kind, pending.label or label, before, after, pending.tasks)


def record(session: Session, stream_id: int, user: str, kind: str, label: str,
           before: dict[str, Any], after: dict[str, Any], tasks: list[int]) -> JournalEntry:
    # A new change ends the redo chain, as in any editor.
    session.execute(update(JournalEntry).where(col(JournalEntry.user) == user, col(JournalEntry.stream_id) == stream_id,
                                               col(JournalEntry.state) == "undone").values(state="dropped"))
    entry = JournalEntry(stream_id=stream_id, user=user, kind=kind, label=label,
                         payload=json.dumps({"before": before, "after": after, "tasks": tasks},
                                            ensure_ascii=False, default=str))
    session.add(entry)
    return entry


def segment_ids(entry: JournalEntry) -> list[int]:
    """The segments a journal entry changed."""
    return [int(k) for k in json.loads(entry.payload)["before"]["segments"]]


def _latest(session: Session, stream_id: int, user: str, state: str, newest: bool) -> JournalEntry | None:
    query = select(JournalEntry).where(col(JournalEntry.user) == user, col(JournalEntry.stream_id) == stream_id,
                                       col(JournalEntry.state) == state)
    order = col(JournalEntry.id).desc() if newest else col(JournalEntry.id).asc()
    return session.execute(query.order_by(order).limit(1)).scalar_one_or_none()


def peek(session: Session, stream_id: int, user: str) -> tuple[str | None, str | None]:
    """Labels of what `u` and `ctrl+r` would do now."""
    undo = _latest(session, stream_id, user, "done", newest=True)
    redo = _latest(session, stream_id, user, "undone", newest=False)
    return (undo.label if undo else None, redo.label if redo else None)


VIDEO_FIELDS = ("video_version_id", "video_state")


def _own_clips(session: Session, task_ids: list[int]) -> set[int]:
    """Versions made by the tasks a change queued (an approval's clip)."""
    if not task_ids:
        return set()
    return {int(v) for v in session.execute(
        select(col(Version.id)).where(col(Version.task_id).in_(task_ids))).scalars()}


def _apply(session: Session, entry: JournalEntry, user: str, expect: dict[str, Any],
           target: dict[str, Any], verb: str, own_clips: set[int] = frozenset()) -> list[int]:  # type: ignore[assignment]
    """Check the fields still hold `expect`, then set them to `target`. Returns segment ids.

    A clip that the change itself queued and that has arrived since is not "a change made
    by someone else": its fields are left as they are (and its staleness set again after)."""
    changed_prompts: list[tuple[Segment, str, str]] = []
    segs: list[Segment] = []
    skip: dict[int, tuple[str, ...]] = {}
    for sid in target["segments"]:
        seg = session.get(Segment, int(sid))
        if seg is None:
            raise UndoError(f"cannot {verb} '{entry.label}': its segment was deleted")
        ignore = VIDEO_FIELDS if seg.video_version_id in own_clips else ()
        skip[int(seg.id)] = ignore  # type: ignore[arg-type]
        now = {f: getattr(seg, f) for f in SEGMENT_FIELDS if f not in ignore}
        wanted = {f: v for f, v in expect["segments"].get(sid, now).items() if f not in ignore}
        if now != wanted:
            raise UndoError(f"cannot {verb} '{entry.label}': segment {seg.position} was changed since")
        segs.append(seg)
    for vid, decision in expect["versions"].items():
        version = session.get(Version, int(vid))
        if version is not None and vid in target["versions"] and version.decision != decision:
            raise UndoError(f"cannot {verb} '{entry.label}': version v{version.number} was decided again since")
    for seg in segs:
        for f, value in target["segments"][str(seg.id)].items():
            if f in skip[int(seg.id)]:  # type: ignore[arg-type]
                continue
            if getattr(seg, f) != value:
                if f in PROMPT_FIELDS:
                    changed_prompts.append((seg, PROMPT_FIELDS[f], value))
                setattr(seg, f, value)
        seg.updated_at = utcnow()
    for vid, decision in target["versions"].items():
        version = session.get(Version, int(vid))
        if version is not None and vid in expect["versions"]:
            version.decision = decision
    for seg, fld, text in changed_prompts:
        session.add(PromptRevision(segment_id=id_of(seg), field=fld, text=text, author=user))
    for seg in segs:
        if skip[int(seg.id)]:  # type: ignore[arg-type]
            _restale(session, seg, user, verb)
    return [int(s.id) for s in segs]  # type: ignore[arg-type]


def _restale(session: Session, seg: Segment, user: str, verb: str) -> None:
    """The clip a change queued outlives the change's undo: stale while the keyframe it was
    made from is not the approved one, back to review when a redo makes it so again."""
    clip = session.get(Version, seg.video_version_id) if seg.video_version_id else None
    if clip is None:
        return
    fits = seg.keyframe_state == AssetState.APPROVED and clip.reference_version_id == seg.keyframe_version_id
    if not fits and seg.video_state != AssetState.STALE:
        seg.video_state = AssetState.STALE
        activity.record(session, "video.stale", user, seg.stream_id, seg.id,
                        reason=f"the approval of its keyframe was undone ({verb})")
    elif fits and seg.video_state == AssetState.STALE:
        seg.video_state = AssetState.REVIEW


def undo(session: Session, stream_id: int, user: str) -> JournalEntry:
    """Revert this user's latest change on the stream; cancels tasks it queued that have not started."""
    entry = _latest(session, stream_id, user, "done", newest=True)
    if entry is None:
        raise UndoError("nothing to undo")
    payload = json.loads(entry.payload)
    tasks = [int(t) for t in payload.get("tasks", [])]
    seg_ids = _apply(session, entry, user, payload["after"], payload["before"], "undo",
                     _own_clips(session, tasks))
    for task_id in tasks:  # what the change queued goes with it: queued or already running
        task = session.get(Task, task_id)
        if task is not None and task.state == TaskState.QUEUED:
            task.state, task.finished_at = TaskState.CANCELLED, utcnow()
            task.message = task.error = f"cancelled by {user} (undo)"
            activity.record(session, "task.cancelled", user, task.stream_id, task.segment_id,
                            asset=task.asset, task=task.id, was="queued", reason="undo")
        elif task is not None and task.state == TaskState.RUNNING and not task.cancel_requested:
            task.cancel_requested = True  # its instance stops it within a second
            activity.record(session, "task.cancel_requested", user, task.stream_id, task.segment_id,
                            asset=task.asset, task=task.id, reason="undo")
    entry.state = "undone"
    _finish(session, stream_id, user, "undo", entry, seg_ids)
    return entry


def redo(session: Session, stream_id: int, user: str) -> JournalEntry:
    entry = _latest(session, stream_id, user, "undone", newest=False)
    if entry is None:
        raise UndoError("nothing to redo")
    payload = json.loads(entry.payload)
    tasks = [int(t) for t in payload.get("tasks", [])]
    seg_ids = _apply(session, entry, user, payload["before"], payload["after"], "redo",
                     _own_clips(session, tasks))
    requeued = _requeue_undone(session, tasks, user)
    if requeued:  # the next undo cancels these, as it did the first ones
        payload["tasks"] = [t for t in tasks if t not in requeued] + list(requeued.values())
        entry.payload = json.dumps(payload, ensure_ascii=False, default=str)
    entry.state = "done"
    _finish(session, stream_id, user, "redo", entry, seg_ids)
    return entry


def _requeue_undone(session: Session, task_ids: list[int], user: str) -> dict[int, int]:
    """A redone approval queues its clip again, as the approval did: every task that the
    undo cancelled is queued anew (same asset and seed). Returns {old task id: new id}."""

    again: dict[int, int] = {}
    for task_id in task_ids:
        task = session.get(Task, task_id)
        if task is None or task.state != TaskState.CANCELLED:
            continue
        if queue.active_task(session, task.segment_id, task.asset) is not None:
            continue
        try:
            again[task_id] = int(queue.enqueue(session, task.segment_id, task.asset, user, seed=task.seed).id)  # type: ignore[arg-type]
        except queue.QueueError:
            continue  # e.g. its keyframe is not approved after all: nothing to make
    return again


def _finish(session: Session, stream_id: int, user: str, verb: str, entry: JournalEntry,
            seg_ids: list[int]) -> None:
    for sid in seg_ids:
        activity.record(session, f"journal.{verb}", user, stream_id, sid, change=entry.kind, label=entry.label)
    session.flush()
    update_checkpoints(session, stream_id)
