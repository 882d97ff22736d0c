"""Job control with real processes: crash recovery, SIGHUP, cross-instance cancel, two workers."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from director_tui.cli import app
from director_tui.core.models import Activity, Task, TaskState, Version
from director_tui.jobs.recovery import recover
from tests.conftest import PY, gen, group_alive, spec_dict

BOTH_STORES = True  # each test on SQLite and on PostgreSQL (conftest.store_kind)


cli_runner = CliRunner()


def cli(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return cli_runner.invoke(app, ["--home", str(home), *args])


def start_worker(home: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([PY, "-m", "director_tui", "--home", str(home), "work", "film", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_until(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def tasks(store) -> list[Task]:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return list(s.execute(select(Task).order_by(Task.id)).scalars())


@pytest.fixture
def hanging(store, make_stream):  # type: ignore[no-untyped-def]
    """One segment whose keyframe generator hangs (and ignores SIGTERM); its task queued."""
    make_stream(spec_dict(1, generators={"keyframe": {"command": [PY, gen("hang.py"), "--ignore-term", "{output}"]}}))
    from director_tui.core import queue

    with store.write() as s:
        queue.queue_missing_keyframes(s, 1, "tester")


def running_task(store) -> Task:  # type: ignore[no-untyped-def]
    wait_until(lambda: any(t.state == TaskState.RUNNING and t.pgid for t in tasks(store)))
    return next(t for t in tasks(store) if t.state == TaskState.RUNNING)


def recover_dead(store, **kw):  # type: ignore[no-untyped-def]
    """Recovery once the dead instance is known dead: at once on SQLite (its pid is gone); on
    a store machines share, only after its heartbeat went stale (a pid means nothing there)."""
    if store.shared_between_machines:
        assert recover(store, "tester", **kw) == []  # a fresh heartbeat: alive, whatever its pid
        time.sleep(1.2)
        kw["stale_s"] = 1.0
    return recover(store, "tester", **kw)


def test_kill_9_leaves_an_orphan_that_the_next_instance_recovers(store, home, hanging) -> None:  # type: ignore[no-untyped-def]
    worker = start_worker(home)
    task = running_task(store)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    assert group_alive(task.pgid)  # the generator outlived its instance
    moved = recover_dead(store, grace_s=0.5)
    assert [old for old, _new in moved] == [task.id]
    wait_until(lambda: not group_alive(task.pgid), 10)
    old, new = tasks(store)
    assert old.state == TaskState.INTERRUPTED and "died" in old.error
    assert new.state == TaskState.QUEUED and new.seed == old.seed and new.prompt == old.prompt
    with store.read() as s:
        kinds = [a.kind for a in s.execute(select(Activity).order_by(Activity.id)).scalars()]
    assert kinds[-2:] == ["task.interrupted", "task.queued"]
    assert recover(store, "tester") == []  # nothing left to recover


def test_recovered_work_resumes_before_what_was_queued_behind_it(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    import os

    from director_tui.core import queue

    make_stream(spec_dict(2, generators={"keyframe": {"command": [PY, gen("hang.py"), "{output}"],
                                                      "concurrency": 1}}))
    with store.write() as s:
        queue.queue_missing_keyframes(s, 1, "tester")
    worker = start_worker(home)
    first = running_task(store)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    [(old, new)] = recover_dead(store, grace_s=0.5)
    assert old == first.id
    claimed = store.tasks.claim(1, "keyframe", "test", os.getpid(), None)
    assert claimed is not None and claimed.id == new and claimed.segment_id == first.segment_id


def test_sighup_stops_generators_and_requeues_with_the_reason(store, home, hanging) -> None:  # type: ignore[no-untyped-def]
    worker = start_worker(home)
    task = running_task(store)
    worker.send_signal(signal.SIGHUP)
    out, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0 and "work: stopped by SIGHUP" in out
    assert not group_alive(task.pgid)
    (again,) = tasks(store)
    assert again.state == TaskState.QUEUED and again.owner is None
    assert again.message == "interrupted: stopped by SIGHUP"


def test_cancel_from_another_instance_stops_the_generator(store, home, hanging) -> None:  # type: ignore[no-untyped-def]
    worker = start_worker(home)
    try:
        task = running_task(store)
        r = cli(home, "cancel", "film", str(task.id))
        assert r.exit_code == 0 and f"task {task.id}: asked to stop" in r.output
        t0 = time.monotonic()
        wait_until(lambda: tasks(store)[0].state == TaskState.CANCELLED, 15)
        # SIGTERM is ignored by this generator: SIGKILL after the 5 s grace period
        assert time.monotonic() - t0 < 10
        assert not group_alive(task.pgid)
        # its private folder, partial output and all, goes within a second (the flush thread)
        wait_until(lambda: not any((home / "media" / "film" / ".tmp").iterdir()), 5)
    finally:
        worker.terminate()
        worker.wait(20)


def test_cancel_queued_and_all(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    make_stream(n=3)
    assert cli(home, "regen", "film", "--segments", "1-3").exit_code == 0
    ids = [t.id for t in tasks(store)]
    r = cli(home, "cancel", "film", str(ids[0]))
    assert r.exit_code == 0 and "cancelled" in r.output
    r = cli(home, "cancel", "film", "--all")
    assert r.exit_code == 0 and r.output.count("cancelled") == 2
    assert {t.state for t in tasks(store)} == {TaskState.CANCELLED}
    r = cli(home, "cancel", "film", str(ids[0]))
    assert r.exit_code == 2 and "is cancelled: nothing to cancel" in r.output


def test_two_workers_run_each_task_exactly_once(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    make_stream(spec_dict(8, generators={"keyframe": {"pace_s": 0.4, "concurrency": 2}}))
    assert cli(home, "regen", "film").exit_code == 0
    workers = [start_worker(home, "--until-idle") for _ in range(2)]
    outs = [w.communicate(timeout=120)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outs
    done = tasks(store)
    assert [t.state for t in done] == [TaskState.SUCCEEDED] * 8
    with store.read() as s:
        versions = list(s.execute(select(Version)).scalars())
    assert len(versions) == 8 and {v.number for v in versions} == {1}
    owners = {t.owner.split(":")[1] for t in done}
    assert len(owners) == 2, "both instances should have claimed work"
    said = "".join(outs)  # each task named as the director names shots: stream and position
    assert all(f"keyframe film #{pos}: succeeded" in said for pos in range(1, 9)), said


def test_regen_wait_reports_failures_with_exit_1(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    make_stream(spec_dict(2, generators={"keyframe": {"command": [PY, gen("fail.py"), "{output}"]}}))
    r = cli(home, "regen", "film", "--segments", "1,2", "--wait")
    assert r.exit_code == 1
    assert "CUDA out of memory" in r.output and r.output.count("failed") >= 2


def test_regen_wait_succeeds_and_status_shows_the_task(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    make_stream(n=2)
    r = cli(home, "regen", "film", "--segments", "2", "--wait")
    assert r.exit_code == 0, r.output
    data = json.loads(cli(home, "status", "film", "--json").output)
    assert data["segments"][1]["keyframe"]["version"] == 1
    assert data["segments"][1]["keyframe"]["task"]["state"] == "succeeded"
    assert data["segments"][0]["keyframe"]["task"] is None
    r = cli(home, "regen", "film", "--segments", "3-x")
    assert r.exit_code == 2 and "--segments: '3-x' is not a position" in r.output
    r = cli(home, "regen", "film", "--asset", "video")
    assert r.exit_code == 1 and "approve a keyframe before generating its video" in r.output


