"""Crash recovery: tasks left `running` by an instance that died.

An owner is dead when its pid is gone or belongs to a different process (its
start time differs), or — for an owner on another host, and for every owner of a
store machines share (PostgreSQL: a pid means nothing across machines or containers)
— when its heartbeat is older than the window ($DIRECTOR_HEARTBEAT_STALE_S, 30 s).
Its generators' process groups are killed when they ran on this host (unless the pid
was reused), the task is marked `interrupted`, and a copy is queued again.

What recovery reaches out to comes from this account's trust, never from the task row
alone (issue 25: anyone who can write the store can write a row): a remote prompt is
collected or stopped only on a server of the stream's trusted definition, with the
definition's own token variable, and only when this account trusts that definition; a
process group is killed only when this account recorded starting it (jobs/processes.py).
What a row says that the definition does not is ignored, recorded on the timeline
(`task.remote_ignored`) and said in `problems`.
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import col

from director_tui.core import activity, environment
from director_tui.core.guards import real_folder
from director_tui.core.models import Segment, Stream, Task, TaskState, Version, utcnow
from director_tui.core.store import ClaimedTask, Store
from director_tui.jobs.processes import kill_leftover, process_start  # noqa: F401  (part of this module's API)

if TYPE_CHECKING:
    from director_tui.core.trust import TrustStore
    from director_tui.jobs.backends import Backend
    from director_tui.jobs.generators import GeneratorSettings

def _stale_window() -> float:
    return environment.number("DIRECTOR_HEARTBEAT_STALE_S")


HEARTBEAT_STALE_S = _stale_window()  # every runner beats once a second; a studio may want more slack


def owner_alive(task: Task, stale_s: float = HEARTBEAT_STALE_S, pid_checks: bool = True) -> bool:
    owner = task.owner or ""
    host = owner.split(":", 1)[0]
    if pid_checks and host == socket.gethostname() and task.owner_pid:
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


def _backend_of(store: Store, task: Task, trust: TrustStore) -> tuple[Backend, GeneratorSettings, str]:
    """The task's back end and its stream's settings, and why this account does not trust
    them ("" when it does): an untrusted definition's servers are not contacted."""
    from director_tui.core.trust import TrustError, refusal
    from director_tui.jobs.backends import backend_named
    from director_tui.jobs.generators import settings_for

    with store.read() as s:
        stream = s.get(Stream, task.stream_id)
    generators = stream.generators_json if stream else "{}"
    try:
        settings = settings_for(generators, task.asset)
        untrusted = trust.untrusted(generators, (task.asset,))
        why = refusal(stream.slug if stream else "?", untrusted) if untrusted else ""
    except (TrustError, ValueError, TypeError, AttributeError) as exc:  # a definition that is not one
        settings, why = settings_for("{}", task.asset), f"its stream's generator definition is unreadable ({exc})"
    try:
        return backend_named(settings.backend_name), settings, why
    except Exception:  # an unknown back end: what it started is a process if anything
        return backend_named("subprocess"), settings, why


def _ignored(store: Store, actor: str, task: Task, what: str, problems: list[str] | None) -> None:
    line = f"task {task.id}: {what}; ignored"
    if problems is not None:
        problems.append(line)
    with store.write() as s:
        activity.record(s, "task.remote_ignored", actor, task.stream_id, task.segment_id, asset=task.asset,
                        task=task.id, reason=what)


def _reap(store: Store, actor: str, task: Task, grace_s: float, trust: TrustStore,
          problems: list[str] | None) -> bool:
    """Stop whatever still works on a dead instance's task, by its stream's trusted back end."""
    from director_tui.jobs.backends.base import RemoteMismatch
    from director_tui.jobs.backends.subprocess import SubprocessBackend

    backend, settings, untrusted = _backend_of(store, task, trust)
    if untrusted and not isinstance(backend, SubprocessBackend):
        if task.remote:
            _ignored(store, actor, task, f"not stopped on its server: {untrusted}", problems)
        return False
    try:
        return backend.reap(task, settings, grace_s)
    except RemoteMismatch as exc:
        _ignored(store, actor, task, f"not stopped: {exc}", problems)
        return False


def _claimed(store: Store, task: Task) -> ClaimedTask:
    """The task as a runner holds it once claimed (what recording it needs)."""
    with store.read() as s:
        stream, seg = s.get(Stream, task.stream_id), s.get(Segment, task.segment_id)
        ref = s.get(Version, task.reference_version_id) if task.reference_version_id else None
    assert stream is not None and seg is not None
    return ClaimedTask(int(task.id), task.stream_id, task.segment_id, task.asset, task.prompt, task.seed,  # type: ignore[arg-type]
                       task.priority, task.reference_version_id, task.parent_version_id, task.variation_group,
                       task.preset_id, stream.slug, stream.width, stream.height, seg.position, seg.duration,
                       ref.path if ref else None)


def _salvage(store: Store, home: Path, task: Task, actor: str, taker: str, trust: TrustStore,
             problems: list[str] | None) -> str:
    """A remote generation that went on after its instance died may have finished: record
    its result instead of making it again. "recorded", "taken" (another instance got there
    first) or "no" (reap and queue it again, as the task is now ours: `task.owner`)."""
    from director_tui.jobs.backends import Backend
    from director_tui.jobs.backends.base import RemoteMismatch
    from director_tui.jobs.launch import private_output
    from director_tui.jobs.recording import record_output

    backend, settings, untrusted = _backend_of(store, task, trust)
    if type(backend).salvage is Backend.salvage or untrusted:
        return "no"
    with store.write() as s:  # ours first: two instances recovering at once record it once
        current = s.get(Task, task.id)
        if current is None or current.state != TaskState.RUNNING or current.owner != task.owner:
            return "taken"
        current.owner, current.owner_pid, current.heartbeat_at = taker, os.getpid(), utcnow()
        current.owner_start = process_start(os.getpid())
    task.owner = taker
    claimed = _claimed(store, task)

    def make_dir(path: Path) -> Path:
        return real_folder(home, path)

    output = private_output(home, claimed, make_dir)
    try:
        generator = backend.salvage(task, settings, output)
    except RemoteMismatch as exc:
        _ignored(store, actor, task, f"its result not collected: {exc}", problems)
        generator = None
    if generator is None:
        shutil.rmtree(output.parent, ignore_errors=True)
        return "no"
    try:
        record_output(store, home, actor, claimed, output, replace(settings, generator=generator),
                      task.log_path or "", make_dir)
    except Exception:  # not a valid picture or clip: made again, as if nothing came back
        return "no"
    finally:
        shutil.rmtree(output.parent, ignore_errors=True)
    with store.write() as s:
        activity.record(s, "task.recovered", actor, task.stream_id, task.segment_id, asset=task.asset,
                        task=task.id, reason="finished on its server after its instance died")
    return "recorded"


def recover(store: Store, actor: str, my_owner: str | None = None, grace_s: float = 5.0,
            stale_s: float = HEARTBEAT_STALE_S, home: Path | None = None, trust: TrustStore | None = None,
            problems: list[str] | None = None) -> list[tuple[int, int]]:
    """Interrupt and requeue every running task whose owner is dead. Returns (old, new) ids.
    With the workspace (`home`), a remote generation that finished meanwhile is recorded
    instead (never submitted twice). `trust`: this account's (read from its state folder
    when not given); what a row says against it is ignored and appended to `problems`."""
    from director_tui.core.trust import TrustStore

    trust = trust or TrustStore()
    with store.read() as s:
        running = list(s.execute(select(Task).where(col(Task.state) == TaskState.RUNNING)).scalars())
    pid_checks = not store.shared_between_machines
    orphans = [t for t in running if t.owner != my_owner and not owner_alive(t, stale_s, pid_checks)]
    moved: list[tuple[int, int]] = []
    taker = my_owner or f"{socket.gethostname()}:{os.getpid()}:recovery"
    for task in orphans:
        if home is not None:
            salvaged = _salvage(store, home, task, actor, taker, trust, problems)
            if salvaged != "no":
                continue
        killed = _reap(store, actor, task, grace_s, trust, problems)
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
