"""The in-process asyncio runner: claims queued tasks, runs generators, records versions.

It reports through `RunnerEvent`s (started, progress, log, finished) to a
callback; the UI turns them into messages and coalesces them. Database writes
for progress are batched by a flusher (one short transaction a second).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from director_tui.core.guards import real_folder
from director_tui.core.models import TaskState
from director_tui.core.store import Store
from director_tui.core.store.base import Claimant, ClaimedTask, while_busy
from director_tui.core.store.failures import from_the_store, unavailable
from director_tui.core.trust import TrustStore
from director_tui.jobs.backends import Job, TaskFailed
from director_tui.jobs.events import EventCallback, RunnerEvent
from director_tui.jobs.generators import GeneratorSettings, parse_progress
from director_tui.jobs.launch import Launch, TaskLog, start_task
from director_tui.jobs.processes import LEFTOVERS
from director_tui.jobs.recording import DEFAULT_CAPS, discard_temp, record_end, record_output
from director_tui.jobs.recovery import HEARTBEAT_STALE_S, process_start, recover
from director_tui.jobs.store_refusals import StoreRefusal
from director_tui.jobs.stream_definitions import StreamDefinitions
from director_tui.media.ffmpeg import MediaError

# how often a live instance looks for tasks of dead ones: well inside the heartbeat window
RECOVERY_EVERY_S = min(10.0, HEARTBEAT_STALE_S / 3)


@dataclass
class _Running:
    task: ClaimedTask
    job: Job | None = None
    progress: float = 0.0
    message: str = ""
    dirty: bool = False
    cancel_reason: str | None = None
    generating: bool = True  # holds a concurrency slot until the generation has ended


class _Report:
    """What a running job reports goes to its log file, its row's progress and the events."""

    def __init__(self, runner: Runner, run: _Running, log: TaskLog) -> None:
        self.runner, self.run, self.log = runner, run, log

    def text(self, lines: list[str]) -> None:
        self.runner._handle_lines(self.run, lines, self.log)

    def progress(self, fraction: float, message: str) -> None:
        run, fraction = self.run, max(0.0, min(1.0, fraction))
        if message and message != run.message:  # a remote job's steps (`KSampler 12/20`) in its log too
            self.log.write(f"progress {fraction:.0%} {message}\n")
        run.progress, run.message, run.dirty = fraction, message, True
        self.runner._emit(run, "progress", state=TaskState.RUNNING, progress=run.progress, message=message)


class Runner:
    def __init__(self, store: Store, home: Path, stream_ids: list[int], *, actor: str = "",
                 on_event: EventCallback | None = None, kill_grace_s: float = 5.0,
                 poll_interval_s: float = 1.0, flush_interval_s: float = 1.0,
                 trust: TrustStore | None = None, output_caps: dict[str, int] | None = None,
                 assets: set[str] | None = None, backends: set[str] | None = None) -> None:
        self.store = store
        # a worker limited to some assets or back ends (`work --asset video`: a GPU box that
        # only renders clips); None: everything
        self.assets, self.backends = assets, backends
        self.output_caps = output_caps or dict(DEFAULT_CAPS)  # bytes per asset
        self.trust = trust or TrustStore()  # whose generators this account agreed to run
        self.home = home
        self.stream_ids = list(stream_ids)
        self.actor = actor
        self.on_event = on_event or (lambda _e: None)
        self.listener_error: Exception | None = None  # the first exception of on_event (logged, not raised)
        self.kill_grace_s = kill_grace_s
        self.poll_interval_s = poll_interval_s
        self.flush_interval_s = flush_interval_s
        self.instance_id = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.running: dict[int, _Running] = {}
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._flush_task: asyncio.Task[None] | None = None
        self._jobs: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._stop_reason = ""
        self.definitions = StreamDefinitions(store, self.trust, self._trouble)
        # finished tasks' private folders, removed in a batch off the task's path (an rmdir
        # costs ~1.7 ms on this kind of disk: make bench, runner)
        self._leftover_folders: list[Path] = []
        self._my_start = process_start(os.getpid())
        self._task_done = asyncio.Event()
        # claims in a worker thread not yet handed to the loop (_adopt): such a task is
        # neither queued nor in self.running, and run_until_idle must not take that for idle
        self._handing_over = 0
        # tasks that ended while the store could not take it (ClaimedTask, state, reason, log,
        # the store's refusal)
        self._unfinished: list[tuple[ClaimedTask, str, str, str, StoreRefusal]] = []
        self._last_recovery = 0.0
        # why the main loop cannot claim or start tasks now; None while it can
        self.start_problem: StoreRefusal | None = None

    # --- lifecycle -----------------------------------------------------------
    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._main_loop(), name="runner")
        self._flush_task = asyncio.create_task(self._flush_loop(), name="runner-flush")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self, reason: str = "the app closed") -> None:
        """Stop claiming, stop every generator we started, put their tasks back on the queue."""
        self._stopping, self._stop_reason = True, reason
        # The main loop ends by itself: cancelled inside a thread hop, it would drop a task
        # the thread had just claimed, and a generator the thread had just started.
        self._wake.set()
        if self._loop_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        if self._flush_task is not None:
            self._flush_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flush_task
        # again until no job is left: a job finishing now may have started its slot's next task
        while True:
            for run in self.running.values():
                run.cancel_reason = run.cancel_reason or f"interrupted: {reason}"
            await asyncio.gather(*(self._kill(r) for r in list(self.running.values())),
                                 return_exceptions=True)
            if not self._jobs:
                break
            await asyncio.gather(*list(self._jobs), return_exceptions=True)
        if self._unfinished:  # a last try; else the task is recovered as any dead instance's
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._finish_later)
        await asyncio.to_thread(self.discard_leftovers)
        if LEFTOVERS.pending():  # what the last generators left outside their groups
            await asyncio.to_thread(LEFTOVERS.sweep)

    async def run_until_idle(self, timeout_s: float | None = None) -> None:
        """Run until no task of our streams is queued or running (CLI and tests)."""
        if self._loop_task is None:
            self.start()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            # look again when a task ends (or now and then, for tasks queued by others)
            self._task_done.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._task_done.wait(), 0.5)
            # a job that set _task_done has returned (nothing awaits after it), though its
            # done-callback may not have taken it out of self._jobs yet
            busy = self.running or self._handing_over or any(not job.done() for job in self._jobs)
            if not busy and self._count_queued() == 0:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("tasks still running")

    # --- queue ---------------------------------------------------------------
    def settings(self, stream_id: int, asset: str) -> GeneratorSettings:
        return self.definitions.settings(stream_id, asset)

    def trusted(self, stream_id: int, asset: str, *, quiet: bool = False) -> bool:
        """Nothing of an untrusted (or invalid) definition is claimed: its tasks wait, queued,
        until `director-tui trust` (or a new import); unless `quiet`, said once."""
        return self.definitions.trusted(stream_id, asset, quiet=quiet)

    def refusal_said(self, stream_id: int, asset: str) -> None:
        """The caller said why this (stream, asset) is not trusted: the runner need not."""
        self.definitions.refusal_said(stream_id, asset)

    def trust_changed(self, stream_id: int, asset: str) -> None:
        """This account trusted it (or stopped): asked again, and said again if refused."""
        self.definitions.forget_refusal(stream_id, asset)

    def _count_queued(self) -> int:
        """Queued (stream, asset)s this runner would run: an untrusted one waits for `trust`."""
        return sum(1 for stream_id, asset in self.store.tasks.queued_assets(self.stream_ids)
                   if self.takes(stream_id, asset) and self.trusted(stream_id, asset, quiet=True))

    def takes(self, stream_id: int, asset: str) -> bool:
        """Whether this runner runs tasks of this (stream, asset) at all (--asset, --backend)."""
        if self.assets is not None and asset not in self.assets:
            return False
        # (a definition that is not a valid one: taken, and trusted() refuses it, saying why)
        return self.backends is None or self.definitions.backend_name(stream_id, asset) in (*self.backends, None)

    def _claimant(self) -> Claimant:
        return Claimant(self.instance_id, os.getpid(), self._my_start)

    def _may_claim(self, stream_id: int, asset: str) -> bool:
        return not self._stopping and self.trusted(stream_id, asset, quiet=True)  # (a worker thread)

    def _claim_and_start(self, stream_id: int, asset: str) -> Launch | None:
        """In a worker thread: claim the best queued task and start it (jobs/launch.py).
        One thread hop where there were three: queued check, claim, pid (make bench: runner)."""
        if not self._may_claim(stream_id, asset):
            return None
        claimant = self._claimant()
        task = self.store.tasks.claim(stream_id, asset, claimant.owner, claimant.pid, claimant.start)
        return None if task is None else self._start(task)

    def _start(self, task: ClaimedTask) -> Launch:
        return start_task(self.store, self.home, task, self.settings, self._dir)

    def _adopt(self, launch: Launch) -> None:
        """On the loop: run a launched task to its end."""
        run = _Running(launch.task, job=launch.job)
        if self._stopping:  # started just as stop() began: stop() kills it on its next round
            run.cancel_reason = f"interrupted: {self._stop_reason}"
        self.running[launch.task.id] = run
        job = asyncio.create_task(self._execute(run, launch), name=f"task-{launch.task.id}")
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)

    async def recover_orphans(self) -> list[tuple[int, int]]:
        """Requeue running tasks of dead instances (ours included, from a previous life)."""
        self._last_recovery = time.monotonic()
        problems: list[str] = []
        moved = await asyncio.to_thread(recover, self.store, self.actor, self.instance_id,
                                        self.kill_grace_s, home=self.home, trust=self.trust, problems=problems)
        for line in problems:  # a task row that named what this account's trust does not
            self._trouble(line)
        if moved:
            from director_tui.core.models import Task

            with self.store.read() as s:
                for old_id, _new_id in moved:
                    t = s.get(Task, old_id)
                    if t is not None and t.stream_id in self.stream_ids:
                        self.on_event(RunnerEvent("finished", old_id, t.stream_id, t.segment_id, t.asset,
                                                  state=TaskState.INTERRUPTED, message=t.error))
            self.wake()
        return moved

    async def _main_loop(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            try:
                if self._last_recovery == 0.0:  # once, before the first claim
                    await self.recover_orphans()
                await self._fill_slots()
                failures, self.start_problem = 0, None
            except Exception as exc:  # e.g. the database stayed locked: say so, try again later
                failures += 1
                self.start_problem = self.start_problem or StoreRefusal.of(exc, self.store)
                if self.store.connection_problem() is None:  # else the app's banner says it already
                    self._trouble(f"the job queue could not start tasks ({str(exc).splitlines()[0][:160]}); "
                                  "trying again")
            pause = self.poll_interval_s if failures == 0 else min(30.0, self.poll_interval_s * 2 ** failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    async def _fill_slots(self) -> None:
        """Start queued tasks of our streams while their (stream, asset) has a free slot."""
        waiting = await asyncio.to_thread(self.store.tasks.queued_assets, self.stream_ids)
        for stream_id, asset in sorted(waiting):
            if not self.takes(stream_id, asset) or not self.trusted(stream_id, asset):  # a stat of the trust file; the stream read once
                continue
            limit = self.settings(stream_id, asset).concurrency
            while sum(1 for r in self.running.values() if r.generating and r.task.asset == asset
                      and r.task.stream_id == stream_id) < limit:
                self._handing_over += 1
                try:
                    launch = await asyncio.to_thread(self._claim_and_start, stream_id, asset)
                    if launch is None:
                        break
                    self._adopt(launch)
                finally:
                    self._handing_over -= 1

    def _trouble(self, message: str) -> None:
        """A problem of the runner itself, not of one task (shown as a notice)."""
        if self.stream_ids:
            self.on_event(RunnerEvent("trouble", 0, self.stream_ids[0], 0, "", message=message))

    async def _flush_loop(self) -> None:
        """Once a second: progress and heartbeats in one short transaction, cancel requests
        from any instance, and now and then a look for dead instances' tasks."""
        failing = False
        while True:
            await asyncio.sleep(self.flush_interval_s)
            try:
                # hand the thread a snapshot: the loop keeps changing self.running
                if self._unfinished:
                    await asyncio.to_thread(self._finish_later)
                if LEFTOVERS.pending():  # processes a finished generator left outside its group
                    await asyncio.to_thread(LEFTOVERS.sweep)
                to_cancel = await asyncio.to_thread(self.flush_progress, list(self.running.values()))
                for task_id in to_cancel:
                    await self.cancel(task_id)
                if time.monotonic() - self._last_recovery > RECOVERY_EVERY_S:
                    await self.recover_orphans()
                failing = False
            except Exception as exc:  # a locked store: heartbeats resume when it frees, said once
                if not failing:
                    self._trouble(f"could not write task progress ({exc}); trying again")
                failing = True

    def _finish_later(self) -> None:
        """In a worker thread: record the ends that could not be recorded when they happened."""
        while self._unfinished:
            task, state, reason, log_path, refusal = self._unfinished[0]
            try:
                record_end(self.store, task, self.actor, state, reason, log_path)
            except Exception as exc:  # why now, since the first refusal
                self._unfinished[0] = (task, state, reason, log_path,
                                       replace(StoreRefusal.of(exc, self.store), since=refusal.since))
                raise
            self._unfinished.pop(0)

    def unrecorded(self) -> dict[int, tuple[str, str, StoreRefusal]]:
        """Tasks that ended here whose end the store has not taken yet: id -> (state, reason,
        the store's refusal)."""
        return {t.id: (state, reason, refusal) for t, state, reason, _log, refusal in self._unfinished}

    async def check_cancels(self) -> None:
        """Act on cancel requests now (called after a local request)."""
        for task_id in await asyncio.to_thread(self._cancel_requests, list(self.running)):
            await self.cancel(task_id)

    def _cancel_requests(self, task_ids: list[int]) -> list[int]:
        return self.store.tasks.cancel_requests(task_ids) if task_ids else []

    def discard_leftovers(self) -> None:
        """Remove the private folders of finished tasks (and whatever is left in them)."""
        folders, self._leftover_folders = self._leftover_folders, []
        for folder in folders:
            discard_temp(folder)

    def flush_progress(self, runs: list[_Running]) -> list[int]:
        """Write progress and heartbeats of `runs` (a snapshot taken on the loop); returns
        the ids of those someone asked to cancel. Runs in a worker thread."""
        self.discard_leftovers()
        if not runs:
            return []
        dirty = [r for r in runs if r.dirty]
        for run in dirty:
            run.dirty = False
        return self.store.tasks.flush([(r.task.id, r.progress, r.message) for r in dirty],
                                [r.task.id for r in runs])

    # --- one task ------------------------------------------------------------
    def _emit(self, run: _Running, kind: str, **kw: object) -> None:
        t = run.task
        try:
            self.on_event(RunnerEvent(kind, t.id, t.stream_id, t.segment_id, t.asset, **kw))  # type: ignore[arg-type]
        except Exception as exc:  # whoever listens (the UI) must not stop a generation or its bookkeeping
            if self.listener_error is None:
                self.listener_error = exc
                logging.getLogger(__name__).error("runner event listener failed on %s of task %s: %r",
                                                  kind, t.id, exc, exc_info=exc)

    async def _execute(self, run: _Running, launch: Launch) -> None:
        task, log, log_path, tmp_path = run.task, launch.log, launch.stored_log, launch.tmp_path
        self._emit(run, "started", state=TaskState.RUNNING)
        refilled = False  # did this task's slot go straight to the next task?
        try:
            try:
                if launch.error or launch.job is None or launch.settings is None:
                    raise TaskFailed(launch.error or "the generator did not start")
                await self._run_job(run, launch.job, launch.settings, log)
            except BaseException:
                run.generating = False
                self._wake.set()  # its slot is free now
                raise
            finally:
                self._emit(run, "generated")
            # One thread hop: first the slot's next task starts, then this one is validated
            # and recorded (make bench: runner). The slot stays ours until the hop is back,
            # so the main loop never starts a fifth generator meanwhile.
            try:
                settings = launch.settings if launch.job.generator is None else \
                    dataclasses.replace(launch.settings, generator=launch.job.generator)  # e.g. which server made it
                launch_next, result = await asyncio.to_thread(
                    self._start_next_and_record, task, tmp_path, settings, log_path)
            finally:
                run.generating = False
            if launch_next is not None:
                self._adopt(launch_next)
                refilled = True
            if isinstance(result, BaseException):
                raise result
            log.close()
            self.running.pop(task.id, None)
            self._emit(run, "finished", state=TaskState.SUCCEEDED, progress=1.0,
                       message="done", version_id=result)
        except Exception as exc:
            # Anything unexpected fails this task with its reason; it never stays "running".
            state = TaskState.FAILED
            expected = isinstance(exc, TaskFailed | MediaError | OSError)
            refused = None if expected or not from_the_store(exc) else unavailable(exc)
            reason = (str(exc) if expected else f"the store could not record its version: {refused}" if refused
                      else f"internal error: {exc!r}")
            if run.cancel_reason is not None:
                state = TaskState.QUEUED if run.cancel_reason.startswith("interrupted") else TaskState.CANCELLED
                reason = run.cancel_reason
            with contextlib.suppress(OSError, ValueError):  # the reason ends its log file too (T, enter)
                log.write(f"{state}: {reason}\n")
            log.close()
            self.running.pop(task.id, None)
            try:
                await asyncio.to_thread(while_busy, self.store, record_end, self.store, task,
                                        self.actor, state, reason, log_path)
            except Exception as store_exc:  # not written: tried again by the flush loop, never left "running"
                self._unfinished.append((task, state, reason, log_path, StoreRefusal.of(store_exc, self.store)))
                self._trouble(f"task {task.id}: its end could not be recorded yet ({store_exc}); trying again")
            self._emit(run, "finished", state=state, progress=run.progress, message=reason)
        finally:
            log.close()
            if tmp_path is not None:  # partial or invalid output never stays: gone within a second
                self._leftover_folders.append(tmp_path.parent)
            if not refilled:  # a slot is free: claim the next task now, not at the next poll
                self._wake.set()
            self._task_done.set()

    def _start_next_and_record(self, task: ClaimedTask, tmp_path: Path | None,
                               settings: GeneratorSettings | None,
                               log_path: str) -> tuple[Launch | None, int | BaseException]:
        """In a worker thread, after a generator exited 0: start the next task of its
        (stream, asset) and validate and record this one's output. On SQLite the next
        starts first; on a server the result's statement claims the next task
        (store.tasks.claims_with_result: one round trip per task), started right after."""
        if tmp_path is None or settings is None:  # (a job that reported success without an output)
            return None, TaskFailed("the generator left no output")
        record = (record_output, self.store, self.home, self.actor, task, tmp_path, settings, log_path, self._dir,
                  self.output_caps)
        if self.store.tasks.claims_with_result:
            claimant = self._claimant() if self._may_claim(task.stream_id, task.asset) else None
            try:
                version_id, next_task = while_busy(self.store, *record, claimant)
            except Exception as exc:  # nothing claimed: the main loop claims the slot's next task
                return None, exc
            launch_next = None
            with contextlib.suppress(Exception):
                launch_next = None if next_task is None else self._start(next_task)
            return launch_next, version_id
        launch_next = None
        with contextlib.suppress(Exception):  # nothing claimed: the main loop tries again
            launch_next = self._claim_and_start(task.stream_id, task.asset)
        try:
            return launch_next, while_busy(self.store, *record)[0]
        except Exception as exc:
            return launch_next, exc

    def _dir(self, path: Path) -> Path:
        """mkdir -p, every folder below the workspace a real one (core/guards.real_folder)."""
        return real_folder(self.home, path)

    async def _run_job(self, run: _Running, job: Job, settings: GeneratorSettings, log: TaskLog) -> None:
        try:
            try:
                await asyncio.wait_for(job.run(_Report(self, run, log)), settings.timeout_s)
            except TimeoutError:
                await self._kill(run)
                raise TaskFailed(f"timed out after {settings.timeout_s:g} s") from None
        finally:
            job.close()
        if run.cancel_reason is not None:
            raise TaskFailed(run.cancel_reason)

    def _handle_lines(self, run: _Running, lines: list[str], log: TaskLog) -> None:
        """One read's worth of lines: all go to the log file; the UI gets one progress event
        (the newest) and one batched log event, however many lines a generator floods."""
        lines = [line for line in lines if line.strip()]
        if not lines:
            return
        log.write("\n".join(lines) + "\n")
        # Only the newest progress line matters: read backwards and stop at the first (a
        # flood is thousands of lines a read).
        for line in reversed(lines):
            prog = parse_progress(line)
            if prog is not None:
                run.progress, run.message, run.dirty = prog.fraction, prog.message, True
                self._emit(run, "progress", state=TaskState.RUNNING, progress=run.progress,
                           message=run.message)
                break
        self._emit(run, "log", lines=tuple(line[:2000] for line in lines))

    async def _kill(self, run: _Running) -> None:
        """Stop the task's generation: politely, then for good after the grace period."""
        if run.job is not None:
            await run.job.stop(self.kill_grace_s)

    async def cancel(self, task_id: int, reason: str = "cancelled") -> bool:
        run = self.running.get(task_id)
        if run is None or run.cancel_reason is not None:
            return False
        run.cancel_reason = reason
        await self._kill(run)
        return True
