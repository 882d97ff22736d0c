"""Knowing at once when another process commits to a SQLite workspace (issue 26, 7).

The apps polled the store's change token twice a second: a colleague's decision took up to
half a second to show (p95 468 ms in `make bench`). A commit in WAL mode appends to
`director.db-wal` (a checkpoint writes `director.db`), so the workspace folder is watched
(watchfiles: inotify on Linux), not recursively, for those two names; a change wakes the
app, which then reads the token as before. The poll stays, slower, for what a watch cannot
see: a commit made on another machine to a workspace on a network share (NFS, SMB), where
it stays at the store's own pace.

Watching opens no descriptor of the database (inotify watches a folder by its path), so it
never drops SQLite's locks (see sqlite.py, _OPEN)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

NETWORK_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "lustre", "afs",
                       "fuse.sshfs", "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse")
# the watcher's wake-up: 5 ms without further change ends a burst of writes (a commit's),
# and no burst is held longer than 50 ms
STEP_MS, DEBOUNCE_MS = 5, 50
STOP_CHECK_MS = 500  # how soon stop() ends the thread when nothing changes


def filesystem_of(path: Path) -> str:
    """The type of the file system `path` is on (/proc/self/mountinfo), '' when unknown."""
    try:
        target = os.path.realpath(path)
        best, kind = "", ""
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                left, _, right = line.partition(" - ")
                fields = left.split()
                if len(fields) < 5 or not right:
                    continue
                mount = fields[4].replace("\\040", " ")
                inside = target == mount or target.startswith(mount.rstrip("/") + "/")
                if inside and len(mount) >= len(best):
                    best, kind = mount, right.split()[0]
        return kind
    except OSError:
        return ""


def on_network_share(path: Path) -> bool:
    return filesystem_of(path) in NETWORK_FILESYSTEMS


class ChangeWatcher:
    """Calls `on_change()` (in its own thread) soon after any of `files` is written,
    created or replaced. `active` is False once watching failed (the folder is gone,
    inotify's limits are reached): the caller's poll carries on alone."""

    def __init__(self, files: list[Path], on_change: Callable[[], None]) -> None:
        self.files = files
        self.on_change = on_change
        self._stop = threading.Event()
        self.active = False

    def start(self) -> None:
        """Never blocks: the watch is set up in the thread (`active` says whether it is on)."""
        if not self.files:
            return
        self.active = True
        threading.Thread(target=self._run, name="store-watch", daemon=True).start()

    def _run(self) -> None:
        folder = self.files[0].parent
        names = {f.name for f in self.files}
        try:
            from watchfiles import watch

            for changes in watch(folder, watch_filter=lambda _change, path: os.path.basename(path) in names,
                                 step=STEP_MS, debounce=DEBOUNCE_MS, rust_timeout=STOP_CHECK_MS,
                                 yield_on_timeout=True, stop_event=self._stop, recursive=False,
                                 raise_interrupt=False, ignore_permission_denied=True):
                if changes:
                    self.on_change()
        except Exception as exc:  # e.g. inotify's watch limit: the poll carries on
            logging.getLogger(__name__).warning("cannot watch %s for changes: %r", folder, exc)
        finally:
            self.active = False

    def stop(self) -> None:
        """Ends the thread within STOP_CHECK_MS (a daemon: an exit never waits for it)."""
        self._stop.set()
