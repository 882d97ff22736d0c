"""Generator slots: a finished generator's slot goes straight to the next task (started in
the thread that records the result). Checked on the real processes, not on events."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from director_tui.core import queue
from director_tui.core.models import Task, TaskState, Version
from director_tui.jobs.runner import Runner
from tests.conftest import PY, gen, group_alive, run_tasks, spec_dict


def _timed_stream(make_stream, record_dir: Path, n: int, concurrency: int, sleep_s: float):  # type: ignore[no-untyped-def]
    command = [PY, gen("timed.py"), "--dir", str(record_dir), "--sleep", str(sleep_s), "--out", "{output}"]
    return make_stream(spec_dict(n, generators={"keyframe": {"command": command, "concurrency": concurrency}}))


def _queue_all(store, stream) -> None:  # type: ignore[no-untyped-def]
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "tester")


def _intervals(record_dir: Path) -> dict[int, tuple[float, float | None]]:
    out: dict[int, tuple[float, float | None]] = {}
    for f in record_dir.iterdir():
        times = [float(x) for x in f.read_text().split()]
        out[int(f.name)] = (times[0], times[1] if len(times) > 1 else None)
    return out


def test_never_more_generator_processes_than_the_limit(store, home, make_stream, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    record_dir = tmp_path / "ran"
    record_dir.mkdir()
    stream = _timed_stream(make_stream, record_dir, n=9, concurrency=3, sleep_s=0.6)
    _queue_all(store, stream)
    run_tasks(store, home, stream.id)
    spans = _intervals(record_dir)
    assert len(spans) == 9 and all(end is not None for _, end in spans.values())
    # the most processes alive at one moment: sweep over start (+1) and end (-1) times
    edges = sorted([(s, 1) for s, _ in spans.values()] + [(e, -1) for _, e in spans.values()],  # type: ignore[misc]
                   key=lambda edge: (edge[0], edge[1]))
    alive = peak = 0
    for _, step in edges:
        alive += step
        peak = max(peak, alive)
    assert peak == 3
    with store.read() as s:
        assert len(s.execute(select(Version)).scalars().all()) == 9


def test_stop_while_slots_refill_leaves_no_generator_and_no_running_task(store, home, make_stream,  # type: ignore[no-untyped-def]
                                                                         tmp_path: Path) -> None:
    record_dir = tmp_path / "ran"
    record_dir.mkdir()
    stream = _timed_stream(make_stream, record_dir, n=120, concurrency=3, sleep_s=0.01)
    _queue_all(store, stream)

    async def go(after_s: float) -> None:
        runner = Runner(store, home, [stream.id], actor="tester", kill_grace_s=0.5, poll_interval_s=0.05)
        runner.start()
        await asyncio.sleep(after_s)
        await runner.stop("test shutdown")
        assert not runner.running and not runner._jobs

    for after_s in (0.25, 0.35, 0.45, 0.55, 0.65, 0.75):  # stop at different points of the refilling
        asyncio.run(go(after_s))
        with store.read() as s:
            tasks = s.execute(select(Task)).scalars().all()
            versions = s.execute(select(Version)).scalars().all()
        states = {t.state for t in tasks}
        assert TaskState.RUNNING not in states, f"stopped after {after_s} s"
        assert states <= {TaskState.SUCCEEDED, TaskState.QUEUED}
        succeeded = [t for t in tasks if t.state == TaskState.SUCCEEDED]
        assert len(succeeded) == len(versions) > 0
        assert all((home / "media" / v.path).is_file() for v in versions)
        # every generator that started (a killed one may have left its record empty)
        assert not any(group_alive(int(f.name)) for f in record_dir.iterdir())
    # what was left queued still runs to the end afterwards
    run_tasks(store, home, stream.id)
    with store.read() as s:
        assert {t.state for t in s.execute(select(Task)).scalars()} == {TaskState.SUCCEEDED}
        assert len(s.execute(select(Version)).scalars().all()) == 120


def test_a_locked_database_is_reported_and_the_queue_resumes(store, home, make_stream, impatient) -> None:  # type: ignore[no-untyped-def]
    """Another process holds the write lock longer than the busy timeout: the runner says
    so and keeps trying; once the lock is gone the queued tasks run."""
    from director_tui.jobs.runner import RunnerEvent

    stream = make_stream(spec_dict(2, generators={"keyframe": {"command": [PY, gen("timed.py"), "--dir", str(home),
                                                                       "--sleep", "0", "--out", "{output}"]}}))
    _queue_all(store, stream)
    short, holder = impatient
    events: list[RunnerEvent] = []

    async def go() -> None:
        holder.execute("BEGIN IMMEDIATE")  # a writer in another connection that does not let go
        runner = Runner(short, home, [stream.id], actor="tester", on_event=events.append,
                        poll_interval_s=0.05)
        runner.start()
        try:
            for _ in range(100):
                await asyncio.sleep(0.05)
                if any(e.kind == "trouble" for e in events):
                    break
            holder.execute("COMMIT")
            await runner.run_until_idle(30)
        finally:
            await runner.stop()

    asyncio.run(go())
    trouble = [e.message for e in events if e.kind == "trouble"]
    assert trouble and "could not start tasks" in trouble[0] and "locked" in trouble[0]
    with store.read() as s:
        assert {t.state for t in s.execute(select(Task)).scalars()} == {TaskState.SUCCEEDED}


def test_a_task_whose_log_cannot_be_written_fails_with_the_reason(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    """Claimed, then its log cannot be made (here `logs` is a file): the task fails with the
    reason and the queue goes on, rather than the task staying `running`."""
    stream = make_stream(spec_dict(2))
    _queue_all(store, stream)
    home.mkdir(parents=True, exist_ok=True)
    (home / "logs").write_text("not a folder")
    run_tasks(store, home, stream.id)
    with store.read() as s:
        tasks = s.execute(select(Task)).scalars().all()
    assert [t.state for t in tasks] == [TaskState.FAILED, TaskState.FAILED]
    assert all(t.error.startswith(f"cannot write the task's log {home / 'logs'}") for t in tasks)


def test_a_result_is_recorded_once_a_lock_held_past_the_busy_timeout_goes(store, home, make_stream, tmp_path,  # type: ignore[no-untyped-def]
                                                                         impatient) -> None:
    """The generator finishes while another connection holds the write lock for longer
    than the busy timeout: the version is recorded when the lock goes, not thrown away,
    and progress writing (heartbeats) carries on afterwards."""
    import time

    from director_tui.jobs.runner import RunnerEvent

    record_dir = tmp_path / "ran"
    record_dir.mkdir()
    stream = _timed_stream(make_stream, record_dir, n=1, concurrency=1, sleep_s=0.8)
    _queue_all(store, stream)
    short, holder = impatient
    events: list[RunnerEvent] = []

    async def go() -> None:
        runner = Runner(short, home, [stream.id], actor="tester", on_event=events.append,
                        poll_interval_s=0.05, flush_interval_s=0.1)
        runner.start()
        try:
            while not any(e.kind == "started" for e in events):
                await asyncio.sleep(0.02)
            holder.execute("BEGIN IMMEDIATE")  # taken while the generator runs
            while not any(e.kind == "generated" for e in events):
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.6)  # the first attempt to record fails meanwhile
            assert not any(e.kind == "finished" for e in events)
            holder.execute("COMMIT")
            await runner.run_until_idle(30)
            assert runner._flush_task is not None and not runner._flush_task.done()
        finally:
            await runner.stop()

    t0 = time.monotonic()
    asyncio.run(go())
    assert time.monotonic() - t0 < 20
    with store.read() as s:
        (task,) = s.execute(select(Task)).scalars().all()
        versions = s.execute(select(Version)).scalars().all()
    assert task.state == TaskState.SUCCEEDED and len(versions) == 1
    assert (home / "media" / versions[0].path).is_file()
    assert any(e.kind == "trouble" and "progress" in e.message for e in events)
