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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text
from sqlmodel import Session

from director_tui.core import activity
from director_tui.core.durable import fsync_path
from director_tui.core.guards import is_remote
from director_tui.core.models import Segment, Stream, Version
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
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dest)


def partial_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.partial")


def copy_verified(src: Path, dest: Path, checksum: str | None = None) -> None:
    """Copy through a temporary name; check the copy's sha256 before it takes the real name."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(dest)
    shutil.copyfile(src, tmp)
    want = checksum or sha256_of(src)
    if sha256_of(tmp) != want:
        tmp.unlink(missing_ok=True)
        raise ArchiveError(f"{dest}: checksum differs from {src.name} after copying")
    _fsync_replace(tmp, dest)


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
    tmp = partial_path(dest)
    rclone("copyto", src, str(tmp))
    if sha256_of(tmp) != checksum:
        tmp.unlink(missing_ok=True)
        raise ArchiveError(f"{src}: the archived copy's checksum does not match the version")
    _fsync_replace(tmp, dest)


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
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(dest)
    written = 0
    # The checksum is taken in a second thread while the same blocks go into the ZIP
    # (hashlib lets go of the GIL): checking costs little more than copying (make bench).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-hash") as hasher, \
            zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
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
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(dest)
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
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
    tmp = partial_path(dest)
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
@dataclass
class CleanupPlan:
    archive: list[Version] = field(default_factory=list)  # to move out
    finish: list[Version] = field(default_factory=list)  # archived already; local copy to drop
    kept: dict[str, int] = field(default_factory=dict)  # per asset: what stays in the workspace

    @property
    def keep(self) -> int:
        return sum(self.kept.values())

    @property
    def bytes(self) -> int:
        return sum(v.size_bytes for v in self.archive + self.finish)

    def describe(self, dest: str) -> str:
        """`3 versions to DEST (12.0 MB); keeping 17 versions (12 keyframes, 5 videos)`."""
        n, again = len(self.archive), len(self.finish)
        parts = [f"{n} version{'' if n == 1 else 's'} to {dest}"] if n else []
        if again:
            parts.append(f"{again} restored version{'' if again == 1 else 's'} back to the archive "
                         f"{'it' if again == 1 else 'they'} came from")
        kept = ", ".join(f"{n} {asset}{'' if n == 1 else 's'}" for asset, n in sorted(self.kept.items()) if n)
        return (f"{' and '.join(parts) or 'nothing'} ({self.bytes / 1e6:.1f} MB); keeping {self.keep} "
                f"version{'' if self.keep == 1 else 's'}" + (f" ({kept})" if kept else ""))


def plan_cleanup(session: Session, home: Path, stream_id: int, keep: int) -> CleanupPlan:
    """Keep the newest `keep` versions of each asset, and always the approved and current
    ones; everything else goes to the archive."""
    if keep < 0:
        raise ArchiveError(f"--keep: {keep} is below 0")
    segs = {s.id: s for s in session.execute(select(Segment).where(Segment.stream_id == stream_id)).scalars()}
    plan = CleanupPlan()
    versions = session.execute(select(Version).where(Version.segment_id.in_(list(segs)))  # type: ignore[union-attr]
                               .order_by(Version.segment_id, Version.asset, Version.number.desc())).scalars().all()  # type: ignore[union-attr,arg-type]
    rank: dict[tuple[int, str], int] = {}
    for v in versions:
        key = (v.segment_id, v.asset)
        rank[key] = rank.get(key, 0) + 1
        seg = segs[v.segment_id]
        current = v.id in (seg.keyframe_version_id, seg.video_version_id)
        local = (home / "media" / v.path).exists()
        if rank[key] <= keep or current or v.decision == "approved":
            plan.kept[v.asset] = plan.kept.get(v.asset, 0) + 1
        elif v.archive_location and local:
            plan.finish.append(v)
        elif not v.archive_location and local:
            plan.archive.append(v)
    return plan


def cleanup(store: Store, home: Path, stream_id: int, keep: int, dest: str, actor: str,
            *, dry_run: bool = False, progress: Progress = _quiet) -> CleanupPlan:
    """Copy each version to the archive, check its checksum there, record where it went,
    then delete the local file: killed at any point, nothing is lost and a rerun finishes."""
    from director_tui.core.guards import check_destination

    check_destination(home, dest, "archive")
    with store.read() as s:
        plan = plan_cleanup(s, home, stream_id, keep)
        for v in plan.archive + plan.finish:
            s.expunge(v)
    if dry_run:
        return plan
    todo = plan.finish + plan.archive
    for i, v in enumerate(todo):
        local = home / "media" / v.path
        # v.path starts with the stream's slug already: the archive mirrors media/
        where = v.archive_location or (remote_join(dest, v.path) if is_remote(dest)
                                       else str(Path(dest).expanduser() / v.path))
        put_file(local, where, v.checksum or sha256_of(local))
        _never_the_only_copy(local, where)
        with store.write() as s:
            row = s.get(Version, v.id)
            if row is not None:
                row.archive_location = where
                s.add(row)
        local.unlink(missing_ok=True)
        progress(i + 1, len(todo), v.path)
    if todo:
        with store.write() as s:
            activity.record(s, "cleanup.done", actor, stream_id, archived=len(todo), dest=dest, keep=keep,
                            bytes=plan.bytes)
    return plan


def _never_the_only_copy(local: Path, where: str) -> None:
    """The archived copy must be another file than the one about to be deleted (a symlink
    or a bind mount can make the archive and media/ one place)."""
    from director_tui.core.guards import local_path

    archived = local_path(where)
    if archived is None:
        return  # a remote: checked there by its checksum
    try:
        same = os.path.samefile(local, archived)
    except OSError:
        return  # not there: put_file raised already if the copy failed
    if same:
        raise ArchiveError(f"{where}: the archive copy is the workspace's own file "
                           f"({local}); nothing deleted — choose an archive outside media/")


def restore(store: Store, home: Path, version_id: int, actor: str) -> tuple[Version, bool]:
    """Bring an archived version back into media/ (checksum checked); it stays marked as
    archived too, since the archive keeps its copy. Returns (version, whether a file came
    back: False when it was in the workspace already)."""
    with store.read() as s:
        v = s.get(Version, version_id)
        if v is None:
            raise ArchiveError(f"version {version_id}: no such version")
        s.expunge(v)
    local = home / "media" / v.path
    if local.exists():
        return v, False
    if not v.archive_location:
        raise ArchiveError(f"version {version_id}: not archived and its file is missing ({v.path})")
    get_file(v.archive_location, local, v.checksum)
    with store.write() as s:
        seg = s.get(Segment, v.segment_id)
        activity.record(s, "archive.restored", actor, seg.stream_id if seg else None, v.segment_id,
                        asset=v.asset, version=v.number, source=v.archive_location)
    return v, True
