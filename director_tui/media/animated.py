"""An animated picture (WebP, PNG/APNG, GIF) made into a clip (issue 27, 4).

ComfyUI's built-in `SaveAnimatedWEBP` and `SaveAnimatedPNG` save a clip as an animated
picture, which ffmpeg cannot read as a video (its WebP decoder takes no animation), so the
version was refused as "no duration". Pillow reads the frames with their durations; ffmpeg
encodes them as H.264 in an mp4 at the picture's own pace, as every other clip is stored.
"""

from __future__ import annotations

import statistics
import subprocess
from pathlib import Path

from director_tui.media.ffmpeg import MediaError, command

ANIMATED_SUFFIXES = (".webp", ".png", ".apng", ".gif")
MAX_FRAMES = 10_000  # ~7 minutes at 24 fps: more is not a shot
ENCODE_TIMEOUT_S = 600


def is_animated(path: Path) -> bool:
    """More than one frame, by Pillow (a still picture, or not a picture: False)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return bool(getattr(image, "is_animated", False)) and getattr(image, "n_frames", 1) > 1
    except (OSError, ValueError, Image.DecompressionBombError):
        return False


def to_clip(src: Path, dst: Path) -> tuple[int, float]:
    """`src`'s frames encoded into `dst` (mp4); (frames, frames per second). MediaError with
    the reason when it is not an animation ffmpeg could encode."""
    import ffmpeg as ffmpeg_python
    from PIL import Image, ImageSequence

    try:
        with Image.open(src) as image:
            frames: list[bytes] = []
            durations: list[int] = []
            for frame in ImageSequence.Iterator(image):
                if len(frames) >= MAX_FRAMES:
                    raise MediaError(f"{src.name}: more than {MAX_FRAMES} frames")
                frames.append(frame.convert("RGB").tobytes())
                durations.append(int(frame.info.get("duration") or 0))
            width, height = image.size
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(f"{src.name}: not an animation Pillow reads ({exc})") from exc
    if len(frames) < 2:
        raise MediaError(f"{src.name}: a still picture, not a clip")
    per_frame_ms = statistics.median([d for d in durations if d > 0] or [1000 / 24])
    fps = round(1000 / per_frame_ms, 3)
    if round(fps) and abs(fps - round(fps)) / round(fps) < 0.01:  # 83 ms a frame is 12 fps, stored whole
        fps = float(round(fps))
    graph = ffmpeg_python.input("pipe:", f="rawvideo", pix_fmt="rgb24", s=f"{width}x{height}", framerate=fps).output(
        str(dst), vcodec="libx264", pix_fmt="yuv420p", preset="veryfast", movflags="+faststart", f="mp4",
        vf="pad=ceil(iw/2)*2:ceil(ih/2)*2")  # yuv420p wants even sides
    try:
        done = subprocess.run(command(graph, overwrite=True), input=b"".join(frames),  # noqa: S603
                              capture_output=True, timeout=ENCODE_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"{src.name}: encoding its frames took over {ENCODE_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise MediaError(f"{src.name}: ffmpeg could not encode its frames: {tail[0][:200]}")
    return len(frames), fps
