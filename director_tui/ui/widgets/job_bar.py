"""A one-line bar for a long job the app runs itself (an export, a cleanup): what it does,
a progress bar, done/total and the current file. Updates from the job's thread are
coalesced to at most UPDATE_HZ a second, however many files go by."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

UPDATE_HZ = 10


class JobBar(Horizontal):
    DEFAULT_CSS = """
    JobBar { height: 1; display: none; padding: 0 1; background: $boost; }
    JobBar > #job-label { width: auto; padding-right: 1; text-style: bold; }
    JobBar > ProgressBar { width: 40; }
    JobBar > #job-detail { width: 1fr; color: $text-muted; padding-left: 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="job-bar")
        self._last = 0.0
        self.running: str | None = None
        # the half-written files to remove if the app quits mid-job (looked for then: their
        # names are made when the job writes them, unguessable)
        self.leftovers: Callable[[], list[Path]] = list

    def compose(self) -> ComposeResult:
        yield Label("", id="job-label")
        yield ProgressBar(total=100, show_eta=True, show_percentage=True)
        yield Label("", id="job-detail")

    def start(self, label: str, leftovers: Callable[[], list[Path]] | None = None) -> None:
        self.running = label
        self.leftovers = leftovers or list
        self.query_one("#job-label", Label).update(label)
        self.query_one("#job-detail", Label).update("starting…")
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.display = True

    def progress_from_thread(self, done: int, total: int, what: str) -> None:
        """Called by the job's thread for every file; hands the UI a few updates a second."""
        now = time.monotonic()
        if done < total and now - self._last < 1 / UPDATE_HZ:
            return
        self._last = now
        self.app.call_from_thread(self._show, done, total, what)

    def _show(self, done: int, total: int, what: str) -> None:
        self.query_one(ProgressBar).update(total=total or None, progress=done)
        self.query_one("#job-detail", Label).update(f"{done}/{total} {what}")

    def finish(self) -> None:
        self.running = None
        self.leftovers = list
        self.display = False

    def abandon(self) -> None:
        """The app quits mid-job: the job's thread dies with it; its half-written file goes,
        and so does a cut's ffmpeg."""
        from director_tui.media.cut import stop_cuts

        stop_cuts()
        for path in self.leftovers():
            path.unlink(missing_ok=True)
