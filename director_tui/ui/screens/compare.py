"""Two versions side by side: pictures, the prompt diff and the seeds beneath; `f` flickers
between them in place; `o` plays two clips side by side in one player."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Label

from director_tui.core.states import Asset
from director_tui.ui.bindings import COMPARE_BINDINGS
from director_tui.ui.context import UsesContext, context_of
from director_tui.ui.key_router import FirstDraw
from director_tui.ui.widgets.key_footer import KeyFooter
from director_tui.ui.widgets.preview import Preview
from director_tui.ui.widgets.prompt_diff import PromptDiff


@dataclass(frozen=True)
class Side:
    version_id: int
    number: int
    asset: str
    seed: int
    prompt: str
    decision: str | None
    path: Path  # the media file
    picture: Path | None  # what to show: the keyframe, or a still of the clip

    def caption(self, label: str) -> Text:
        return version_caption(label, self.number, self.seed, self.decision)


def version_caption(label: str, number: int, seed: int, decision: str | None) -> Text:
    """`current  v3 · seed 1234 · approved`: how a version is named under its picture."""
    decision_part = f" · {decision}" if decision else ""
    return Text.assemble((f"{label}  v{number}", "bold"), f" · seed {seed}{decision_part}")


def load_side(app: App[Any], version_id: int) -> Side:
    from director_tui.core.models import Version
    from director_tui.media.compare import cache_dir, still_of
    from director_tui.media.ffmpeg import MediaError

    ctx = context_of(app)
    store = ctx.store
    assert store is not None
    with store.read() as s:
        v = s.get(Version, version_id)
    assert v is not None
    path = ctx.settings.home / "media" / v.path
    picture: Path | None = path if path.exists() else None
    if picture is not None and v.asset == Asset.VIDEO:
        try:
            picture = still_of(path, cache_dir(ctx.settings.home) / f"still-{v.checksum[:16] or v.id}.png",
                               (v.duration or 0) / 2)
        except MediaError:
            picture = None
    return Side(int(v.id), v.number, v.asset, v.seed, v.prompt, v.decision, path, picture)  # type: ignore[arg-type]


def open_compare(app: App[Any], segment_id: int, asset: str, picked: tuple[int, int] | None = None) -> None:
    """The current version against the previous one, or the two picked. Which two is read
    off the loop (ui/reader.py); the screen opens when the answer is back."""
    if picked is not None:
        app.push_screen(CompareScreen(*picked))
        return
    from director_tui.core import streams
    from director_tui.core.models import Segment

    def pair(s: Any) -> tuple[tuple[int, int] | None, int]:
        seg = s.get(Segment, segment_id)
        versions = streams.versions(s, segment_id, asset)
        current = None if seg is None else seg.keyframe_version_id if asset == Asset.KEYFRAME else seg.video_version_id
        numbers = {v.id: v.number for v in versions}
        older = [v for v in versions if current is not None and v.number < numbers[current]]
        return ((int(older[0].id), current) if current is not None and older else None), len(versions)  # type: ignore[arg-type]

    def found(answer: tuple[tuple[int, int] | None, int]) -> None:
        two, count = answer
        if two is None:
            app.notify(f"only {count} {asset} version(s): nothing to compare yet", severity="warning")
        else:
            app.push_screen(CompareScreen(*two))

    context_of(app).reader.read("compare", pair, found, holds_keys=True)


class CompareScreen(FirstDraw, UsesContext, Screen[None]):
    BINDINGS = COMPARE_BINDINGS  # type: ignore[assignment]

    def __init__(self, a_id: int, b_id: int) -> None:
        super().__init__(id="compare")
        self.a_id, self.b_id = a_id, b_id
        self.flicker_on: str | None = None  # "A" or "B" while flickering
        self.sides: tuple[Side, Side] | None = None  # found in a worker thread (a read, a clip's still)
        self.start_first_draw()

    def compose(self) -> ComposeResult:
        yield Label("", id="compare-title")
        with Horizontal(id="compare-pair"):
            yield Preview(id="compare-a")
            yield Preview(id="compare-b")
        yield Preview(id="compare-flicker")
        yield PromptDiff(id="compare-diff")
        yield Label("", id="compare-seeds")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#compare-flicker").display = False
        self.query_one("#compare-title", Label).update(Text("Compare: reading the two versions…", style="dim"))
        self.run_worker(self._find_sides, thread=True, exclusive=True, group="compare", exit_on_error=False)

    def _find_sides(self) -> None:
        """In a worker thread: both versions read, a clip's still taken by ffmpeg (cached)."""
        try:
            sides = load_side(self.app, self.a_id), load_side(self.app, self.b_id)
        except Exception as exc:  # the store away, a version gone: said, and the screen closes
            with contextlib.suppress(RuntimeError):
                self.app.call_from_thread(self._sides_failed, exc)
            return
        with contextlib.suppress(RuntimeError):  # the app has closed meanwhile
            self.app.call_from_thread(self._show_sides, sides)

    def _sides_failed(self, exc: Exception) -> None:
        self.first_drawn(self.ctx.keys)
        if self.is_attached:
            self.dismiss(None)
        self.ctx.report_fault(exc)

    @property
    def a(self) -> Side:
        assert self.sides is not None
        return self.sides[0]

    @property
    def b(self) -> Side:
        assert self.sides is not None
        return self.sides[1]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Until both versions are found, only closing works (there is nothing to flicker yet)."""
        return self.sides is not None or action == "close_compare"

    def _show_sides(self, sides: tuple[Side, Side]) -> None:
        if not self.is_attached:
            return
        self.sides = sides
        self.refresh_bindings()
        self.first_drawn(self.ctx.keys)  # `C f` in one burst flickers, as typed
        self.query_one("#compare-title", Label).update(
            Text(f"Compare {self.a.asset} v{self.a.number} (A) with v{self.b.number} (B)", style="bold"))
        self.query_one("#compare-a", Preview).show(self.a.picture, self.a.caption("A"))
        self.query_one("#compare-b", Preview).show(self.b.picture, self.b.caption("B"))
        self.query_one(PromptDiff).show(self.a.prompt, self.b.prompt, "prompt A → B:")
        self.query_one("#compare-seeds", Label).update(
            Text(f"seed A {self.a.seed} → B {self.b.seed}" + ("" if self.a.seed != self.b.seed else " (same seed)"),
                 style="dim"))

    def action_flicker(self) -> None:
        self.flicker_on = "B" if self.flicker_on == "A" else "A"
        side = self.a if self.flicker_on == "A" else self.b
        self.query_one("#compare-pair").display = False
        view = self.query_one("#compare-flicker", Preview)
        view.display = True
        view.show(side.picture, side.caption(self.flicker_on).append("   f: the other · b: side by side",
                                                                      style="dim"))

    def action_both(self) -> None:
        self.flicker_on = None
        self.query_one("#compare-flicker").display = False
        self.query_one("#compare-pair").display = True

    def action_play(self) -> None:
        from director_tui.media.compare import cache_dir, plan_side_by_side, side_by_side
        from director_tui.media.ffmpeg import MediaError
        from director_tui.media.player import (
            PlayerError,
            launch_detached,
            plan_player,
            run_in_terminal,
        )

        if self.a.asset != Asset.VIDEO:
            self.notify("keyframes are compared here: f flickers between them", timeout=3)
            return
        settings = self.ctx.settings
        has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        try:
            plan = plan_side_by_side(self.a.path, self.b.path, settings.player, settings.player_in_terminal,
                                     has_display)
            if plan is None:  # not mpv: render one side-by-side clip for whatever player it is
                out = cache_dir(settings.home) / f"sbs-{self.a.version_id}-{self.b.version_id}.mp4"
                plan = plan_player(side_by_side(self.a.path, self.b.path, out), settings.player,
                                   settings.player_in_terminal)
            if plan.in_terminal and not self.app.is_headless:
                with self.app.suspend():
                    run_in_terminal(plan)
            else:
                launch_detached(plan)
                self.notify("playing A | B side by side", timeout=2)
        except (PlayerError, MediaError) as exc:
            self.notify(str(exc), severity="error", timeout=6)

    async def action_send_to_machine(self) -> None:
        from director_tui.ui.media_actions import send_to_my_machine

        sides = [s for s in (self.a, self.b) if s.path.is_file()]
        if not sides:
            self.notify("the files are missing", severity="error")
            return
        await send_to_my_machine(self.app, [(f"{s.asset} v{s.number}", s.path) for s in sides])

    def action_close_compare(self) -> None:
        self.dismiss(None)
