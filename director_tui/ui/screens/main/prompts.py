"""Editing prompts from the main screen: the quick edit on the row, $EDITOR, and the edits
left unsaved when the app last went (killed, SSH dropped), which come back at open.
Saving and conflicts are prompt_saving.save_prompt_flow, shared with the review screen.
Owned by MainScreen (`screen.prompts`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from director_tui.core.states import Asset
from director_tui.ui.screens.main.part import ScreenPart
from director_tui.ui.screens.prompt_saving import run_editor, save_prompt_flow
from director_tui.ui.widgets.quick_edit import QuickEdit

if TYPE_CHECKING:
    from director_tui.core.drafts import DraftView


class PromptEditing(ScreenPart):
    def _row_screen_y(self) -> int:
        table = self.screen.table
        # the field lands on the row itself (above it: the box's border and title)
        return max(0, table.region.y + 1 + table.cursor_row - int(table.scroll_y) - 2)

    def _saved(self, segment_id: int) -> None:
        self.screen.reload_segments([segment_id])

    def quick_edit(self, draft: str | None = None, original: str | None = None) -> None:
        from director_tui.core.prompts import field_of

        row = self.screen.current_with_store(self.quick_edit)
        if row is None:
            return
        field = field_of(self.screen.asset)
        kept = self.ctx.drafts.take(row.id, field) if draft is None else None
        if kept is not None:  # unsaved when the app last went, or left in the review screen
            draft, original = kept.text, kept.base
        text = original if original is not None else (row.image_prompt if field == "image" else row.motion_prompt)
        self.screen.query_one(QuickEdit).open(row.id, field, f"{row.position}. {row.title}", text,
                                              (self.screen.table.region.x, self._row_screen_y()), draft)

    def quick_edit_done(self, event: QuickEdit.Done) -> None:
        if event.text is None:
            return
        seg_id, table = event.segment_id, self.screen.table

        def edit_again(theirs: str, mine: str) -> None:
            index = table.index_of(seg_id)
            if index is not None:
                table.move_cursor(row=index, animate=False)
                self.quick_edit(draft=mine, original=theirs)

        save_prompt_flow(self.app, seg_id, event.field, event.original, event.text,
                         lambda: self._saved(seg_id), edit_again)

    def in_editor(self) -> None:
        from director_tui.core.prompts import field_of

        row = self.screen.current_with_store(self.in_editor)
        if row is None:
            return
        field = field_of(self.screen.asset)
        original = row.image_prompt if field == "image" else row.motion_prompt
        text = run_editor(self.app, original)
        if text is None or text == original:
            if text is not None:
                self.screen.notify("no change", timeout=1.5)
            return

        def edit_again(theirs: str, mine: str) -> None:
            again = run_editor(self.app, mine)
            if again is not None:
                save_prompt_flow(self.app, row.id, field, theirs, again, lambda: self._saved(row.id), edit_again)

        save_prompt_flow(self.app, row.id, field, original, text, lambda: self._saved(row.id), edit_again)

    # --- what the app left unsaved last time ------------------------------------------------
    def restore_drafts(self) -> None:
        """At open: the edits left unsaved when the app last went come back, the most recent
        one open where it was typed, the others on `e`. Read off the loop; a studio's server
        away as the app starts leaves them stored, for the next open."""
        from director_tui.core import drafts

        ctx = self.ctx
        user, stream_id = ctx.settings.user, ctx.stream_id

        def away(exc: Exception) -> bool:
            store = ctx.store
            return store is not None and store.shared_between_machines and store.is_transient(exc)

        ctx.reader.read("drafts", lambda s: drafts.for_stream(s, user, stream_id),
                        lambda found: self._drafts_found(ctx.drafts.adopt(found)), on_error=away, owner=self.screen)

    def _drafts_found(self, found: list[DraftView]) -> None:
        on_their_way = self.ctx.decisions.texts_on_their_way()  # replayed from the outbox: not drafts
        found = [d for d in found if (d.segment_id, d.field) not in on_their_way]
        if not found:
            return
        first, screen = found[0], self.screen
        if self.ctx.keys.keys_typed:  # the director is at work already: nothing takes the screen over
            named = ", ".join(f"{d.position} {d.field.split(':')[0]}" for d in found[:4])
            screen.notify(f"unsaved from last time, kept: {named} (e, c or f on the row brings it back)", timeout=10)
            return
        if ":" in first.field:  # a comment or a send-back note being typed when the app went
            self._restore_line(first)
            return
        screen.go_to_segment(first.segment_id)
        screen.set_asset(Asset.KEYFRAME if first.field == "image" else Asset.VIDEO)
        others = ", ".join(f"{d.position} {d.field}" for d in found[1:])
        screen.notify(f"restored your unsaved {first.field} prompt of segment {first.position} "
                      "(enter saves, esc drops it)" + (f"; also unsaved: {others} (e or enter on them)" if others else ""),
                      timeout=10)
        if "\n" in first.text:  # several lines: the review screen's editor keeps them
            screen.action_open_review()
        else:
            self.quick_edit()

    def _restore_line(self, draft: DraftView) -> None:
        kind, asset = draft.field.split(":", 1)
        screen = self.screen
        self.ctx.drafts.take(draft.segment_id, draft.field)
        screen.go_to_segment(draft.segment_id)
        screen.set_asset(asset)
        row = screen.table.current
        if row is None or row.id != draft.segment_id:
            return
        about = screen.table.about(row.id, screen.asset)
        screen.open_line("feedback" if kind == "feedback" else ("comment-video" if asset == Asset.VIDEO else "comment"),
                         row.id, f"send back {about} with a note:" if kind == "feedback" else f"comment on {about}:",
                         draft.text)
        screen.notify(f"restored your unsent {'note' if kind == 'feedback' else 'comment'} on segment "
                      f"{draft.position} (enter sends it, esc drops it)", timeout=10)

