"""Putting generation tasks on the queue (the runner in jobs/ takes them off)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import Session, col

from director_tui.core import activity
from director_tui.core.models import (
    Activity,
    Asset,
    AssetState,
    Decision,
    Review,
    Segment,
    Task,
    TaskState,
    Version,
    id_of,
    utcnow,
)
from director_tui.core.segment_state import mark_video_stale
from director_tui.core.streams import NotFound

if TYPE_CHECKING:
    from director_tui.core.store import Store


class QueueError(Exception):
    """A task that cannot be queued now; the message says why."""


def new_seed() -> int:
    return secrets.randbelow(2**31)


def active_task(session: Session, segment_id: int, asset: str) -> Task | None:
    return session.execute(
        select(Task).where(col(Task.segment_id) == segment_id, col(Task.asset) == asset,
                           col(Task.state).in_(TaskState.ACTIVE))
    ).scalars().first()


def enqueue(session: Session, segment_id: int, asset: str, actor: str, *, priority: int = 0,
            seed: int | None = None, regenerate: bool = False, prompt: str | None = None,
            reference_version_id: int | None = None, parent_version_id: int | None = None,
            variation_group: str | None = None, preset_id: int | None = None,
            beside_active: bool = False, notes: str = "") -> Task:
    """Queue one generation of `asset` for the segment.

    A video needs an approved keyframe: that keyframe is its `{reference}`.
    With `regenerate`, an undecided current version is marked "regenerate
    requested" (with `notes`, the director's reason) and an approved keyframe's clip
    becomes stale.
    """
    seg = session.get(Segment, segment_id)
    if seg is None:
        raise NotFound(f"segment {segment_id} not found")
    if asset not in Asset.ALL:
        raise QueueError(f"unknown asset {asset!r} (keyframe or video)")
    if not beside_active and active_task(session, segment_id, asset) is not None:
        raise QueueError(f"segment {seg.position}: a {asset} task is already queued or running")
    reference = None
    if asset == Asset.VIDEO:
        if seg.keyframe_state != AssetState.APPROVED or seg.keyframe_version_id is None:
            raise QueueError(f"segment {seg.position}: approve a keyframe before generating its video")
        reference = seg.keyframe_version_id
        text = seg.motion_prompt
    else:
        reference = reference_version_id  # a keyframe to vary (image-to-image), if any
        text = seg.image_prompt
    if prompt is not None:
        text = prompt
    current_id = seg.keyframe_version_id if asset == Asset.KEYFRAME else seg.video_version_id
    was = _row_before(seg, asset) if regenerate and current_id is not None else None
    if regenerate and current_id is not None:
        current = session.get(Version, current_id)
        state = seg.keyframe_state if asset == Asset.KEYFRAME else seg.video_state
        if current is not None and state == AssetState.REVIEW:
            current.decision = Decision.REGENERATE
            session.add(Review(version_id=id_of(current), segment_id=id_of(seg),
                               decision=Decision.REGENERATE, notes=notes, reviewer=actor))
            if asset == Asset.KEYFRAME:
                seg.keyframe_state = AssetState.REGENERATE
            else:
                seg.video_state = AssetState.REGENERATE
        if asset == Asset.KEYFRAME and seg.keyframe_state == AssetState.APPROVED:
            mark_video_stale(session, seg, actor, "its approved keyframe is being regenerated")
        seg.updated_at = utcnow()
    task = Task(stream_id=seg.stream_id, segment_id=seg.id, asset=asset, priority=priority,  # type: ignore[arg-type]
                prompt=text, seed=new_seed() if seed is None else seed,
                reference_version_id=reference, parent_version_id=parent_version_id,
                variation_group=variation_group, preset_id=preset_id, requested_by=actor)
    session.add(task)
    session.flush()
    activity.record(session, "task.queued", actor, seg.stream_id, seg.id, asset=asset,
                    task=task.id, regenerate=regenerate, parent=parent_version_id,
                    group=variation_group, preset=preset_id, **({"was": was} if was else {}))
    return task


def _row_before(seg: Segment, asset: str) -> dict[str, object]:
    """What a regeneration may change on the row, as it was: a cancel puts it back."""
    return {"keyframe_version_id": seg.keyframe_version_id, "keyframe_state": seg.keyframe_state,
            "video_version_id": seg.video_version_id, "video_state": seg.video_state}


def _queued_detail(session: Session, task: Task) -> dict[str, object]:
    """The task.queued activity of a task, following a recovered copy back to its original."""
    import json

    task_id: int | None = int(task.id)  # type: ignore[arg-type]
    for _ in range(5):
        rows = session.execute(select(col(Activity.detail)).where(
            col(Activity.segment_id) == task.segment_id, col(Activity.kind) == "task.queued").order_by(col(Activity.id).desc())
        ).scalars()
        detail = next((d for d in (json.loads(r) for r in rows) if d.get("task") == task_id), None)
        if detail is None:
            return {}
        if "retry_of" not in detail:
            return detail
        task_id = detail["retry_of"]
    return {}


def put_back_after_cancel(session: Session, task: Task, actor: str) -> bool:
    """A cancelled regeneration leaves the row as it was before it (issue 24): the version it
    was to replace back in review (not "regenerate requested" with nothing coming) and the
    clip it made stale as it was, unless something else changed the row since, or another
    task for the asset is still on its way. Returns whether the row changed."""
    if task.state != TaskState.CANCELLED or active_task(session, task.segment_id, task.asset) is not None:
        return False
    was = _queued_detail(session, task).get("was")
    seg = session.get(Segment, task.segment_id)
    if not isinstance(was, dict) or seg is None:
        return False
    changed = False
    kinds = (task.asset,) if task.asset == Asset.VIDEO else (Asset.KEYFRAME, Asset.VIDEO)
    for kind in kinds:
        version_id, state = getattr(seg, f"{kind}_version_id"), getattr(seg, f"{kind}_state")
        if version_id != was.get(f"{kind}_version_id") or state == was.get(f"{kind}_state"):
            continue  # another version since, or nothing to put back
        if kind == task.asset and state == AssetState.REGENERATE:
            version = session.get(Version, version_id)
            if version is not None and version.decision == Decision.REGENERATE:
                version.decision = None
        elif not (kind == Asset.VIDEO and state == AssetState.STALE
                  and seg.keyframe_version_id == was.get("keyframe_version_id")):
            continue  # a state the regeneration did not set
        setattr(seg, f"{kind}_state", was[f"{kind}_state"])
        changed = True
    if changed:
        seg.updated_at = utcnow()
        activity.record(session, "task.cancel_restored", actor, seg.stream_id, seg.id, asset=task.asset,
                        task=task.id, reason="the regeneration was cancelled: the row is as it was")
    return changed


def put_back_cancelled(store: Store, task_id: int, actor: str) -> bool:
    """put_back_after_cancel in a write of its own (the runner, once a running task's
    cancelled end is recorded)."""
    with store.write() as session:
        task = session.get(Task, task_id)
        return task is not None and put_back_after_cancel(session, task, actor)


def _current_version_id(seg: Segment, asset: str) -> int | None:
    return seg.keyframe_version_id if asset == Asset.KEYFRAME else seg.video_version_id


def similar(session: Session, segment_id: int, asset: str, actor: str,
            source_segment_id: int | None = None) -> Task:
    """A new version that varies the current one (its `{reference}` for a keyframe:
    image-to-image). From another segment: that segment's version is the reference and
    the prompt gains "in the style of segment N". The version records its parent."""
    seg = session.get(Segment, segment_id)
    source = session.get(Segment, source_segment_id or segment_id)
    if seg is None or source is None:
        raise NotFound(f"segment {source_segment_id or segment_id} not found")
    parent = _current_version_id(source, asset)
    if parent is None:
        raise QueueError(f"segment {source.position} has no {asset} version to start from")
    prompt = seg.image_prompt if asset == Asset.KEYFRAME else seg.motion_prompt
    if source.id != seg.id:
        style = f"in the style of segment {source.position}"
        if style not in prompt:
            prompt = f"{prompt.rstrip().rstrip(',')}, {style}" if prompt.strip() else style
    return enqueue(session, segment_id, asset, actor, prompt=prompt, parent_version_id=parent,
                   reference_version_id=parent if asset == Asset.KEYFRAME else None)


def variations(session: Session, segment_id: int, asset: str, actor: str, count: int = 3,
               presets: list[tuple[int, str]] | None = None) -> tuple[str, list[Task]]:
    """Queue one variation group: `count` seeds of the prompt, or one per preset
    ((id, text) pairs). Returns (group id, tasks)."""
    from director_tui.core.wording import with_preset

    seg = session.get(Segment, segment_id)
    if seg is None:
        raise NotFound(f"segment {segment_id} not found")
    if active_task(session, segment_id, asset) is not None:
        raise QueueError(f"segment {seg.position}: a {asset} task is already queued or running")
    if not presets and not 1 <= count <= 9:
        raise QueueError(f"variations: {count} asked, 1 to 9 possible (keys 1-9 pick)")
    if presets and len(presets) > 9:
        raise QueueError(f"variations: {len(presets)} presets chosen, at most 9")
    base = seg.image_prompt if asset == Asset.KEYFRAME else seg.motion_prompt
    group = f"g{secrets.token_hex(4)}"
    parent = _current_version_id(seg, asset)
    plan = [(pid, with_preset(base, text)) for pid, text in presets] if presets else [(None, base)] * count
    tasks = [enqueue(session, segment_id, asset, actor, prompt=prompt, preset_id=pid, parent_version_id=parent,
                     variation_group=group, beside_active=True, regenerate=(i == 0))
             for i, (pid, prompt) in enumerate(plan)]
    return group, tasks


def queue_missing_keyframes(session: Session, stream_id: int, actor: str) -> list[Task]:
    """Queue a keyframe for every segment that has none and none on the way."""
    busy = set(session.execute(
        select(col(Task.segment_id)).where(col(Task.stream_id) == stream_id, col(Task.asset) == Asset.KEYFRAME,
                                      col(Task.state).in_(TaskState.ACTIVE))
    ).scalars())
    missing = session.execute(
        select(col(Segment.id)).where(col(Segment.stream_id) == stream_id,
                                 col(Segment.keyframe_version_id).is_(None))
        .order_by(col(Segment.position))
    ).scalars()
    return [enqueue(session, sid, Asset.KEYFRAME, actor) for sid in missing if sid not in busy]


def request_cancel(session: Session, task_id: int, actor: str) -> Task:
    """Cancel a queued task now; ask the owner of a running one to stop it (any instance)."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"task {task_id} not found")
    if task.state == TaskState.QUEUED:
        task.state, task.finished_at = TaskState.CANCELLED, utcnow()
        task.message = task.error = f"cancelled by {actor}"
        activity.record(session, "task.cancelled", actor, task.stream_id, task.segment_id,
                        asset=task.asset, task=task.id, was="queued")
        session.flush()
        put_back_after_cancel(session, task, actor)
    elif task.state == TaskState.RUNNING:
        if not task.cancel_requested:
            task.cancel_requested = True
            activity.record(session, "task.cancel_requested", actor, task.stream_id,
                            task.segment_id, asset=task.asset, task=task.id)
    else:
        raise QueueError(f"task {task_id} is {task.state}: nothing to cancel")
    return task


def active_tasks_of(session: Session, stream_id: int, segment_ids: list[int] | None = None) -> list[Task]:
    query = select(Task).where(col(Task.stream_id) == stream_id,
                               col(Task.state).in_(TaskState.ACTIVE))
    if segment_ids is not None:
        query = query.where(col(Task.segment_id).in_(segment_ids))
    return list(session.execute(query.order_by(col(Task.id))).scalars())


def retry(session: Session, task_id: int, actor: str) -> Task:
    """Queue a failed, cancelled or interrupted task again (same asset and seed)."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"task {task_id} not found")
    if task.state in TaskState.ACTIVE or task.state == TaskState.SUCCEEDED:
        raise QueueError(f"task {task_id} is {task.state}: nothing to retry")
    varied = task.variation_group is not None or task.parent_version_id is not None
    return enqueue(session, task.segment_id, task.asset, actor, priority=task.priority, seed=task.seed,
                   # a variation or a "similar" keeps its own wording; a plain task takes today's prompt
                   prompt=task.prompt if varied else None, parent_version_id=task.parent_version_id,
                   reference_version_id=task.reference_version_id if varied else None,
                   variation_group=task.variation_group, preset_id=task.preset_id,
                   beside_active=task.variation_group is not None)
