"""The preset library: apply one to the active prompt of the current or marked segments,
choose several for one variation each, create, edit, delete."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label

from director_tui.core.errors import NotFound
from director_tui.ui.bindings import FORM_BINDINGS, PRESET_BINDINGS
from director_tui.ui.context import UsesContext
from director_tui.ui.key_router import FirstDraw
from director_tui.ui.messages import SegmentsChanged
from director_tui.ui.widgets.key_footer import KeyFooter


class PresetForm(UsesContext, ModalScreen["tuple[str, str, str] | None"]):
    """Name, category, text; enter in the last field saves."""

    BINDINGS = FORM_BINDINGS  # type: ignore[assignment]
    ENTER_ADVANCES = True  # enter in a field but the last goes to the next (ui/forms.py)

    def __init__(self, title: str, name: str = "", category: str = "", text: str = "") -> None:
        super().__init__(id="preset-form")
        self.title_text, self.values = title, (name, category, text)

    def compose(self) -> ComposeResult:
        with Vertical(id="preset-form-box"):
            yield Label(Text(self.title_text, style="bold"))
            for key, label, value in zip(("name", "category", "text"),
                                         ("Name", "Category (lighting, motion, color, framing, style)",
                                          "Text added to the prompt"), self.values, strict=True):
                yield Label(label)
                yield Input(value, id=f"form-{key}")
            yield Label(Text("tab next field · enter in the last field saves · esc cancels", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id != "form-text":
            self.focus_next()
            return
        # the other fields may still be taking the keys of the same burst: read them after
        self.call_after_refresh(self._submit)

    def _submit(self) -> None:
        self.dismiss(tuple(self.query_one(f"#form-{k}", Input).value for k in ("name", "category", "text")))  # type: ignore[arg-type]

    def action_cancel_form(self) -> None:
        self.dismiss(None)


class PresetsScreen(FirstDraw, UsesContext, Screen["list[tuple[int, str]] | None"]):
    BINDINGS = PRESET_BINDINGS  # type: ignore[assignment]

    def __init__(self, segment_ids: list[int], field: str, asset: str) -> None:
        super().__init__(id="presets")
        self.start_first_draw()  # keys typed before its first draw wait for it (ui/key_router.py)
        self.segment_ids, self.field, self.asset = segment_ids, field, asset
        self.chosen: set[int] = set()
        self.texts: dict[int, str] = {}  # the presets as last read, by id
        self.names: dict[int, str] = {}
        self.categories: dict[int, str] = {}
        self._delete_armed: tuple[int, float] | None = None

    def compose(self) -> ComposeResult:
        n = len(self.segment_ids)
        yield Label(Text(f"Presets — applied to the {self.field} prompt of "
                         + (f"{n} marked segments" if n > 1 else "the current segment"), style="bold"),
                    id="presets-title")
        table: DataTable[Text | str] = DataTable(cursor_type="row", id="presets-table")
        yield table
        yield Label(Text("enter apply · space choose · a one variation per chosen · n new · e edit · D delete "
                         "· :presets export/import FILE on the main screen", style="dim"))
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (("chosen", " ", 2), ("category", "Category", 10), ("name", "Name", 28),
                                  ("text", "Adds", 90)):
            table.add_column(label, key=key, width=width)
        self.load()
        table.focus()

    def load(self) -> None:
        """The presets, read off the loop (ui/reader.py), drawn when they are back."""
        from director_tui.core import prompts

        self.ctx.reader.read("presets", prompts.list_presets, self._show, owner=self)

    def _show(self, presets: list[Any]) -> None:
        self.first_drawn(self.ctx.keys)
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        self.texts = {int(p.id): p.text for p in presets}
        self.names = {int(p.id): p.name for p in presets}
        self.categories = {int(p.id): p.category for p in presets}
        for p in presets:
            table.add_row("✓" if p.id in self.chosen else "", p.category, Text(p.name), Text(p.text), key=str(p.id))
        if presets:
            table.move_cursor(row=min(row, len(presets) - 1), animate=False)

    def _current(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key else None

    def action_cursor(self, direction: str) -> None:
        table = self.query_one(DataTable)
        table.action_cursor_down() if direction == "down" else table.action_cursor_up()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_apply()

    def action_apply(self) -> None:
        from director_tui.core import prompts

        preset_id = self._current()
        if preset_id is None:
            return
        name, segment_ids, field = self.names[preset_id], list(self.segment_ids), self.field

        def applied(changed: list[int]) -> None:
            if not changed:
                self.notify(f"'{name}' is in the prompt already", timeout=2.5)
                return
            self.post_message(SegmentsChanged(tuple(changed), clear_marks=True))
            self.notify(f"'{name}' added to {len(changed)} {field} prompt(s) — r regenerates, u undoes", timeout=3)
            if self.is_attached:
                self.dismiss(None)

        self.ctx.writer.submit(lambda s: prompts.apply_preset(s, segment_ids, field, preset_id, self.ctx.settings.user),
                               applied, refused=(prompts.PromptError, NotFound), what=f"the preset '{name}'")

    def action_choose(self) -> None:
        preset_id = self._current()
        if preset_id is None:
            return
        self.chosen ^= {preset_id}
        table = self.query_one(DataTable)
        table.update_cell(str(preset_id), "chosen", "✓" if preset_id in self.chosen else "")

    def action_variations(self) -> None:
        if not self.chosen:
            self.notify("choose presets with space first (one variation each)", severity="warning", timeout=3)
            return
        if len(self.segment_ids) != 1:
            self.notify("variations are for one segment: unmark the others", severity="warning", timeout=3)
            return
        self.dismiss([(pid, self.texts[pid]) for pid in sorted(self.chosen)])  # the main screen queues them

    def action_new(self) -> None:
        self.app.push_screen(PresetForm("New preset"), lambda v: self._save(v, None))

    def action_edit(self) -> None:
        """The preset as the table shows it (read with the list; a colleague's later change
        to it shows on the next read, and saving over it is the store's to check)."""
        preset_id = self._current()
        if preset_id is None or preset_id not in self.names:
            return
        name = self.names[preset_id]
        self.app.push_screen(PresetForm(f"Edit '{name}'", name, self.categories[preset_id], self.texts[preset_id]),
                             lambda v: self._save(v, preset_id))

    def _save(self, values: tuple[str, str, str] | None, preset_id: int | None) -> None:
        from director_tui.core import prompts

        if values is None:
            return

        def saved(name: str) -> None:
            if self.is_attached:
                self.load()
            self.notify(f"preset '{name}' saved", timeout=2)

        def refused(exc: BaseException) -> None:  # the form again, with what was typed
            self.notify(str(exc), severity="error", timeout=6)
            title = "New preset" if preset_id is None else "Edit preset"
            self.app.push_screen(PresetForm(title, *values), lambda v: self._save(v, preset_id))

        user = self.ctx.settings.user
        self.ctx.writer.submit(
            lambda s: prompts.save_preset(s, prompts.PresetData(*values), user, preset_id).name,
            saved, refused=(prompts.PromptError, NotFound), on_refused=refused,
            on_failed=lambda _why: refused(Exception("the preset was not saved")), what="the preset")

    def action_delete(self) -> None:
        from director_tui.core import prompts

        preset_id = self._current()
        store = self.ctx.store
        if preset_id is None or store is None:
            return
        armed = self._delete_armed
        if armed is None or armed[0] != preset_id or time.monotonic() - armed[1] > 3:
            self._delete_armed = (preset_id, time.monotonic())
            self.notify(f"D again to delete '{self.names[preset_id]}'", severity="warning", timeout=3)
            return
        self._delete_armed = None

        def deleted(name: str) -> None:
            self.chosen.discard(preset_id)
            if self.is_attached:
                self.load()
            self.notify(f"preset '{name}' deleted", timeout=2)

        user = self.ctx.settings.user
        self.ctx.writer.submit(lambda s: prompts.delete_preset(s, preset_id, user), deleted,
                               refused=(prompts.PromptError, NotFound), what="the preset's deletion")

    def action_close_presets(self) -> None:
        self.dismiss(None)
