"""A variation group side by side, filling in live as its tasks finish; `1`..`N` picks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Label

from director_tui.core.states import Asset, TaskState
from director_tui.ui.bindings import VARIATION_BINDINGS
from director_tui.ui.context import UsesContext
from director_tui.ui.key_router import FirstDraw
from director_tui.ui.widgets.key_footer import KeyFooter
from director_tui.ui.widgets.preview import Preview

REFRESH_S = 0.5


class VariationScreen(FirstDraw, UsesContext, Screen[None]):
    BINDINGS = VARIATION_BINDINGS  # type: ignore[assignment]

    def __init__(self, group: str) -> None:
        super().__init__(id="variations")
        self.start_first_draw()  # keys typed before its first draw wait for it (ui/key_router.py)
        self.group = group
        self.cells: list[tuple[int, int | None]] = []  # (task id, version id) in queued order
        self._shown: list[object] = []
        self._change_token = -1

    def compose(self) -> ComposeResult:
        yield Label("", id="variations-title")
        yield Grid(id="variations-grid")
        yield Label("", id="variations-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.refresh_grid()
        self.set_interval(REFRESH_S, self.refresh_grid)

    def refresh_grid(self) -> None:
        """Read the group's tasks and versions off the loop (ui/reader.py) when something was
        committed since the last look, then draw them."""
        from director_tui.core.views import variation_grid

        store = self.ctx.store
        version = store.change_token() if store is not None else 0
        if self._shown and version == self._change_token:
            return  # nothing committed since the last look
        self._change_token = version
        group = self.group
        self.ctx.reader.read("variations", lambda s: variation_grid(s, group), lambda found: self._draw(*found),
                             owner=self)

    def _draw(self, title: str, rows: list[tuple[Any, ...]]) -> None:
        self.first_drawn(self.ctx.keys)
        if rows == self._shown:
            return
        grid = self.query_one(Grid)
        if len(rows) != len(self._shown):
            grid.remove_children()
            grid.styles.grid_size_columns = min(3, max(1, len(rows)))
            grid.mount_all([Preview(id=f"variation-{i + 1}") for i in range(len(rows))])
        self._shown = list(rows)
        self.query_one("#variations-title", Label).update(Text(title, style="bold"))
        media = self.ctx.settings.home / "media"
        self.cells = []
        for i, (task_id, state, progress, message, error, seed, preset, vid, number, path, decision,
                _pos, _title, asset) in enumerate(rows):
            self.cells.append((int(task_id), vid))
            bits = [f"{i + 1}", f"seed {seed}"] + ([str(preset)] if preset else [])
            if vid is not None:
                bits.append(f"v{number}" + (f" · {decision}" if decision else ""))
            elif state in (TaskState.QUEUED, TaskState.RUNNING):
                bits.append(f"⟳ {progress * 100:.0f}% {message}" if state == TaskState.RUNNING else "queued")
            else:
                bits.append(f"✗ {state}: {error}"[:60])
            picture = self._picture(media / str(path), asset, vid) if vid is not None else None
            self.query_one(f"#variation-{i + 1}", Preview).show(picture, Text(" · ".join(bits)))
        ready = sum(1 for _, v in self.cells if v is not None)
        self.query_one("#variations-hint", Label).update(Text(
            f"{ready} of {len(rows)} ready · 1..{len(rows)} picks the winner (approved, the others rejected) "
            "· esc back", style="dim"))

    def _picture(self, path: Path, asset: object, version_id: object) -> Path | None:
        if asset != Asset.VIDEO or not path.exists():
            return path
        from director_tui.media.compare import cache_dir, still_of
        from director_tui.media.ffmpeg import MediaError

        try:
            return still_of(path, cache_dir(self.ctx.settings.home) / f"still-v{version_id}.png")
        except MediaError:
            return None

    def action_pick(self, n: int) -> None:
        if not 1 <= n <= len(self.cells):
            self.notify(f"there are {len(self.cells)} variations", severity="warning", timeout=2)
            return
        version_id = self.cells[n - 1][1]
        if version_id is None:
            self.notify(f"variation {n} is not ready", severity="warning", timeout=2)
            return

        def picked(_outcome: object) -> None:
            if self.is_attached:
                self.dismiss(None)

        self.ctx.review.pick_variation(self.group, version_id, n, then=picked)

    def action_close_grid(self) -> None:
        self.dismiss(None)
