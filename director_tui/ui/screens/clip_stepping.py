"""Frame-accurate review of a clip in the review screen: the filmstrip, the time standing,
the frame at that time in the picture above, and playing from there. Owned by
ReviewScreen (`screen.clip`); ffmpeg runs in worker threads, its results cached."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from director_tui.ui.context import context_of

if TYPE_CHECKING:
    from director_tui.ui.widgets.filmstrip import Filmstrip


@dataclass
class Clip:
    version_id: int
    path: Path
    key: str  # the cache's name for this file (its checksum)
    duration: float
    number: int
    fps: float = 24.0


class ClipStepping:
    def __init__(self, screen: Screen[Any], play_from: Callable[[float | None], None]) -> None:
        self.screen = screen
        self._play_from = play_from  # the player from a time (None: the start): the screen knows the shot
        self.clip: Clip | None = None
        self.at: float | None = None  # None: the middle frame, as shown before any step

    @property
    def strip(self) -> Filmstrip:
        from director_tui.ui.widgets.filmstrip import Filmstrip

        return self.screen.query_one("#review-strip", Filmstrip)

    def show(self, version: Any | None, marks: list[float]) -> None:
        """The screen shows `version` (a clip, or None: no strip) with these comment times."""
        strip = self.strip
        home = context_of(self.screen).settings.home
        path = None if version is None else home / "media" / version.path
        strip.display = path is not None and path.is_file()
        if not strip.display:
            self.clip = None
            return
        assert version is not None and path is not None
        if self.clip is None or self.clip.version_id != version.id:
            self.clip = Clip(int(version.id), path, (version.checksum or "")[:16] or f"v{version.id}",
                             float(version.duration or 0.0), int(version.number))
            self.at = None
            clip = self.clip
            self.screen.run_worker(lambda: self._prepare(clip), thread=True, group="filmstrip", exit_on_error=False)
        strip.set_clip(self.clip.duration, marks)
        # the same clip drawn again (a sync after someone's commit): the time standing keeps
        # its frame label, as the last step left it
        strip.set_time(self.at, "" if self.at is None else f"frame {round(self.at * self.clip.fps) + 1}")

    def _prepare(self, clip: Clip) -> None:
        """In a worker: the frame rate, then the strip (made once, cached)."""
        from director_tui.media.ffmpeg import MediaError, probe
        from director_tui.media.filmstrip import STRIP_FRAMES, strip_of

        app, home = self.screen.app, context_of(self.screen).settings.home
        try:
            info = probe(clip.path)
            clip.fps = info.fps or clip.fps
            clip.duration = info.duration or clip.duration
            picture: Path | None = strip_of(clip.path, home, clip.key, clip.duration)
        except MediaError as exc:
            app.call_from_thread(self.screen.notify, f"filmstrip: {exc}", severity="warning", timeout=4)
            picture = None
        app.call_from_thread(self.strip.show_strip, picture, STRIP_FRAMES)

    # --- moving the time -------------------------------------------------------------------
    def step(self, frames: int = 0, seconds: float = 0.0) -> None:
        clip = self.clip
        if clip is None:
            self.screen.notify("frames and seconds step through a clip: l shows the video", timeout=2)
            return
        last = max(0, int(clip.duration * clip.fps) - 1)
        now = self.at if self.at is not None else clip.duration / 2
        index = round(now * clip.fps) + frames + round(seconds * clip.fps)
        self.go(min(last, max(0, index)) / clip.fps)

    def to_mark(self, direction: int) -> None:
        marks = sorted(self.strip.marks)
        now = self.at if self.at is not None else -1.0 if direction > 0 else float("inf")
        found = [t for t in marks if (t > now + 1e-6 if direction > 0 else t < now - 1e-6)]
        if not found:
            self.screen.notify("no comment with a time code that way" if marks else
                               "no comment with a time code on this clip (c, then 00:02.5 …)", timeout=2)
            return
        self.go(found[0] if direction > 0 else found[-1])

    def go(self, at: float) -> None:
        from director_tui.media.filmstrip import timecode

        clip = self.clip
        assert clip is not None
        self.at = at
        index = round(at * clip.fps)
        self.strip.set_time(at, f"frame {index + 1}")
        caption = f"current v{clip.number} · {timecode(at)} · frame {index + 1} of {max(1, int(clip.duration * clip.fps))}"
        self.screen.run_worker(lambda: self._frame(clip, index, caption), thread=True, exclusive=True,
                               group="clip-frame", exit_on_error=False)

    def _frame(self, clip: Clip, index: int, caption: str) -> None:
        from director_tui.media.ffmpeg import MediaError
        from director_tui.media.filmstrip import frame_at
        from director_tui.ui.widgets.preview import Preview

        app, home = self.screen.app, context_of(self.screen).settings.home
        try:
            picture: Path | None = frame_at(clip.path, home, clip.key, index, clip.fps)
        except MediaError as exc:
            app.call_from_thread(self.screen.notify, str(exc), severity="warning", timeout=4)
            return
        if self.clip is clip and self.at is not None and round(self.at * clip.fps) == index:  # still wanted
            app.call_from_thread(self.screen.query_one("#review-picture", Preview).show, picture, caption)

    def play_from_here(self) -> None:
        self._play_from(self.at)
