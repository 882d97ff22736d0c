"""Paths from the shared store are never followed out of the workspace (issue 25, 2): a
colleague who can write the store rewrites a version's path or archive location, or makes a
segment folder in media/ a link, and the victim runs `cleanup` or `restore`.

Before the fix: cleanup moved the victim's file (`../../victim/notes.txt`) into the archive
and deleted it, the archive copy went where the row's archive_location said (over the
victim's file), restore read `/dev/zero` until the disk was full, and restore wrote through
a linked segment folder. Each test here fails on that code."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from director_tui.cli import app as cli_app
from director_tui.core.models import Asset, Version
from tests.conftest import PY, run_tasks, segs

runner = CliRunner()


def cli(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli_app, ["--home", str(home), *args])


@pytest.fixture
def old_version(store, home, film) -> Version:  # type: ignore[no-untyped-def]
    """Shot 1's keyframe v1, no longer current (v2 made): what `cleanup --keep 0` archives."""
    from director_tui.core import queue

    first = segs(store)[0]
    with store.write() as s:
        queue.enqueue(s, first.id, Asset.KEYFRAME, "tester", regenerate=True)
    run_tasks(store, home, film.id)
    with store.read() as s:
        return s.execute(select(Version).where(Version.segment_id == first.id, Version.number == 1)).scalar_one()


def rewrite(store, version_id: int, **values: object) -> None:  # type: ignore[no-untyped-def]
    with store.write() as s:
        s.execute(update(Version).where(Version.id == version_id).values(**values))


def test_cleanup_leaves_a_path_that_leaves_media_alone(store, home, old_version, tmp_path) -> None:  # type: ignore[no-untyped-def]
    victim = tmp_path / "victim" / "notes.txt"
    victim.parent.mkdir()
    victim.write_text("the victim's notes\n")
    rel = os.path.relpath(victim, home / "media")  # ../../victim/notes.txt
    rewrite(store, old_version.id, path=rel)
    r = cli(home, "cleanup", "film", "--keep", "0", "--archive", str(tmp_path / "archive"))
    assert r.exit_code == 0, r.output
    assert victim.read_text() == "the victim's notes\n"  # not moved, not deleted
    assert "left alone" in r.output and "leaves media/" in r.output
    assert not (tmp_path / "archive").exists() or not any((tmp_path / "archive").rglob("notes.txt"))


def test_cleanup_writes_only_under_the_archive_being_used(store, home, old_version, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A version already archived (its local copy back): the row's archive_location names the
    victim's file; the copy goes under --archive, and the victim's file is untouched."""
    victim = tmp_path / "victim.bashrc"
    victim.write_text("alias ls='ls --color'\n")
    rewrite(store, old_version.id, archive_location=str(victim))
    arch = tmp_path / "archive"
    r = cli(home, "cleanup", "film", "--keep", "0", "--archive", str(arch))
    assert r.exit_code == 0, r.output
    assert victim.read_text() == "alias ls='ls --color'\n"
    assert (arch / old_version.path).read_bytes()  # where it belongs
    with store.read() as s:
        assert s.get(Version, old_version.id).archive_location == str(arch / old_version.path)


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


def test_restore_never_writes_through_a_linked_segment_folder(store, home, old_version, tmp_path) -> None:  # type: ignore[no-untyped-def]
    local = home / "media" / old_version.path
    arch = tmp_path / "archive"
    r = cli(home, "cleanup", "film", "--keep", "0", "--archive", str(arch))
    assert r.exit_code == 0 and not local.exists(), r.output
    elsewhere = tmp_path / "victim-folder"
    elsewhere.mkdir()
    folder = local.parent  # the segment's folder in media/, made a link by a colleague
    moved = tmp_path / "moved-away"
    folder.rename(moved)
    folder.symlink_to(elsewhere)
    r = cli(home, "restore", "film", "1", "1")
    assert r.exit_code == 1 and "a symbolic link" in r.output, r.output
    assert list(elsewhere.iterdir()) == []


def test_export_into_the_archive_folder_is_refused(store, home, film) -> None:  # type: ignore[no-untyped-def]
    (home / "archive" / "film").mkdir(parents=True)
    r = cli(home, "export", "film", "keyframes", "-o", str(home / "archive" / "film" / "keys.zip"))
    assert r.exit_code == 2 and "inside the workspace's archive/" in r.output, r.output


def test_an_export_never_replaces_what_is_not_a_regular_file(store, home, film, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A FIFO made here stands in for a device: a test that exports onto /dev/full itself
    replaces the machine's device with a file whenever the guard is missing (it did, once)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link").symlink_to(fifo)
    for target in (fifo, tmp_path / "link"):
        r = cli(home, "export", "film", "spec", "-o", str(target))
        assert r.exit_code == 2 and "not a regular file" in r.output, r.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


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


def test_cleanup_never_archives_through_a_linked_archive_folder(store, home, old_version, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Found by the fault sweep: the default archive (<workspace>/archive) planted as a link
    to a folder of the director's took every archived version there."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (home / "archive").symlink_to(theirs)
    r = cli(home, "cleanup", "film", "--keep", "0")
    assert r.exit_code == 2 and "a symbolic link leads it out" in r.output and len(r.output.strip().splitlines()) == 1
    assert os.listdir(theirs) == []
    assert (home / "media" / old_version.path).is_file()  # nothing moved
