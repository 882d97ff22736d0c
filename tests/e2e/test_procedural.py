"""The built-in generator: real PNG keyframes and real H.264 clips via ffmpeg."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from director_tui.jobs.procedural import camera_move
from director_tui.media.ffmpeg import MediaError, probe, validate_video

PY = sys.executable



def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "director_tui.jobs.procedural", *args],
                          capture_output=True, text=True, timeout=120, check=True)


def keyframe(path: Path, prompt: str, seed: int, size: tuple[int, int] = (1280, 720)) -> str:
    proc = run("keyframe", "--prompt", prompt, "--seed", str(seed), "--out", str(path),
               "--width", str(size[0]), "--height", str(size[1]))
    return proc.stdout


def test_keyframe_is_a_real_1280x720_png_and_deterministic(tmp_path: Path) -> None:
    out = keyframe(tmp_path / "a.png", "wide shot of a harbour at dawn, mist", 7)
    assert "PROGRESS 100" in out
    with Image.open(tmp_path / "a.png") as img:
        assert img.format == "PNG" and img.size == (1280, 720)
    keyframe(tmp_path / "b.png", "wide shot of a harbour at dawn, mist", 7)
    keyframe(tmp_path / "c.png", "wide shot of a harbour at dawn, mist", 8)
    digest = {n: hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in ("a.png", "b.png", "c.png")}
    assert digest["a.png"] == digest["b.png"]
    assert digest["a.png"] != digest["c.png"]


@pytest.mark.parametrize(
    ("motion", "move"),
    [("slow pan left", "pan_left"), ("Pan right with the boat", "pan_right"), ("tilt up", "tilt_up"),
     ("tilt down to the sea", "tilt_down"), ("slow push in", "zoom_in"), ("zoom out", "zoom_out"),
     ("static, locked off", "static"), ("the flame flickers", "static")],
)
def test_camera_moves_are_read_from_the_motion_prompt(motion: str, move: str) -> None:
    assert camera_move(motion) == move


@pytest.mark.parametrize("motion", ["pan left", "zoom in", "tilt down", "static"])
def test_clip_has_the_duration_and_moves(tmp_path: Path, motion: str) -> None:
    key = tmp_path / "k.png"
    keyframe(key, "a forest at night", 1, (320, 180))
    clip = tmp_path / "c.mp4"
    out = run("video", "--reference", str(key), "--prompt", motion, "--duration", "1.5",
              "--out", str(clip), "--width", "320", "--height", "180").stdout
    assert "PROGRESS 100" in out and "rendering frame" in out
    info = validate_video(clip)
    assert info.codec == "h264" and (info.width, info.height) == (320, 180)
    assert info.duration == pytest.approx(1.5, abs=0.1)
    # first and last frames differ when the camera moves
    frames = _frames(clip, 320, 180)
    change = sum(abs(a - b) for a, b in zip(frames[0], frames[-1], strict=True)) / len(frames[0])
    if motion == "static":
        assert change < 1.0  # only compression noise
    else:
        assert change > 3.0


def _frames(clip: Path, w: int, h: int) -> list[bytes]:
    from director_tui.media.ffmpeg import ffmpeg_exe

    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(clip), "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    size = w * h
    return [raw[i:i + size] for i in range(0, len(raw), size)]


def test_probe_and_validation_refuse_garbage(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    with pytest.raises(MediaError):
        validate_video(junk)
    with pytest.raises(MediaError, match="no such file"):
        probe(tmp_path / "missing.mp4")
