"""The store: migrations on open, WAL, write transactions, activity rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from director_tui.core import queue, review
from director_tui.core.models import Activity, Asset, AssetState, Segment

BOTH_STORES = True  # each test on SQLite and on PostgreSQL (conftest.store_kind)


def test_another_connection_commit_changes_the_change_token(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import reopen, token_moves

    before = store.change_token()
    assert not token_moves(store, before, timeout=0.3)  # nothing committed: nothing to read again
    other = reopen(store, home)
    with other.write() as s:
        s.add(Activity(kind="test.ping", actor="other"))
    other.dispose()
    assert token_moves(store, before)


def test_decisions_write_activity_and_checkpoints(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import run_tasks

    stream = make_stream(n=2)
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "tester")
    run_tasks(store, home, stream.id)
    with store.read() as s:
        segs = s.execute(select(Segment).order_by(Segment.position)).scalars().all()
    with store.write() as s:
        review.approve(s, segs[0].id, Asset.KEYFRAME, "tester")
        review.reject(s, segs[1].id, Asset.KEYFRAME, "tester", notes="too dark")
    with store.read() as s:
        kinds = [a.kind for a in s.execute(select(Activity).order_by(Activity.id)).scalars()]
        assert kinds[0] == "stream.created"
        assert kinds.count("task.queued") == 2 and kinds.count("version.created") == 2
        assert kinds[-2:] == ["version.approved", "version.rejected"]
        actors = {a.actor for a in s.execute(select(Activity)).scalars() if a.kind.startswith("version.")}
        assert actors == {"tester"}
        assert s.get(Segment, segs[1].id).keyframe_state == AssetState.REJECTED
    with store.write() as s:
        with pytest.raises(queue.QueueError, match="approve a keyframe"):
            queue.enqueue(s, segs[1].id, Asset.VIDEO, "tester")
        review.approve(s, segs[1].id, Asset.KEYFRAME, "tester")
    with store.read() as s:
        kinds = [a.kind for a in s.execute(select(Activity).order_by(Activity.id)).scalars()]
        assert "checkpoint.passed" in kinds


def test_a_new_workspace_has_the_default_presets(store) -> None:  # type: ignore[no-untyped-def]
    from director_tui.core.models import Preset

    with store.read() as s:
        names = set(s.execute(select(Preset.name)).scalars())
    assert {"More dramatic lighting", "Slower camera movement", "Warmer color palette"} <= names


def test_the_first_frame_needs_no_orm() -> None:
    """The app module (and everything the first screen imports, the backstop its on_mount
    installs among them) must not pull in SQLAlchemy: the store opens in a thread after the
    first frame (make bench: open; 1.1 -> 1.9 the time the backstop imported jobs.recovery)."""
    import subprocess
    import sys

    code = ("import sys, director_tui.ui.app, director_tui.ui.backstop, director_tui.ui.screens.main, "
            "director_tui.ui.widgets.status_header; "
            "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_held_lock_is_transient_and_while_busy_waits_it_out(impatient) -> None:  # type: ignore[no-untyped-def]
    import threading
    import time

    from director_tui.core.store.base import while_busy

    short, holder = impatient
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(Exception) as err:
        with short.write() as s:
            s.add(Activity(kind="test.blocked", actor="tester"))
    assert short.is_transient(err.value)
    assert not short.is_transient(ValueError("locked out of the building"))

    def write() -> int:
        with short.write() as s:
            s.add(Activity(kind="test.late", actor="tester"))
        return 1

    holder.execute("COMMIT")
    taken = threading.Event()

    def hold_for_a_while() -> None:  # another writer, holding the lock longer than the 0.2 s timeout
        con = sqlite3.connect(Path(short.url.removeprefix("sqlite:///")), isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(0.5)
        con.execute("COMMIT")
        con.close()

    threading.Thread(target=hold_for_a_while).start()
    taken.wait(5)
    started = time.monotonic()
    assert while_busy(short, write) == 1  # failed once at least (0.2 s timeout), then went in
    assert time.monotonic() - started >= 0.3
    with short.read() as s:
        assert s.execute(select(Activity).where(Activity.kind == "test.late")).scalar_one() is not None


def test_the_backup_copy_is_consistent_and_carries_the_checksums(store, film, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from director_tui.core.models import Version

    sums = store.backup_to(tmp_path / "copy.db")
    with store.read() as s:
        recorded = {v.path: v.checksum for v in s.execute(select(Version)).scalars()}
    assert sums == recorded and len(sums) == 4
    if not store.url.startswith("sqlite"):  # pg_dump's custom format, restored into a new database
        restored = _restored(store, tmp_path / "copy.db")
        with restored.read() as s:
            assert {v.path: v.checksum for v in s.execute(select(Version)).scalars()} == recorded
        restored.dispose()
        return
    con = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


def _restored(store, dump: Path):  # type: ignore[no-untyped-def]
    """A new database on the same server with the dump loaded (PostgresStore.restore_from)."""
    from sqlalchemy import create_engine

    from director_tui.core.store.postgres import PostgresStore, sqlalchemy_url

    name = f"restored_{abs(hash(str(dump))) % 10**8}"
    admin = create_engine(sqlalchemy_url(store.url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    target = PostgresStore(store.url.replace(store.url.split("/")[3].split("?")[0], name, 1))
    target.restore_from(dump)
    target.migrate()  # at head already: nothing to do, and no error
    return target


def test_two_results_for_one_segment_get_the_next_numbers_and_their_files(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    """Variations finish together: both claimed when v1 was next; each gets its own number
    and file (PostgreSQL: the claim's foreseen number is refused once taken, then the next)."""
    import os

    from director_tui.core.models import Task, Version
    from director_tui.jobs.recording import MediaPlacement

    stream = make_stream(n=1)
    with store.write() as s:
        seg = s.execute(select(Segment)).scalar_one()
        for seed in (1, 2):
            s.add(Task(stream_id=stream.id, segment_id=seg.id, asset="keyframe", prompt="p", seed=seed))
    first = store.tasks.claim(stream.id, "keyframe", "a", os.getpid(), None)
    second = store.tasks.claim(stream.id, "keyframe", "b", os.getpid(), None)
    assert first and second and first.id != second.id
    folder = Path("film") / "s1"
    (home / "media" / folder).mkdir(parents=True)
    ids = []
    for task in (first, second):
        tmp = home / f"out-{task.id}.png"
        tmp.write_bytes(b"picture %d" % task.id)
        ids.append(store.tasks.record_version(task, "tester", MediaPlacement(home, folder, "keyframe", tmp), "g",
                                              16, 9, None, 10, "0" * 64, "logs/x")[0])
    with store.read() as s:
        versions = {v.id: v for v in s.execute(select(Version)).scalars()}
    assert [versions[i].number for i in ids] == [1, 2]
    assert [(home / "media" / versions[i].path).read_bytes() for i in ids] == [b"picture %d" % first.id,
                                                                             b"picture %d" % second.id]


def test_a_share_without_hard_links_still_records_each_result_once(store, home, make_stream,  # type: ignore[no-untyped-def]
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Some SMB shares make no hard links: the file is then moved inside the record's
    transaction (PostgreSQL's other path; SQLite always does that)."""
    import errno
    import os

    from director_tui.core.models import Task, Version
    from director_tui.jobs.recording import MediaPlacement

    def no_links(_src: object, _dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    stream = make_stream(n=1)
    with store.write() as s:
        seg = s.execute(select(Segment)).scalar_one()
        s.add(Task(stream_id=stream.id, segment_id=seg.id, asset="keyframe", prompt="p", seed=1))
    task = store.tasks.claim(stream.id, "keyframe", "a", os.getpid(), None)
    folder = Path("film") / "s1"
    tmp = home / "out.png"
    tmp.write_bytes(b"picture")
    version_id, _ = store.tasks.record_version(task, "tester", MediaPlacement(home, folder, "keyframe", tmp), "g",
                                               16, 9, None, 7, "0" * 64, "logs/x")
    with store.read() as s:
        version = s.get(Version, version_id)
    assert version.number == 1 and (home / "media" / version.path).read_bytes() == b"picture"
    assert not tmp.exists()  # moved, not copied


def test_a_result_claims_the_slots_next_task_with_it_and_only_once(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    """record_and_claim: the result in, then the next queued task of the same (stream,
    asset) is ours (PostgreSQL: in the result's own statement). A number another result
    took meanwhile undoes the whole statement, claim included: tried again, one task is
    claimed, not two."""
    import os

    from director_tui.core.models import Task, Version
    from director_tui.core.store.base import Claimant
    from director_tui.jobs.recording import MediaPlacement

    stream = make_stream(n=3)
    with store.write() as s:
        segs = list(s.execute(select(Segment).order_by(Segment.position)).scalars())
        for seg in segs:
            s.add(Task(stream_id=stream.id, segment_id=seg.id, asset="keyframe", prompt="p", seed=1))
        s.add(Task(stream_id=stream.id, segment_id=segs[0].id, asset="video", prompt="m", seed=1))
    first = store.tasks.claim(stream.id, "keyframe", "w1", os.getpid(), None)
    assert first is not None and first.segment_id == segs[0].id
    folder = Path("film") / f"s{first.segment_id}"
    (home / "media" / folder).mkdir(parents=True)
    with store.write() as s:  # number 1 taken under the claim's feet, its file not (yet) there
        s.add(Version(segment_id=first.segment_id, asset="keyframe", number=1, path="elsewhere.png", prompt="p",
                      seed=9, generator="g", width=16, height=9, size_bytes=1, checksum="0" * 64))
    tmp = home / "out.png"
    tmp.write_bytes(b"picture")
    version_id, _approved, following = store.tasks.record_and_claim(
        first, "tester", MediaPlacement(home, folder, "keyframe", tmp), "g", 16, 9, None, 7, "0" * 64, "logs/x",
        Claimant("w1", os.getpid(), None))
    with store.read() as s:
        version = s.get(Version, version_id)
        tasks = {t.id: t for t in s.execute(select(Task)).scalars()}
    assert version.number == 2 and (home / "media" / version.path).read_bytes() == b"picture"
    assert following is not None and following.segment_id == segs[1].id and following.asset == "keyframe"
    assert tasks[first.id].state == "succeeded" and tasks[first.id].version_id == version_id
    assert tasks[following.id].state == "running" and tasks[following.id].owner == "w1"
    assert sorted(t.segment_id for t in tasks.values() if t.state == "queued") == [segs[0].id, segs[2].id]
    # the last keyframe task: nothing left of its (stream, asset) to claim; the clip is not ours
    last = store.tasks.claim(stream.id, "keyframe", "w2", os.getpid(), None)
    tmp.write_bytes(b"another")
    *_rest, nothing = store.tasks.record_and_claim(
        last, "tester", MediaPlacement(home, Path("film") / "s3", "keyframe", tmp), "g", 16, 9, None, 7, "0" * 64,
        "logs/y", Claimant("w2", os.getpid(), None))
    assert nothing is None
    with store.read() as s:
        assert [t.asset for t in s.execute(select(Task).where(Task.state == "queued")).scalars()] == ["video"]
