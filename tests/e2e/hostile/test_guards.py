"""Guards on destinations and files (issue 14, 2): nothing pointed inside the workspace can
overwrite it, a killed backup never looks finished, only the recorded files leave it, and
a new workspace is private (or open to the group when the config says so)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from director_tui.cli import app as cli_app
from director_tui.core import archive, review
from director_tui.core import cleanup as version_cleanup
from director_tui.core.models import Asset, Segment, Task, Version
from tests.conftest import segs, spec_dict

runner = CliRunner()


def cli(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli_app, ["--home", str(home), *args])


@pytest.fixture
def approved(store, film):  # type: ignore[no-untyped-def]
    with store.write() as s:
        for seg in segs(store):
            review.approve(s, seg.id, Asset.KEYFRAME, "tester")
    return film


def versions_count(store) -> int:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return int(s.execute(select(func.count(Version.id))).scalar_one())


@pytest.mark.parametrize("where", ["director.db", "director.db-wal", "media/keys.zip", "media/film/x.zip",
                                   "logs/keys.zip"])
def test_exports_into_the_workspace_are_refused(store, home, approved, where) -> None:  # type: ignore[no-untyped-def]
    before = (home / "director.db").read_bytes()[:100]
    r = cli(home, "export", "film", "keyframes", "-o", str(home / where))
    assert r.exit_code == 2, r.output
    assert len(r.output.strip().splitlines()) == 1 and "choose" in r.output
    assert (home / "director.db").read_bytes()[:100] == before and versions_count(store) == 4


def test_a_symlink_that_leads_into_media_is_followed_to_refuse_it(store, home, approved, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sneaky = tmp_path / "looks-outside"
    sneaky.symlink_to(home / "media")
    r = cli(home, "export", "film", "keyframes", "-o", str(sneaky / "keys.zip"))
    assert r.exit_code == 2 and "inside the workspace's media/" in r.output
    r = cli(home, "export", "film", "backup", "-o", str(sneaky))
    assert r.exit_code == 2 and "inside the workspace's media/" in r.output
    r = cli(home, "cleanup", "film", "--keep", "0", "--archive", str(home / "logs" / "old"))
    assert r.exit_code == 2 and "inside the workspace's logs/" in r.output
    r = cli(home, "export", "film", "backup", "-o", f":local:{home / 'media'}")
    assert r.exit_code == 2


def test_cleanup_never_deletes_the_only_copy(store, home, film, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An archive folder whose stream folder is a symlink back into media/: the "archived
    copy" would be the very file cleanup is about to delete."""
    from director_tui.core import queue
    from tests.conftest import run_tasks

    first = segs(store)[0]
    with store.write() as s:
        queue.enqueue(s, first.id, Asset.KEYFRAME, "tester", regenerate=True)
    run_tasks(store, home, film.id)
    arch = tmp_path / "archive"
    arch.mkdir()
    (arch / "film").symlink_to(home / "media" / "film")
    with store.read() as s:
        old = s.execute(select(Version).where(Version.segment_id == first.id, Version.number == 1)).scalar_one()
    local = home / "media" / old.path
    data = local.read_bytes()
    with pytest.raises(archive.ArchiveError, match="the archive copy is the workspace's own file"):
        version_cleanup.cleanup(store, home, film.id, 0, str(arch), "tester")
    assert local.read_bytes() == data
    with store.read() as s:
        assert s.get(Version, old.id).archive_location is None


def test_a_backup_killed_half_way_never_looks_finished(store, home, approved, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "backups"
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from director_tui.core.archive import backup\n"
        "from director_tui.core.store import open_store\n"
        "def slow(done, total, what):\n"
        "    print(done, flush=True); time.sleep(0.5)\n"
        f"home = Path({str(home)!r})\n"
        f"backup(open_store(home), home, {str(dest)!r}, slow)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for _ in range(3):  # the database and a file copied, more to come
        proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    made = list(dest.iterdir())
    assert len(made) == 1 and made[0].name.endswith(".partial")
    r = cli(home, "export", "film", "backup", "-o", str(dest))  # again: a finished one appears beside it
    assert r.exit_code == 0, r.output
    finished = [p for p in dest.iterdir() if not p.name.endswith(".partial")]
    assert len(finished) == 1 and (finished[0] / "director.db").exists()
    assert len(list((finished[0] / "media").rglob("*.png"))) == 4


def test_only_the_recorded_files_leave_the_workspace(store, home, approved, tmp_path) -> None:  # type: ignore[no-untyped-def]
    position = {seg.id: seg.position for seg in segs(store)}
    paths = []
    with store.read() as s:
        for v in s.execute(select(Version).order_by(Version.segment_id)).scalars():
            assert position[v.segment_id] == len(paths) + 1
            paths.append(home / "media" / v.path)
    paths[1].write_bytes(paths[0].read_bytes())  # replaced behind the store's back
    secret = tmp_path / "secret.png"
    secret.write_bytes(paths[0].read_bytes())
    paths[2].unlink()
    paths[2].symlink_to(secret)  # a link out of the workspace
    r = cli(home, "export", "film", "keyframes", "-o", str(tmp_path / "keys.zip"))
    assert r.exit_code == 0, r.output
    assert "exported keyframes to" in r.output and "(2 files); 2 left out:" in r.output
    import zipfile

    with zipfile.ZipFile(tmp_path / "keys.zip") as zf:
        assert zf.testzip() is None
        assert [n.split("-")[0] for n in zf.namelist()] == ["001", "004"]
    r = cli(home, "export", "film", "backup", "-o", str(tmp_path / "b"))
    assert r.exit_code == 0 and "2 left out" in r.output, r.output
    media = next((tmp_path / "b").iterdir()) / "media"
    copied = sorted(p.name for p in media.rglob("*.png"))
    assert len(copied) == 2 and not any(p.is_symlink() for p in media.rglob("*"))


def test_a_new_workspace_is_private_and_group_mode_opens_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(spec_dict(1)))
    env = {**os.environ, "DIRECTOR_CONFIG": str(tmp_path / "none.toml")}

    def make(home: Path) -> None:
        proc = subprocess.run([sys.executable, "-m", "director_tui", "--home", str(home), "import", str(spec)],
                              env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        proc = subprocess.run([sys.executable, "-m", "director_tui", "--home", str(home), "regen", "film", "--wait"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr

    def modes(home: Path) -> dict[str, str]:
        found = {}
        for p in [home, home / "director.db", home / "media", home / "logs"] + list((home / "media").rglob("*.png")) \
                + [p for p in home.glob("director.db-*")]:
            name = "version" if p.suffix == ".png" else "db-side" if p.name.startswith("director.db-") else p.name
            assert found.setdefault(name, oct(stat.S_IMODE(p.stat().st_mode))) == oct(stat.S_IMODE(p.stat().st_mode))
        return found

    private = tmp_path / "private"
    make(private)
    assert {k: v for k, v in modes(private).items() if k != "db-side"} == {
        "private": "0o700", "director.db": "0o600", "media": "0o700", "logs": "0o700", "version": "0o600"}
    assert modes(private).get("db-side", "0o600") == "0o600"
    (tmp_path / "group.toml").write_text('workspace_mode = "group"\n')
    env["DIRECTOR_CONFIG"] = str(tmp_path / "group.toml")
    shared = tmp_path / "shared"
    make(shared)
    assert {k: v for k, v in modes(shared).items() if k != "db-side"} == {
        "shared": "0o770", "director.db": "0o660", "media": "0o770", "logs": "0o770", "version": "0o660"}
    assert modes(shared).get("db-side", "0o660") == "0o660"
    (tmp_path / "bad.toml").write_text('workspace_mode = "world"\n')
    env["DIRECTOR_CONFIG"] = str(tmp_path / "bad.toml")
    proc = subprocess.run([sys.executable, "-m", "director_tui", "--home", str(shared), "list"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip().endswith("workspace_mode: must be private or group")



@pytest.mark.parametrize("planted", ["the log", "the logs folder"])
def test_a_task_log_planted_as_a_link_is_never_written_through(store, home, make_stream, tmp_path, planted) -> None:  # type: ignore[no-untyped-def]
    """Issue 25, 1: a colleague who can write the shared workspace plants
    logs/task-N.log -> ~victim/.bashrc (or logs/ -> ~victim/) and queues a regeneration
    with a prompt that is shell code: the victim's runner must not append to the target.
    The task fails saying why; nothing outside the workspace changes. (Before, the log
    line with the prompt was appended to the link's target.)"""
    from director_tui.core import queue
    from tests.conftest import run_tasks

    victim_rc = tmp_path / "victim" / ".bashrc"
    victim_rc.parent.mkdir()
    victim_rc.write_text("# the victim's shell setup\n")
    stream = make_stream(spec_dict(1))
    with store.write() as s:
        seg = s.execute(select(Segment)).scalars().first()
        task = queue.enqueue(s, seg.id, Asset.KEYFRAME, "colleague", prompt="'; touch /tmp/pwned; #")
        task_id = task.id
    logs = home / "logs"
    if planted == "the log":
        logs.mkdir(exist_ok=True)
        (logs / f"task-{task_id}.log").symlink_to(victim_rc)
    else:
        if logs.exists():
            logs.rmdir()
        logs.symlink_to(victim_rc.parent, target_is_directory=True)
    run_tasks(store, home, stream.id)
    assert victim_rc.read_text() == "# the victim's shell setup\n"
    assert sorted(p.name for p in victim_rc.parent.iterdir()) == [".bashrc"]
    with store.read() as s:
        done = s.get(Task, task_id)
    assert done.state == "failed" and "cannot write the task's log" in done.error, done.error
