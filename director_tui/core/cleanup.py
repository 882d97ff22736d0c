"""Version cleanup to an archive, and restore from it (`cleanup`, `restore`, `:restore`).

Each version is copied to the archive being used, its checksum checked there, the archived
copy seen to survive the local file going, and only then is the local file deleted: killed
at any point, nothing is lost and a rerun finishes. Every path the store gives is checked
first (core/archive_paths.py): anyone who can write the shared store or workspace can
point a version's path or archive location anywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

from director_tui.config import file_mode
from director_tui.core import activity
from director_tui.core.archive import (
    ArchiveError,
    Progress,
    _quiet,
    get_file,
    put_file,
    rclone,
    remote_join,
    sha256_of,
)
from director_tui.core.archive_paths import UnsafePath, bring_back, survives_without, version_file
from director_tui.core.guards import is_remote, local_path
from director_tui.core.models import Segment, Version
from director_tui.core.store import Store


@dataclass
class CleanupPlan:
    archive: list[Version] = field(default_factory=list)  # to move out
    finish: list[Version] = field(default_factory=list)  # archived already; local copy to drop
    kept: dict[str, int] = field(default_factory=dict)  # per asset: what stays in the workspace
    left_alone: list[str] = field(default_factory=list)  # versions whose stored path is not safe to follow

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
        alone = f"; left alone: {'; '.join(self.left_alone[:3])}" if self.left_alone else ""
        return (f"{' and '.join(parts) or 'nothing'} ({self.bytes / 1e6:.1f} MB); keeping {self.keep} "
                f"version{'' if self.keep == 1 else 's'}" + (f" ({kept})" if kept else "") + alone)


def plan_cleanup(session: Session, home: Path, stream_id: int, keep: int) -> CleanupPlan:
    """Keep the newest `keep` versions of each asset, and always the approved and current
    ones; everything else goes to the archive. A version whose stored path leaves media/
    or runs through a link is left alone and named."""
    if keep < 0:
        raise ArchiveError(f"--keep: {keep} is below 0")
    segs = {s.id: s for s in session.execute(select(Segment).where(col(Segment.stream_id) == stream_id)).scalars()}
    plan = CleanupPlan()
    versions = session.execute(select(Version).where(col(Version.segment_id).in_(list(segs)))
                               .order_by(col(Version.segment_id), col(Version.asset), col(Version.number).desc())).scalars().all()
    rank: dict[tuple[int, str], int] = {}
    for v in versions:
        key = (v.segment_id, v.asset)
        rank[key] = rank.get(key, 0) + 1
        seg = segs[v.segment_id]
        current = v.id in (seg.keyframe_version_id, seg.video_version_id)
        if rank[key] <= keep or current or v.decision == "approved":
            plan.kept[v.asset] = plan.kept.get(v.asset, 0) + 1
            continue
        try:
            local = version_file(home, v.path, what=f"version {v.id}").exists()
        except UnsafePath as exc:
            plan.left_alone.append(str(exc))
            continue
        if v.archive_location and local:
            plan.finish.append(v)
        elif not v.archive_location and local:
            plan.archive.append(v)
    return plan


def cleanup(store: Store, home: Path, stream_id: int, keep: int, dest: str, actor: str,
            *, dry_run: bool = False, progress: Progress = _quiet) -> CleanupPlan:
    """Copy each version to the archive `dest` (at its own path there, whatever its row
    says), check its checksum there, record where it went, then delete the local file."""
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
        local = version_file(home, v.path, what=f"version {v.id}")
        # v.path starts with the stream's slug already: the archive mirrors media/
        where = remote_join(dest, v.path) if is_remote(dest) else str(Path(dest).expanduser() / v.path)
        checksum = v.checksum or sha256_of(local)
        put_file(local, where, checksum)
        _never_the_only_copy(local, where, checksum)
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


def _never_the_only_copy(local: Path, where: str, checksum: str) -> None:
    """The archived copy must be another file than the one about to be deleted: a symlink, a
    bind mount, or an rclone remote can make the archive and media/ one place. Locally the
    two are compared; for a remote, the copy must still be there, whole, with the local
    file moved aside."""
    archived = local_path(where)
    if archived is not None:
        try:
            same = os.path.samefile(local, archived)
        except OSError:
            return  # not there: put_file raised already if the copy failed
    else:
        def still_there() -> bool:
            try:
                found = rclone("hashsum", "sha256", "--download", where).split()
            except ArchiveError:
                return False
            return bool(found) and found[0] == checksum

        same = not survives_without(local, still_there)
    if same:
        raise ArchiveError(f"{where}: the archive copy is the workspace's own file "
                           f"({local}); nothing deleted — choose an archive outside media/")


def restore(store: Store, home: Path, version_id: int, actor: str) -> tuple[Version, bool]:
    """Bring an archived version back into media/ (size and checksum checked); it stays
    marked as archived too, since the archive keeps its copy. Returns (version, whether a
    file came back: False when it was in the workspace already)."""
    with store.read() as s:
        v = s.get(Version, version_id)
        if v is None:
            raise ArchiveError(f"version {version_id}: no such version")
        s.expunge(v)
    try:
        local = version_file(home, v.path, what=f"version {version_id}")
    except UnsafePath as exc:
        raise ArchiveError(f"{exc}; nothing restored") from None
    if os.path.lexists(local):
        return v, False
    if not v.archive_location:
        raise ArchiveError(f"version {version_id}: not archived and its file is missing ({v.path})")
    source = local_path(v.archive_location)
    try:
        if source is None:
            get_file(v.archive_location, local, v.checksum)
        else:
            bring_back(source, local, v.checksum, v.size_bytes or None, file_mode())
    except UnsafePath as exc:
        raise ArchiveError(str(exc)) from None
    except FileExistsError:
        return v, False  # it came back meanwhile (another restore): left as it is
    with store.write() as s:
        seg = s.get(Segment, v.segment_id)
        activity.record(s, "archive.restored", actor, seg.stream_id if seg else None, v.segment_id,
                        asset=v.asset, version=v.number, source=v.archive_location)
    return v, True
