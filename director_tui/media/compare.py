"""Media for comparing two versions: a still of a clip, a side-by-side clip, one player for both.

Derived files go to the workspace's cache (`media/.cache/`), named by the
versions' checksums: made once, never the only copy of anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from director_tui.media.ffmpeg import MediaError, command
from director_tui.media.player import PlayerPlan, _is_mpv

COMPARE_HEIGHT = 360  # both clips scaled to this height so hstack can join them


def cache_dir(home: Path) -> Path:
    path = home / "media" / ".cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_ffmpeg(graph_to: Callable[[str], Any], out: Path, what: str) -> Path:
    """Render `graph_to(target)` (an ffmpeg-python graph writing `target`) into a new private
    file beside `out` (mkstemp: a name no one can plant a link at), then move it to `out`."""
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".part{out.suffix}", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        proc = subprocess.run(command(graph_to(name), overwrite=True), capture_output=True,  # noqa: S603
                              text=True, errors="replace", timeout=600)
        if proc.returncode != 0 or not tmp.stat().st_size:
            last = (proc.stderr.strip().splitlines() or ["ffmpeg failed"])[-1]
            raise MediaError(f"{what}: {last[:200]}")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def still_of(video: Path, out: Path, at_s: float = 0.0) -> Path:
    """One frame of a clip as PNG (what the compare screen shows for a video)."""
    if out.exists():
        return out
    import ffmpeg as ffmpeg_python

    return run_ffmpeg(lambda target: ffmpeg_python.input(str(video), ss=f"{at_s:.3f}").output(
        target, f="image2", vcodec="png", **{"frames:v": 1}), out, f"still of {video.name}")


def side_by_side(a: Path, b: Path, out: Path, height: int = COMPARE_HEIGHT) -> Path:
    """A and B scaled to one height and joined left|right, as long as the longer one
    (the shorter holds its last frame), for any player."""
    if out.exists():
        return out
    import ffmpeg as ffmpeg_python

    def graph(target: str) -> Any:
        left, right = (ffmpeg_python.input(str(p)).video.filter("scale", -2, height).filter("setsar", 1)
                       for p in (a, b))
        return ffmpeg_python.filter([left, right], "hstack", inputs=2, shortest=0).output(
            target, vcodec="libx264", preset="veryfast", pix_fmt="yuv420p", f="mp4")

    return run_ffmpeg(graph, out, "side-by-side clip")


def plan_side_by_side(a: Path, b: Path, configured: list[str] | None, in_terminal: str,
                      has_display: bool) -> PlayerPlan | None:
    """One mpv process playing both clips in sync (hstack of its two video tracks);
    None when the player is not mpv: then render side_by_side() and play that."""
    mpv = configured[0] if configured and _is_mpv(configured[0]) else (None if configured else shutil.which("mpv"))
    if mpv is None:
        return None
    graph = (f"[vid1]scale=-2:{COMPARE_HEIGHT},setsar=1[a];[vid2]scale=-2:{COMPARE_HEIGHT},setsar=1[b];"
             "[a][b]hstack=inputs=2[vo]")
    argv = [mpv, "--really-quiet", "--keep-open=no", f"--external-file={b}", f"--lavfi-complex={graph}"]
    terminal = in_terminal == "always" or (in_terminal == "auto" and not has_display)
    if terminal:
        argv += ["--vo=tct", "--vo-tct-algo=half-blocks", "--no-audio-display"]
    return PlayerPlan(argv + [str(a)], terminal)
