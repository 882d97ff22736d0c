"""The config file followed while the app runs (issue 26, 7): saved in an editor, its keymap,
theme, player and limits apply at once, without a restart.

The config's folder is watched (core/store/watch.py's ChangeWatcher: watchfiles); an editor
that saves by writing a new file and renaming it over the old one is seen too. The file is
read in the watcher's thread (a regular file of at most 1 MiB: config.load_settings) and the
result applied on the loop. A config that does not load is one notice naming the file and
what is wrong, and the settings stay as they were. What the app set up once at its start
(the workspace, the store, the workspace mode, whether to generate on open, serve's token)
needs a new `open`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from director_tui.config import ConfigError, Settings, load_settings
from director_tui.core.store.watch import ChangeWatcher

# the settings that take effect while the app runs
LIVE = ("player", "player_in_terminal", "auto_queue_video", "kill_grace_s", "variations", "image_protocol",
        "theme", "keymap", "max_keyframe_mb", "max_video_mb")


class ConfigFollower:
    def __init__(self, settings: Settings, path: Path, apply: Callable[[dict[str, object]], None],
                 refused: Callable[[str], None]) -> None:
        self.settings = settings
        self.path = path
        self._apply = apply  # on the loop: the live settings that changed, by name
        self._refused = refused  # on the loop: why the saved config was not taken
        self._watcher: ChangeWatcher | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """On the loop. Nothing to follow when the config's folder does not exist."""
        if not self.path.parent.is_dir():
            return
        self._loop = asyncio.get_running_loop()
        self._watcher = ChangeWatcher([self.path], self._saved)
        self._watcher.start()

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()

    def _saved(self) -> None:
        """In the watcher's thread: read the config as saved, hand the result to the loop."""
        s = self.settings
        try:
            fresh = load_settings(s.home, self.path, s.store)
        except ConfigError as exc:
            self._post(self._refused, f"{exc} — the config was not reloaded")
            return
        changed = {name: getattr(fresh, name) for name in LIVE if getattr(fresh, name) != getattr(s, name)}
        if changed:
            self._post(self._take, changed)

    def _take(self, changed: dict[str, object]) -> None:
        for name, value in changed.items():
            setattr(self.settings, name, value)
        self._apply(changed)

    def _post(self, callback: Callable[..., None], arg: object) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the app is gone
                self._loop.call_soon_threadsafe(callback, arg)
