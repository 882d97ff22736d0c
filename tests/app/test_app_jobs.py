"""Job control in the app: marks, batch regenerate, cancel, the tasks screen, retry, the log."""

from __future__ import annotations

from sqlalchemy import select, update

from director_tui.core.models import Stream, Task, TaskState
from director_tui.ui.app import make_app
from director_tui.ui.screens.tasks import TaskLogScreen, TasksScreen, eta_seconds
from director_tui.ui.widgets.segment_table import SegmentTable
from tests.conftest import PY, SIZE, cell, gen, segs, trust_generators, wait_for


def all_tasks(store) -> list[Task]:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return list(s.execute(select(Task).order_by(Task.id)).scalars())


def set_generator(store, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    import json

    with store.write() as s:
        s.execute(update(Stream).values(generators_json=json.dumps({"keyframe": {"command": command}})))
    trust_generators({"keyframe": {"command": command}})


async def test_marks_range_and_batch_regenerate(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    ids = [s.id for s in segs(store)]
    before = len(all_tasks(store))
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(SegmentTable)
        await pilot.press("x")  # marks 1, moves to 2
        assert table.marked == {ids[0]} and table.cursor_row == 1
        await pilot.press("j", "V", "j")  # range 3..4
        assert table.marked == {ids[0], ids[2], ids[3]}
        await pilot.press("escape")  # ends the range, keeps the marks
        assert "▌" in cell(app, ids[2], "pos")
        await pilot.press("r")
        assert table.marked == set()
        assert all("queued" in cell(app, i, "progress") for i in (ids[0], ids[2], ids[3]))
        await pilot.press("ctrl+a")
        assert table.marked == set(ids)
        await pilot.press("ctrl+a")
        assert table.marked == set()
    new = all_tasks(store)[before:]
    assert sorted(t.segment_id for t in new) == [ids[0], ids[2], ids[3]]


async def test_x_cancels_a_running_generator(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    set_generator(store, [PY, gen("hang.py"), "{output}"])
    s1 = segs(store)[0]
    app = make_app(settings, store, "film")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: app.runner is not None and any(
            r.job is not None for r in app.runner.running.values()), timeout=20)
        pid = next(iter(app.runner.running.values())).job.pid  # type: ignore[union-attr]
        await pilot.press("X")
        await wait_for(pilot, lambda: "cancelled" in cell(app, s1.id, "progress"), timeout=20)
    task = all_tasks(store)[-1]
    assert task.state == TaskState.CANCELLED and task.cancel_requested
    import os

    try:
        os.killpg(pid, 0)
        raise AssertionError("the generator's process group is still alive")
    except ProcessLookupError:
        pass


async def test_tasks_screen_log_and_retry(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    set_generator(store, [PY, gen("fail.py"), "{output}"])
    s1 = segs(store)[0]
    app = make_app(settings, store, "film")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: "✗" in cell(app, s1.id, "progress"), timeout=20)
        assert cell(app, s1.id, "progress").startswith("✗ keyframe failed: exit 3: RuntimeError: CUD")
        await pilot.press("T")
        assert isinstance(app.screen, TasksScreen)
        screen = app.screen
        table = screen.query_one("#tasks-table")
        await wait_for(pilot, lambda: table.row_count > 0 and "failed" in str(table.get_row_at(table.row_count - 1)[4]), 10)
        last = table.get_row_at(table.row_count - 1)
        assert "CUDA out of memory" in str(last[9])  # after Where
        assert screen.current_task_id() == int(str(last[0]))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskLogScreen), 5)

        def log_text() -> str:
            return "\n".join(str(line.text) for line in app.screen.query_one("#task-log-body").lines)

        await wait_for(pilot, lambda: "PROGRESS 10" in log_text(), 5)
        text = log_text()
        assert "RuntimeError: CUDA out of memory" in text and "PROGRESS 10 loading model" in text
        await pilot.press("escape")
        assert app.screen is screen
        failed_id = screen.current_task_id()
        await pilot.press("r")  # retry with one key
        await wait_for(pilot, lambda: len(all_tasks(store)) == failed_id + 1, timeout=5)
        await pilot.press("escape")
        assert not isinstance(app.screen, TasksScreen)
    retried = all_tasks(store)[-1]
    original = all_tasks(store)[failed_id - 1]
    assert retried.seed == original.seed and retried.segment_id == original.segment_id


def test_eta_from_the_progress_rate() -> None:
    assert eta_seconds(10.0, 0.5) == 10.0
    assert eta_seconds(30.0, 0.75) == 10.0
    assert eta_seconds(5.0, 0.01) is None  # too early to extrapolate


async def test_tasks_screen_follows_the_newest_and_cancels_it(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    set_generator(store, [PY, gen("hang.py"), "{output}"])
    app = make_app(settings, store, "film")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("T")
        screen = app.screen
        table = screen.query_one("#tasks-table")
        await pilot.press("escape", "j", "r", "T")  # a new task appears while we look
        await wait_for(pilot, lambda: isinstance(app.screen, TasksScreen) and "running" in str(
            app.screen.query_one("#tasks-table").get_row_at(app.screen.query_one("#tasks-table").row_count - 1)[4]), 20)
        screen = app.screen
        table = screen.query_one("#tasks-table")
        assert table.cursor_row == table.row_count - 1  # on the newest
        newest = screen.current_task_id()
        await pilot.press("g", "G", "X")
        await wait_for(pilot, lambda: all_tasks(store)[-1].state == TaskState.CANCELLED, 20)
    assert all_tasks(store)[-1].id == newest


async def test_a_locked_database_shows_a_notice_and_the_queue_resumes(store, settings, film, impatient) -> None:  # type: ignore[no-untyped-def]
    from director_tui.core import queue

    s1 = segs(store)[0]
    with store.write() as s:
        queue.enqueue(s, s1.id, "keyframe", "tester", regenerate=True)
    short, holder = impatient
    holder.execute("BEGIN IMMEDIATE")  # another process's writer that does not let go
    app = make_app(settings, short, "film")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: any("could not start tasks" in str(n.message)
                                          for n in app._notifications), timeout=20)
        holder.execute("COMMIT")
        await wait_for(pilot, lambda: all(t.state == TaskState.SUCCEEDED for t in all_tasks(store)),
                       timeout=30)
