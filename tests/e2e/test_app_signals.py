"""The real app in a pseudo-terminal, hung up on like a dropped SSH connection, then killed -9."""

from __future__ import annotations

import os
import pty
import select
import signal
import time
from pathlib import Path

from sqlalchemy import select as sql_select

from director_tui.core.models import Task, TaskState
from director_tui.jobs.recovery import recover
from tests.conftest import PY, gen, group_alive, spec_dict


def spawn_app(home: Path, config: Path) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update({"DIRECTOR_CONFIG": str(config), "TERM": "xterm-256color"})
        os.execv(PY, [PY, "-m", "director_tui", "--home", str(home), "open", "film"])
    return pid, fd


def drain_until(fd: int, condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Read the app's screen output (so it never blocks) until condition() holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                pass
        if condition():
            return
    raise AssertionError("condition not met in time")


def running(store) -> Task | None:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return s.execute(sql_select(Task).where(Task.state == TaskState.RUNNING, Task.pgid.is_not(None))).scalars().first()


def exited(pid: int) -> bool:
    return os.waitpid(pid, os.WNOHANG)[0] == pid


def test_sighup_to_the_app_stops_generators_and_requeues(store, home, make_stream, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_stream(spec_dict(1, generators={"keyframe": {"command": [PY, gen("hang.py"), "{output}"]}}))
    config = tmp_path / "config.toml"
    config.write_text("auto_generate = true\nkill_grace_s = 1.0\n")
    pid, fd = spawn_app(home, config)
    try:
        drain_until(fd, lambda: running(store) is not None)  # opening queued and started the keyframe
        task = running(store)
        os.kill(pid, signal.SIGHUP)
        drain_until(fd, lambda: exited(pid), 30)
    finally:
        os.close(fd)
    assert not group_alive(task.pgid)
    with store.read() as s:
        again = s.get(Task, task.id)
    assert again.state == TaskState.QUEUED and again.message == "interrupted: stopped by SIGHUP"


def test_kill_9_of_the_app_is_recovered_by_the_next_instance(store, home, make_stream, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_stream(spec_dict(1, generators={"keyframe": {"command": [PY, gen("hang.py"), "{output}"]}}))
    config = tmp_path / "config.toml"
    config.write_text("auto_generate = true\nkill_grace_s = 0.5\n")
    pid, fd = spawn_app(home, config)
    try:
        drain_until(fd, lambda: running(store) is not None)
        task = running(store)
        os.kill(pid, signal.SIGKILL)
        drain_until(fd, lambda: exited(pid), 10)
    finally:
        os.close(fd)
    assert group_alive(task.pgid)  # the app died without cleaning up
    assert recover(store, "tester", grace_s=0.5) == [(task.id, task.id + 1)]
    deadline = time.monotonic() + 10  # killed; gone once init has reaped the orphan
    while group_alive(task.pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not group_alive(task.pgid)
