"""Crash recovery: tasks left `running` by an instance that died.

An owner is dead when its pid is gone or belongs to a different process (its
start time differs), or — for an owner on another host — when its heartbeat
is stale. Its generators' process groups are killed (unless the pid was
reused), the task is marked `interrupted`, and a copy is queued again.
"""

from __future__ import annotations

import socket
from datetime import timedelta

from sqlalchemy import select

from director_tui.core import activity
from director_tui.core.models import Stream, Task, TaskState, utcnow
from director_tui.core.store import Store
from director_tui.jobs.processes import kill_leftover, process_start  # noqa: F401  (part of this module's API)

HEARTBEAT_STALE_S = 30.0


def owner_alive(task: Task, stale_s: float = HEARTBEAT_STALE_S) -> bool:
    owner = task.owner or ""
    host = owner.split(":", 1)[0]
    if host == socket.gethostname() and task.owner_pid:
        start = process_start(task.owner_pid)
        if start is None:
            return False
        return task.owner_start is None or start in (-1.0, task.owner_start)
    beat = task.heartbeat_at or task.started_at
    if beat is None:
        return False
    if beat.tzinfo is None:
        from datetime import UTC

        beat = beat.replace(tzinfo=UTC)
    return utcnow() - beat < timedelta(seconds=stale_s)


def _reap(store: Store, task: Task, grace_s: float) -> bool:
    """Stop whatever still works on a dead instance's task, by its stream's back end."""
    from director_tui.jobs.backends import backend_named
    from director_tui.jobs.generators import settings_for

    with store.read() as s:
        stream = s.get(Stream, task.stream_id)
    settings = settings_for(stream.generators_json if stream else "{}", task.asset)
    try:
        backend = backend_named(settings.backend_name)
    except Exception:  # an unknown back end: what it started is a process if anything
        backend = backend_named("subprocess")
    return backend.reap(task, grace_s)


def recover(store: Store, actor: str, my_owner: str | None = None, grace_s: float = 5.0,
            stale_s: float = HEARTBEAT_STALE_S) -> list[tuple[int, int]]:
    """Interrupt and requeue every running task whose owner is dead. Returns (old, new) ids."""
    with store.read() as s:
        running = list(s.execute(select(Task).where(Task.state == TaskState.RUNNING)).scalars())
    orphans = [t for t in running if t.owner != my_owner and not owner_alive(t, stale_s)]
    moved: list[tuple[int, int]] = []
    for task in orphans:
        killed = _reap(store, task, grace_s)
        with store.write() as s:
            current = s.get(Task, task.id)
            if current is None or current.state != TaskState.RUNNING or current.owner != task.owner:
                continue  # someone else recovered it meanwhile
            reason = f"interrupted: its instance ({task.owner}) died"
            current.state, current.error, current.message = TaskState.INTERRUPTED, reason, reason
            current.finished_at = utcnow()
            again = Task(stream_id=task.stream_id, segment_id=task.segment_id, asset=task.asset,
                         # one up: it resumes before what was queued behind it, as a
                         # director expects of work that was already under way
                         priority=task.priority + 1, prompt=task.prompt, seed=task.seed,
                         reference_version_id=task.reference_version_id,
                         parent_version_id=task.parent_version_id,
                         variation_group=task.variation_group, preset_id=task.preset_id,
                         requested_by=task.requested_by)
            s.add(again)
            s.flush()
            activity.record(s, "task.interrupted", actor, task.stream_id, task.segment_id,
                            asset=task.asset, task=task.id, reason=reason, killed_leftovers=killed)
            activity.record(s, "task.queued", actor, task.stream_id, task.segment_id,
                            asset=task.asset, task=again.id, retry_of=task.id)
            moved.append((int(task.id), int(again.id)))  # type: ignore[arg-type]
    return moved
