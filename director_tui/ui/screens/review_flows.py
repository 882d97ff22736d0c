"""The review workflow on the main screen: quick edit, $EDITOR, comments, similar,
variations, undo/redo, and the screens they open (review, compare, presets, grid).

A mixin of MainScreen (like ReviewActions); the prompt saving and conflict
handling here is shared with the review screen through `save_prompt_flow`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from director_tui.core.errors import NotFound
from director_tui.core.states import Asset
from director_tui.ui.screens.prompt_saving import run_editor, save_prompt_flow
from director_tui.ui.widgets.prompt_line import PromptLine
from director_tui.ui.widgets.quick_edit import QuickEdit

if TYPE_CHECKING:
    from director_tui.ui.app import DirectorApp
    from director_tui.ui.widgets.segment_table import SegmentTable


class ReviewFlows:
    app: DirectorApp
    table: SegmentTable
    asset: str
    notify: Any
    query_one: Any
    reload_segments: Any
    refresh_counts: Any
    _retry: Any
    _current_or_warn: Any
    _after_change: Any

    def _row_screen_y(self) -> int:
        table = self.table
        # the field lands on the row itself (above it: the box's border and title)
        return max(0, table.region.y + 1 + table.cursor_row - int(table.scroll_y) - 2)

    # --- prompts -------------------------------------------------------------------
    def action_quick_edit(self, draft: str | None = None, original: str | None = None) -> None:
        from director_tui.core.prompts import field_of

        row = self._current_or_warn()
        store = self.app.store_or_later(self._retry(row, self.action_quick_edit)) if row is not None else None
        if row is None or store is None:
            return
        field = field_of(self.asset)
        kept = self.app.drafts.take(row.id, field) if draft is None else None
        if kept is not None:  # unsaved when the app last went, or left in the review screen
            draft, original = kept.text, kept.base
        text = original if original is not None else (row.image_prompt if field == "image" else row.motion_prompt)
        self.query_one(QuickEdit).open(row.id, field, f"{row.position}. {row.title}", text,
                                       (self.table.region.x, self._row_screen_y()), draft)

    def restore_drafts(self) -> None:
        """At open: the edits left unsaved when the app last went (killed, SSH dropped)
        come back, the most recent one open where it was typed, the others on `e`."""
        from director_tui.core.states import Asset

        found = self.app.drafts.load()
        if not found:
            return
        first = found[0]
        if ":" in first.field:  # a comment or a send-back note being typed when the app went
            self._restore_line(first)
            return
        self.go_to_segment(first.segment_id)  # type: ignore[attr-defined]
        self.set_asset(Asset.KEYFRAME if first.field == "image" else Asset.VIDEO)  # type: ignore[attr-defined]
        others = ", ".join(f"{d.position} {d.field}" for d in found[1:])
        self.notify(f"restored your unsaved {first.field} prompt of segment {first.position} "
                    "(enter saves, esc drops it)" + (f"; also unsaved: {others} (e or enter on them)" if others else ""),
                    timeout=10)
        if "\n" in first.text:  # several lines: the review screen's editor keeps them
            self.action_open_review()  # type: ignore[attr-defined]
        else:
            self.action_quick_edit()

    def _restore_line(self, draft: Any) -> None:
        kind, asset = draft.field.split(":", 1)
        self.app.drafts.take(draft.segment_id, draft.field)
        self.go_to_segment(draft.segment_id)  # type: ignore[attr-defined]
        self.set_asset(asset)  # type: ignore[attr-defined]
        row = self.table.current
        if row is None or row.id != draft.segment_id:
            return
        self._comment_segment = row.id
        mode = "feedback" if kind == "feedback" else ("comment-video" if asset == Asset.VIDEO else "comment")
        label = (f"send back {self._about(row)} with a note:" if kind == "feedback"
                 else f"comment on {self._about(row)}:")
        self.query_one(PromptLine).open(mode, draft.text, label=label)
        self.notify(f"restored your unsent {'note' if kind == 'feedback' else 'comment'} on segment "
                    f"{draft.position} (enter sends it, esc drops it)", timeout=10)

    def on_quick_edit_done(self, event: QuickEdit.Done) -> None:
        self.table.focus()
        if event.text is None:
            return
        seg_id = event.segment_id

        def edit_again(theirs: str, mine: str) -> None:
            index = self.table.index_of(seg_id)
            if index is not None:
                self.table.move_cursor(row=index, animate=False)
                self.action_quick_edit(draft=mine, original=theirs)

        save_prompt_flow(self.app, seg_id, event.field, event.original, event.text,
                         lambda: self.reload_segments([seg_id]), edit_again)

    def action_edit_in_editor(self) -> None:
        from director_tui.core.prompts import field_of

        row = self._current_or_warn()
        store = self.app.store_or_later(self._retry(row, self.action_edit_in_editor)) if row is not None else None
        if row is None or store is None:
            return
        field = field_of(self.asset)
        original = row.image_prompt if field == "image" else row.motion_prompt
        text = run_editor(self.app, original)
        if text is None or text == original:
            if text is not None:
                self.notify("no change", timeout=1.5)
            return

        def edit_again(theirs: str, mine: str) -> None:
            again = run_editor(self.app, mine)
            if again is not None:
                save_prompt_flow(self.app, row.id, field, theirs, again, lambda: self.reload_segments([row.id]),
                                 edit_again)

        save_prompt_flow(self.app, row.id, field, original, text, lambda: self.reload_segments([row.id]),
                         edit_again)

    # --- comments ---------------------------------------------------------------------
    def _about(self, row: Any) -> str:
        number = row.number(self.asset)
        return f"#{row.position} {self.asset}" + (f" v{number}" if number is not None else "")

    def action_comment(self) -> None:
        row = self._current_or_warn()
        if row is not None:
            self._comment_segment = row.id
            self.query_one(PromptLine).open("comment-video" if self.asset == Asset.VIDEO else "comment",
                                            label=f"comment on {self._about(row)}:")

    def action_send_back(self) -> None:
        """`f`: a note on what to change, then a new version, then the next to review."""
        row = self._current_or_warn()
        if row is not None:
            self._comment_segment = row.id
            self.query_one(PromptLine).open("feedback", label=f"send back {self._about(row)} with a note:")

    def send_back(self, segment_id: int, text: str, done: Callable[[], None] | None = None,
                  keep: Callable[[], None] | None = None) -> None:
        """Save the note and queue the new version, then `done()`; `keep()` when it could not
        be (the note goes back into its line)."""
        from director_tui.core import queue, review

        asset = self.asset
        timecode, body = review.split_timecode(text) if asset == Asset.VIDEO else (None, text.strip())

        def sent(_task: object) -> None:
            self.app.drafts.discard(segment_id, f"feedback:{asset}")
            self._after_change(segment_id, queued=True, asset=asset)
            row = self.table.rows_by_id.get(segment_id)
            self.notify(f"{row.position if row else '?'}. {row.title if row else ''}: new {asset} queued"
                        + (" — note saved" if body else ""), timeout=2.5)
            self.go_to_next_to_review()  # type: ignore[attr-defined]
            if done is not None:
                done()

        self.app.writer.submit(lambda s: review.send_back(s, segment_id, asset, self.app.settings.user, body, timecode),
                               sent, refused=(review.ReviewError, queue.QueueError, NotFound),
                               **self._keeping_the_text(keep), what="the note and its new version")

    def _keeping_the_text(self, keep: Callable[[], None] | None) -> dict[str, Any]:
        """A refused or failed write of typed text: say why, then hand the text back (`keep`)."""

        def refused(exc: BaseException) -> None:
            self.notify(str(exc), severity="warning", timeout=5)
            if keep is not None:
                keep()

        return {"on_refused": refused, "on_failed": lambda _why: keep() if keep is not None else None}

    def add_comment(self, segment_id: int, text: str, asset: str, done: Callable[[], None] | None = None,
                    keep: Callable[[], None] | None = None) -> None:
        """Save a comment, then `done()`; `keep()` when it could not be (the text goes back)."""
        from director_tui.core import review

        timecode, body = review.split_timecode(text) if asset == Asset.VIDEO else (None, text.strip())

        def added(_comment: object) -> None:
            self.app.drafts.discard(segment_id, f"comment:{asset}")
            self.reload_segments([segment_id])
            where = f" at {review.format_timecode(timecode)}" if timecode is not None else ""
            self.notify(f"comment added{where}", timeout=2)
            if done is not None:
                done()

        self.app.writer.submit(
            lambda s: review.add_comment(s, segment_id, body, self.app.settings.user, asset=asset, timecode=timecode),
            added, refused=(review.ReviewError, NotFound), **self._keeping_the_text(keep), what="the comment")

    # --- similar, variations -------------------------------------------------------------
    def action_similar(self, source_position: int | None = None) -> None:
        from director_tui.core import queue

        row = self._current_or_warn()
        if row is None:
            return
        source = None
        if source_position is not None:
            source = next((r.id for r in self.table.rows_by_id.values() if r.position == source_position), None)
            if source is None:
                self.notify(f"no segment {source_position}", severity="warning")
                return
        asset = self.asset

        def queued(_task: object) -> None:
            self._after_change(row.id, queued=True, asset=asset)
            origin = f"segment {source_position}'s" if source_position else "the current"
            self.notify(f"{row.position}. {row.title}: a {asset} like {origin} version queued", timeout=2.5)

        self.app.writer.submit(
            lambda s: queue.similar(s, row.id, asset, self.app.settings.user, source_segment_id=source),
            queued, refused=(queue.QueueError, NotFound), what=f"the new version of #{row.position}")

    def action_variations(self, count: int | None = None, presets: list[tuple[int, str]] | None = None) -> None:
        from director_tui.core import queue

        row = self._current_or_warn()
        if row is None:
            return
        asset, n = self.asset, count or self.app.settings.variations

        def queued(result: tuple[str, list[object]]) -> None:
            group, tasks = result
            self._after_change(row.id, queued=True, asset=asset)
            self.open_variation_grid(group)
            self.notify(f"{len(tasks)} {asset} variations queued — 1..{len(tasks)} picks", timeout=3)

        self.app.writer.submit(
            lambda s: queue.variations(s, row.id, asset, self.app.settings.user, n, presets),
            queued, refused=(queue.QueueError, NotFound), what=f"the variations of #{row.position}")

    def action_variation_grid(self) -> None:
        from director_tui.core.views import latest_variation_group

        row = self._current_or_warn()
        store = self.app.store_or_later(self._retry(row, self.action_variation_grid)) if row is not None else None
        if row is None or store is None:
            return
        with store.read() as s:
            group = latest_variation_group(s, row.id, self.asset)
        if group is None:
            self.notify(f"segment {row.position} has no {self.asset} variations — a makes some", timeout=3)
            return
        self.open_variation_grid(group)

    def open_variation_grid(self, group: str) -> None:
        from director_tui.ui.screens.variations import VariationScreen

        self.app.push_screen(VariationScreen(group))

    # --- undo ---------------------------------------------------------------------------
    def action_undo(self) -> None:
        self._journal("undo")

    def action_redo(self) -> None:
        self._journal("redo")

    def _journal(self, verb: str) -> None:
        from director_tui.core import journal

        def work(s: object) -> tuple[str, list[int]]:
            entry = (journal.undo if verb == "undo" else journal.redo)(s, self.app.stream_id,  # type: ignore[arg-type]
                                                                     self.app.settings.user)
            return entry.label, journal.segment_ids(entry)

        def applied(result: tuple[str, list[int]]) -> None:
            label, seg_ids = result
            self.reload_segments(seg_ids)
            self.refresh_counts()
            index = self.table.index_of(seg_ids[0]) if seg_ids else None
            if index is not None:
                self.table.move_cursor(row=index, animate=False)
            self.notify(f"{'undone' if verb == 'undo' else 'redone'}: {label}", timeout=3)
            self.app.wake_runner()  # a redo may have queued a clip again; an undo stops one
            if self.app.runner is not None:
                self.app.run_worker(self.app.runner.check_cancels(), group="cancel")

        self.app.writer.submit(work, applied, refused=(journal.UndoError,), what=f"the {verb}")

    # --- screens --------------------------------------------------------------------------
    def action_open_review(self) -> None:
        from director_tui.ui.screens.review import ReviewScreen

        row = self._current_or_warn()
        store = self.app.store_or_later(self._retry(row, self.action_open_review)) if row is not None else None
        if row is None or store is None:
            return
        self.app.push_screen(ReviewScreen(row.id, self.asset))

    def action_compare(self) -> None:
        from director_tui.ui.screens.compare import open_compare

        row = self._current_or_warn()
        store = self.app.store_or_later(self._retry(row, self.action_compare)) if row is not None else None
        if row is not None and store is not None:
            open_compare(self.app, row.id, self.asset)

    def action_presets(self) -> None:
        from director_tui.core.prompts import field_of
        from director_tui.ui.screens.presets import PresetsScreen

        row = self._current_or_warn()
        store = self.app.store_or_later(self._retry(row, self.action_presets)) if row is not None else None
        if row is None or store is None:
            return
        marked = [i for i in self.table.order if i in self.table.marked]
        # it closes with the presets chosen for one variation each, or nothing
        self.app.push_screen(PresetsScreen(marked or [row.id], field_of(self.asset), self.asset),
                             lambda chosen: self.action_variations(presets=chosen) if chosen else None)
