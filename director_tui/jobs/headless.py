"""Running the queue without the UI: `director-tui work`, `regen --wait`."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from director_tui.core.models import Task, TaskState
from director_tui.core.store import Store
from director_tui.jobs.runner import Runner, RunnerEvent

STREAMS_REFRESH_S = 5.0  # `work --all` looks for streams created since this often


def all_stream_ids(store: Store) -> list[int]:
    from director_tui.core.models import Stream

    with store.read() as s:
        return [int(i) for i in s.execute(select(col(Stream.id)).order_by(col(Stream.id))).scalars()]


async def work(store: Store, home: Path, stream_ids: list[int], actor: str, *, until_idle: bool,
               kill_grace_s: float, on_event: Callable[[RunnerEvent], None] | None = None,
               output_caps: dict[str, int] | None = None, every_stream: bool = False,
               assets: set[str] | None = None, backends: set[str] | None = None) -> str:
    """Run the streams' queue until idle (or forever); stop cleanly on SIGINT/SIGTERM/SIGHUP.
    With `every_stream`, every stream in the store, new ones joining within a few seconds.
    Returns why it stopped."""
    ids = await asyncio.to_thread(all_stream_ids, store) if every_stream else list(stream_ids)
    runner = Runner(store, home, ids, actor=actor, on_event=on_event,
                    kill_grace_s=kill_grace_s, poll_interval_s=0.2, output_caps=output_caps,
                    assets=assets, backends=backends)
    stop = asyncio.Event()
    reason = "idle"
    loop = asyncio.get_running_loop()

    def on_signal(sig: int) -> None:
        nonlocal reason
        reason = f"stopped by {signal.Signals(sig).name}"
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig)
    # a dead instance's leftover generators are killed and their tasks requeued before
    # anything is judged idle: otherwise `--until-idle` saw "running" tasks nobody runs
    await runner.recover_orphans()
    runner.start()
    looked = loop.time()
    said_held: list[tuple[int, str]] = []
    try:
        while not stop.is_set():
            if every_stream and loop.time() - looked > STREAMS_REFRESH_S:
                looked = loop.time()
                with contextlib.suppress(Exception):  # the store away for a moment: next time
                    runner.stream_ids = await asyncio.to_thread(all_stream_ids, store)
            if until_idle and not runner.running and not runner._jobs and runner._count_queued() == 0:
                # idle means the streams' work is done: a task another instance holds is
                # waited for until it ends, or its owner's heartbeat goes stale and the
                # runner's recovery requeues it here (issue 24: a killed worker's task was
                # left `running` and every `--until-idle` worker exited beside it)
                held = await asyncio.to_thread(held_elsewhere, runner)
                if not held:
                    break
                if on_event is not None and held != said_held:
                    on_event(RunnerEvent("trouble", 0, 0, 0, "", message=waiting_line(held)))
                said_held = held
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
    finally:
        await runner.stop(reason)
    return reason


def held_elsewhere(runner: Runner) -> list[tuple[int, str]]:
    """(task id, owner) of the running tasks of the runner's streams it would take, held by
    other instances."""
    with runner.store.read() as s:
        rows = s.execute(select(col(Task.id), col(Task.stream_id), col(Task.asset), col(Task.owner)).where(
            col(Task.state) == TaskState.RUNNING, col(Task.stream_id).in_(runner.stream_ids))).all()
    return sorted((int(i), str(owner or "?")) for i, stream_id, asset, owner in rows
                  if int(i) not in runner.running and runner.takes(stream_id, asset))


def waiting_line(held: list[tuple[int, str]]) -> str:
    from director_tui.jobs.recovery import HEARTBEAT_STALE_S

    tasks = ", ".join(f"task {i} ({owner})" for i, owner in held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
    return (f"waiting for {tasks}: run elsewhere; taken over here if its instance stops beating "
            f"for {HEARTBEAT_STALE_S:.0f} s")


async def wait_for_tasks(store: Store, home: Path, stream_id: int, task_ids: list[int], actor: str, *,
                         kill_grace_s: float,
                         on_update: Callable[[dict[int, Task]], None],
                         output_caps: dict[str, int] | None = None) -> dict[int, Task]:
    """Run the queue here until every task in `task_ids` has finished (here or in another
    instance); calls on_update with their current rows a few times a second."""
    runner = Runner(store, home, [stream_id], actor=actor, kill_grace_s=kill_grace_s,
                    poll_interval_s=0.2, flush_interval_s=0.25, output_caps=output_caps)
    stopped: list[str] = []
    loop = asyncio.get_running_loop()

    def on_signal(sig: int) -> None:  # the tasks go back on the queue now, not when someone notices
        stopped.append(f"stopped by {signal.Signals(sig).name}")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig)
    runner.start()
    try:
        while True:
            if stopped:
                raise Interrupted(stopped[0])
            with store.read() as s:
                tasks = {t.id: t for t in s.execute(select(Task).where(col(Task.id).in_(task_ids))).scalars()}
            for run in runner.running.values():  # fresher than the store
                if run.task.id in tasks:
                    tasks[run.task.id].progress = run.progress
                    tasks[run.task.id].message = run.message
            _ended_unrecorded(runner, tasks)
            on_update(tasks)
            if all(t.state not in TaskState.ACTIVE for t in tasks.values()) or _left_queued(runner, tasks):
                return tasks
            await asyncio.sleep(0.2)
    finally:
        runner.kill_grace_s = min(runner.kill_grace_s, 2.0) if stopped else runner.kill_grace_s
        await runner.stop(stopped[0] if stopped else "regen --wait finished")
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def _ended_unrecorded(runner: Runner, tasks: dict[int, Task]) -> None:
    """A task that ended here while the store could not take its end (a full disk, a store
    that is read-only, a lock past GIVE_UP_AFTER_S) counts as ended, with that said, rather
    than being waited for while it reads `running` (issue 25: regen --wait hung on a full
    disk). Its row stays `running` under this instance; once it exits, the next instance
    puts it back on the queue as any dead instance's."""
    for task_id, (state, reason, refusal) in runner.unrecorded().items():
        task = tasks.get(task_id)
        if task is None or task.state not in TaskState.ACTIVE or not refusal.given_up():
            continue
        task.state = state
        task.error = (f"{reason}; not recorded in the store ({refusal.why}): the next instance (or `work`) puts "
                      "it back on the queue")


def _left_queued(runner: Runner, tasks: dict[int, Task]) -> bool:
    """Whether to stop waiting for tasks this instance cannot start: the store refuses the
    claim for good (StoreRefusal.given_up) and nothing of ours runs here. The queued ones
    say so and stay queued for the next instance or `work` (issue 25: regen --wait waited
    forever on a disk too full to claim)."""
    problem = runner.start_problem
    if problem is None or runner.running or not problem.given_up():
        return False
    for task in tasks.values():
        if task.state == TaskState.QUEUED:
            task.error = (f"not started: the store cannot take its claim ({problem.why}); it stays queued: "
                          "the next instance (or `work`) runs it")
    return True


class Interrupted(Exception):
    """`regen --wait` was stopped by a signal; its running tasks are back on the queue."""
