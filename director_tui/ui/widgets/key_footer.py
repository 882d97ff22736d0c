"""The key bar. Textual's Footer rebuilds all its keys whenever the screen's bindings are
refreshed (focus moves, screens stack, keymaps load: three times while the app starts), and
every rebuild repaints the bar. This one rebuilds only when the keys it shows changed, and
folds refreshes that arrive before it has rebuilt into one."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._rebuild_pending = False
        self._shown: tuple[tuple[str, str, bool], ...] | None = None

    def _keys_shown(self) -> tuple[tuple[str, str, bool], ...]:
        return tuple((binding.key, binding.description, enabled)
                     for _, binding, enabled, _ in self.screen.active_bindings.values() if binding.show)

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True  # Footer's own flag: compose shows nothing until it is set
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._rebuild_pending = False
        if not self.is_attached or not self.is_mounted:  # its screen was dismissed meanwhile
            return
        shown = self._keys_shown()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
