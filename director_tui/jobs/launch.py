"""Starting a claimed task: its log, its argv, its generator process, its pid in the store.

Runs in the worker thread that claimed the task, so a started generator is in the
store before anything else runs. Never raises: the task is claimed already, so any
problem becomes the `error` it fails with, and it never stays `running`.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from director_tui.core.db import Store
from director_tui.jobs import task_store
from director_tui.jobs.child import Child
from director_tui.jobs.generators import OUTPUT_SUFFIX, GeneratorSettings, build_argv
from director_tui.jobs.recovery import process_start
from director_tui.jobs.task_store import ClaimedTask


@dataclass
class Launch:
    """A claimed task and its started generator, handed from a worker thread to the loop."""

    task: ClaimedTask
    log: TextIO
    log_path: Path
    child: Child | None = None
    tmp_path: Path | None = None
    settings: GeneratorSettings | None = None
    error: str = ""  # why the generator did not start


def start_task(store: Store, home: Path, task: ClaimedTask, settings_of: Callable[[int, str], GeneratorSettings],
          make_dir: Callable[[Path], Path]) -> Launch:
    log_path = home / "logs" / f"task-{task.id}.log"
    try:
        make_dir(log_path.parent)
        log: TextIO = log_path.open("a", encoding="utf-8", errors="replace")
    except OSError as exc:
        return Launch(task, open(os.devnull, "w"), log_path,  # closed by the runner
                      error=f"cannot write the task's log {log_path}: {exc.strerror or exc}")
    launch = Launch(task, log, log_path)
    try:
        launch.settings = settings_of(task.stream_id, task.asset)
        argv, launch.tmp_path = _argv(home, task, launch.settings, make_dir)
        log.write(f"$ {argv!r}\n")
        try:
            launch.child = Child(argv)
        except FileNotFoundError:
            launch.error = f"generator not found: {argv[0]!r} (not on PATH or no such file)"
            return launch
        except PermissionError:
            launch.error = f"generator not executable: {argv[0]!r}"
            return launch
        except OSError as exc:
            launch.error = f"generator could not start: {argv[0]!r}: {exc.strerror or exc}"
            return launch
        task_store.set_pid(store, task.id, launch.child.pid, process_start(launch.child.pid), str(log_path))
    except Exception as exc:
        launch.error = f"internal error: {exc!r}"
        if launch.child is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(launch.child.pid, signal.SIGKILL)
            launch.child.popen.wait()
            launch.child.close()
            launch.child = None
    return launch


def _argv(home: Path, task: ClaimedTask, settings: GeneratorSettings,
          make_dir: Callable[[Path], Path]) -> tuple[list[str], Path]:
    """The generator's argv, and the temporary name it writes its output to: in a fresh
    folder of its own (private, a random name), so nothing can be waiting there for it —
    a symlink planted at a name it could guess, a file another task left."""
    import tempfile

    tmp_root = make_dir(home / "media" / task.slug / ".tmp")
    tmp_dir = Path(tempfile.mkdtemp(prefix=f"task-{task.id}-", dir=tmp_root))
    tmp_path = tmp_dir / f"output{OUTPUT_SUFFIX[task.asset]}"
    reference = str(home / "media" / task.reference_path) if task.reference_path else ""
    values = {
        "prompt": task.prompt, "output": str(tmp_path), "seed": str(task.seed),
        "reference": reference, "segment": str(task.position), "stream": task.slug,
        "duration": f"{task.duration:g}", "width": str(task.width), "height": str(task.height),
    }
    return build_argv(settings.template(), values), tmp_path
