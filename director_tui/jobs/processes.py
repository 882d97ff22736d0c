"""Processes on this machine: when one started (to tell a pid from a reused one), and
killing a dead instance's leftover generator group.

A group is killed only when this account started it (issue 25): the store says which
group a task's generator ran in, but anyone who can write the store can say anything
(a fake task naming the victim's own shell's group and its start time). So every
generator group this account starts is also recorded in its own state folder, where
no one else can write (`$DIRECTOR_STATE/groups/HOST-PGID-START`), and recovery kills a
group only when that record is there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from director_tui.core.models import Task


def process_start(pid: int) -> float | None:
    """The process's start time (clock ticks since boot), None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
        return float(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return -1.0  # exists, owned by someone else
        return -1.0  # exists; no /proc on this system


def _group_record(pgid: int, start: float | None) -> Path:
    import socket

    from director_tui.config import state_dir

    return state_dir() / "groups" / f"{socket.gethostname()}-{int(pgid)}-{0 if start is None else round(start)}"


def remember_group(pgid: int, start: float | None) -> None:
    """A generator group this account started: recorded before the store hears of it."""
    path = _group_record(pgid, start)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = os.lstat(path.parent)
    if not stat.S_ISDIR(folder.st_mode) or folder.st_uid != os.getuid():
        raise OSError(f"{path.parent}: not a folder of this account's")
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
    except FileExistsError:  # the same group again (a pid and start time are one process)
        pass


def forget_group(pgid: int, start: float | None) -> None:
    """The group has ended (or was killed): its record goes."""
    with contextlib.suppress(OSError):
        os.unlink(_group_record(pgid, start))


def started_here(pgid: int, start: float | None) -> bool:
    """Whether this account recorded starting this group (a plain file of its own)."""
    try:
        st = os.lstat(_group_record(pgid, start))
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid()


def kill_leftover(task: Task, grace_s: float = 5.0) -> bool:
    """Kill the generator's process group unless its pid now belongs to someone else, it
    ran on another machine (a pid there means nothing here), or this account has no
    record of starting it (the store's word alone is not enough to kill)."""
    import socket

    pgid = task.pgid
    if not pgid or pgid <= 1 or (task.owner or "").split(":", 1)[0] not in ("", socket.gethostname()):
        return False
    if not started_here(pgid, task.proc_start):
        return False
    start = process_start(pgid)
    if start not in (None, -1.0) and task.proc_start is not None and start != task.proc_start:
        forget_group(pgid, task.proc_start)
        return False  # the leader's pid was reused by an unrelated process
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        forget_group(pgid, task.proc_start)
        return False
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            forget_group(pgid, task.proc_start)
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    forget_group(pgid, task.proc_start)
    return True


MARK_ENV = "DIRECTOR_TASK_MARK"  # in every generator's environment: a token of its own run


class Leftovers:
    """Processes a finished generator left behind outside its process group: a child that
    called setsid() (a daemon, a server it started) survived the group kill and held a
    GPU (issue 25). Each run's environment carries a token of its own (MARK_ENV), which
    setsid() does not change; after the run ends, the runner's next rounds kill this
    account's processes that still carry it. One scan of /proc per round, and only while
    a run has ended in the last few rounds (a few ms; never per task)."""

    ROUNDS = 3  # a token is looked for this many rounds after its run ended

    def __init__(self) -> None:
        self._ended: dict[str, int] = {}

    def ended(self, mark: str) -> None:
        self._ended[mark] = self.ROUNDS

    def pending(self) -> bool:
        return bool(self._ended)

    def sweep(self) -> int:
        """In a worker thread: SIGKILL to this account's processes carrying an ended run's
        token; the number killed."""
        ended = dict(self._ended)
        if not ended:
            return 0
        wanted = {f"{MARK_ENV}={mark}".encode() for mark in ended}
        uid, killed = os.getuid(), 0
        try:
            names = [name for name in os.listdir("/proc") if name.isdigit()]
        except OSError:  # no /proc here: the group kill is all there is
            names = []
        for name in names:
            try:
                if os.stat(f"/proc/{name}").st_uid != uid:
                    continue
                with open(f"/proc/{name}/environ", "rb") as fh:
                    environ = fh.read()
            except OSError:  # gone meanwhile, or not readable
                continue
            if wanted.intersection(environ.split(b"\0")):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(name), signal.SIGKILL)
                    killed += 1
        for mark, rounds in ended.items():
            if rounds <= 1:
                self._ended.pop(mark, None)
            else:
                self._ended[mark] = rounds - 1
        return killed


LEFTOVERS = Leftovers()  # one per process: every runner in it sweeps the same list
