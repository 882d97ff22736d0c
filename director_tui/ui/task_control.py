"""The generation work of the open stream, for the app and its screens (issue 26, 2): the
runner (built once the store is open, unless the app runs none), the missing keyframes
queued at open, whether this account trusts the stream's generators, cancelling, waking.

Collaborators are handed in (the app as a Textual App for notices, workers and timers; the
writer), so nothing here imports the app. What the runner does is published as a Signal
(`events`: started, progress, log lines, finished) that the main screen subscribes to;
the rows whose tasks were queued here go up to the app as SegmentsChanged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.signal import Signal

from director_tui.config import Settings
from director_tui.ui.messages import SegmentsChanged

if TYPE_CHECKING:
    from director_tui.core.operations import Outcome
    from director_tui.core.store import Store
    from director_tui.jobs.runner import Runner, RunnerEvent
    from director_tui.ui.writer import StoreWriter

RETRY_START_S = 3.0  # a studio's server away as the app starts: look again this much later


class TaskControl:
    def __init__(self, app: App[Any], settings: Settings, stream_id: int, writer: StoreWriter,
                 report_fault: Callable[[Exception], None]) -> None:
        self.app = app
        self.report_fault = report_fault
        self._stopped = False
        self.settings = settings
        self.stream_id = stream_id
        self.writer = writer
        self.events: Signal[RunnerEvent] = Signal(app, "runner-event")  # published on the loop, as it happens
        self.runner: Runner | None = None

    def start(self, store: Store, run: bool) -> None:
        """Once the store is open: missing keyframes queued (when trusted), the refusal of an
        untrusted generator said, and the runner started (`run`). What that needs to know (the
        stream's generators against this account's trust, the config's generators) is read
        in a worker thread, never on the loop."""
        self.app.run_worker(self._start(store, run), group="tasks-start", exit_on_error=False)

    def _look(self, store: Store) -> tuple[dict[str, str], str | None]:
        """In a worker thread: the untrusted generators, and what is wrong with the config's."""
        from director_tui.jobs.generators import user_generators

        untrusted = self.untrusted_generators(store)
        _gens, config_error = user_generators()
        return untrusted, config_error

    async def _start(self, store: Store, run: bool) -> None:
        try:
            untrusted, config_error = await asyncio.to_thread(self._look, store)
        except Exception as exc:
            if store.shared_between_machines and store.is_transient(exc):
                self.app.set_timer(RETRY_START_S, lambda: self.start(store, run))
            else:
                self.report_fault(exc)
            return
        if self._stopped:  # the app went meanwhile: no runner after its end
            return
        if "keyframe" not in untrusted:
            self.queue_missing_keyframes()
        if untrusted:
            self.app.notify(untrusted["why"] + " — or :trust here; until then nothing of it runs",
                            severity="warning", timeout=15)
        if config_error is not None:  # `open` does not wait for this check before its first frame
            self.app.notify(f"{config_error} — your config's generators are not used until it is fixed",
                            severity="error", timeout=15)
        if run:
            from director_tui.jobs.runner import Runner

            self.runner = Runner(store, self.settings.home, [self.stream_id], actor=self.settings.user,
                                 on_event=self.events.publish, kill_grace_s=self.settings.kill_grace_s,
                                 output_caps=self.settings.output_caps())
            for asset in ("keyframe", "video"):  # said just above, once is enough
                if asset in untrusted:
                    self.runner.refusal_said(self.stream_id, asset)
            self.runner.start()

    def queue_missing_keyframes(self) -> None:
        """At open (and once the keyframe generator is trusted): a keyframe for every
        segment that has none and none on its way."""
        from director_tui.core import queue

        if not self.settings.auto_generate:
            return
        stream_id, user = self.stream_id, self.settings.user

        def shown(queued: list[tuple[int, str]]) -> None:
            if queued:  # the main screen shows them
                self.app.post_message(SegmentsChanged((), tuple(queued)))

        self.writer.submit(lambda s: [(t.segment_id, t.asset) for t in queue.queue_missing_keyframes(s, stream_id, user)],
                           shown, what="the missing keyframes' tasks")

    def untrusted_generators(self, store: Store) -> dict[str, str]:
        """{asset: ..., "why": the line to show} for this stream's generators that this
        account has not trusted (core/trust.py); empty when all are trusted."""
        from director_tui.core.models import Stream
        from director_tui.core.trust import TrustError, TrustStore, refusal

        with store.read() as s:
            stream = s.get(Stream, self.stream_id)
            slug, generators = (stream.slug, stream.generators_json) if stream else ("?", "{}")
        try:
            untrusted = TrustStore().untrusted(generators)
        except TrustError as exc:
            return {"keyframe": "", "video": "", "why": str(exc)}
        found: dict[str, str] = {d.asset: d.fingerprint for d in untrusted}
        if untrusted:
            found["why"] = refusal(slug, untrusted)
        return found

    def cancel(self, *, task_ids: list[int] | None = None, segment_ids: list[int] | None = None) -> None:
        """Cancel tasks of this stream (core/operations.cancel_tasks, the CLI's rule): those
        named, else the queued and running ones of these segments (None: all). Bound to the
        ids now; the store is read and written in the writer's thread, never on the loop."""
        from director_tui.core import operations

        stream_id, user = self.stream_id, self.settings.user

        def done(outcome: Outcome) -> None:
            self.app.notify(outcome.message, timeout=2)
            for problem in outcome.problems[:3] if outcome.cancels else ():  # else the message is the first
                self.app.notify(problem, severity="warning")
            if outcome.cancels:
                self.check_cancels()

        what = f"the cancel of {len(task_ids)} task(s)" if task_ids is not None else "the cancel"
        self.writer.submit(lambda s: operations.cancel_tasks(s, stream_id, user, task_ids=task_ids,
                                                             segment_ids=segment_ids), done, what=what)

    def check_cancels(self) -> None:
        """Our runner stops at once what someone asked to stop (else within its next second)."""
        if self.runner is not None:
            self.app.run_worker(self.runner.check_cancels(), group="cancel")

    def wake(self) -> None:
        if self.runner is not None:
            self.runner.wake()

    def trust_changed(self, asset: str) -> None:
        """This account trusted (or stopped trusting) the stream's generator of `asset`."""
        if self.runner is not None:
            self.runner.trust_changed(self.stream_id, asset)

    async def stop(self, reason: str) -> None:
        self._stopped = True
        if self.runner is not None:
            await self.runner.stop(reason)

    def running_processes(self) -> list[tuple[int, int | None]]:
        """(task id, process group) of this app's running generators; read from the backstop's
        thread, so from a copy."""
        runner = self.runner
        if runner is None:
            return []
        return [(task_id, getattr(run.job, "pid", None)) for task_id, run in list(runner.running.items())]

    def hurry(self, grace_s: float = 2.0) -> None:
        """The terminal is gone: generators get a short grace to stop, not the configured one."""
        if self.runner is not None:
            self.runner.kill_grace_s = min(self.runner.kill_grace_s, grace_s)
