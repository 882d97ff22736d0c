"""Hostile and broken generators (issue 14, 2 and 3): what they hand over is refused with one
reason and nothing lost, their leftover children are killed, odd output never stops a task.
Every generator here is a real program (tests/generators/)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from director_tui.core import queue
from director_tui.core.models import Segment, Task, TaskState, Version
from director_tui.jobs.runner import Runner
from tests.conftest import PY, gen, run_tasks, spec_dict


def one_task(store, home, make_stream, command: list[str], caps: dict[str, int] | None = None) -> Task:  # type: ignore[no-untyped-def]
    """Run one keyframe task with `command` as the generator; its finished row."""
    stream = make_stream(spec_dict(1, generators={"keyframe": {"command": command}}))
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "tester")

    async def go() -> None:
        runner = Runner(store, home, [stream.id], actor="tester", poll_interval_s=0.05, output_caps=caps)
        try:
            await runner.run_until_idle(60)
        finally:
            await runner.stop()

    asyncio.run(go())
    with store.read() as s:
        return s.execute(select(Task)).scalars().one()


def no_leftovers(home: Path) -> None:
    tmp = home / "media" / "film" / ".tmp"
    assert not tmp.exists() or list(tmp.iterdir()) == []  # each task's folder is gone
    with_versions = list((home / "media" / "film").glob("s*/*"))
    assert with_versions == []


def test_a_symlink_as_output_is_refused(store, home, tmp_path, make_stream) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "someone-elses.png"
    Image.new("RGB", (16, 9)).save(secret)
    task = one_task(store, home, make_stream, [PY, gen("symlink_out.py"), "--target", str(secret), "--out", "{output}"])
    assert task.state == TaskState.FAILED
    assert task.error == "the output is a symbolic link, not a file (refused: it could point anywhere)"
    assert secret.exists()  # untouched
    no_leftovers(home)


def test_a_folder_as_output_is_a_clean_failure(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    task = one_task(store, home, make_stream, [PY, gen("dir_out.py"), "--out", "{output}"])
    assert (task.state, task.error) == (TaskState.FAILED, "the output is a folder, not a file")
    no_leftovers(home)


def test_an_output_over_the_cap_is_refused_unread(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    task = one_task(store, home, make_stream, [PY, gen("big_out.py"), "--mb", "3", "--out", "{output}"],
                    caps={"keyframe": 2 << 20, "video": 4 << 30})
    assert task.state == TaskState.FAILED
    assert task.error == "the output is 3 MB, over the 2 MB allowed for a keyframe (config max_keyframe_mb)"
    no_leftovers(home)


def test_a_decompression_bomb_is_refused_without_decoding(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    task = one_task(store, home, make_stream, [PY, gen("bomb.py"), "--out", "{output}"])
    assert task.state == TaskState.FAILED
    assert task.error.startswith("the output image is 12000x12000, more than 67,108,864 pixels")
    assert time.monotonic() - t0 < 30
    no_leftovers(home)


def test_children_holding_the_pipe_are_killed_not_waited_for(store, home, tmp_path, make_stream) -> None:  # type: ignore[no-untyped-def]
    pidfile = tmp_path / "child.pid"
    t0 = time.monotonic()
    task = one_task(store, home, make_stream, [PY, gen("fork_holder.py"), "--pidfile", str(pidfile),
                                               "--out", "{output}"])
    assert task.state == TaskState.SUCCEEDED, task.error
    assert time.monotonic() - t0 < 20  # not the child's hour, not the 600 s timeout
    child = int(pidfile.read_text())
    assert not running(child)


def test_a_child_that_left_the_group_with_setsid_is_killed_after_the_task(store, home, tmp_path, make_stream) -> None:  # type: ignore[no-untyped-def]
    """A daemon a generator starts (setsid(), its pipe closed) survived the group kill and
    kept its GPU for an hour (issue 25); its run's environment token finds it."""
    pidfile = tmp_path / "child.pid"
    task = one_task(store, home, make_stream, [PY, gen("setsid_child.py"), "--pidfile", str(pidfile),
                                               "--out", "{output}"])
    assert task.state == TaskState.SUCCEEDED, task.error
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5  # the runner's stop sweeps once more; the flush loop each second
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert not running(child)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for whoever reaps orphans here)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_progress_lines_no_parser_should_choke_on_are_ignored(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    task = one_task(store, home, make_stream, [PY, gen("odd_progress.py"), "--out", "{output}"])
    assert task.state == TaskState.SUCCEEDED, task.error
    log = (home / task.log_path).read_text(encoding="utf-8")
    assert "PROGRESS 50 half" in log


def test_each_task_writes_into_a_fresh_private_folder(store, home, tmp_path, make_stream) -> None:  # type: ignore[no-untyped-def]
    record = tmp_path / "where"
    task = one_task(store, home, make_stream, [PY, gen("where_out.py"), "--record", str(record), "--out", "{output}"])
    assert task.state == TaskState.SUCCEEDED, task.error
    folder, mode = record.read_text().split()
    assert Path(folder).parent == home / "media" / "film" / ".tmp"
    assert Path(folder).name.startswith(f"task-{task.id}-") and len(Path(folder).name) > len(f"task-{task.id}-") + 4
    assert mode == "0o700"
    assert not Path(folder).exists()  # gone once the version is recorded


def test_prompts_that_look_like_options_reach_the_builtin_generator_as_text(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    data = spec_dict(2)
    data["segments"][0]["image_prompt"] = "--help"
    data["segments"][1]["image_prompt"] = "--out=/tmp/pwned.png"
    stream = make_stream(data)
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "tester")
    run_tasks(store, home, stream.id)
    with store.read() as s:
        prompts = {v.prompt for v in s.execute(select(Version)).scalars()}
        assert {t.state for t in s.execute(select(Task)).scalars()} == {TaskState.SUCCEEDED}
        assert len(list(s.execute(select(Segment).where(Segment.keyframe_version_id.is_not(None))).scalars())) == 2  # type: ignore[union-attr]
    assert prompts == {"--help", "--out=/tmp/pwned.png"}
    assert not Path("/tmp/pwned.png").exists()


def test_only_png_jpeg_and_webp_are_decoded(tmp_path: Path) -> None:
    """Issue 25, 2: an output in another format is refused before any other decoder sees it
    (an EPS would be handed to Ghostscript; a server's bytes are not ours). A BMP, GIF or
    EPS was decoded (or tried) before."""
    import pytest

    from director_tui.media.ffmpeg import MediaError, validate_image

    for fmt in ("PNG", "JPEG", "WEBP"):
        path = tmp_path / f"ok.{fmt.lower()}"
        Image.new("RGB", (16, 9), (1, 2, 3)).save(path, format=fmt)
        assert validate_image(path).width == 16
    eps = tmp_path / "out.eps"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 9\nshowpage\n%%EOF\n")
    others = [eps]
    for fmt in ("BMP", "GIF", "TIFF"):
        path = tmp_path / f"other.{fmt.lower()}"
        Image.new("RGB", (16, 9), (1, 2, 3)).save(path, format=fmt)
        others.append(path)
    for path in others:
        with pytest.raises(MediaError, match="not a valid PNG, JPEG or WebP image"):
            validate_image(path)
