"""The decisions made from the main screen's table: on the row under the cursor or the
marked rows, through the app's review service (core/operations.py), then on to the next
segment waiting for a decision. Owned by MainScreen (`screen.decisions`); its action_*
methods are one line each into here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from director_tui.ui.screens.main.part import ScreenPart

if TYPE_CHECKING:
    from director_tui.core.operations import Outcome
    from director_tui.core.rows import SegmentRow


class Decisions(ScreenPart):
    def _row(self) -> SegmentRow | None:
        return self.screen.current_or_warn()

    def _marked(self) -> list[int]:
        table = self.screen.table
        return [i for i in table.order if i in table.marked]

    def _seen(self, row: SegmentRow, asset: str) -> tuple[int | None, str]:
        """What the decision checks at the store: the version shown, in the state the decisions
        still on their way will leave it."""
        return self.ctx.decisions.expected(row.id, asset, (row.version_id(asset), row.state(asset)))

    # --- on the current row: bound to it now, the cursor on to the next at once -------------
    def approve(self) -> None:
        row = self._row()
        if row is not None:
            asset = self.screen.asset
            self.ctx.review.approve(row.id, asset, self._seen(row, asset), about=self.screen.table.about(row.id, asset))
            self.screen.go_to_next_to_review(row.id)

    def reject(self) -> None:
        row = self._row()
        if row is not None:
            asset = self.screen.asset
            self.ctx.review.reject(row.id, asset, self._seen(row, asset), about=self.screen.table.about(row.id, asset))

    def regenerate(self) -> None:
        if self.screen.table.marked:
            self.apply_to_segments("regen", self._marked(), self.screen.asset)
            self.screen.table.set_marks(set())
            return
        row = self._row()
        if row is not None:
            self.ctx.review.regenerate(row.id, self.screen.asset, about=self.screen.table.about(row.id, self.screen.asset))

    def send_back(self, segment_id: int, text: str) -> None:
        asset = self.screen.asset
        self.ctx.review.send_back(segment_id, asset, text, about=self.screen.table.about(segment_id, asset))
        self.screen.go_to_next_to_review(segment_id)

    def comment(self, segment_id: int, text: str, asset: str) -> None:
        self.ctx.review.comment(segment_id, asset, text, about=self.screen.table.about(segment_id, asset))

    def similar(self, source_position: int | None = None) -> None:
        row = self._row()
        if row is not None:
            self.ctx.review.similar(row.id, self.screen.asset, source_position, about=f"#{row.position}")

    def variations(self, count: int | None = None, presets: list[tuple[int, str]] | None = None) -> None:
        row = self._row()
        if row is not None:
            self.ctx.review.variations(row.id, self.screen.asset, count, presets, about=f"#{row.position}")

    def variation_grid(self) -> None:
        from director_tui.core.views import latest_variation_group
        from director_tui.ui.screens.variations import VariationScreen

        row = self.screen.current_with_store(self.variation_grid)
        if row is None:
            return
        asset = self.screen.asset  # bound now: the grid of the row and asset the key was pressed on

        def then(group: str | None) -> None:
            if group is None:
                self.screen.notify(f"segment {row.position} has no {asset} variations — a makes some", timeout=3)
            else:
                self.app.push_screen(VariationScreen(group))

        self.ctx.reader.read("variation-group", lambda s: latest_variation_group(s, row.id, asset), then,
                             owner=self.screen, holds_keys=True)  # 1-9 after A pick in the grid

    def journal(self, verb: str) -> None:
        """u / ctrl+r: once the store has it, the cursor goes to what it changed, unless the
        director has moved since (a key must act where the director put the cursor)."""
        table = self.screen.table
        pressed_on = table.current.id if table.current else None

        def applied(outcome: Outcome) -> None:
            here = table.current.id if table.current else None
            if outcome.segment_ids and here == pressed_on:
                self.screen.go_to_segment(outcome.segment_ids[0])

        (self.ctx.review.undo if verb == "undo" else self.ctx.review.redo)(then=applied)

    # --- on several rows -----------------------------------------------------------------------
    def apply_to_segments(self, verb: str, seg_ids: list[int], asset: str) -> None:
        """regen / approve / reject several segments (core/operations.apply_to_many); the
        marks go, one notice says what was done and what could not be."""
        self.ctx.review.apply_to_many(verb, seg_ids, asset)

    def cancel(self) -> None:
        """Cancel the queued/running tasks of the marked segments, else of the current one."""
        if self.ctx.store_or_later(self.cancel) is None:
            return
        marked = self._marked()
        row = self.screen.table.current
        self.cancel_segments(marked or ([row.id] if row else []))
        if marked:
            self.screen.table.set_marks(set())

    def cancel_segments(self, seg_ids: list[int] | None) -> None:
        """Cancel the queued/running tasks of these segments (None: of the whole stream); the
        one line saying what was cancelled comes when the store has it."""
        self.ctx.tasks.cancel(segment_ids=seg_ids)
