"""Getting the work out and keeping it safe: export (keyframes ZIP, spec JSON, final cut),
backup (the store's consistent copy plus media, to a folder or an rclone remote), and version
cleanup to an archive with checksums checked at the destination before anything local goes.

Everything streams file by file (constant memory), writes under a temporary name and
renames, and is safe to kill: run it again and it finishes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from director_tui.config import file_mode
from director_tui.core import activity
from director_tui.core.durable import fsync_path
from director_tui.core.guards import is_remote
from director_tui.core.models import Stream
from director_tui.core.store import Store

Progress = Callable[[int, int, str], None]  # done, total, what
SKIP_MEDIA = (".cache", ".tmp")  # derived or half-written files: never backed up
CHUNK = 1 << 20  # read and copy in 1 MB pieces: constant memory, few Python calls


class ArchiveError(Exception):
    """Export, backup or cleanup could not go on; the message names the file or place."""


def _quiet(done: int, total: int, what: str) -> None:
    pass


# --- names and files --------------------------------------------------------------------
def safe_name(title: str, limit: int = 60) -> str:
    """A title as one harmless path component: no separators, no `..`, no control characters."""
    flat = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    flat = re.sub(r"[^A-Za-z0-9._-]+", "-", flat).strip(".-_")[:limit].strip(".-_")
    return flat or "untitled"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_replace(tmp: Path, dest: Path) -> None:
    """The finished temporary file takes its name (in the workspace's mode), durably."""
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.chmod(tmp, file_mode())
    os.replace(tmp, dest)  # a link at `dest` is replaced, never followed


def private_partial(dest: Path) -> tuple[int, Path]:
    """A new file beside `dest` to write it under (issue 25): created O_EXCL, 0600, under a
    name no one can guess, so a link planted in a shared folder is never written through.
    (An open descriptor and its path.)"""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    return fd, Path(name)


def partials_of(dest: Path) -> list[Path]:
    """The temporary files an abandoned write of `dest` left (private_partial's names)."""
    import glob

    return sorted(dest.parent.glob(f".{glob.escape(dest.name)}.*.partial"))


def copy_verified(src: Path, dest: Path, checksum: str | None = None) -> None:
    """Copy through a private temporary file; check the copy's sha256 before it takes the
    real name."""
    fd, tmp = private_partial(dest)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, CHUNK)
        want = checksum or sha256_of(src)
        if sha256_of(tmp) != want:
            raise ArchiveError(f"{dest}: checksum differs from {src.name} after copying")
        _fsync_replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


# --- rclone -----------------------------------------------------------------------------
def rclone(*args: str, timeout: float = 3600) -> str:
    exe = shutil.which("rclone")
    if exe is None:
        raise ArchiveError("rclone is not installed: it is needed for remote destinations (https://rclone.org)")
    proc = subprocess.run([exe, *args], capture_output=True, text=True, errors="replace",  # noqa: S603
                          timeout=timeout)
    if proc.returncode != 0:
        tail = " ".join(proc.stderr.strip().splitlines()[-2:])[:300]
        raise ArchiveError(f"rclone {args[0]} failed: {tail or 'exit ' + str(proc.returncode)}")
    return proc.stdout


def remote_join(dest: str, *parts: str) -> str:
    return dest.rstrip("/") + "/" + "/".join(p.strip("/") for p in parts)


def put_file(src: Path, dest: str, checksum: str) -> None:
    """Copy one file to a folder path or an rclone remote path and check its sha256 there."""
    if not is_remote(dest):
        copy_verified(src, Path(dest), checksum)
        return
    rclone("copyto", str(src), dest)
    found = rclone("hashsum", "sha256", "--download", dest).split()
    if not found or found[0] != checksum:
        raise ArchiveError(f"{dest}: checksum at the destination differs from {src.name}")


def get_file(src: str, dest: Path, checksum: str) -> None:
    if not is_remote(src):
        copy_verified(Path(src), dest, checksum)
        return
    fd, tmp = private_partial(dest)
    os.close(fd)
    try:
        rclone("copyto", src, str(tmp))
        if sha256_of(tmp) != checksum:
            raise ArchiveError(f"{src}: the archived copy's checksum does not match the version")
        _fsync_replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


# --- export -----------------------------------------------------------------------------
@dataclass
class Entry:
    name: str  # inside the archive
    path: Path
    size: int
    checksum: str = ""  # recorded for its version: a file that no longer matches is left out


def keyframe_entries(session: Session, home: Path, stream_id: int, *, every_version: bool) -> list[Entry]:
    """Approved keyframes as `003-Title.png`, or every version as `003-Title/v002-approved.png`."""
    rows = session.execute(text(
        "SELECT g.position, g.title, v.number, v.path, v.decision, v.size_bytes, v.archive_location, "
        "g.keyframe_version_id = v.id AND g.keyframe_state = 'approved', v.checksum "
        "FROM version v JOIN segment g ON g.id = v.segment_id "
        "WHERE g.stream_id = :s AND v.asset = 'keyframe' ORDER BY g.position, v.number"), {"s": stream_id})
    entries = []
    for position, title, number, rel, decision, size, archived, approved, checksum in rows:
        if not every_version and not approved:
            continue
        src = home / "media" / rel
        if archived and not src.exists():
            continue  # moved to the archive by cleanup: not here to pack
        ext = Path(rel).suffix or ".png"
        base = f"{position:03d}-{safe_name(title)}"
        name = f"{base}{ext}" if not every_version else \
            f"{base}/v{number:03d}{'-approved' if decision == 'approved' else ''}{ext}"
        entries.append(Entry(name, src, int(size or 0), checksum or ""))
    return entries


def write_zip(entries: list[Entry], dest: Path, progress: Progress = _quiet,
              root: Path | None = None, skipped: list[str] | None = None) -> int:
    """Stored, not deflated (PNG and MP4 are compressed already): as fast as copying.

    With `root` (the workspace's media/), only regular files inside it go in, and only
    when their sha256 is the one recorded: the others are left out and named in `skipped`.
    Returns the number of files written."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from director_tui.core.guards import open_regular, regular_inside

    skipped = skipped if skipped is not None else []
    fd, tmp = private_partial(dest)
    written = 0
    # The checksum is taken in a second thread while the same blocks go into the ZIP
    # (hashlib lets go of the GIL): checking costs little more than copying (make bench).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-hash") as hasher, \
            os.fdopen(fd, "w+b") as raw, \
            zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for i, entry in enumerate(entries):
            why = regular_inside(entry.path, root) if root is not None else ""
            if why == "missing":
                raise ArchiveError(f"{entry.path}: missing from the workspace (for {entry.name})")
            if why:
                skipped.append(f"{entry.name}: {why}")
                continue
            try:
                fd = open_regular(entry.path)
            except OSError as exc:
                skipped.append(f"{entry.name}: {exc.strerror or exc}")
                continue
            with os.fdopen(fd, "rb") as src:
                info = zipfile.ZipInfo.from_file(entry.path, entry.name)
                start = zf.fp.tell() if zf.fp is not None else 0
                digest = hashlib.sha256()
                hashed: Future[None] | None = None
                # zf.write copies in 8 KB pieces; 1 MB pieces cut the Python calls 128-fold
                with zf.open(info, "w") as out:
                    for block in iter(lambda: src.read(CHUNK), b""):
                        hashed = hasher.submit(digest.update, block)  # one worker: in order
                        out.write(block)
                if hashed is not None:
                    hashed.result()
            if entry.checksum and digest.hexdigest() != entry.checksum:
                _drop_last_entry(zf, start)  # damaged or replaced since it was recorded
                skipped.append(f"{entry.name}: its checksum is not the recorded one (damaged or replaced)")
                continue
            written += 1
            progress(i + 1, len(entries), entry.name)
    _fsync_replace(tmp, dest)
    return written


def _drop_last_entry(zf: zipfile.ZipFile, start: int) -> None:
    """Take back the entry just written (a stored ZIP is written front to back: cut the file
    where the entry began, forget it; the central directory is written on close)."""
    info = zf.filelist.pop()
    zf.NameToInfo.pop(info.filename, None)
    assert zf.fp is not None
    zf.fp.seek(start)
    zf.fp.truncate()
    zf.start_dir = start


def write_json(data: object, dest: Path) -> None:
    fd, tmp = private_partial(dest)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    _fsync_replace(tmp, dest)


def approved_clips(session: Session, home: Path, stream_id: int) -> list[tuple[Path, float]]:
    rows = session.execute(text(
        "SELECT g.position, g.video_state, v.path, v.duration FROM segment g "
        "LEFT JOIN version v ON v.id = g.video_version_id WHERE g.stream_id = :s ORDER BY g.position"),
        {"s": stream_id}).all()
    missing = [str(r[0]) for r in rows if r[1] != "approved" or r[2] is None]
    if missing:
        raise ArchiveError(f"no approved video for segment(s) {', '.join(missing[:20])}: approve them first")
    clips = [(home / "media" / r[2], float(r[3] or 0)) for r in rows]
    gone = [str(p) for p, _ in clips if not p.exists()]
    if gone:
        raise ArchiveError(f"{gone[0]}: approved clip missing (restore it from the archive first)")
    return clips


def final_cut(session: Session, home: Path, stream: Stream, dest: Path,
              progress: Callable[[float], None] | None = None) -> Path:
    from director_tui.media.cut import join_clips

    clips = approved_clips(session, home, int(stream.id))  # type: ignore[arg-type]
    dest.parent.mkdir(parents=True, exist_ok=True)
    return join_clips(clips, dest, stream.width, stream.height, progress=progress)


def record_export(store: Store, stream_id: int, actor: str, what: str, dest: str, files: int) -> None:
    with store.write() as s:
        activity.record(s, "export.done", actor, stream_id, what=what, dest=dest, files=files)


# --- backup -----------------------------------------------------------------------------
def media_files(home: Path) -> list[Path]:
    root = home / "media"
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_MEDIA)
        out += [Path(dirpath) / f for f in sorted(filenames) if not f.startswith(".")]
    return out


def snapshot_db(store: Store, dest: Path) -> dict[str, str]:
    """The store's consistent copy (SQLite: its online backup) at `dest`, made durable;
    returns each version's path and recorded sha256 as the copy has them."""
    fd, tmp = private_partial(dest)
    os.close(fd)
    sums = store.backup_to(tmp)
    _fsync_replace(tmp, dest)
    return sums


def backup(store: Store, home: Path, dest: str, progress: Progress = _quiet, now: datetime | None = None,
           skipped: list[str] | None = None) -> tuple[str, int]:
    """The database and every media file into `dest/director-backup-<time>/`. Returns
    (where, files copied). A media file that is a symlink, not a regular file, outside the
    workspace, or no longer the file its version recorded (checksum) is left out and named
    in `skipped`. Written under `<name>.partial`, renamed once complete and checked: a
    backup killed half way never looks finished."""
    from director_tui.core.guards import regular_inside

    skipped = skipped if skipped is not None else []
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    name = f"director-backup-{stamp}"
    media = home / "media"
    files = media_files(home)
    with tempfile.TemporaryDirectory(prefix="director-backup-") as staging_s:
        staging = Path(staging_s)
        db_name = store.backup_name  # director.db, or director.pgdump (pg_dump's custom format)
        sums = snapshot_db(store, staging / db_name)
        progress(1, len(files) + 1, db_name)
        good: list[Path] = []
        for path in files:
            why = regular_inside(path, media)
            if why:
                skipped.append(f"{path.relative_to(media)}: {why}")
            else:
                good.append(path)
        if is_remote(dest):
            return _backup_remote(home, dest, name, staging, db_name, good, sums, skipped, progress)
        target_dir = Path(dest).expanduser() / name
        partial_dir = target_dir.with_name(name + ".partial")
        copy_verified(staging / db_name, partial_dir / db_name)
    copied = 1
    for i, path in enumerate(good):
        rel = str(path.relative_to(media))
        try:
            copy_verified(path, partial_dir / "media" / rel, sums.get(rel))
        except ArchiveError:  # the copy is not the file the version recorded
            (partial_dir / "media" / rel).unlink(missing_ok=True)
            skipped.append(f"{rel}: its checksum is not the recorded one (damaged or replaced)")
            continue
        copied += 1
        progress(i + 2, len(files) + 1, path.name)
    os.replace(partial_dir, target_dir)
    fsync_path(target_dir.parent)
    return str(target_dir), copied


def _backup_remote(home: Path, dest: str, name: str, staging: Path, db_name: str, good: list[Path],
                   sums: dict[str, str], skipped: list[str], progress: Progress) -> tuple[str, int]:
    """rclone copies exactly the files checked here (--files-from), checks them there, and
    only then moves the folder to its final name."""
    media = home / "media"
    target, partial = remote_join(dest, name), remote_join(dest, name + ".partial")
    listed = []
    for path in good:
        rel = str(path.relative_to(media))
        if rel in sums and sha256_of(path) != sums[rel]:
            skipped.append(f"{rel}: its checksum is not the recorded one (damaged or replaced)")
            continue
        listed.append(rel)
    rclone("copyto", str(staging / db_name), remote_join(partial, db_name))
    if listed:
        file_list = staging / "files.txt"
        file_list.write_text("".join(f"{rel}\n" for rel in listed), encoding="utf-8")
        rclone("copy", str(media), remote_join(partial, "media"), "--files-from", str(file_list))
        rclone("check", str(media), remote_join(partial, "media"), "--one-way", "--files-from", str(file_list))
    rclone("moveto", partial, target)
    progress(len(good) + 1, len(good) + 1, "media checked at the destination")
    return target, len(listed) + 1


# --- cleanup ----------------------------------------------------------------------------
