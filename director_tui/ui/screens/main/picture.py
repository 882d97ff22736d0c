"""The picture beside the table (`i`): the current row's current version, as the review
screen draws it (kitty/sixel where the terminal has them, half-blocks otherwise; a clip
as a still from its middle), following the cursor. Read and decoded off the loop, the
last move winning, so holding `j` never waits for pictures. Owned by MainScreen
(`screen.picture`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from director_tui.ui.screens.main.part import ScreenPart

if TYPE_CHECKING:
    from director_tui.ui.widgets.preview import Preview

FOLLOW_DELAY_S = 0.12  # a burst of cursor moves draws once, where it stops


class PicturePane(ScreenPart):
    @property
    def pane(self) -> Preview:
        """Mounted on the first `i`, docked right of the table (the first frame draws without it)."""
        from director_tui.ui.widgets.preview import Preview

        found = self.screen.query("#picture-pane")
        if found:
            return found.first(Preview)
        pane = Preview(id="picture-pane")
        pane.display = False
        self.screen.query_one("#body").mount(pane, before=0)
        return pane

    @property
    def shown(self) -> bool:
        found = self.screen.query("#picture-pane")
        return bool(found and found.first().display)

    def toggle(self) -> None:
        pane = self.pane
        pane.display = not pane.display
        if pane.display:
            self.follow()

    def follow(self) -> None:
        """The cursor moved (or the asset, or a new version came): draw where it stops."""
        if not self.shown:
            return
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.stop()
        self._timer = self.screen.set_timer(FOLLOW_DELAY_S, self._load)

    def _load(self) -> None:
        row = self.screen.table.current
        if row is None or self.ctx.store is None:
            self.pane.show(None, "")
            return
        version_id, asset = row.version_id(self.screen.asset), self.screen.asset
        caption = f"#{row.position} {row.title} — {asset} " + (f"v{row.number(asset)}" if version_id else "none yet")
        if version_id is None:
            self.pane.show(None, caption)
            return
        self.screen.run_worker(lambda: self._picture(version_id, caption), thread=True, exclusive=True,
                               group="picture-pane", exit_on_error=False)

    def _picture(self, version_id: int, caption: str) -> None:
        """In a worker thread: the file (a clip's still made once, cached), then drawn on the loop."""
        from director_tui.ui.screens.compare import load_side

        side = load_side(self.app, version_id)
        picture: Path | None = side.picture
        self.app.call_from_thread(self.pane.show, picture, caption)
