"""The app's look and keys as the config and the director set them (issue 26, 2): the
config's keymap (unknown binding ids said once), the config's theme, else the one last
picked in the palette (remembered per user, off the loop), and both again when the config
is saved while the app runs (ui/config_follower.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App

from director_tui.config import Settings
from director_tui.ui.bindings import check_keymap

if TYPE_CHECKING:
    from director_tui.ui.config_follower import ConfigFollower


class Appearance:
    def __init__(self, app: App[Any], settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.follower: ConfigFollower | None = None  # the config saved while running (once the store is open)

    def follow_config(self) -> None:
        """The config saved while the app runs applies at once (ui/config_follower.py)."""
        from director_tui.config import config_file
        from director_tui.ui.config_follower import ConfigFollower

        self.follower = ConfigFollower(self.settings, self.settings.config_path or config_file(), self.config_changed,
                                       lambda why: self.app.notify(why, severity="warning", timeout=10))
        self.follower.start()

    def stop(self) -> None:
        if self.follower is not None:
            self.follower.stop()

    def apply(self) -> None:
        """At mount: the keymap and theme; then follow the palette's theme picks."""
        self.apply_keymap()
        self.apply_theme()
        self.app.theme_changed_signal.subscribe(self.app, self._theme_picked)

    def apply_keymap(self) -> None:
        if unknown := check_keymap(self.settings.keymap):
            self.app.notify(f"config keymap: unknown binding id(s): {', '.join(unknown)}",
                            severity="warning", timeout=8)
        self.app.set_keymap(self.settings.keymap)

    def config_changed(self, changed: dict[str, object]) -> None:
        """The config saved while the app runs: what changed applies now."""
        if "keymap" in changed:
            self.apply_keymap()
        if "theme" in changed:
            self.apply_theme()
        self.app.notify(f"config reloaded: {', '.join(sorted(changed))}", timeout=3)

    def apply_theme(self) -> None:
        """The config's `theme`, else the one last picked in the palette (remembered per user)."""
        from director_tui.config import load_prefs

        wanted = self.settings.theme or load_prefs().get("theme")
        if wanted and wanted in self.app.available_themes:
            self.app.theme = wanted
        elif self.settings.theme:
            self.app.notify(f"config theme: {self.settings.theme!r} is not a theme "
                            f"(ctrl+p, Theme, lists them: {', '.join(sorted(self.app.available_themes)[:6])}, …)",
                            severity="warning", timeout=8)

    def _theme_picked(self, theme: object) -> None:
        name = getattr(theme, "name", "")
        if not name or name == self.settings.theme:
            return
        if self.settings.theme:
            self.app.notify(f"theme {name!r} for now: your config sets theme = {self.settings.theme!r}", timeout=4)
            return
        self.app.run_worker(lambda: self._remember("theme", name), thread=True, group="prefs")

    def _remember(self, key: str, value: str) -> None:
        from director_tui.config import save_pref

        try:
            save_pref(key, value)
        except OSError as exc:
            self.app.call_from_thread(self.app.notify, f"could not remember the {key}: {exc}", severity="warning")
