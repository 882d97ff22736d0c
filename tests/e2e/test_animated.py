"""An animated picture made into a clip (media/animated.py): real Pillow, real ffmpeg."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from director_tui.media.animated import is_animated, to_clip
from director_tui.media.ffmpeg import MediaError, probe


def frames(n: int, size: tuple[int, int] = (161, 90)) -> list[Image.Image]:
    return [Image.new("RGB", size, (i * 30 % 256, 80, 200)) for i in range(n)]


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png"])
def test_an_animation_becomes_an_mp4_at_its_own_pace(tmp_path: Path, suffix: str) -> None:
    picture = tmp_path / f"clip{suffix}"
    first, *rest = frames(10)  # an odd width: padded to an even one for yuv420p
    first.save(picture, save_all=True, append_images=rest, duration=100, loop=0)
    assert is_animated(picture)
    out = tmp_path / "clip.mp4"
    assert to_clip(picture, out) == (10, 10.0)
    info = probe(out)
    assert info.kind == "video" and (info.width, info.height) == (162, 90)
    assert info.duration == pytest.approx(1.0, abs=0.1)


def test_a_still_or_garbage_is_one_line(tmp_path: Path) -> None:
    still = tmp_path / "still.webp"
    frames(1)[0].save(still)
    assert not is_animated(still)
    with pytest.raises(MediaError, match="a still picture, not a clip"):
        to_clip(still, tmp_path / "x.mp4")
    junk = tmp_path / "junk.webp"
    junk.write_bytes(b"RIFF\x00\x00\x00\x00WEBPnot really")
    assert not is_animated(junk)
    with pytest.raises(MediaError, match="not an animation Pillow reads"):
        to_clip(junk, tmp_path / "y.mp4")
