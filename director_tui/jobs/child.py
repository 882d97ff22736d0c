"""A generator process started from a worker thread and then watched from the event loop.

The runner starts a generator in the same thread hop that claimed its task and
records its pid, so a task costs one hop to start instead of three (queued
check, claim, pid), and no window exists in which a started generator is
unknown to crash recovery. asyncio's own subprocess API can only start a
process on the loop, so this module does the rest of what it does: the loop
reads the output pipe, and learns of the exit from a pidfd (Linux 5.3+) rather
than from a waitpid thread per process; elsewhere a worker thread waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess


class Child:
    """A started generator: its own session and process group, stdout and stderr on one pipe."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        # never a shell: argv goes to exec as is (prompts byte for byte, DESIGN.md)
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,  # noqa: S603
                                      stderr=subprocess.STDOUT, start_new_session=True, bufsize=0, env=env)
        self.pid = self.popen.pid
        self._exit: asyncio.Future[int] | None = None
        self._reader: asyncio.StreamReader | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._waiter: asyncio.Future[int] | None = None

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop, as soon as it has the child: watch for its exit (then `wait()` works)."""
        if self._exit is not None:
            return
        self._exit = loop.create_future()
        try:
            fd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # no pidfd here: a worker thread waits instead
            self._waiter = asyncio.ensure_future(asyncio.to_thread(self.popen.wait))
            self._waiter.add_done_callback(lambda f: self._exited(-9 if f.cancelled() else f.result()))
            return
        loop.add_reader(fd, self._pidfd_ready, loop, fd)

    async def attach(self) -> None:
        """On the loop, after `watch()`: start reading the output pipe."""
        loop = asyncio.get_running_loop()
        if self._reader is not None:
            return
        self._reader = asyncio.StreamReader(loop=loop)
        protocol = asyncio.StreamReaderProtocol(self._reader, loop=loop)
        self._transport, _ = await loop.connect_read_pipe(lambda: protocol, self.popen.stdout)

    def _pidfd_ready(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        loop.remove_reader(fd)
        os.close(fd)
        code = self.popen.poll()  # reaps: readable means it has exited
        if code is None:  # cannot happen on Linux; wait rather than lose the exit
            code = self.popen.wait()
        self._exited(code)

    def _exited(self, code: int) -> None:
        if self._exit is not None and not self._exit.done():
            self._exit.set_result(code)

    async def read(self, n: int) -> bytes:
        assert self._reader is not None, "attach() first"
        return await self._reader.read(n)

    async def wait(self) -> int:
        assert self._exit is not None, "watch() first"
        return await asyncio.shield(self._exit)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        elif self.popen.stdout is not None:
            with contextlib.suppress(OSError):
                self.popen.stdout.close()
