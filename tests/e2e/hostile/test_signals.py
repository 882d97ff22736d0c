"""Faults that end a session (issue 14, 3): a hang-up, SIGTERM or a terminal that goes away
always ends the real app within seconds, whatever it is doing, with its tasks back on the
queue; `regen --wait` and `work` do the same on SIGTERM, SIGINT or SIGHUP; `work` and
`cancel` deal with a dead instance's leftovers first. Real processes in real pseudo-terminals."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select as sql_select
from sqlalchemy import update

from director_tui.core import queue
from director_tui.core.models import Task, TaskState
from tests.conftest import PY, gen, group_alive, spec_dict

HANG = {"keyframe": {"command": [PY, gen("hang.py"), "{output}"]}}


def running(store) -> Task | None:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return s.execute(sql_select(Task).where(Task.state == TaskState.RUNNING, Task.pgid.is_not(None))).scalars().first()


def state_of(store, task_id: int) -> Task:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return s.get(Task, task_id)


class Terminal:
    """The app (or a command) on a pseudo-terminal; `controlling=False` gives it no
    controlling terminal, so closing ours sends it no SIGHUP: only its input hangs up."""

    def __init__(self, argv: list[str], env: dict[str, str], controlling: bool = True) -> None:
        self.master, slave = pty.openpty()
        os.set_inheritable(slave, True)
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                                     start_new_session=True,
                                     preexec_fn=(lambda: _take_tty(slave)) if controlling else None)
        os.close(slave)
        self.screen = b""

    def pump(self, until, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.master >= 0:
                ready, _, _ = select.select([self.master], [], [], 0.05)
                if ready:
                    try:
                        self.screen = (self.screen + os.read(self.master, 65536))[-200_000:]
                    except OSError:
                        pass
            else:
                time.sleep(0.05)
            if until():
                return True
        return False

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> None:
        if self.master >= 0:
            os.close(self.master)
            self.master = -1

    def exited_within(self, seconds: float) -> bool:
        return self.pump(lambda: self.proc.poll() is not None, seconds)


def _take_tty(fd: int) -> None:
    import fcntl
    import termios

    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)


@pytest.fixture
def app_env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text("auto_generate = true\nkill_grace_s = 5.0\n")
    return {**os.environ, "DIRECTOR_CONFIG": str(config), "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}


def open_app(home: Path, env: dict[str, str], controlling: bool = True) -> Terminal:
    return Terminal([PY, "-m", "director_tui", "--home", str(home), "open", "film"], env, controlling)


@pytest.mark.parametrize("what", ["quitting", "help open", "a line just closed", "plain"])
def test_a_hang_up_ends_the_app_whatever_it_is_doing(store, home, make_stream, app_env, what) -> None:  # type: ignore[no-untyped-def]
    make_stream(spec_dict(1, generators=HANG))
    term = open_app(home, app_env)
    try:
        assert term.pump(lambda: running(store) is not None), "the keyframe never started"
        task = running(store)
        if what == "quitting":
            term.send("q")
            time.sleep(0.05)  # a hang-up within a second of q
        elif what == "help open":
            term.send("?")
            term.pump(lambda: b"remap" in term.screen, 10)
        elif what == "a line just closed":
            term.send("/sky")
            time.sleep(0.3)
            term.send("\x1b")
            time.sleep(0.05)
        os.kill(term.proc.pid, signal.SIGHUP)
        t0 = time.monotonic()
        assert term.exited_within(10), f"still running 10 s after the hang-up ({what})"
        assert time.monotonic() - t0 < 10
    finally:
        term.close()
        if term.proc.poll() is None:
            term.proc.kill()
    assert not group_alive(task.pgid)
    again = state_of(store, task.id)
    assert again.state == TaskState.QUEUED and again.message.startswith("interrupted")


def test_a_terminal_that_goes_away_without_a_signal_ends_the_app(store, home, make_stream, app_env) -> None:  # type: ignore[no-untyped-def]
    make_stream(spec_dict(1, generators=HANG))
    term = open_app(home, app_env, controlling=False)
    try:
        assert term.pump(lambda: running(store) is not None), "the keyframe never started"
        task = running(store)
        term.close()  # the SSH connection is gone; no SIGHUP reaches the app
        assert term.exited_within(12), "still running after its terminal went away"
    finally:
        term.close()
        if term.proc.poll() is None:
            term.proc.kill()
    assert not group_alive(task.pgid)
    assert state_of(store, task.id).state == TaskState.QUEUED


def test_the_backstop_ends_a_stuck_process_and_requeues_its_tasks(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A process whose way out is stuck (here: its main thread never returns): the backstop
    kills its generator, puts the task back on the queue through its own connection, ends it."""
    stream = make_stream(spec_dict(1, generators=HANG))
    with store.write() as s:
        task = queue.queue_missing_keyframes(s, stream.id, "tester")[0]
    hang = subprocess.Popen([PY, gen("hang.py"), "x"], start_new_session=True)
    with store.write() as s:
        s.execute(update(Task).where(Task.id == task.id).values(state=TaskState.RUNNING, pid=hang.pid, pgid=hang.pid))
    script = (
        "import time\nfrom pathlib import Path\nfrom director_tui.ui.backstop import Backstop\n"
        f"b = Backstop(Path({str(home)!r}), None, lambda: [({task.id}, {hang.pid})], 'tester')\n"
        "b.arm('stopped by SIGHUP', after_s=0.5)\n"
        "while True:\n    time.sleep(1)\n"
    )
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script], timeout=20, capture_output=True)
    assert time.monotonic() - t0 < 10
    assert proc.returncode == 129
    hang.wait(5)
    again = state_of(store, task.id)
    assert again.state == TaskState.QUEUED
    assert again.message == "interrupted: stopped by SIGHUP (the app was stuck on its way out)"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_regen_wait_puts_its_tasks_back_at_once_on_a_signal(store, home, make_stream, tmp_path, sig) -> None:  # type: ignore[no-untyped-def]
    make_stream(spec_dict(2, generators=HANG))
    env = {**os.environ, "DIRECTOR_CONFIG": str(tmp_path / "none.toml")}
    proc = subprocess.Popen([PY, "-m", "director_tui", "--home", str(home), "regen", "film", "--wait"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while running(store) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    task = running(store)
    assert task is not None
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == (f"director-tui: stopped by {signal.Signals(sig).name}: its running "
                                            "tasks are back on the queue (another instance or `work` runs them)")
    assert not group_alive(task.pgid)
    with store.read() as s:
        assert {t.state for t in s.execute(sql_select(Task)).scalars()} == {TaskState.QUEUED}


def dead_instance_task(store, stream_id: int) -> tuple[Task, subprocess.Popen]:  # type: ignore[type-arg,no-untyped-def]
    """A task left 'running' by an instance that died, its generator still alive."""
    with store.write() as s:
        task = queue.queue_missing_keyframes(s, stream_id, "tester")[0]
    from director_tui.jobs.processes import process_start, remember_group

    hang = subprocess.Popen([PY, gen("hang.py"), "x"], start_new_session=True)
    start = process_start(hang.pid)
    remember_group(hang.pid, start)  # started by this account, as its runner records it
    dead = subprocess.Popen([PY, "-c", "pass"])
    dead.wait()
    with store.write() as s:
        s.execute(update(Task).where(Task.id == task.id).values(
            state=TaskState.RUNNING, pid=hang.pid, pgid=hang.pid, proc_start=start,
            owner=f"{os.uname().nodename}:{dead.pid}:dead", owner_pid=dead.pid))
    return task, hang


def test_work_reaps_a_dead_instances_leftovers_before_deciding_it_is_idle(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stream = make_stream(spec_dict(1, generators={"keyframe": {"command": [PY, gen("where_out.py"), "--record",
                                                                       str(tmp_path / "rec"), "--out", "{output}"]}}))
    task, hang = dead_instance_task(store, stream.id)
    env = {**os.environ, "DIRECTOR_CONFIG": str(tmp_path / "none.toml")}
    proc = subprocess.run([PY, "-m", "director_tui", "--home", str(home), "work", "film", "--until-idle"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert hang.wait(10) is not None  # its leftover generator was killed
    with store.read() as s:
        states = [t.state for t in s.execute(sql_select(Task).order_by(Task.id)).scalars()]
    assert states == [TaskState.INTERRUPTED, TaskState.SUCCEEDED]  # requeued, and run


def test_cancel_reaps_a_dead_instances_leftovers_and_cancels_its_task(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stream = make_stream(spec_dict(1, generators=HANG))
    task, hang = dead_instance_task(store, stream.id)
    env = {**os.environ, "DIRECTOR_CONFIG": str(tmp_path / "none.toml")}
    proc = subprocess.run([PY, "-m", "director_tui", "--home", str(home), "cancel", "film", str(task.id)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert hang.wait(10) is not None
    with store.read() as s:
        states = [t.state for t in s.execute(sql_select(Task).order_by(Task.id)).scalars()]
    assert states == [TaskState.INTERRUPTED, TaskState.CANCELLED]
