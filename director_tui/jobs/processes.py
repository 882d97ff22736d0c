"""Processes on this machine: when one started (to tell a pid from a reused one), and
killing a dead instance's leftover generator group."""

from __future__ import annotations

import contextlib
import os
import signal
import time
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


def kill_leftover(task: Task, grace_s: float = 5.0) -> bool:
    """Kill the generator's process group unless its pid now belongs to someone else, or
    it ran on another machine (a pid there means nothing here)."""
    import socket

    pgid = task.pgid
    if not pgid or (task.owner or "").split(":", 1)[0] not in ("", socket.gethostname()):
        return False
    start = process_start(pgid)
    if start not in (None, -1.0) and task.proc_start is not None and start != task.proc_start:
        return False  # the leader's pid was reused by an unrelated process
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    return True
