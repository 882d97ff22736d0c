"""Reading a file someone named (a spec, a presets file, a ComfyUI workflow, a comment from
standard input): a regular file only, opened without blocking, read up to a cap. And
writing this user's own small files (trust, preferences) whole, under a lock.

`/dev/zero` as a spec grew the CLI to 5.7 GB and the app to 4.9 GB; a FIFO froze the app's
screen (issue 25). A FIFO or a device is refused before anything is read, and a file past
its cap is refused by its size, never read whole.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


class FileRefused(OSError):
    """Not a file to read: its message (`strerror`) says what it is instead."""

    def __init__(self, why: str) -> None:
        super().__init__(errno.EINVAL, why)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "device"), (stat.S_ISBLK, "device"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "folder")):
        if test(mode):
            return name
    return "special file"


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes; FileRefused (an OSError
    whose strerror says why) for anything else, OSError for a file that cannot be opened."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO's open waits for a writer without it
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"not a regular file (a {_kind(st.st_mode)}); nothing was read")
        if st.st_size > limit:
            raise FileRefused(f"{st.st_size:,} bytes; at most {limit:,}")
        parts: list[bytes] = []
        size = 0
        while block := os.read(fd, CHUNK):
            size += len(block)
            if size > limit:  # it grew while read
                raise FileRefused(f"more than {limit:,} bytes")
            parts.append(block)
        return b"".join(parts)
    finally:
        os.close(fd)


def read_capped(stream: BinaryIO, limit: int, what: str) -> bytes:
    """Standard input (or another stream), up to `limit` bytes: FileRefused past it."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(f"{what}: more than {limit:,} bytes")
    return data


LOCK_WAIT_S = 10.0  # a read-modify-write of a small file takes milliseconds; longer is a stuck process


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock for a read-modify-write of `path` by any process of this user: two
    processes trusting, or saving a preference, at once each read the file, changed it and
    wrote it back, and the later write lost the earlier one's change. flock() on a private
    `.<name>.lock` beside it (never the file itself, which the write replaces). OSError
    when another process holds it for LOCK_WAIT_S."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(folder / f".{path.name}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OSError(errno.EWOULDBLOCK, f"{path}: another process has held its lock for "
                                  f"{LOCK_WAIT_S:.0f} s") from None
                time.sleep(0.005)
        yield
    finally:
        os.close(fd)  # drops the lock


def write_whole(path: Path, data: bytes) -> None:
    """Replace `path` with `data` at once: a fresh temporary file beside it (mkstemp: 0600,
    never one that was there, never through a link), fsynced, renamed over it. A reader
    sees the old content or the new, never half of it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
