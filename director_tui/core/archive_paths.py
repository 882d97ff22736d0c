"""Paths that come from the store, made safe before cleanup and restore touch a file (issue 25).

Anyone who can write the shared store can write a version's `path` (`../../home/victim/
notes.txt`) or its `archive_location` (`/home/victim/.bashrc`, `/dev/zero`), and anyone who
can write the workspace can make a segment's folder in `media/` a link. So:

- a version's file is `media/<path>` only for a relative path with no `..`, reached
  through no symbolic link below `media/` (`version_file`);
- cleanup copies to the archive being used (`--archive`), at the version's own path under
  it, never to a place the row names (`archive_target`);
- restore takes a local archived copy only when it is a regular file whose size and
  checksum are the version's, and writes it through a private temporary file (0600,
  created with O_EXCL) that takes the version's name only once it checks out, and never
  over a file that is there (`bring_back`);
- before a local file is deleted, the archived copy must be seen to survive the local one
  going (`survives_without`): an rclone remote that points back into `media/` is caught.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

CHUNK = 1 << 20


class UnsafePath(Exception):
    """A path from the store (or found in the workspace) that leads outside where it may go."""


def version_file(home: Path, rel: str, *, what: str = "version") -> Path:
    """`media/<rel>` when `rel` is a plain relative path whose folders below `media/` are real
    folders (or not there yet); UnsafePath naming it otherwise."""
    if not rel or rel.startswith("/") or "\x00" in rel:
        raise UnsafePath(f"{what}: its stored path {rel[:120]!r} is not a path inside media/")
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise UnsafePath(f"{what}: its stored path {rel[:120]!r} leaves media/")
    media = home / "media"
    here = os.fspath(media)
    for i, part in enumerate(parts):
        here = f"{here}/{part}"
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            break  # not there (yet): nothing below it can be a link
        except OSError as exc:
            raise UnsafePath(f"{what}: {rel[:120]!r} cannot be checked ({exc.strerror or exc})") from None
        if stat.S_ISLNK(st.st_mode):
            where = "is a symbolic link" if i == len(parts) - 1 else f"is inside {'/'.join(parts[:i + 1])}/, a symbolic link"
            raise UnsafePath(f"{what}: media/{rel[:120]} {where}; left alone")
        if i < len(parts) - 1 and not stat.S_ISDIR(st.st_mode):
            raise UnsafePath(f"{what}: media/{'/'.join(parts[:i + 1])} is not a folder; left alone")
    return media / rel


def archive_target(dest: str, rel: str, join: Callable[[str, str], str]) -> str:
    """Where cleanup puts a version: its own path under the archive being used (`rel` was
    checked by version_file), whatever the row's `archive_location` says."""
    return join(dest, rel)


def _sha256_fd(fd: int) -> str:
    h = hashlib.sha256()
    os.lseek(fd, 0, os.SEEK_SET)
    while block := os.read(fd, CHUNK):
        h.update(block)
    return h.hexdigest()


def bring_back(src: Path, dest: Path, checksum: str, size: int | None, mode: int = 0o600) -> None:
    """Copy a local archived copy `src` to the version's file `dest` (checked by version_file):
    `src` must be a regular file of the version's size, read through a descriptor (a FIFO
    or a device is refused before anything is read); the copy goes to a private temporary
    file beside `dest` and is linked to `dest` once its checksum is the version's (a file
    that appeared at `dest` meanwhile is never replaced). UnsafePath or OSError."""
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise UnsafePath(f"{src}: the archived copy cannot be read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(f"{src}: the archived copy is not a regular file; nothing restored")
        if size is not None and st.st_size != size:
            raise UnsafePath(f"{src}: the archived copy is {st.st_size:,} bytes, the version {size:,}; nothing restored")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp_fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)  # 0600, O_EXCL
        try:
            with os.fdopen(tmp_fd, "wb") as out:
                while block := os.read(fd, CHUNK):
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            with open(tmp, "rb") as check:
                if _sha256_fd(check.fileno()) != checksum:
                    raise UnsafePath(f"{src}: the archived copy's checksum does not match the version; nothing restored")
            os.chmod(tmp, mode)
            os.link(tmp, dest)  # FileExistsError rather than replacing what is there
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    finally:
        os.close(fd)


def survives_without(local: Path, check: Callable[[], bool]) -> bool:
    """Whether the archived copy is still there with the local file out of the way: the local
    file is moved aside (same folder), `check` looks at the archive, and it is moved back.
    An archive that is the local file itself (a remote or link pointing back into media/)
    fails the check."""
    aside = local.with_name(f".{local.name}.archiving")
    os.rename(local, aside)
    try:
        return check()
    finally:
        os.rename(aside, local)
