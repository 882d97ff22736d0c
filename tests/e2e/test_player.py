"""Choosing the external player: configured command, mpv in the terminal over SSH, xdg-open, or a clear message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from director_tui.media.player import PlayerError, launch_detached, plan_player


def _bin_dir(tmp_path: Path, *names: str) -> str:
    """A PATH holding only executables with these names (each a real tiny script)."""
    d = tmp_path / "bin"
    d.mkdir(exist_ok=True)
    for name in names:
        exe = d / name
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
    return str(d)


def test_configured_command_gets_the_path(tmp_path: Path) -> None:
    clip = tmp_path / "my clip; $(x).mp4"
    plan = plan_player(clip, ["vlc", "--play-and-exit", "{path}"], "never")
    assert plan.argv == ["vlc", "--play-and-exit", str(clip)] and not plan.in_terminal


def test_mpv_draws_in_the_terminal_without_a_display(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", _bin_dir(tmp_path, "mpv"))
    plan = plan_player(tmp_path / "k.png", None, "auto", is_image=True)
    assert plan.in_terminal
    assert "--vo=tct" in plan.argv and "--image-display-duration=inf" in plan.argv
    assert plan.argv[-1] == str(tmp_path / "k.png")
    monkeypatch.setenv("DISPLAY", ":0")
    plan = plan_player(tmp_path / "v.mp4", None, "auto")
    assert not plan.in_terminal and "--vo=tct" not in plan.argv


def test_xdg_open_with_a_display_else_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", _bin_dir(tmp_path, "xdg-open"))
    monkeypatch.setenv("DISPLAY", ":0")
    assert plan_player(tmp_path / "v.mp4", None).argv[0].endswith("xdg-open")
    monkeypatch.delenv("DISPLAY")
    with pytest.raises(PlayerError, match="install mpv"):
        plan_player(tmp_path / "v.mp4", None)


def test_missing_configured_player_is_reported(tmp_path: Path) -> None:
    plan = plan_player(tmp_path / "v.mp4", [str(tmp_path / "no-such-player"), "{path}"], "never")
    with pytest.raises(PlayerError, match="player not found"):
        launch_detached(plan)


@pytest.mark.skipif(not any(os.access(os.path.join(p, "mpv"), os.X_OK)
                            for p in os.environ.get("PATH", "").split(os.pathsep)),
                    reason="mpv not installed (.ci/run installs it)")
def test_real_mpv_plays_a_real_clip_headless(tmp_path: Path) -> None:
    """The default command line is one mpv accepts: play a real clip with no video output."""
    import subprocess
    import sys

    key, clip = tmp_path / "k.png", tmp_path / "c.mp4"
    subprocess.run([sys.executable, "-m", "director_tui.jobs.procedural", "keyframe", "--prompt", "x",
                    "--out", str(key), "--width", "160", "--height", "90"], check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "director_tui.jobs.procedural", "video", "--prompt", "pan left",
                    "--reference", str(key), "--out", str(clip), "--duration", "0.5",
                    "--width", "160", "--height", "90"], check=True, capture_output=True)
    plan = plan_player(clip, None, "always")
    argv = [a for a in plan.argv if not a.startswith("--vo")] + ["--vo=null", "--ao=null"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
