"""Crash recovery: tasks left `running` by an instance that died.

An owner is dead when its pid is gone or belongs to a different process (its
start time differs), or — for an owner on another host — when its heartbeat
is stale. Its generators' process groups are killed (unless the pid was
reused), the task is marked `interrupted`, and a copy is queued again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from director_tui.core import activity
from director_tui.core.db import Store
from director_tui.core.models import Task, TaskState, utcnow

HEARTBEAT_STALE_S = 30.0


def process_start(pid: int) -> float | None:
    """The process's start time (clock ticks since boot), None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
        return float(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return -1.0  # exists, owned by someone else
        return -1.0  # exists; no /proc on this system


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


def kill_leftover(task: Task, grace_s: float = 5.0) -> bool:
    """Kill the generator's process group unless its pid now belongs to someone else."""
    pgid = task.pgid
    if not pgid:
        return False
    start = process_start(pgid)
    if start not in (None, -1.0) and task.proc_start is not None and start != task.proc_start:
        return False  # the leader's pid was reused by an unrelated process
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    return True


def recover(store: Store, actor: str, my_owner: str | None = None, grace_s: float = 5.0,
            stale_s: float = HEARTBEAT_STALE_S) -> list[tuple[int, int]]:
    """Interrupt and requeue every running task whose owner is dead. Returns (old, new) ids."""
    with store.read() as s:
        running = list(s.execute(select(Task).where(Task.state == TaskState.RUNNING)).scalars())
    orphans = [t for t in running if t.owner != my_owner and not owner_alive(t, stale_s)]
    moved: list[tuple[int, int]] = []
    for task in orphans:
        killed = kill_leftover(task, grace_s)
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


def requeue_now(db_path: Path, task_ids: list[int], actor: str, reason: str) -> int:
    """Put running tasks back on the queue with a connection of its own (the store's may be
    held by a stuck event loop: the app's backstop, ui/backstop.py); returns how many went back."""
    if not task_ids:
        return 0
    con = sqlite3.connect(db_path, timeout=2.0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        now = datetime.now(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        moved = 0
        for task_id in task_ids:
            cur = con.execute(
                "UPDATE task SET state = 'queued', error = ?, message = ?, pid = NULL, pgid = NULL, owner = NULL, "
                "owner_pid = NULL, owner_start = NULL, started_at = NULL, progress = 0 "
                "WHERE id = ? AND state = 'running'", (reason, reason, task_id))
            if cur.rowcount:
                moved += 1
                con.execute("INSERT INTO activity (stream_id, segment_id, actor, kind, detail, created_at) "
                            "SELECT stream_id, segment_id, ?, 'task.interrupted', ?, ? FROM task WHERE id = ?",
                            (actor, f'{{"task": {task_id}, "reason": "backstop"}}', now, task_id))
        con.execute("COMMIT")
        return moved
    finally:
        con.close()
