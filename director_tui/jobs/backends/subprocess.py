"""The `subprocess` back end: a generator is a program started with an argv (DESIGN.md).

It runs in its own session and process group, stdin from /dev/null, stdout and stderr on
one pipe read line by line; it must write `{output}`. Stopping it is SIGTERM to the group,
SIGKILL after the grace period, and SIGKILL to whatever is left of the group on every way
out; once it has exited, children that still hold the pipe get DRAIN_S to finish and are
then killed, not waited for. A child that left the group (setsid) is found after the run
by its environment's DIRECTOR_TASK_MARK and killed by the runner (jobs/processes.Leftovers).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from typing import TYPE_CHECKING

from director_tui.jobs.backends.base import Backend, Job, Reporter, StartContext, TaskFailed
from director_tui.jobs.child import Child
from director_tui.jobs.generators import build_argv
from director_tui.jobs.processes import (
    LEFTOVERS,
    MARK_ENV,
    forget_group,
    kill_leftover,
    process_start,
    remember_group,
)

if TYPE_CHECKING:
    from director_tui.core.models import Task
    from director_tui.jobs.generators import GeneratorSettings

READ_CHUNK = 65536
MAX_LINE = 64 * 1024  # longer "lines" are cut, never raise (see DESIGN.md)
DRAIN_S = 1.0  # after the generator exits, how long its output may still arrive
TAIL_LINES = 3


def kill_group(pgid: int) -> None:
    """SIGKILL to a generator's process group (what is left of it; nothing if it is gone)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class SubprocessJob(Job):
    def __init__(self, child: Child, start: float | None = None, mark: str = "") -> None:
        self.child = child
        self.mark = mark  # its environment's MARK_ENV: what a child that left the group still carries
        self.pid = child.pid  # also its process group
        self.start = start  # its start time: with the pid, the group's private record
        self.tail: list[str] = []  # the last lines that were not progress: a failure's reason

    async def run(self, report: Reporter) -> None:
        child = self.child
        child.watch(asyncio.get_running_loop())
        try:
            await child.attach()
            await self._read_output(report)
            code = await child.wait()
        except BaseException:  # any failure here (even ours): the generator does not run on
            if child.returncode is None:
                await asyncio.shield(self.stop(0.0))
            raise
        finally:
            kill_group(self.pid)  # what is left of its group, whatever happened
            forget_group(self.pid, self.start)
            if self.mark:  # and what left the group (setsid): the runner's next rounds
                LEFTOVERS.ended(self.mark)
        if code != 0:
            tail = " | ".join(self.tail[-TAIL_LINES:]) or "no output"
            what = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
            raise TaskFailed(f"generator {what}: {tail}")

    def keep_tail(self, lines: list[str]) -> None:
        from director_tui.jobs.generators import parse_progress

        tail = [line.strip()[:300] for line in lines[-40:] if parse_progress(line) is None]
        if tail:
            self.tail = (self.tail + tail)[-TAIL_LINES:]

    async def _read_output(self, report: Reporter) -> None:
        """Until the pipe closes; or, once the generator itself has exited, for at most
        DRAIN_S more: children it left holding the pipe are killed, not waited for."""
        child = self.child
        pending = b""
        exited = asyncio.ensure_future(child.wait())
        drain_until: float | None = None

        def emit(raw: list[bytes]) -> None:
            lines = [r.decode("utf-8", errors="replace") for r in raw]
            lines = [line for line in lines if line.strip()]
            if lines:
                self.keep_tail(lines)
                report.text(lines)

        while True:
            reading = asyncio.ensure_future(child.read(READ_CHUNK))
            if drain_until is None:
                await asyncio.wait({reading, exited}, return_when=asyncio.FIRST_COMPLETED)
                if not reading.done():  # the generator exited: what it printed is in the pipe
                    drain_until = time.monotonic() + DRAIN_S
            if not reading.done():
                try:
                    await asyncio.wait_for(reading, max(0.0, drain_until - time.monotonic()))  # type: ignore[operator]
                except TimeoutError:  # its children still hold the pipe: stop them, stop reading
                    kill_group(self.pid)
                    break
            chunk = reading.result()
            if not chunk:
                break
            pending += chunk
            # tqdm redraws with \r; treat it as a line end too.
            parts = pending.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            pending = parts.pop()
            if len(pending) > MAX_LINE:
                parts.append(pending[:MAX_LINE])
                pending = b""
            emit(parts)
        if pending:
            emit([pending])
        exited.cancel()

    async def stop(self, grace_s: float) -> None:
        child = self.child
        child.watch(asyncio.get_running_loop())  # may come before run() has begun
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(child.wait(), grace_s)
            except TimeoutError:
                kill_group(self.pid)
                await child.wait()
        kill_group(self.pid)

    def close(self) -> None:
        self.child.close()


class SubprocessBackend(Backend):
    name = "subprocess"

    def template(self, ctx: StartContext) -> list[str]:
        assert ctx.settings.command is not None, "a subprocess back end needs a command"
        return list(ctx.settings.command)

    def start(self, ctx: StartContext) -> Job:
        task = ctx.task
        reference = str(ctx.home / "media" / task.reference_path) if task.reference_path else ""
        values = {
            "prompt": task.prompt, "output": str(ctx.output), "seed": str(task.seed),
            "reference": reference, "segment": str(task.position), "stream": task.slug,
            "duration": f"{task.duration:g}", "width": str(task.width), "height": str(task.height),
        }
        argv = build_argv(self.template(ctx), values)
        ctx.log(f"$ {argv!r}")
        import secrets

        mark = secrets.token_hex(12)
        try:
            child = Child(argv, env={**os.environ, MARK_ENV: mark})
        except FileNotFoundError:
            raise TaskFailed(f"generator not found: {argv[0]!r} (not on PATH or no such file)") from None
        except PermissionError:
            raise TaskFailed(f"generator not executable: {argv[0]!r}") from None
        except OSError as exc:
            raise TaskFailed(f"generator could not start: {argv[0]!r}: {exc.strerror or exc}") from None
        start = process_start(child.pid)
        try:
            try:
                remember_group(child.pid, start)  # ours: the only word recovery kills on
            except OSError as exc:
                raise TaskFailed(f"cannot record the generator's process group in this account's state folder "
                                 f"({exc.strerror or exc})") from None
            ctx.store.tasks.set_pid(task.id, child.pid, start, ctx.log_path)
        except BaseException:
            kill_group(child.pid)
            forget_group(child.pid, start)
            child.popen.wait()
            child.close()
            raise
        return SubprocessJob(child, start, mark)

    def reap(self, task: Task, settings: GeneratorSettings, grace_s: float) -> bool:
        return kill_leftover(task, grace_s)  # only a group this account recorded starting
