"""A clip seen frame by frame: a strip of frames sampled across it (one tiled PNG), and the
frame at any time, both made by ffmpeg once and cached under the workspace
(media/.cache, keyed by the file's checksum), so stepping back over a frame is instant."""

from __future__ import annotations

from pathlib import Path

from director_tui.media.compare import cache_dir, run_ffmpeg, still_of

STRIP_FRAMES = 8
STRIP_HEIGHT = 90  # pixels of each sampled frame: a strip is for finding, the frame for judging


def strip_of(video: Path, home: Path, key: str, duration: float, frames: int = STRIP_FRAMES) -> Path:
    """`frames` frames evenly across the clip, side by side in one PNG."""
    out = cache_dir(home) / f"strip-{key}-{frames}.png"
    if out.exists():
        return out
    rate = max(frames / max(duration, 0.04), 0.01)
    import ffmpeg as ffmpeg_python

    return run_ffmpeg(lambda target: ffmpeg_python.input(str(video)).video
                      .filter("fps", fps=f"{rate:.6f}").filter("scale", -2, STRIP_HEIGHT).filter("tile", f"{frames}x1")
                      .output(target, f="image2", vcodec="png", **{"frames:v": 1}), out, f"filmstrip of {video.name}")


def frame_at(video: Path, home: Path, key: str, index: int, fps: float) -> Path:
    """Frame number `index` (from 0) of the clip, as PNG."""
    return still_of(video, cache_dir(home) / f"frame-{key}-{index:06d}.png", index / fps)


def timecode(seconds: float) -> str:
    """00:01.25: to the hundredth, frames at 24-60 fps being 17-42 ms apart."""
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes):02d}:{rest:05.2f}"
