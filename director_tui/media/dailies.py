"""Dailies: a stream's clips in order as one mpv playlist, each titled on screen with its
segment, and which of them the director watched last (mpv's JSON IPC socket says), so the
cursor can stand there when the player ends.

mpv is needed (its IPC); a configured player that is mpv gets its options kept. In a
terminal without a display it draws there (`--vo=tct`), as `o` does.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from director_tui.media.player import PlayerError, _is_mpv


@dataclass(frozen=True)
class Clip:
    segment_id: int
    title: str  # "#3 Harbour at dawn — v2"
    path: Path


def playlist_text(clips: list[Clip]) -> str:
    """An extended M3U: mpv shows each entry's title (`media-title`)."""
    lines = ["#EXTM3U"]
    for clip in clips:
        title = " ".join(clip.title.split())  # one line (after its first comma, all of EXTINF is the title)
        lines += [f"#EXTINF:-1,{title}", str(clip.path)]
    return "\n".join(lines) + "\n"


def dailies_argv(playlist: Path, socket_path: Path, configured: list[str] | None, in_terminal: bool) -> list[str]:
    base: list[str]
    if configured and _is_mpv(configured[0]):
        base = [a for a in configured if "{path}" not in a]
    else:
        mpv = shutil.which("mpv")
        if mpv is None:
            raise PlayerError("dailies need mpv (apt-get install mpv): it plays the clips as one playlist")
        base = [mpv, "--really-quiet"]
    argv = [*base, "--keep-open=no", f"--input-ipc-server={socket_path}", "--osd-playing-msg=${media-title}",
            "--osd-duration=3000", "--term-playing-msg=${media-title}", "--title=${media-title}",
            f"--playlist={playlist}"]
    if in_terminal and not any(a.startswith("--vo") for a in base):
        argv[1:1] = ["--vo=tct", "--vo-tct-algo=half-blocks", "--no-audio-display"]
    return argv


@dataclass
class Watch:
    """Follows mpv's playlist position over its IPC socket until the player exits."""

    socket_path: Path
    clips: list[Clip]
    last: int | None = None  # the index of the last clip shown
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._follow, name="dailies-ipc", daemon=True)
        self._thread.start()

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def last_segment(self) -> int | None:
        return None if self.last is None or not 0 <= self.last < len(self.clips) else self.clips[self.last].segment_id

    def _follow(self) -> None:
        conn = None
        for _ in range(200):  # mpv makes the socket as it starts: wait for it, 10 s at most
            try:
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                conn.connect(str(self.socket_path))
                break
            except OSError:
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.05)
        if conn is None:
            return
        with conn:
            conn.sendall(json.dumps({"command": ["observe_property", 1, "playlist-pos"]}).encode() + b"\n")
            buffer = b""
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return  # mpv has exited
                buffer += data
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    self._take(line)

    def _take(self, line: bytes) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            return
        if message.get("event") == "property-change" and message.get("name") == "playlist-pos":
            value = message.get("data")
            if isinstance(value, int) and value >= 0:
                self.last = value


@dataclass
class Dailies:
    """One run of the dailies: the playlist and socket in a private folder, gone after."""

    clips: list[Clip]
    configured: list[str] | None
    in_terminal: bool
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="director-dailies-")))

    def __post_init__(self) -> None:
        os.chmod(self.folder, 0o700)
        self.playlist = self.folder / "dailies.m3u"
        self.playlist.write_text(playlist_text(self.clips), encoding="utf-8")
        self.socket_path = self.folder / "mpv.sock"
        self.argv = dailies_argv(self.playlist, self.socket_path, self.configured, self.in_terminal)
        self.watch = Watch(self.socket_path, self.clips)

    def run(self) -> int | None:
        """Play to the end (or until the director quits); the segment watched last."""
        self.watch.start()
        try:
            subprocess.run(self.argv, check=False, stdin=None if self.in_terminal else subprocess.DEVNULL,  # noqa: S603
                           stdout=None if self.in_terminal else subprocess.DEVNULL,
                           stderr=None if self.in_terminal else subprocess.DEVNULL)
        except FileNotFoundError:
            raise PlayerError(f"player not found: {self.argv[0]!r}") from None
        finally:
            self.watch.join()
            with contextlib.suppress(OSError):
                shutil.rmtree(self.folder)
        return self.watch.last_segment
