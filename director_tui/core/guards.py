"""Guards on where files go and which files are taken.

Exports, backups and archives are refused when their destination resolves to the
workspace's database (or its -wal/-shm), into `media/` or `logs/` (where a copy would
overwrite or recurse into what it copies), exports and backups into `archive/`, and an
export onto anything that exists and is not a regular file (a device, a FIFO). A file is taken into an export or a backup
only if it is a regular file inside the workspace (no symlink out of it) whose checksum
is the one recorded for it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from pathlib import Path

DB_NAMES = ("director.db", "director.db-wal", "director.db-shm", "director.db-journal")


class DestinationError(ValueError):
    """A destination that would damage the workspace; the message names it and why."""


def is_remote(dest: str) -> bool:
    """`gdrive:backups`, `s3:bucket/x`, `:local:/path` go through rclone; paths stay local."""
    if dest.startswith(":"):
        return True
    return bool(re.match(r"^[A-Za-z0-9_][A-Za-z0-9_. -]*:", dest)) and not Path(dest).exists() \
        and not re.match(r"^[A-Za-z]:[\\/]", dest)


def local_path(dest: str) -> Path | None:
    """The local folder or file a destination names: a plain path, or rclone's `:local:`
    backend; None for a remote (rclone) destination this program cannot see into."""
    if dest.startswith(":local:"):
        return Path(dest[len(":local:"):]).expanduser()
    return None if is_remote(dest) else Path(dest).expanduser()


def _resolved(path: Path) -> Path:
    """Where writing `path` really lands: symlinks in it followed (as the write would)."""
    return Path(os.path.realpath(path.absolute()))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_destination(home: Path, dest: str, what: str) -> None:
    """Raise DestinationError when `dest` (a file for keyframes/spec/cut, a folder for a
    backup or an archive) resolves onto the database or into media/ or logs/."""
    local = local_path(dest)
    if local is None:
        return
    target = _resolved(local)
    root = _resolved(home)
    if _inside(Path(os.path.abspath(local)), Path(os.path.abspath(home))) and not _inside(target, root):
        # a colleague who can write the workspace could plant archive/ or backups/ as a link
        # to a folder of yours: never followed out of the workspace, named on purpose instead
        raise DestinationError(f"{what}: {dest} is in the workspace, but a symbolic link leads it out (to {target}); "
                               f"refused — name {target} itself to write there")
    for name in DB_NAMES:
        if target == root / name:
            raise DestinationError(f"{what}: {dest} is the workspace's database ({name}); "
                                   "writing there would destroy it — choose a path outside the workspace")
    guarded = [("media", "the versions themselves"), ("logs", "the task logs")]
    if what != "archive":  # an export or backup there would overwrite archived versions
        guarded.append(("archive", "the archived versions"))
    for folder, why in guarded:
        if _inside(target, root / folder):
            raise DestinationError(f"{what}: {dest} is inside the workspace's {folder}/ ({why}); "
                                   "choose a folder outside it, e.g. the workspace's own "
                                   f"{'backups/' if folder == 'archive' else 'archive/ or backups/'}")
    if target == root and what not in ("backup", "archive"):
        raise DestinationError(f"{what}: {dest} is the workspace folder itself; name a file")
    if what not in ("backup", "archive"):  # a file: the rename would replace a device or a FIFO
        try:
            st = os.stat(target)
        except OSError:
            return
        if not stat.S_ISREG(st.st_mode):
            raise DestinationError(f"{what}: {dest} exists and is not a regular file; name a new file")


def regular_inside(path: Path, root: Path) -> str:
    """'' when `path` is a regular file inside `root` reached through no symbolic link below
    `root`; else why not. (One lstat per component below root, on plain strings: far
    cheaper than realpath or pathlib, which an export of 1,000 files paid 0.1 s for.)"""
    base, full = os.fspath(root).rstrip("/"), os.fspath(path)
    if not full.startswith(base + "/"):
        return "outside the workspace"
    parts = full[len(base) + 1:].split("/")
    if ".." in parts or "" in parts:
        return "outside the workspace"
    here = base
    st = None
    for i, part in enumerate(parts):
        here = f"{here}/{part}"
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            return "missing"
        except OSError as exc:
            return f"unreadable ({exc.strerror or exc})"
        if stat.S_ISLNK(st.st_mode):
            return "a symbolic link" if i == len(parts) - 1 else "inside a folder that is a symbolic link"
    if st is None or not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return ""


def open_regular(path: Path) -> int:
    """A read-only descriptor of `path`, refusing a symlink at its last component (O_NOFOLLOW)
    and anything but a regular file. Raises OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path}: not a regular file")
    return fd


def media_root_missing(home: Path) -> str:
    return (f"media root {home} does not exist: mount the shared workspace folder there, or set media_root "
            "in this machine's config (or --home)")


def media_root_problem(home: Path) -> str | None:
    """Why a worker cannot put results in the workspace folder (on a studio: the shared
    mount, this machine's media_root): missing, or not writable by this account. None if fine."""
    if not home.is_dir():
        return f"{media_root_missing(home)}; nothing was claimed"
    if not os.access(home, os.W_OK | os.X_OK):
        return f"media root {home} is read-only for this account; nothing was claimed"
    for sub in ("media", "logs"):
        folder = home / sub
        if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            return f"media root {home}: {sub}/ is read-only for this account; nothing was claimed"
    return None


class NotAFolder(OSError):
    """A folder of the workspace the program writes into is a link (or not a folder)."""

    def __str__(self) -> str:  # the sentence alone, without "[Errno 20]"
        return self.strerror or super().__str__()


def real_folder(home: Path, path: Path) -> Path:
    """`mkdir -p path` below `home`, where every folder below `home` must be a real folder,
    not a symbolic link (issue 25): a colleague who can write the workspace could make
    `media/film` or `logs` a link to a folder of yours, and your runner would write its
    versions and logs there. Checked on every call (a few lstat calls, microseconds), as a
    link can be planted at any time. Raises NotAFolder (or OSError)."""
    base, full = os.fspath(home).rstrip("/"), os.fspath(path)
    if not full.startswith(base + "/"):
        raise NotAFolder(errno.EXDEV, f"{full}: not inside the workspace {base}")
    here = base
    for part in full[len(base) + 1:].split("/"):
        here = f"{here}/{part}"
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                os.mkdir(here)
            st = os.lstat(here)
        if not stat.S_ISDIR(st.st_mode):
            rel = here[len(base) + 1:]
            why = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a folder"
            raise NotAFolder(errno.ENOTDIR, f"{rel}/ in the workspace is {why}: refused, nothing is written through it")
    return path
