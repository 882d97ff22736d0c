"""The one way a screen makes a decision: an operation of core/operations.py, then announced.

A screen names what it acts on (segment id, asset, the version it saw). The decisions a
director makes on a row (approve, reject, regenerate, send back, comment, a batch, undo,
redo) go through the decision queue (ui/decision_queue.py): bound to their ids when
pressed, kept in the outbox, delivered in order, a refusal shown on its row. The others
(similar, variations, a pick) run an operation in the writer (off the loop, in order).
Either way the outcome tells the main screen which segments changed (SegmentsChanged: it
redraws them, shows queued tasks), wakes the runner, shows the operation's one line, and
calls the screen's `then(outcome)`. No screen calls another's actions, and the code of each
decision lives once, in core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import App

from director_tui.config import Settings

if TYPE_CHECKING:
    from director_tui.core.operations import Outcome
    from director_tui.ui.announcer import Announcer
    from director_tui.ui.decision_queue import DecisionQueue
    from director_tui.ui.writer import StoreWriter

Then = Callable[["Outcome"], None] | None
Keep = Callable[[], None] | None


class ReviewService:
    def __init__(self, host: App[Any], settings: Settings, decisions: DecisionQueue, writer: StoreWriter,
                 announcer: Announcer, show_variations: Callable[[str], object]) -> None:
        self.host = host  # notices
        self.settings = settings
        self.decisions = decisions
        self.writer = writer
        self.announcer = announcer
        self.show_variations = show_variations  # opens the grid of a variation group (the app's factory)

    # --- the decisions: bound to their ids now, delivered in order (ui/decision_queue.py) ------
    # `then` runs once the store has confirmed one (a screen moves on at once, not then).
    def approve(self, segment_id: int, asset: str, expected: tuple[int | None, str] | None, *,
                about: str = "", then: Then = None) -> None:
        self.decisions.press("approve", segment_id=segment_id, asset=asset, expected=expected,
                                 about=about, then=then)

    def reject(self, segment_id: int, asset: str, expected: tuple[int | None, str] | None, *,
               about: str = "", then: Then = None) -> None:
        self.decisions.press("reject", segment_id=segment_id, asset=asset, expected=expected,
                                 about=about, then=then)

    def regenerate(self, segment_id: int, asset: str, *, about: str = "", then: Then = None) -> None:
        self.decisions.press("regenerate", segment_id=segment_id, asset=asset, about=about, then=then)

    def apply_to_many(self, verb: str, segment_ids: list[int], asset: str, *, then: Then = None) -> None:
        self.decisions.press("many", verb=verb, segment_ids=tuple(segment_ids), asset=asset, then=then)

    def send_back(self, segment_id: int, asset: str, text: str, *, about: str = "", then: Then = None) -> None:
        """A note and a new version; refused, the note stays a draft (nothing typed is lost)."""
        self.decisions.press("send_back", segment_id=segment_id, asset=asset, text=text, about=about, then=then)

    def comment(self, segment_id: int, asset: str, text: str, *, about: str = "", then: Then = None) -> None:
        self.decisions.press("comment", segment_id=segment_id, asset=asset, text=text, about=about, then=then)

    def similar(self, segment_id: int, asset: str, source_position: int | None = None, *,
                about: str = "", then: Then = None) -> None:
        from director_tui.core import operations

        user = self.settings.user
        self.run(lambda s: operations.similar(s, segment_id, asset, user, source_position),
                 what=f"the new version of {about or 'the segment'}", then=then)

    def variations(self, segment_id: int, asset: str, count: int | None = None,
                   presets: list[tuple[int, str]] | None = None, *, about: str = "", then: Then = None) -> None:
        """Queue them and open their grid (1-9 picks); `then` after that."""
        from director_tui.core import operations

        user, n = self.settings.user, count or self.settings.variations

        def queued(outcome: Outcome) -> None:
            self.show_variations(outcome.value)
            if then is not None:
                then(outcome)

        self.run(lambda s: operations.variations(s, segment_id, asset, user, n, presets),
                 what=f"the variations of {about or 'the segment'}", then=queued, timeout=3)

    def pick_variation(self, group: str, version_id: int, n: int, *, then: Then = None) -> None:
        from director_tui.core import operations

        user, queue_video = self.settings.user, self.settings.auto_queue_video
        self.run(lambda s: operations.pick_variation(s, group, version_id, n, user, queue_video=queue_video),
                 what=f"the pick of variation {n}", then=then, timeout=3)

    def undo(self, *, then: Then = None) -> None:
        self.decisions.press("undo", then=then)

    def redo(self, *, then: Then = None) -> None:
        self.decisions.press("redo", then=then)

    # --- the one prologue and epilogue -------------------------------------------------------
    def run(self, work: Callable[[Any], Outcome], *, what: str, then: Then = None, keep: Keep = None,
            refused_shows: tuple[int, ...] = (), timeout: float = 2.5) -> None:
        """`work(session) -> Outcome` in the writer; then announce, say, `then(outcome)`.
        `refused_shows`: segments to read again when refused (a colleague changed them)."""
        from director_tui.core.operations import REFUSED

        def done(outcome: Outcome) -> None:
            self.announcer.announce(outcome)
            self.host.notify(outcome.message, severity="warning" if outcome.problems else "information",
                            timeout=timeout)
            if then is not None:
                then(outcome)

        def refused(exc: BaseException) -> None:
            self.host.notify(str(exc), severity="warning", timeout=6)
            if refused_shows:  # show what is there now
                self.announcer.rows_changed(refused_shows)
            if keep is not None:
                keep()

        self.writer.submit(work, done, refused=REFUSED, on_refused=refused,
                               on_failed=(lambda _why: keep()) if keep is not None else None, what=what)
