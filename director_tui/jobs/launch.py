"""Starting a claimed task: its log, a fresh private folder for its output, and its back end's
job (jobs/backends/), whose handle (a pid) is in the store before the hop returns.

Runs in the worker thread that claimed the task, so a started generator is in the
store before anything else runs. Never raises: the task is claimed already, so any
problem becomes the `error` it fails with, and it never stays `running`.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from director_tui.core.guards import NotAFolder
from director_tui.core.store import Store
from director_tui.core.store.base import ClaimedTask
from director_tui.jobs.backends import Job, StartContext, TaskFailed, backend_named
from director_tui.jobs.generators import OUTPUT_SUFFIX, GeneratorSettings


class TaskLog:
    """A task's log file that never fails the task or the runner: a full disk (ENOSPC, also
    from the flush when it is closed) or a mount gone stops the logging, and `error` keeps
    the first failure to say (issue 25: regen --wait printed a traceback from closing it)."""

    def __init__(self, fh: TextIO) -> None:
        self._fh = fh
        self.error: OSError | None = None

    def write(self, text: str) -> int:
        """Written through at once (one write per batch of lines, not per line): `T` `enter`
        follows the log while the task runs, remote ones included (issue 27, 4)."""
        if self.error is None:
            try:
                written = self._fh.write(text)
                self._fh.flush()
                return written
            except (OSError, ValueError) as exc:  # ValueError: written after it was closed
                self.error = exc if isinstance(exc, OSError) else OSError(str(exc))
        return 0

    def close(self) -> None:
        try:
            self._fh.close()
        except OSError as exc:
            self.error = self.error or exc


@dataclass
class Launch:
    """A claimed task and its started job, handed from a worker thread to the loop."""

    task: ClaimedTask
    log: TaskLog
    log_path: Path
    job: Job | None = None
    tmp_path: Path | None = None
    settings: GeneratorSettings | None = None
    error: str = ""  # why the generation did not start

    @property
    def stored_log(self) -> str:
        """The log's path as the store keeps it: relative to the workspace, which machines
        mount at different places (media_root)."""
        return f"logs/{self.log_path.name}"


def start_task(store: Store, home: Path, task: ClaimedTask, settings_of: Callable[[int, str], GeneratorSettings],
               make_dir: Callable[[Path], Path]) -> Launch:
    log_path = home / "logs" / f"task-{task.id}.log"
    try:
        make_dir(log_path.parent)
        log = TaskLog(open_log(log_path))
    except OSError as exc:
        return Launch(task, TaskLog(open(os.devnull, "w")), log_path,  # closed by the runner
                      error=f"cannot write the task's log {log_path}: {exc.strerror or exc}")
    launch = Launch(task, log, log_path)
    try:
        launch.settings = settings_of(task.stream_id, task.asset)
        launch.tmp_path = private_output(home, task, make_dir)
        backend = backend_named(launch.settings.backend_name)
        def log_line(line: str) -> None:
            log.write(line + "\n")

        launch.job = backend.start(StartContext(store, home, task, launch.settings, launch.tmp_path,
                                                log_line, launch.stored_log, make_dir))
    except TaskFailed as exc:
        launch.error = str(exc)
    except NotAFolder as exc:  # a link planted in media/ (core/guards.real_folder)
        launch.error = str(exc)
    except Exception as exc:
        launch.error = f"internal error: {exc!r}"
    return launch


def open_log(path: Path) -> TextIO:
    """A task's log, for appending, never through a link (issue 25): a colleague who can
    write the shared logs/ folder could plant `task-4.log -> ~you/.bashrc`, or make logs/
    itself a link, and have your instance append a prompt of theirs there. The folder must
    be a real folder, the file is opened with O_NOFOLLOW and kept only if it is a plain
    file of this account's with no other name (a hard link); a task run again after an
    interruption appends to its own log."""
    folder = os.lstat(path.parent)
    if not stat.S_ISDIR(folder.st_mode):
        raise OSError(errno.ELOOP, f"{path.parent.name}/ is a link, not a folder")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_nlink != 1:
            raise OSError(errno.EPERM, "not a plain file of this account's")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "a", encoding="utf-8", errors="replace")
    except BaseException:
        os.close(fd)
        raise


def private_output(home: Path, task: ClaimedTask, make_dir: Callable[[Path], Path]) -> Path:
    """The name the generation writes its output to: in a fresh folder of its own (private,
    a random name), so nothing can be waiting there for it — a symlink planted at a name it
    could guess, a file another task left."""
    tmp_root = make_dir(home / "media" / task.slug / ".tmp")
    tmp_dir = Path(tempfile.mkdtemp(prefix=f"task-{task.id}-", dir=tmp_root))
    return tmp_dir / f"output{OUTPUT_SUFFIX[task.asset]}"
