"""ffmpeg everywhere: the system one when present, else the imageio-ffmpeg wheel's.

Every invocation is built as a graph with ffmpeg-python (`command()`), not joined by hand.
Media is probed with `ffprobe -of json` where an ffprobe is beside the ffmpeg in use (the
system's); the wheel ships none, and then `ffmpeg -i`'s banner is parsed instead (both
parsers have golden tests). Validation decodes the file with `-f null`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUIET = ["-hide_banner", "-nostdin", "-v", "error"]  # global options every command starts with


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


def command(graph: Any, *, overwrite: bool = False) -> list[str]:
    """The argv of an ffmpeg-python graph, run by this program's ffmpeg, its global options
    first (ffmpeg-python appends them after the output)."""
    argv: list[str] = graph.compile(cmd=ffmpeg_exe(), overwrite_output=overwrite)
    argv[1:1] = QUIET
    return argv


@functools.cache
def ffprobe_exe() -> str | None:
    """The ffprobe beside the ffmpeg in use (the system's ship together); None for the
    wheel's ffmpeg, which comes alone."""
    exe = Path(ffmpeg_exe())
    beside = exe.with_name(exe.name.replace("ffmpeg", "ffprobe"))
    if beside != exe and beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return None


def probe(path: Path) -> MediaInfo:
    """Size, duration and codec of an image or video: `ffprobe -of json` where there is an
    ffprobe, else `ffmpeg -i`'s banner. (ffmpeg-python's own probe() has no timeout: a file
    that stalls the prober would hang the runner's thread.)"""
    if not path.exists():
        raise MediaError(f"{path.name}: no such file")
    prober = ffprobe_exe()
    if prober is not None:
        proc = subprocess.run(  # noqa: S603  (argv list, no shell)
            [prober, "-v", "error", "-show_format", "-show_streams", "-of", "json", "--", str(path)],
            capture_output=True, text=True, errors="replace", timeout=60)
        if proc.returncode != 0:
            reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "unreadable"
            raise MediaError(f"{path.name}: no picture in it ({reason[:160]})")
        return parse_ffprobe(proc.stdout, path.name)
    proc = subprocess.run(  # noqa: S603
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True, text=True, errors="replace", timeout=60,
    )
    return parse_banner(proc.stderr, path.name)


def _rate(text: str | None) -> float | None:
    """`24/1`, `30000/1001` -> frames a second; None for `0/0` or nonsense."""
    try:
        num, _, den = (text or "").partition("/")
        value = float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


def parse_ffprobe(out: str, name: str) -> MediaInfo:
    """MediaInfo from `ffprobe -show_format -show_streams -of json`."""
    try:
        data = json.loads(out)
        streams = [s for s in data.get("streams", []) if isinstance(s, dict) and s.get("codec_type") == "video"]
    except (ValueError, AttributeError):
        raise MediaError(f"{name}: no picture in it (ffprobe said nothing readable)") from None
    if not streams:
        raise MediaError(f"{name}: no picture in it (no video stream)")
    video = streams[0]
    codec = str(video.get("codec_name", ""))
    try:
        width, height = int(video["width"]), int(video["height"])
    except (KeyError, TypeError, ValueError):
        raise MediaError(f"{name}: no picture in it (no frame size)") from None
    duration = None
    for source in (data.get("format", {}), video):
        try:
            duration = float(source["duration"])
            break
        except (KeyError, TypeError, ValueError):
            continue
    kind = "image" if codec in IMAGE_CODECS else "video"
    if kind == "image":
        duration = None  # as the banner says (N/A): a still has no length
    fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
    return MediaInfo(kind, width, height, duration, codec, fps)


def parse_banner(out: str, name: str) -> MediaInfo:
    """MediaInfo from `ffmpeg -i`'s human-readable banner (the wheel's ffmpeg has no ffprobe)."""
    video = _VIDEO_RE.search(out)
    if video is None:
        reason = out.strip().splitlines()[-1] if out.strip() else "unreadable"
        raise MediaError(f"{name}: no picture in it ({reason[:160]})")
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
    import ffmpeg as ffmpeg_python

    proc = subprocess.run(  # noqa: S603
        command(ffmpeg_python.input(str(path))["v:0"].output("-", f="null")),
        capture_output=True, text=True, errors="replace", timeout=600,
    )
    if proc.returncode != 0 or proc.stderr.strip():
        first = (proc.stderr.strip().splitlines() or ["decode failed"])[0]
        raise MediaError(f"the output video does not decode ({first[:160]})")
    if not info.duration or info.duration <= 0:
        raise MediaError("the output video has no duration")
    return info
