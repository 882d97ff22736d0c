"""Inline quick edit of one prompt, laid over its row: enter saves, esc cancels.

Beneath the field, a live word diff of the edit against the saved prompt.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label

from director_tui.ui.bindings import QUICK_EDIT_BINDINGS
from director_tui.ui.widgets.prompt_diff import PromptDiff
from director_tui.ui.widgets.prompt_hints import PromptHints


class QuickEdit(Vertical):
    DEFAULT_CSS = """
    QuickEdit {
        position: absolute; overlay: screen; display: none;
        width: 1fr; height: auto; background: $panel; border: tall $accent; padding: 0 1;
    }
    QuickEdit > Label { color: $text-muted; height: 1; }
    QuickEdit > Input { border: none; height: 1; padding: 0; }
    QuickEdit > Input:focus { border: none; }
    """
    BINDINGS = QUICK_EDIT_BINDINGS  # type: ignore[assignment]

    class Done(Message):
        """The edit ended: `text` is None when cancelled."""

        def __init__(self, segment_id: int, field: str, original: str, text: str | None) -> None:
            super().__init__()
            self.segment_id, self.field, self.original, self.text = segment_id, field, original, text

    def __init__(self) -> None:
        super().__init__(id="quick-edit")
        self.segment_id = 0
        self.field = "image"
        self.original = ""

    def compose(self) -> ComposeResult:
        yield Label("", id="quick-edit-title")
        yield Input(id="quick-edit-input", select_on_focus=False)
        yield PromptDiff(id="quick-edit-diff")
        yield PromptHints(id="quick-edit-hints")

    def open(self, segment_id: int, field: str, title: str, text: str, at: tuple[int, int],
             draft: str | None = None) -> None:
        self.segment_id, self.field, self.original = segment_id, field, text
        self.query_one(Label).update(f"{title} — {field} prompt · enter saves · esc cancels")
        self.styles.offset = at
        self.display = True
        field_input = self.query_one(Input)
        field_input.value = draft if draft is not None else text
        field_input.cursor_position = len(field_input.value)
        self.screen.set_focus(field_input)  # now, not next turn: see SegmentTable.on_event
        self._show_diff(field_input.value)
        hints = self.query_one(PromptHints)
        hints.show(field_input.value)
        store = getattr(self.app, "store", None)
        if store is not None:
            self.run_worker(hints.load(store, field), group="hints", exclusive=True)

    def _show_diff(self, value: str) -> None:
        self.query_one(PromptDiff).show(self.original, value, "diff:")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show_diff(event.value)
        self.query_one(PromptHints).show(event.value)
        drafts = getattr(self.app, "drafts", None)
        if drafts is not None and self.display:
            drafts.changed(self.segment_id, self.field, event.value, self.original)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._close(event.value)

    def action_cancel_edit(self) -> None:
        drafts = getattr(self.app, "drafts", None)
        if drafts is not None:
            drafts.discard(self.segment_id, self.field)  # esc: the director dropped the edit
        self._close(None)

    def _close(self, text: str | None) -> None:
        self.display = False
        self.post_message(self.Done(self.segment_id, self.field, self.original, text))
