"""A finished generation's output: validated, moved into media/, recorded as a version.

Runs in a worker thread. The file is checked (a whole decode), checksummed and
fsynced before it gets a name in media/; the rename and the version row happen
under one write lock, so a row never points at a missing file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

from director_tui.core.durable import fsync_path
from director_tui.core.models import Asset, TaskState
from director_tui.core.store import Store
from director_tui.core.store.base import Claimant, ClaimedTask, while_busy
from director_tui.jobs.generators import GeneratorSettings
from director_tui.media.ffmpeg import MediaError, validate_image, validate_video

DEFAULT_CAPS = {Asset.KEYFRAME: 256 << 20, Asset.VIDEO: 4 << 30}  # bytes (config max_*_mb)


def check_output(tmp_path: Path, asset: str, cap: int) -> None:
    """The output must be one regular file (not a symlink to somewhere else, not a folder)
    no larger than the cap; raises MediaError saying which it is not."""
    try:
        st = os.lstat(tmp_path)
    except FileNotFoundError:
        raise MediaError("no output file was written") from None
    if stat.S_ISLNK(st.st_mode):
        raise MediaError("the output is a symbolic link, not a file (refused: it could point anywhere)")
    if stat.S_ISDIR(st.st_mode):
        raise MediaError("the output is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise MediaError("the output is not a regular file")
    if st.st_size > cap:
        key = "max_keyframe_mb" if asset == Asset.KEYFRAME else "max_video_mb"
        raise MediaError(f"the output is {st.st_size / 2**20:,.0f} MB, over the {cap / 2**20:,.0f} MB "
                         f"allowed for a {asset} (config {key})")


def discard_temp(folder: Path) -> None:
    """Remove a task's private temporary folder and whatever its generator left in it
    (symlinks are removed, never followed)."""
    if folder.name.startswith("task-") and folder.parent.name == ".tmp":
        shutil.rmtree(folder, ignore_errors=True)


def record_output(store: Store, home: Path, actor: str, task: ClaimedTask, tmp_path: Path,
                  settings: GeneratorSettings, log_path: str, make_dir: Callable[[Path], Path],
                  caps: dict[str, int] | None = None,
                  claimant: Claimant | None = None) -> tuple[int, ClaimedTask | None]:
    """Validate `tmp_path`, move it into media/ and record the version; returns its id,
    and the next task of its (stream, asset) claimed for `claimant` with the result where
    one is given (store.tasks.claims_with_result). Raises MediaError (with the reason shown
    to the user) when the output is not valid; then nothing is claimed."""
    check_output(tmp_path, task.asset, (caps or DEFAULT_CAPS)[task.asset])
    info = validate_image(tmp_path) if task.asset == Asset.KEYFRAME else validate_video(tmp_path)
    digest = _sha256(tmp_path)
    size = tmp_path.stat().st_size
    fsync_path(tmp_path)

    folder = Path(task.slug) / f"s{task.segment_id:05d}"
    make_dir(home / "media" / folder)  # before the write lock: a mkdir can take a while

    place = MediaPlacement(home, folder, task.asset, tmp_path)
    next_task = None
    if claimant is None:
        version_id, was_approved = store.tasks.record_version(
            task, actor, place, settings.describe(), info.width, info.height, info.duration, size, digest, log_path)
    else:
        version_id, was_approved, next_task = store.tasks.record_and_claim(
            task, actor, place, settings.describe(), info.width, info.height, info.duration, size, digest, log_path,
            claimant)
    # the rename made durable after the commit, not inside it: an fsync under the write
    # lock would hold every other writer (claims, other results) behind the disk
    _fsync_dir(home / "media" / folder)
    if was_approved:  # the approved count dropped: a checkpoint may reopen
        # retried here, not by the caller: the version is in, and recording it again would fail
        while_busy(store, _update_checkpoints, store, task.stream_id)
    return version_id, next_task


def _update_checkpoints(store: Store, stream_id: int) -> None:
    from director_tui.core.segment_state import update_checkpoints

    with store.write() as s:
        update_checkpoints(s, stream_id)


class MediaPlacement:
    """The output's place in media/ once its version number is known (store.Placement)."""

    def __init__(self, home: Path, folder: Path, asset: str, tmp_path: Path) -> None:
        self.home, self.folder, self.asset, self.tmp_path = home, folder, asset, tmp_path

    def path(self, number: int) -> Path:
        return self.folder / f"{self.asset}-v{number:03d}{self.tmp_path.suffix}"

    def early(self, number: int) -> bool:
        """A hard link at the number's name (FileExistsError if something is there);
        False where the filesystem makes none (some SMB shares): then __call__ in a transaction."""
        dest = self.home / "media" / self.path(number)
        try:
            try:
                os.link(self.tmp_path, dest)
            except FileNotFoundError:  # the folder went away since this runner made it (once more)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.link(self.tmp_path, dest)
        except OSError as exc:  # FileExistsError (EEXIST) goes to the caller: the number is taken
            if exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                return False
            raise
        return True

    def withdraw(self, number: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.home / "media" / self.path(number))

    def done(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp_path)

    def __call__(self, number: int) -> Path:
        rel = self.path(number)
        dest = self.home / "media" / rel
        try:
            os.replace(self.tmp_path, dest)  # never overwrites: the number is new (the store's lock or constraint)
        except FileNotFoundError:  # the folder went away since this runner made it
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.tmp_path, dest)
        return rel


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fsync_path(path)


def record_end(store: Store, task: ClaimedTask, actor: str, state: str, reason: str,
                            log_path: str) -> None:
    """A task's end that is not a version (failed, cancelled, back on the queue), and for a
    cancelled regeneration its row put back as it was before it (core/queue). The row's
    look is retried on its own: a failure there never records the end twice."""
    store.tasks.finish_unsuccessful(task, actor, state, reason, log_path)
    if state == TaskState.CANCELLED:
        from director_tui.core.queue import put_back_cancelled

        with contextlib.suppress(Exception):  # the end is recorded; at worst the row still says regen
            while_busy(store, put_back_cancelled, store, task.id, actor)
