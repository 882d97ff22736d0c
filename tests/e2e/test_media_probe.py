"""Probing media (issue 26, 7): `ffprobe -of json` where an ffprobe is beside the ffmpeg in
use, `ffmpeg -i`'s banner where there is none (the imageio-ffmpeg wheel). Golden outputs
captured from Debian's ffmpeg/ffprobe 5.1 for a clip and a still, parsed by each parser;
then real files probed both ways must agree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from director_tui.media import ffmpeg as media
from director_tui.media.ffmpeg import MediaError, MediaInfo, parse_banner, parse_ffprobe

CLIP_JSON = json.dumps({"streams": [{"index": 0, "codec_name": "h264", "codec_type": "video", "width": 320,
                                     "height": 180, "r_frame_rate": "24/1", "avg_frame_rate": "24/1",
                                     "duration": "1.000000"}],
                        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "1.000000"}})
STILL_JSON = json.dumps({"streams": [{"index": 0, "codec_name": "png", "codec_type": "video", "width": 64,
                                      "height": 36, "r_frame_rate": "25/1", "avg_frame_rate": "25/1"}],
                         "format": {"format_name": "png_pipe"}})
CLIP_BANNER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'c.mp4':
  Metadata:
    major_brand     : isom
  Duration: 00:00:01.00, start: 0.000000, bitrate: 55 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 320x180 [SAR 1:1 DAR 16:9], 46 kb/s, 24 fps, 24 tbr, 12288 tbn (default)
At least one output file must be specified"""
STILL_BANNER = """Input #0, png_pipe, from 'k.png':
  Duration: N/A, bitrate: N/A
  Stream #0:0: Video: png, rgb24(pc), 64x36 [SAR 1:1 DAR 16:9], 25 fps, 25 tbr, 25 tbn
At least one output file must be specified"""
CLIP = MediaInfo("video", 320, 180, 1.0, "h264", 24.0)
STILL = MediaInfo("image", 64, 36, None, "png", 25.0)


@pytest.mark.parametrize(("text", "parse", "expected"), [
    (CLIP_JSON, parse_ffprobe, CLIP), (STILL_JSON, parse_ffprobe, STILL),
    (CLIP_BANNER, parse_banner, CLIP), (STILL_BANNER, parse_banner, STILL)],
    ids=["ffprobe-clip", "ffprobe-still", "banner-clip", "banner-still"])
def test_golden_outputs_parse_to_the_same_media_info(text, parse, expected) -> None:  # type: ignore[no-untyped-def]
    assert parse(text, "x") == expected


@pytest.mark.parametrize("text", ["", "not json", json.dumps({"streams": [{"codec_type": "audio"}]}),
                                  json.dumps({"streams": [{"codec_type": "video", "width": "wide"}]}),
                                  json.dumps([1, 2])])
def test_an_answer_without_a_picture_is_a_media_error(text: str) -> None:
    with pytest.raises(MediaError, match="no picture in it"):
        parse_ffprobe(text, "x")


def _ffmpeg_pair() -> tuple[str, str]:
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if not ffmpeg or not ffprobe:
        pytest.skip("no system ffmpeg with ffprobe here (.ci/run installs Debian's)")
    return ffmpeg, ffprobe


def test_real_files_probe_alike_with_ffprobe_and_with_the_banner(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ffmpeg, _ffprobe = _ffmpeg_pair()
    clip, still = tmp_path / "c.mp4", tmp_path / "k.png"
    subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=24", "-t", "1",
                    "-pix_fmt", "yuv420p", str(clip)], check=True)
    subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x36", "-frames:v", "1", str(still)],
                   check=True)
    results = {}
    for way, exe in (("ffprobe", ffmpeg), ("banner", __import__("imageio_ffmpeg").get_ffmpeg_exe())):
        monkeypatch.setenv("DIRECTOR_FFMPEG", exe)
        media.ffmpeg_exe.cache_clear()
        media.ffprobe_exe.cache_clear()
        assert (media.ffprobe_exe() is not None) == (way == "ffprobe")
        results[way] = (media.probe(clip), media.probe(still))
    media.ffmpeg_exe.cache_clear()
    media.ffprobe_exe.cache_clear()
    assert results["ffprobe"] == results["banner"]
    assert results["ffprobe"][0] == CLIP and results["ffprobe"][1] == STILL


def test_every_invocation_is_built_from_a_graph_with_the_quiet_options_first(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ffmpeg as ffmpeg_python

    monkeypatch.setenv("DIRECTOR_FFMPEG", "/usr/bin/ffmpeg")
    media.ffmpeg_exe.cache_clear()
    try:
        argv = media.command(ffmpeg_python.input("/a b.mp4", ss="1.000").output("/o.png", vcodec="png"))
    finally:
        media.ffmpeg_exe.cache_clear()
    assert argv == ["/usr/bin/ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-ss", "1.000", "-i", "/a b.mp4",
                    "-vcodec", "png", "/o.png"]
    assert os.sep in argv[-1]
