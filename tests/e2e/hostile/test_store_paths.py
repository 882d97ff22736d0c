"""Paths from the shared store are never followed out of the workspace (issue 25, 2): a
colleague who can write the store rewrites a version's path or archive location, or makes a
segment folder in media/ a link, and the victim runs `cleanup` or `restore`.

Before the fix: cleanup moved the victim's file (`../../victim/notes.txt`) into the archive
and deleted it, the archive copy went where the row's archive_location said (over the
victim's file), restore read `/dev/zero` until the disk was full, and restore wrote through
a linked segment folder. Each test here fails on that code."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import select

from director_tui.core.models import Asset, Version
from tests.conftest import PY, run_tasks, segs
from tests.unit.hostile.test_store_paths_unit import (  # shared with its unit tier
    cli,
    rewrite,
)


def test_restore_never_reads_a_device_or_a_fifo(store, home, old_version, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (home / "media" / old_version.path).unlink()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for source in ("/dev/zero", str(fifo)):
        rewrite(store, old_version.id, archive_location=source)
        done = subprocess.run([PY, "-m", "director_tui", "--home", str(home), "restore", "film", "1", "1"],
                              capture_output=True, text=True, timeout=30)  # /dev/zero read to the end never ends
        assert done.returncode == 1, (source, done.stdout, done.stderr)
        assert "not a regular file" in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert not (home / "media" / old_version.path).exists()


def test_an_rclone_remote_back_into_media_deletes_nothing(store, home, old_version, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`cleanup --archive back:` where the remote `back` is an alias of the workspace's own
    media/ folder: the "archived copy" is the file cleanup would delete."""
    import shutil

    if shutil.which("rclone") is None:
        pytest.fail("rclone is not installed (.ci/run installs it)")
    monkeypatch.setenv("RCLONE_CONFIG_BACK_TYPE", "alias")
    monkeypatch.setenv("RCLONE_CONFIG_BACK_REMOTE", str(home / "media"))
    local = home / "media" / old_version.path
    data = local.read_bytes()
    r = cli(home, "cleanup", "film", "--keep", "0", "--archive", "back:")
    assert r.exit_code != 0, r.output
    assert local.read_bytes() == data
    with store.read() as s:
        assert s.get(Version, old_version.id).archive_location is None


@pytest.mark.parametrize("planted", ["media/film", "media/film/s00001", "media/film/.tmp", "media"])
def test_the_runner_never_writes_through_a_linked_folder(store, home, film, tmp_path, planted) -> None:  # type: ignore[no-untyped-def]
    """Found by the fault sweep (issue 25): with media/film a link to a folder of the
    director's, their runner wrote every new version (and its .tmp work folder) there.
    Now the task fails with one line naming the folder and nothing lands behind the link."""
    from director_tui.core import queue
    from director_tui.core.models import Task, TaskState

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    link = home / planted
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists():
        os.rename(link, tmp_path / "moved-away")
    link.symlink_to(theirs)
    first = segs(store)[0]
    with store.write() as s:
        queue.enqueue(s, first.id, Asset.KEYFRAME, "tester", regenerate=True)
    run_tasks(store, home, film.id)
    with store.read() as s:
        task = s.execute(select(Task).order_by(Task.id.desc())).scalars().first()
    assert task.state == TaskState.FAILED
    assert task.error == f"{planted}/ in the workspace is a symbolic link: refused, nothing is written through it"
    assert sorted(os.listdir(theirs)) == ["notes.txt"]


