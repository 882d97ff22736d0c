"""A final cut stopped half way (its job abandoned, or the app exiting) leaves no ffmpeg
running and no partial file. Real ffmpeg on real clips."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from director_tui.media.cut import join_clips, partial_prefix, partials
from director_tui.media.ffmpeg import ffmpeg_exe
from tests.conftest import PY


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s of test pattern: joining four of these takes many seconds."""
    clip = tmp_path_factory.mktemp("clips") / "long.mp4"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=640x360:rate=24:duration=20", "-c:v", "libx264", "-preset", "ultrafast",
                    str(clip)], check=True)
    return clip


def ffmpeg_writing(target: Path) -> list[int]:
    """Pids of the processes whose command line names `target` (found in /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(target).encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone for our purpose
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


class Stop(Exception):
    pass


def test_a_stopped_cut_kills_ffmpeg_and_removes_the_partial(long_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "cut.mp4"
    seen: list[int] = []

    def progress(fraction: float) -> None:
        seen.extend(ffmpeg_writing(partial_prefix(out)))
        raise Stop  # as a job being stopped does

    with pytest.raises(Stop):
        join_clips([(long_clip, 20.0)] * 4, out, 640, 360, progress=progress)
    assert seen and not any(_alive(pid) for pid in seen)
    assert not out.exists() and not partials(out)


def test_exiting_mid_cut_kills_ffmpeg(long_clip: Path, tmp_path: Path) -> None:
    """The app's cut runs in a worker thread; the process ends while it encodes."""
    out = tmp_path / "cut.mp4"
    script = textwrap.dedent(f"""
        import sys, threading
        from pathlib import Path
        from director_tui.media import cut
        started = threading.Event()
        def work():
            cut.join_clips([(Path({str(long_clip)!r}), 20.0)] * 4, Path({str(out)!r}), 640, 360,
                           progress=lambda f: started.set())
        threading.Thread(target=work, daemon=True).start()
        started.wait(60)
        print("started", flush=True)
    """)
    done = subprocess.run([PY, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["started"]
    assert not any(_alive(pid) for pid in ffmpeg_writing(partial_prefix(out))), \
        "ffmpeg still encoding after the process exited"
