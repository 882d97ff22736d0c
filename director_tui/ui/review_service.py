"""The one way a screen makes a decision: an operation of core/operations.py, run by the
writer (off the loop, in order), then announced.

A screen names what it acts on (segment id, asset, the version it saw) and what to do
after; this runs the operation, tells the main screen which segments changed (a
SegmentsChanged message: it redraws them, shows queued tasks), wakes the runner, shows
the operation's one line, and calls the screen's `then(outcome)`. A refusal ("a colleague
decided first", "nothing to undo") is a warning and `keep()` hands typed text back; a
store that cannot take the write says so (ui/writer.py). No screen calls another's
actions, and the code of each decision lives once, in core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from director_tui.ui.messages import SegmentsChanged

if TYPE_CHECKING:
    from director_tui.core.operations import Outcome
    from director_tui.ui.app import DirectorApp

Then = Callable[["Outcome"], None] | None
Keep = Callable[[], None] | None


class ReviewService:
    def __init__(self, app: DirectorApp) -> None:
        self.app = app

    # --- the operations, with the user and the settings filled in ---------------------------
    def approve(self, segment_id: int, asset: str, expected: tuple[int | None, str] | None, *,
                about: str = "", then: Then = None) -> None:
        from director_tui.core import operations

        user, queue_video = self.app.settings.user, self.app.settings.auto_queue_video
        self.run(lambda s: operations.approve(s, segment_id, asset, user, queue_video=queue_video, expected=expected),
                 what=f"the approval of {about or 'the segment'}", then=then, refused_shows=(segment_id,))

    def reject(self, segment_id: int, asset: str, expected: tuple[int | None, str] | None, *,
               about: str = "", then: Then = None) -> None:
        from director_tui.core import operations

        user = self.app.settings.user
        self.run(lambda s: operations.reject(s, segment_id, asset, user, expected=expected),
                 what=f"the rejection of {about or 'the segment'}", then=then, refused_shows=(segment_id,))

    def regenerate(self, segment_id: int, asset: str, *, about: str = "", then: Then = None) -> None:
        from director_tui.core import operations

        user = self.app.settings.user
        self.run(lambda s: operations.regenerate(s, segment_id, asset, user),
                 what=f"the regeneration of {about or 'the segment'}", then=then, timeout=2)

    def apply_to_many(self, verb: str, segment_ids: list[int], asset: str, *, then: Then = None) -> None:
        from director_tui.core import operations

        user, queue_video = self.app.settings.user, self.app.settings.auto_queue_video
        self.run(lambda s: operations.apply_to_many(s, verb, segment_ids, asset, user, queue_video=queue_video),
                 what=f"{verb} of {len(segment_ids)} segments", then=then, timeout=4)

    def send_back(self, segment_id: int, asset: str, text: str, *, keep: Keep = None, then: Then = None) -> None:
        from director_tui.core import operations

        user = self.app.settings.user
        self.run(lambda s: operations.send_back(s, segment_id, asset, user, text),
                 what="the note and its new version", then=self._sent(segment_id, f"feedback:{asset}", then),
                 keep=keep)

    def comment(self, segment_id: int, asset: str, text: str, *, keep: Keep = None, then: Then = None) -> None:
        from director_tui.core import operations

        user = self.app.settings.user
        self.run(lambda s: operations.comment(s, segment_id, asset, user, text),
                 what="the comment", then=self._sent(segment_id, f"comment:{asset}", then), keep=keep, timeout=2)

    def _sent(self, segment_id: int, draft: str, then: Then) -> Callable[[Outcome], None]:
        """Typed text that is saved is no longer a draft; then the caller's `then`."""

        def done(outcome: Outcome) -> None:
            self.app.drafts.discard(segment_id, draft)
            if then is not None:
                then(outcome)

        return done

    def similar(self, segment_id: int, asset: str, source_position: int | None = None, *,
                about: str = "", then: Then = None) -> None:
        from director_tui.core import operations

        user = self.app.settings.user
        self.run(lambda s: operations.similar(s, segment_id, asset, user, source_position),
                 what=f"the new version of {about or 'the segment'}", then=then)

    def variations(self, segment_id: int, asset: str, count: int | None = None,
                   presets: list[tuple[int, str]] | None = None, *, about: str = "", then: Then = None) -> None:
        """Queue them and open their grid (1-9 picks); `then` after that."""
        from director_tui.core import operations

        user, n = self.app.settings.user, count or self.app.settings.variations

        def queued(outcome: Outcome) -> None:
            from director_tui.ui.screens.variations import VariationScreen

            self.app.push_screen(VariationScreen(outcome.value))
            if then is not None:
                then(outcome)

        self.run(lambda s: operations.variations(s, segment_id, asset, user, n, presets),
                 what=f"the variations of {about or 'the segment'}", then=queued, timeout=3)

    def pick_variation(self, group: str, version_id: int, n: int, *, then: Then = None) -> None:
        from director_tui.core import operations

        user, queue_video = self.app.settings.user, self.app.settings.auto_queue_video
        self.run(lambda s: operations.pick_variation(s, group, version_id, n, user, queue_video=queue_video),
                 what=f"the pick of variation {n}", then=then, timeout=3)

    def undo(self, *, then: Then = None) -> None:
        self._journal("undo", then)

    def redo(self, *, then: Then = None) -> None:
        self._journal("redo", then)

    def _journal(self, verb: str, then: Then) -> None:
        from director_tui.core import operations

        stream_id, user = self.app.stream_id, self.app.settings.user
        op = operations.undo if verb == "undo" else operations.redo
        self.run(lambda s: op(s, stream_id, user), what=f"the {verb}", then=then, timeout=3)

    # --- the one prologue and epilogue -------------------------------------------------------
    def run(self, work: Callable[[Any], Outcome], *, what: str, then: Then = None, keep: Keep = None,
            refused_shows: tuple[int, ...] = (), timeout: float = 2.5) -> None:
        """`work(session) -> Outcome` in the writer; then announce, say, `then(outcome)`.
        `refused_shows`: segments to read again when refused (a colleague changed them)."""
        from director_tui.core.operations import REFUSED

        def done(outcome: Outcome) -> None:
            self.announce(outcome)
            self.app.notify(outcome.message, severity="warning" if outcome.problems else "information",
                            timeout=timeout)
            if then is not None:
                then(outcome)

        def refused(exc: BaseException) -> None:
            self.app.notify(str(exc), severity="warning", timeout=6)
            if refused_shows:  # show what is there now
                self.app.main_screen.post_message(SegmentsChanged(refused_shows))
            if keep is not None:
                keep()

        self.app.writer.submit(work, done, refused=REFUSED, on_refused=refused,
                               on_failed=(lambda _why: keep()) if keep is not None else None, what=what)

    def announce(self, outcome: Outcome) -> None:
        """Tell the main screen (it redraws the rows and counts, shows what was queued) and
        the runner (queued work, or cancels to look at)."""
        if outcome.segment_ids or outcome.queued:
            self.app.main_screen.post_message(SegmentsChanged(outcome.segment_ids, outcome.queued))
        if outcome.cancels:
            self.app.wake_runner()
            if self.app.runner is not None:
                self.app.run_worker(self.app.runner.check_cancels(), group="cancel")
