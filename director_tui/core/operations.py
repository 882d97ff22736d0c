"""What a director does to a stream, as operations on one write session: approve, reject,
regenerate, send back, comment, similar, variations, pick, undo, redo.

Every screen (and the CLI) makes a decision through these, with explicit ids, so the
journal, the activity timeline and the queue behave the same wherever the key was pressed.
Each returns an `Outcome`: what changed (the segments to show again, the tasks queued),
the one line to tell the director, and any value the caller goes on with (a variation
group). Nothing here knows about screens; the UI runs these in its writer thread
(ui/review_service.py) and the CLI in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from director_tui.core import journal, queue, review
from director_tui.core.errors import NotFound
from director_tui.core.models import Decision, Segment
from director_tui.core.states import Asset

# what a refused operation raises: the message says why (shown as it is)
REFUSED: tuple[type[BaseException], ...] = (review.ReviewError, queue.QueueError, journal.UndoError, NotFound)


@dataclass
class Outcome:
    message: str
    segment_ids: tuple[int, ...] = ()  # to read again
    queued: tuple[tuple[int, str], ...] = ()  # (segment id, asset) of each task queued
    problems: tuple[str, ...] = ()  # the segments of a batch that could not take it, one line each
    cancels: bool = False  # tasks may have been queued again or asked to stop (undo, redo): the runner looks
    value: Any = None  # e.g. the variation group queued


def _segment(session: Session, segment_id: int) -> Segment:
    seg = session.get(Segment, segment_id)
    if seg is None:
        raise NotFound(f"segment {segment_id} not found")
    return seg


def _named(seg: Segment) -> str:
    return f"{seg.position}. {seg.title}"


def approve(session: Session, segment_id: int, asset: str, user: str, *, queue_video: bool,
            expected: tuple[int | None, str] | None = None) -> Outcome:
    """`expected`: the (version id, state) the director saw; a colleague's change since
    refuses the decision (review.check_unchanged)."""
    kw: dict[str, Any] = {"queue_video": queue_video}
    if expected is not None:
        kw["expected"] = expected
    result = review.approve(session, segment_id, asset, user, **kw)
    seg = _segment(session, segment_id)
    note = f"{_named(seg)}: {asset} v{result.version_number} approved"
    if result.queued_task is not None:
        note += " — video queued"
    if result.video_marked_stale:
        note += " — its video is now stale"
    queued = ((segment_id, Asset.VIDEO),) if result.queued_task is not None else ()
    return Outcome(note, (segment_id,), queued, value=result)


def reject(session: Session, segment_id: int, asset: str, user: str, *,
           expected: tuple[int | None, str] | None = None) -> Outcome:
    kw: dict[str, Any] = {"expected": expected} if expected is not None else {}
    result = review.reject(session, segment_id, asset, user, **kw)
    seg = _segment(session, segment_id)
    return Outcome(f"{_named(seg)}: {asset} v{result.version_number} rejected — press r to regenerate",
                   (segment_id,), value=result)


def regenerate(session: Session, segment_id: int, asset: str, user: str) -> Outcome:
    """A new version from the prompt as it is; `value` is the task's id."""
    task = queue.enqueue(session, segment_id, asset, user, regenerate=True)
    return Outcome(f"{_named(_segment(session, segment_id))}: {asset} queued", (segment_id,), ((segment_id, asset),),
                   value=int(task.id))  # type: ignore[arg-type]


_PAST = {"regen": "queued", "approve": "approved", "reject": "rejected"}


def apply_to_many(session: Session, verb: str, segment_ids: list[int], asset: str, user: str, *,
                  queue_video: bool) -> Outcome:
    """regen / approve / reject several segments. Decisions are one undoable change (`u`
    takes back the batch) and do exactly what one does, an approved keyframe's clip
    queued included; regenerations are each their own savepoint (one busy segment stops
    no other). A segment that cannot take it is left out and named in `problems`."""
    if verb not in _PAST:
        raise ValueError(f"unknown batch operation {verb!r}")
    queued: list[tuple[int, str]] = []
    if verb == "regen":
        done, problems = [], []
        for seg_id in segment_ids:
            try:
                with session.begin_nested():
                    queue.enqueue(session, seg_id, asset, user, regenerate=True)
                done.append(seg_id)
                queued.append((seg_id, asset))
            except (queue.QueueError, NotFound) as exc:
                problems.append(str(exc))
    else:
        decision = Decision.APPROVED if verb == "approve" else Decision.REJECTED
        batch = review.decide_many(session, segment_ids, asset, decision, user, queue_video=queue_video)
        done, problems = batch.done, batch.problems
        queued = [(seg_id, Asset.VIDEO) for seg_id in batch.queued]
    clips = len(queued) if verb != "regen" else 0
    note = f"{asset}: {len(done)} {_PAST[verb]}" + (f", {clips} videos queued" if clips else "")
    if problems:
        note += f"; {len(problems)} not: {problems[0]}"
    return Outcome(note, tuple(done), tuple(queued), tuple(problems))


def send_back(session: Session, segment_id: int, asset: str, user: str, text: str) -> Outcome:
    """A note on what to change (a comment, with a time code on a clip) and a new version."""
    timecode, body = review.split_timecode(text) if asset == Asset.VIDEO else (None, text.strip())
    review.send_back(session, segment_id, asset, user, body, timecode)
    return Outcome(f"{_named(_segment(session, segment_id))}: new {asset} queued" + (" — note saved" if body else ""),
                   (segment_id,), ((segment_id, asset),))


def comment(session: Session, segment_id: int, asset: str, user: str, text: str, *,
            timecode: float | None = None, version_id: int | None = None) -> Outcome:
    """A comment on the segment's current version of `asset` (`@00:02.5 …` on a clip: at that
    time), or on its version `version_id`; an explicit `timecode` leaves the text as it is."""
    if timecode is None and asset == Asset.VIDEO:
        timecode, body = review.split_timecode(text)
    else:
        body = text.strip()
    review.add_comment(session, segment_id, body, user, asset=asset, timecode=timecode, version_id=version_id)
    where = f" at {review.format_timecode(timecode)}" if timecode is not None else ""
    return Outcome(f"comment added{where}", (segment_id,))


def similar(session: Session, segment_id: int, asset: str, user: str, source_position: int | None = None) -> Outcome:
    """A version like the current one, or like segment `source_position`'s."""
    seg = _segment(session, segment_id)
    source_id = None
    if source_position is not None:
        source_id = _segment_at(session, seg.stream_id, source_position)
    queue.similar(session, segment_id, asset, user, source_segment_id=source_id)
    origin = f"segment {source_position}'s" if source_position else "the current"
    return Outcome(f"{_named(seg)}: a {asset} like {origin} version queued", (segment_id,), ((segment_id, asset),))


def _segment_at(session: Session, stream_id: int, position: int) -> int:
    from sqlmodel import select

    found = session.exec(select(Segment.id).where(Segment.stream_id == stream_id,
                                                  Segment.position == position)).first()
    if found is None:
        raise NotFound(f"no segment {position}")
    return int(found)


def variations(session: Session, segment_id: int, asset: str, user: str, count: int,
               presets: list[tuple[int, str]] | None = None) -> Outcome:
    """`count` variations of the prompt (or one per preset); `value` is their group."""
    group, tasks = queue.variations(session, segment_id, asset, user, count, presets)
    return Outcome(f"{len(tasks)} {asset} variations queued — 1..{len(tasks)} picks", (segment_id,),
                   ((segment_id, asset),), value=group)


def pick_variation(session: Session, group: str, version_id: int, n: int, user: str, *,
                   queue_video: bool) -> Outcome:
    """Variation `n` of `group` (its version `version_id`) wins; the others are rejected."""
    result = review.pick_variation(session, group, version_id, user, queue_video=queue_video)
    queued = ((result.segment_id, Asset.VIDEO),) if result.queued_task is not None else ()
    return Outcome(f"variation {n} (v{result.version_number}) approved; the others rejected"
                   + (" — video queued" if result.queued_task else ""), (result.segment_id,), queued, value=result)


def undo(session: Session, stream_id: int, user: str) -> Outcome:
    return _journal(session, stream_id, user, "undo")


def redo(session: Session, stream_id: int, user: str) -> Outcome:
    return _journal(session, stream_id, user, "redo")


def _journal(session: Session, stream_id: int, user: str, verb: str) -> Outcome:
    entry = (journal.undo if verb == "undo" else journal.redo)(session, stream_id, user)
    seg_ids = tuple(journal.segment_ids(entry))
    # a redo may queue a clip again and an undo stop one: the runner looks (cancels=True)
    return Outcome(f"{'undone' if verb == 'undo' else 'redone'}: {entry.label}", seg_ids, cancels=True)


def cancel_tasks(session: Session, stream_id: int, user: str, *, task_ids: list[int] | None = None,
                 segment_ids: list[int] | None = None) -> Outcome:
    """Cancel tasks of one stream: those named (`task_ids`), else the queued and running
    ones of `segment_ids` (None: of the whole stream). A queued task is cancelled at once, a
    running one is asked to stop (its instance, any instance, stops it within a second).
    Each task in a savepoint of its own: one that ended meanwhile, or belongs to another
    stream, is a problem line and the others are still cancelled. `value`: (cancelled ids,
    asked-to-stop ids). One rule for the app (X, :cancel) and the CLI (`cancel`)."""
    from director_tui.core.models import Task, id_of

    if task_ids is None:
        task_ids = [id_of(t) for t in queue.active_tasks_of(session, stream_id, segment_ids)]
    cancelled: list[int] = []
    asked: list[int] = []
    problems: list[str] = []
    touched: set[int] = set()
    for task_id in task_ids:
        found = session.get(Task, task_id)
        if found is None or found.stream_id != stream_id:
            problems.append(f"task {task_id} not found" if found is None else f"task {task_id} is not in this stream")
            continue
        try:
            with session.begin_nested():
                task = queue.request_cancel(session, task_id, user)
        except (queue.QueueError, NotFound) as exc:
            problems.append(str(exc))
            continue
        (cancelled if task.state == "cancelled" else asked).append(task_id)
        touched.add(int(task.segment_id))
    if not cancelled and not asked:
        message = problems[0] if problems else "nothing queued or running there"
    else:
        parts = [f"{len(cancelled)} cancelled"] if cancelled else []
        parts += [f"{len(asked)} asked to stop"] if asked else []
        message = f"tasks: {', '.join(parts)}"
    return Outcome(message, tuple(sorted(touched)), problems=tuple(problems), cancels=bool(cancelled or asked),
                   value=(tuple(cancelled), tuple(asked)))
