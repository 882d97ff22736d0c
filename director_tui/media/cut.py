"""The final cut: clips joined in order into one MP4 with ffmpeg, streaming to disk."""

from __future__ import annotations

import atexit
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from director_tui.media.ffmpeg import MediaError, command

# ffmpeg processes of cuts under way. A cut runs in a worker thread that dies with the app;
# without this, quitting mid-cut left ffmpeg encoding into a file nobody would keep.
_running: set[subprocess.Popen[str]] = set()


@atexit.register
def stop_cuts() -> None:
    """Kill every cut's ffmpeg (at exit, and when a job is abandoned)."""
    for proc in list(_running):
        proc.kill()


def partial_prefix(out: Path) -> Path:
    """What the name ffmpeg writes before the rename starts with (tests find it by this)."""
    return out.with_name(f".{out.name}.")


def new_partial(out: Path) -> Path:
    """A new private file beside `out` for ffmpeg to write (it picks the format from the
    suffix): created O_EXCL, 0600, under a name no one can guess, so a link planted in a
    shared folder is never written through (issue 25)."""
    import tempfile

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial.mp4", dir=out.parent)
    os.close(fd)
    return Path(name)


def partials(out: Path) -> list[Path]:
    """The temporary files abandoned cuts to `out` left."""
    import glob

    return sorted(out.parent.glob(f".{glob.escape(out.name)}.*.partial.mp4"))


def _input_name(clip: Path, before: list[tuple[Path, float]]) -> str:
    """The clip's name as its own input of the graph. ffmpeg-python takes two inputs of one
    name for one node (then asks for a `split`, which would hold every frame of the later
    use in memory until the concat reaches it); a clip used again is named again through
    `./` (the same file), so each use is decoded on its own, as `-i a -i a` did."""
    again = sum(1 for earlier, _ in before if earlier == clip)
    return str(clip) if not again else os.path.join(os.path.dirname(clip), "./" * again + clip.name)


def join_clips(clips: list[tuple[Path, float]], out: Path, width: int, height: int, fps: int = 24,
               progress: Callable[[float], None] | None = None) -> Path:
    """Scale and pad every clip to width x height at `fps` and join them (re-encoded, so clips
    from different generators fit together). Written to a temporary name, then moved."""
    if not clips:
        raise MediaError("no clips to join")
    w, h = width - width % 2, height - height % 2  # x264 wants even sizes
    import ffmpeg as ffmpeg_python

    fitted = [ffmpeg_python.input(_input_name(clip, clips[:i])).video
              .filter("scale", w, h, force_original_aspect_ratio="decrease")
              .filter("pad", w, h, "(ow-iw)/2", "(oh-ih)/2").filter("setsar", 1).filter("fps", fps=fps)
              .filter("format", "yuv420p") for i, (clip, _) in enumerate(clips)]
    tmp = new_partial(out)
    graph = ffmpeg_python.concat(*fitted, v=1, a=0).output(
        str(tmp), vcodec="libx264", preset="veryfast", crf=20, movflags="+faststart")
    argv = command(graph.global_args("-progress", "pipe:1", "-nostats"), overwrite=True)
    total = sum(d for _, d in clips) or 1.0
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    assert proc.stdout is not None and proc.stderr is not None
    _running.add(proc)
    try:
        for line in proc.stdout:  # key=value lines, ~2 a second
            if line.startswith("out_time_us=") and progress is not None:
                try:
                    fraction = min(1.0, int(line.split("=", 1)[1]) / 1e6 / total)
                except ValueError:
                    continue
                progress(fraction)
        err = proc.stderr.read()
        code = proc.wait()
    except BaseException:  # stopped (or the progress callback failed): no ffmpeg left behind
        proc.kill()
        proc.wait()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        _running.discard(proc)
        proc.stdout.close()
        proc.stderr.close()
    if code != 0:
        tmp.unlink(missing_ok=True)
        tail = " ".join(err.strip().splitlines()[-2:])[:300]
        raise MediaError(f"ffmpeg could not join the clips: {tail}")
    from director_tui.config import file_mode

    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.chmod(tmp, file_mode())
    os.replace(tmp, out)
    return out
