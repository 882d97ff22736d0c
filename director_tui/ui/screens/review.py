"""The review screen of one segment: its picture, both prompts (editable, ctrl+s saves, a
live diff against the saved text), the version list, the comments, the decision keys.

Decisions and generation are the app's review service (core/operations.py, exactly as
from the table); the order of segments (next, previous, the next one to review) is read
from a SegmentOrder the main screen hands over, and each move is announced with a
ShowingSegment message, so the table's cursor follows without this screen touching it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static, TextArea

from director_tui.core.states import Asset
from director_tui.ui.bindings import REVIEW_BINDINGS
from director_tui.ui.context import UsesContext, run_reporting
from director_tui.ui.key_router import FirstDraw
from director_tui.ui.messages import SegmentsChanged, ShowingSegment
from director_tui.ui.screens.clip_stepping import ClipStepping
from director_tui.ui.screens.prompt_saving import save_prompt_flow
from director_tui.ui.widgets.filmstrip import Filmstrip
from director_tui.ui.widgets.key_footer import KeyFooter
from director_tui.ui.widgets.preview import Preview
from director_tui.ui.widgets.prompt_area import PromptArea
from director_tui.ui.widgets.prompt_diff import PromptDiff
from director_tui.ui.widgets.prompt_hints import PromptHints
from director_tui.ui.widgets.prompt_line import PromptBar, PromptLine
from director_tui.ui.widgets.version_pane import archive_note

if TYPE_CHECKING:
    from director_tui.core.operations import Outcome
    from director_tui.ui.segment_order import SegmentOrder

SYNC_S = 0.5


class ReviewScreen(FirstDraw, UsesContext, Screen[None]):
    BINDINGS = REVIEW_BINDINGS  # type: ignore[assignment]

    def __init__(self, segment_id: int, asset: str, order: SegmentOrder) -> None:
        super().__init__(id="review")
        self.start_first_draw()  # keys typed before its first draw wait for it (ui/key_router.py)
        self.segment_id, self.asset, self.order = segment_id, asset, order
        self.seen: tuple[int | None, str] = (None, "")  # the version and state shown: a decision is about them
        self.saved = {"image": "", "motion": ""}  # what each editor started from
        self.picked: int | None = None
        self._change_token = -1
        self._leave_armed = False  # esc warned about unsaved prompts once: the next esc leaves
        self._loading = False
        self._picture_for: int | None = None  # the version whose picture is being found (a worker)
        self.clip = ClipStepping(self, self._play_from)

    def compose(self) -> ComposeResult:
        yield Label("", id="review-title")
        with Horizontal(id="review-body"):
            with Vertical(id="review-left"):
                yield Preview(id="review-picture")
                yield Filmstrip(id="review-strip")  # a clip: frames across it, the time, the comments
                yield DataTable(cursor_type="row", id="review-versions")
            with VerticalScroll(id="review-right"):
                yield Label(Text("Image prompt (keyframe)", style="bold"))
                yield PromptArea("", id="prompt-image", soft_wrap=True, tab_behavior="focus")
                yield PromptDiff(id="diff-image")
                yield PromptHints(id="hints-image")
                yield Label(Text("Motion prompt (video)", style="bold"))
                yield PromptArea("", id="prompt-motion", soft_wrap=True, tab_behavior="focus")
                yield PromptDiff(id="diff-motion")
                yield PromptHints(id="hints-motion")
                yield Label(Text("Comments, newest first", style="bold"))
                yield Static("", id="review-comments")
        yield PromptBar()
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#review-versions", DataTable)
        for key, label, width in (("n", "v", 5), ("time", "Time", 11), ("seed", "Seed", 10),
                                  ("decision", "Decision", 10), ("from", "Made from", 26), ("stored", "File", 8)):
            table.add_column(label, key=key, width=width)
        self.load(prompts_too=True)
        table.focus()
        self.set_interval(SYNC_S, self._sync)
        self.ctx.store_changes.signal.subscribe(self, lambda _none: self._sync())  # at once on SQLite
        if self.ctx.store is not None:
            for field in ("image", "motion"):
                self.run_worker(self.query_one(f"#hints-{field}", PromptHints).load(self.ctx.store, field))

    # --- loading ---------------------------------------------------------------------
    def _sync(self) -> None:
        """Others' commits (another instance, the runner) show here within a second; read off
        the loop (ui/reader.py), drawn as load() draws."""
        store = self.ctx.store
        if store is None:
            return
        token = store.change_token()
        if token == self._change_token:
            return
        self._change_token = token
        from director_tui.core import views

        segment_id, asset = self.segment_id, self.asset
        self.ctx.reader.read("review", lambda s: views.review_screen(s, segment_id, asset),
                             lambda found: self._show(found, prompts_too=True), owner=self)

    def load(self, prompts_too: bool = False, replace: bool = False) -> None:
        """Read the segment again, off the loop (ui/reader.py: the last read asked is the one
        drawn). `replace`: show the stored prompts even over an edit (another segment now).
        Until the read is back, a decision binds to what the table shows of this row (the
        version and state), as a decision pressed on the table does."""
        from director_tui.core import views

        store = self.ctx.store
        assert store is not None
        if (shown := self.order.seen(self.segment_id, self.asset)) is not None:
            self.seen = shown
        self._change_token = store.change_token()
        segment_id, asset = self.segment_id, self.asset
        self.ctx.reader.read("review", lambda s: views.review_screen(s, segment_id, asset),
                             lambda found: self._show(found, prompts_too, replace), owner=self, holds_keys=True)

    def _show(self, found: tuple[Any, ...], prompts_too: bool = False, replace: bool = False) -> None:
        self.first_drawn(self.ctx.keys)
        from director_tui.ui.screens.compare import version_caption

        seg, versions, comments, context = found
        presets, numbers, elsewhere = context.presets, context.numbers, context.elsewhere
        if seg is None:
            self.notify("this segment no longer exists", severity="error")
            self.dismiss(None)
            return
        current = seg.keyframe_version_id if self.asset == Asset.KEYFRAME else seg.video_version_id
        state = seg.keyframe_state if self.asset == Asset.KEYFRAME else seg.video_state
        self.seen = (current, state)
        self.query_one("#review-title", Label).update(Text.assemble(
            (f"{seg.position}. {seg.title}", "bold"), f" — {self.asset} · {state} · {len(versions)} version(s)"
            + (f" · comparing from v{numbers[self.picked][1]}" if self.picked in numbers else "")))
        shown = next((v for v in versions if v.id == current), None)
        made_from = ""
        if shown is not None and self.asset == Asset.VIDEO:
            ref = shown.reference_version_id
            made_from = f" · made from keyframe v{numbers[ref][1]}" if ref in numbers else ""
        stepping = self.clip.clip is not None and self.clip.clip.version_id == current and self.clip.at is not None
        if not stepping:  # a frame stepped to stays until the clip changes
            if shown is None:
                self.query_one("#review-picture", Preview).show(None, f"no {self.asset} yet")
            else:
                caption = version_caption("current", shown.number, shown.seed, shown.decision) + made_from
                self._show_picture(int(shown.id), caption)
        clip = shown if self.asset == Asset.VIDEO else None
        self.clip.show(clip, [c.timecode for c in comments if c.version_id == current and c.timecode is not None])
        self._fill_versions(versions, current, numbers, presets, elsewhere)
        self._fill_comments(comments, numbers)
        if prompts_too:
            for field, text in (("image", seg.image_prompt), ("motion", seg.motion_prompt)):
                area = self.query_one(f"#prompt-{field}", TextArea)
                draft = self.ctx.drafts.take(self.segment_id, field)  # unsaved when the app last went
                if draft is not None:
                    self.saved[field] = draft.base
                    self._load_area(area, draft.text)
                    self.notify(f"restored your unsaved {field} prompt (ctrl+s saves it)", timeout=5)
                elif replace or area.text == self.saved[field]:  # not being edited: follow the store
                    self.saved[field] = text
                    if area.text != text:
                        self._load_area(area, text)
                self._show_diff(field, text)

    def _show_picture(self, version_id: int, caption: Text) -> None:
        """The version's picture found in a worker thread (the file; a clip's still, which
        takes ffmpeg the first time and is cached after), then drawn, unless another
        version is to be shown by then."""
        from director_tui.ui.screens.compare import load_side

        self._picture_for = version_id
        preview = self.query_one("#review-picture", Preview)

        def find() -> None:
            side = load_side(self.app, version_id)
            with contextlib.suppress(RuntimeError):  # the app has closed meanwhile
                self.app.call_from_thread(self._picture_found, version_id, side.picture, caption, preview)

        self.run_worker(find, thread=True, group="review-picture", exit_on_error=False)

    def _picture_found(self, version_id: int, picture: Path | None, caption: Text, preview: Preview) -> None:
        if version_id == self._picture_for and preview.is_attached:
            preview.show(picture, caption)

    def _fill_versions(self, versions: list, current: int | None, numbers: dict, presets: dict,
                       elsewhere: dict) -> None:
        table = self.query_one("#review-versions", DataTable)
        row = table.cursor_row
        table.clear()
        for v in versions:
            origin = []
            if v.variation_group:
                origin.append("variation")
            if v.preset_id in presets:
                origin.append(presets[v.preset_id])
            if v.parent_version_id in numbers:
                origin.append(f"like v{numbers[v.parent_version_id][1]}")
            elif v.parent_version_id in elsewhere:  # `:similar 7`: like another segment's version
                position, number = elsewhere[v.parent_version_id]
                origin.append(f"like #{position} v{number}")
            if v.asset == Asset.VIDEO and v.reference_version_id in numbers:
                origin.append(f"from keyframe v{numbers[v.reference_version_id][1]}")
            if not origin:
                origin.append("the prompt")
            stored = archive_note(True, self.ctx.settings.home / "media" / v.path) if v.archive_location else ""
            mark = "▸" if v.id == current else ("◆" if v.id == self.picked else " ")
            table.add_row(Text(f"{mark}{v.number}", style="bold" if v.id == current else ""),
                          v.created_at.astimezone().strftime("%m-%d %H:%M"), str(v.seed), v.decision or "",
                          Text(", ".join(origin)), Text(stored, style="dim yellow"), key=str(v.id))
        if versions:
            table.move_cursor(row=min(row, len(versions) - 1), animate=False)

    def _fill_comments(self, comments: list, numbers: dict) -> None:
        from director_tui.core.review import format_timecode

        text = Text()
        for c in comments:
            where = f"v{numbers[c.version_id][1]}" if c.version_id in numbers else ""
            if c.timecode is not None:
                where += f" @{format_timecode(c.timecode)}"
            text.append(c.created_at.astimezone().strftime("%m-%d %H:%M "), style="dim")
            text.append(f"{c.author} ", style="bold")
            text.append(f"[{where}] " if where else "", style="cyan")
            text.append(c.body + "\n")
        self.query_one("#review-comments", Static).update(text or Text("no comments yet — c adds one", style="dim"))

    # --- prompts ----------------------------------------------------------------------
    def _load_area(self, area: TextArea, text: str) -> None:
        self._loading = True  # a load is not typing: no draft for it (see _edited)
        try:
            area.load_text(text)
        finally:
            self._loading = False

    @on(TextArea.Changed)
    def _edited(self, event: TextArea.Changed) -> None:
        field = "image" if event.text_area.id == "prompt-image" else "motion"
        self._show_diff(field, None)
        if not self._loading:
            self.ctx.drafts.changed(self.segment_id, field, event.text_area.text, self.saved[field])

    def _show_diff(self, field: str, stored: str | None) -> None:
        area = self.query_one(f"#prompt-{field}", TextArea)
        diff = self.query_one(f"#diff-{field}", PromptDiff)
        self.query_one(f"#hints-{field}", PromptHints).show(area.text)
        if area.text == self.saved[field]:
            diff.update(Text("saved", style="dim"))
            return
        diff.show(self.saved[field], area.text, "unsaved:")
        if stored is not None and stored != self.saved[field]:
            diff.update(Text("⚠ changed elsewhere since you started; ctrl+s will show both texts",
                             style="yellow"))

    def _dirty(self) -> list[str]:
        return [f for f in ("image", "motion") if self.query_one(f"#prompt-{f}", TextArea).text != self.saved[f]]

    def action_save_prompts(self) -> None:
        self._leave_armed = False
        dirty = self._dirty()
        if not dirty:
            self.notify("nothing to save", timeout=1.5)
        for field in dirty:
            area = self.query_one(f"#prompt-{field}", TextArea)

            def edit_again(theirs: str, mine: str, field: str = field, area: TextArea = area) -> None:
                self.saved[field] = theirs
                self._load_area(area, mine)
                self.ctx.drafts.changed(self.segment_id, field, mine, theirs)
                area.focus()

            def saved(field: str = field, area: TextArea = area) -> None:
                self.saved[field] = area.text
                self.post_message(SegmentsChanged((self.segment_id,)))
                self.load(prompts_too=True)

            save_prompt_flow(self.app, self.segment_id, field, self.saved[field], area.text, saved, edit_again)

    def action_edit_prompt(self) -> None:
        self.query_one("#prompt-image" if self.asset == Asset.KEYFRAME else "#prompt-motion", TextArea).focus()

    def action_back(self) -> None:
        if isinstance(self.focused, TextArea):
            self.query_one("#review-versions", DataTable).focus()
            return
        dirty = self._dirty()
        if dirty and not self._leave_armed:
            self._leave_armed = True
            self.notify(f"unsaved {' and '.join(dirty)} prompt: ctrl+s saves; esc again leaves without saving",
                        severity="warning", timeout=4)
            return
        for field in dirty:  # left without saving, after the warning: the edit is dropped
            self.ctx.drafts.discard(self.segment_id, field)
        self.dismiss(None)

    # --- deciding: the review service, then on to the next segment ---------------------------
    def _expected(self) -> tuple[int | None, str]:
        """The version shown, in the state the decisions on their way will leave it."""
        return self.ctx.decisions.expected(self.segment_id, self.asset, self.seen)

    def action_approve(self) -> None:  # bound to this segment now; on to the next at once
        self.ctx.review.approve(self.segment_id, self.asset, self._expected(), about=self._about())
        self._move_on()

    def action_reject(self) -> None:
        self.ctx.review.reject(self.segment_id, self.asset, self._expected(), about=self._about(), then=self._reload)

    def action_regenerate(self) -> None:
        self.ctx.review.regenerate(self.segment_id, self.asset, about=self._about(), then=self._reload)

    def action_similar(self) -> None:
        self.ctx.review.similar(self.segment_id, self.asset, about=self._about(), then=self._reload)

    def action_variations(self) -> None:
        self.ctx.review.variations(self.segment_id, self.asset, about=self._about(), then=self._reload)

    def action_undo(self) -> None:
        self.ctx.review.undo(then=self._reload)

    def action_redo(self) -> None:
        self.ctx.review.redo(then=self._reload)

    def action_open_player(self) -> None:
        self._play_from(None)

    def _play_from(self, start: float | None) -> None:
        """The player on this segment's asset, as it is now (the file is read off the loop)."""
        from director_tui.ui.media_actions import open_player

        run_reporting(self, open_player(self.app, self.segment_id, self.asset, self.order.position(self.segment_id),
                                        start=start), "player")

    # --- a clip, frame by frame (screens/clip_stepping.py) ---------------------------------------
    def action_clip_frames(self, frames: int) -> None:
        self.clip.step(frames=frames)

    def action_clip_seconds(self, seconds: int) -> None:
        self.clip.step(seconds=seconds)

    def action_clip_mark(self, direction: int) -> None:
        self.clip.to_mark(direction)

    @on(DataTable.RowSelected, "#review-versions")
    def _enter(self, event: DataTable.RowSelected) -> None:
        """enter on a clip: play it from the time on the strip (the start, before any step)."""
        event.stop()
        if self.asset == Asset.VIDEO and self.clip.clip is not None:
            self.clip.play_from_here()

    async def action_send_to_machine(self) -> None:
        from director_tui.ui.media_actions import current_file, send_to_my_machine

        found = await current_file(self.app, self.segment_id, self.asset, self.order.position(self.segment_id))
        if found is not None:
            await send_to_my_machine(self.app, [found])

    def _reload(self, _outcome: Outcome | None = None) -> None:
        if self.is_attached:
            self.load(prompts_too=True)

    def _move_on(self, _outcome: Outcome | None = None) -> None:
        """After a decision: the next segment waiting for one, as from the table."""
        nxt = self.order.next_needing_review(self.segment_id, self.asset)
        if nxt is None:
            self.notify(f"every {self.asset} has a decision", timeout=3)
        self._show_segment(nxt if nxt is not None else self.segment_id)

    def _show_segment(self, segment_id: int) -> None:
        if not self.is_attached:  # left meanwhile
            return
        moved = segment_id != self.segment_id
        if moved:
            self._keep_as_drafts()
            self.segment_id = segment_id
            self.picked = None
            self._leave_armed = False
        self.post_message(ShowingSegment(self.segment_id, self.asset))  # the table's cursor follows
        self.load(prompts_too=True, replace=moved)

    def _keep_as_drafts(self) -> None:
        """Moving to another segment with an unsaved edit: it stays a draft, reopened by `e`
        or enter on its row (nothing is dropped without the director saying so)."""
        from director_tui.core.drafts import DraftView

        for field in self._dirty():
            text = self.query_one(f"#prompt-{field}", TextArea).text
            self.ctx.drafts.changed(self.segment_id, field, text, self.saved[field])
            self.ctx.drafts.restored[(self.segment_id, field)] = DraftView(
                self.segment_id, 0, "", field, text, self.saved[field], self.saved[field])
            self.notify(f"your unsaved {field} prompt stays a draft: enter on its row reopens it", timeout=5)

    def action_step(self, delta: int) -> None:
        target = self.order.neighbour(self.segment_id, delta)
        if target is not None:
            self._show_segment(target)

    def action_version_cursor(self, delta: int) -> None:
        table = self.query_one("#review-versions", DataTable)
        table.action_cursor_down() if delta > 0 else table.action_cursor_up()

    def action_asset(self, asset: str) -> None:
        self.asset = asset
        self.picked = None
        self.post_message(ShowingSegment(self.segment_id, asset))
        self.load()

    def action_pick_version(self) -> None:
        table = self.query_one("#review-versions", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            self.picked = None if self.picked == int(key or 0) else int(key or 0)
            self.load()

    def action_compare(self) -> None:
        from director_tui.ui.screens.compare import open_compare

        table = self.query_one("#review-versions", DataTable)
        highlighted = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0) \
            if table.row_count else None
        if self.picked is not None and highlighted is not None and highlighted != self.picked:
            open_compare(self.app, self.segment_id, self.asset, (self.picked, highlighted))
        else:
            open_compare(self.app, self.segment_id, self.asset)

    def _about(self) -> str:
        return self.order.about(self.segment_id, self.asset)


    def action_comment(self) -> None:
        self.query_one(PromptLine).open("comment-video" if self.asset == Asset.VIDEO else "comment",
                                        label=f"comment on {self._about()}:")

    def action_send_back(self) -> None:
        self.query_one(PromptLine).open("feedback", label=f"send back {self._about()} with a note:")

    def on_prompt_line_closed(self, event: PromptLine.Closed) -> None:
        self.set_focus(self.query_one("#review-versions", DataTable))  # now: the next key of a burst is its
        kind = "feedback" if event.mode == "feedback" else "comment"
        if not event.submitted:
            self.ctx.drafts.discard(self.segment_id, f"{kind}:{self.asset}")
            return
        if event.mode == "feedback":  # refused, the note stays a draft of this segment
            self.ctx.review.send_back(self.segment_id, self.asset, event.value, about=self._about())
            self._move_on()
        elif event.value.strip():
            self.ctx.review.comment(self.segment_id, self.asset, event.value, about=self._about(), then=self._reload)

    @on(PromptLine.Changed, "#prompt-line")
    def _line_typed(self, event: PromptLine.Changed) -> None:
        mode = self.query_one(PromptLine).mode
        if mode in ("comment", "comment-video", "feedback"):
            kind = "feedback" if mode == "feedback" else "comment"
            self.ctx.drafts.changed(self.segment_id, f"{kind}:{self.asset}", event.value, "")
