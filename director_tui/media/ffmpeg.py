"""ffmpeg everywhere: the system one when present, else the imageio-ffmpeg wheel's.

The wheel ships no ffprobe, so probing parses `ffmpeg -i` and validation
decodes the file with `-f null`; nothing here needs ffprobe.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path


class MediaError(Exception):
    """A file that is not the image or video it should be; the message says why."""


@functools.cache
def ffmpeg_exe() -> str:
    """$DIRECTOR_FFMPEG, else ffmpeg on PATH, else the imageio-ffmpeg binary."""
    env = os.environ.get("DIRECTOR_FFMPEG")
    if env:
        return env
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # the wheel is a dependency; this means a broken install
        raise MediaError(f"no ffmpeg found: install ffmpeg or imageio-ffmpeg ({exc})") from exc


@dataclass
class MediaInfo:
    kind: str  # "image" or "video"
    width: int
    height: int
    duration: float | None
    codec: str
    fps: float | None = None  # a video's frame rate, when ffmpeg says it


_DURATION_RE = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_FPS_RE = re.compile(r"Stream #\S+.*?: Video: .*?, (\d+(?:\.\d+)?) fps")
_VIDEO_RE = re.compile(r"Stream #\S+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})")
IMAGE_CODECS = {"png", "mjpeg", "webp", "bmp", "tiff", "gif", "jpegls"}


def probe(path: Path) -> MediaInfo:
    """Size, duration and codec of an image or video, from `ffmpeg -i`."""
    if not path.exists():
        raise MediaError(f"{path.name}: no such file")
    proc = subprocess.run(  # noqa: S603  (argv list, no shell)
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True, text=True, errors="replace", timeout=60,
    )
    out = proc.stderr
    video = _VIDEO_RE.search(out)
    if video is None:
        reason = out.strip().splitlines()[-1] if out.strip() else "unreadable"
        raise MediaError(f"{path.name}: no picture in it ({reason[:160]})")
    codec, width, height = video.group(1), int(video.group(2)), int(video.group(3))
    duration = None
    m = _DURATION_RE.search(out)
    if m:
        duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    kind = "image" if codec in IMAGE_CODECS else "video"
    fps = _FPS_RE.search(out)
    return MediaInfo(kind, width, height, duration, codec, float(fps.group(1)) if fps else None)


MAX_IMAGE_PIXELS = 8192 * 8192  # the largest frame a spec may ask for (core/spec.py SIZE_MAX)
MAX_VIDEO_SECONDS = 2 * 600.0  # twice the longest segment a spec may ask for (DURATION_MAX)


# The formats a keyframe may be in, and the only decoders Pillow is let use on an output
# (issue 25): an EPS or PS output would be handed to Ghostscript (`gs`), and for ComfyUI
# and hosted back ends those bytes come from a server.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")


def validate_image(path: Path) -> MediaInfo:
    """Decode the whole image (Pillow); refuse empty, truncated or non-image files, and any
    format but PNG, JPEG and WebP without handing it to another decoder."""
    from PIL import Image, UnidentifiedImageError

    if not path.exists():
        raise MediaError("no output file was written")
    if path.stat().st_size == 0:
        raise MediaError("the output file is empty")
    try:
        with warnings.catch_warnings():  # its own bomb warning: refused just below, with a reason
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path, formats=IMAGE_FORMATS)
        with img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:  # before any decoding: no decompression bomb
                raise MediaError(f"the output image is {width}x{height}, more than "
                                 f"{MAX_IMAGE_PIXELS:,} pixels (refused without decoding it)")
            img.verify()
        with Image.open(path, formats=IMAGE_FORMATS) as img:
            img.load()
            width, height = img.size
            fmt = (img.format or "").lower()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(f"the output is not a valid PNG, JPEG or WebP image ({exc})") from None
    if width == 0 or height == 0:
        raise MediaError("the output image has no pixels")
    return MediaInfo("image", width, height, None, fmt)


def validate_video(path: Path) -> MediaInfo:
    """Probe, then decode every frame; refuse files with no frames or decode errors."""
    if not path.exists():
        raise MediaError("no output file was written")
    if path.stat().st_size == 0:
        raise MediaError("the output file is empty")
    info = probe(path)
    if info.kind != "video":
        raise MediaError(f"the output is a still image ({info.codec}), not a video")
    if info.width * info.height > MAX_IMAGE_PIXELS:  # refused before decoding a frame of it
        raise MediaError(f"the output video is {info.width}x{info.height}, more than {MAX_IMAGE_PIXELS:,} "
                         "pixels a frame")
    if info.duration and info.duration > MAX_VIDEO_SECONDS:
        raise MediaError(f"the output video lasts {info.duration / 60:.0f} min; a segment lasts at most "
                         f"{MAX_VIDEO_SECONDS / 120:.0f} min (refused without decoding it)")
    proc = subprocess.run(  # noqa: S603
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
         "-map", "0:v:0", "-f", "null", "-"],
        capture_output=True, text=True, errors="replace", timeout=600,
    )
    if proc.returncode != 0 or proc.stderr.strip():
        first = (proc.stderr.strip().splitlines() or ["decode failed"])[0]
        raise MediaError(f"the output video does not decode ({first[:160]})")
    if not info.duration or info.duration <= 0:
        raise MediaError("the output video has no duration")
    return info
