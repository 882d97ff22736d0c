"""`:export …` and `:cleanup …` from the main screen: the same core calls as the CLI, run in
a thread with a progress bar (JobBar), one job at a time; the app stays usable meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from director_tui.ui.screens.confirm import ConfirmScreen
from director_tui.ui.screens.main.part import ScreenPart
from director_tui.ui.widgets.job_bar import JobBar

if TYPE_CHECKING:
    from director_tui.core.commands import Command
    from director_tui.ui.screens.main.host import MainHost


QUIT_AGAIN_S = 5.0


class SafekeepingJobs(ScreenPart):
    """Owned by MainScreen (`screen.jobs`): one export, cleanup or restore at a time, in a
    thread, its progress in the JobBar; asks once before a quit abandons it."""

    def __init__(self, screen: MainHost) -> None:
        super().__init__(screen)
        self._quit_armed_at = -1e9

    def may_quit(self) -> bool:
        """q during an export or cleanup warns once; q again within QUIT_AGAIN_S quits (the
        export's half-written file is removed; a cleanup loses nothing and resumes next run)."""
        import time

        bar: JobBar = self.screen.query_one(JobBar)
        if not bar.running:
            return True
        if time.monotonic() - self._quit_armed_at < QUIT_AGAIN_S:
            bar.abandon()
            return True
        self._quit_armed_at = time.monotonic()
        self.screen.notify(f"{bar.running} is still running: q again stops it and quits", severity="warning",
                    timeout=QUIT_AGAIN_S)
        return False

    def _start_job(self, label: str, job: Callable[[Callable[[int, int, str], None]], str],
                   leftovers: Callable[[], list[Path]] | None = None) -> None:
        bar: JobBar = self.screen.query_one(JobBar)
        if bar.running:
            self.screen.notify(f"{bar.running} is still running; wait for it", severity="warning")
            return
        bar.start(label, leftovers)

        def work() -> None:
            from director_tui.core.archive import ArchiveError
            from director_tui.media.ffmpeg import MediaError

            try:
                message, severity = job(bar.progress_from_thread), "information"
            except (ArchiveError, MediaError, OSError, ValueError) as exc:
                message, severity = f"{label} failed: {exc}", "error"
            self.app.call_from_thread(self._job_done, message, severity)

        self.screen.run_worker(work, thread=True, group="safekeeping", exit_on_error=False)

    def _job_done(self, message: str, severity: str) -> None:
        self.screen.query_one(JobBar).finish()
        self.screen.notify(message, severity=severity, timeout=8 if severity == "information" else 12)  # type: ignore[arg-type]

    def run_export(self, command: Command) -> None:
        from director_tui.core.export import destination, half_written, run_export

        store = self.ctx.store
        assert store is not None  # run_command waits for the store (store_or_later)
        what, dest = command.asset or "keyframes", command.text or None
        settings, slug = self.ctx.settings, self.ctx.snapshot.slug

        def job(progress: Callable[[int, int, str], None]) -> str:
            return str(run_export(store, settings.home, slug, what, dest, settings.user,
                                  every_version=command.option == "all", progress=progress))

        target = destination(settings.home, slug, what, dest)
        self._start_job(f"export {what}", job, lambda: half_written(target, what))

    def run_cleanup(self, command: Command) -> None:
        from director_tui.core import archive
        from director_tui.core import cleanup as version_cleanup

        store = self.ctx.store
        assert store is not None  # run_command waits for the store (store_or_later)
        keep, home, user = command.positions[0], self.ctx.settings.home, self.ctx.settings.user
        dest = command.text or str(home / "archive")
        stream_id = self.ctx.stream_id
        try:
            plan = version_cleanup.cleanup(store, home, stream_id, keep, dest, user, dry_run=True)
        except (archive.ArchiveError, ValueError) as exc:  # ValueError: a guarded destination
            self.screen.notify(str(exc), severity="error", timeout=8)
            return
        n = len(plan.archive) + len(plan.finish)
        summary = plan.describe(dest)
        if command.option == "dry" or n == 0:
            self.screen.notify(f"cleanup would archive {summary}" if n else
                        "nothing to archive: every version is approved, current"
                        + (f" or among the newest {keep}" if keep else "")
                        + (f"; left alone: {'; '.join(plan.left_alone[:3])}" if plan.left_alone else ""), timeout=8)
            return
        body = Text(f"Move {summary} (the newest {keep} of each asset, and approved and current ones).\n"
                    "Each file's checksum is checked at the destination before the local copy goes; "
                    "archived versions stay in the history and can be restored.")

        def confirmed(yes: bool | None) -> None:
            if not yes:
                self.screen.notify("cleanup: nothing moved", timeout=3)
                return

            def job(progress: Callable[[int, int, str], None]) -> str:
                done = version_cleanup.cleanup(store, home, stream_id, keep, dest, user, progress=progress)
                self.app.call_from_thread(self.screen.reload_segments, sorted({v.segment_id for v in
                                                                          done.archive + done.finish}))
                return f"archived {done.describe(dest)}"

            self._start_job("cleanup", job)

        self.app.push_screen(ConfirmScreen(f"Archive {n} old version{'' if n == 1 else 's'}?", body), confirmed)

    def run_restore(self, command: Command) -> None:
        """`:restore 4 2`: segment 4's version 2 (of the active asset) back from the archive."""
        from director_tui.core import cleanup as version_cleanup
        from director_tui.core.views import version_at

        store = self.ctx.store
        assert store is not None  # run_command waits for the store (store_or_later)
        position, number = command.positions
        asset = command.asset or self.screen.asset
        home, user, stream_id = self.ctx.settings.home, self.ctx.settings.user, self.ctx.stream_id

        def job(progress: Callable[[int, int, str], None]) -> str:  # in the job's thread: no read on the loop
            with store.read() as s:
                version_id = version_at(s, stream_id, position, asset, number)
            if version_id is None:
                raise ValueError(f"segment {position} has no {asset} version {number}")
            v, came_back = version_cleanup.restore(store, home, version_id, user)
            progress(1, 1, v.path)
            if not came_back:
                return f"segment {position}'s {asset} v{number} is in the workspace already"
            self.app.call_from_thread(self.screen.reload_segments, [v.segment_id])
            return f"restored segment {position}'s {asset} v{number} ({v.path})"

        self._start_job("restore", job)
