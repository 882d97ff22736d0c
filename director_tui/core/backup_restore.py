"""Bringing back a studio store's backup (`director-tui restore-store`): the database
into an empty PostgreSQL database (pg_restore), the media into the workspace folder.

A SQLite workspace's backup needs no program: its folder is a workspace (director.db and
media/), opened with --home as it is (README, "Backups")."""

from __future__ import annotations

from pathlib import Path

from director_tui.core.archive import ArchiveError, copy_verified, sha256_of
from director_tui.core.errors import StoreError


def restore_backup(backup: Path, url: str, home: Path) -> str:
    """Load `backup` (a director-backup-… folder with director.pgdump) into the empty store
    at `url`, then copy its media into `home/media` (a file already there with the recorded
    checksum is kept, one that differs is refused). Returns the line to show."""
    from director_tui.core.store import redact, scheme_of
    from director_tui.core.store.postgres import PostgresStore

    dump = backup / PostgresStore.backup_name
    if scheme_of(url) != "postgresql":
        raise StoreError(f"--to {redact(url)}: restore-store loads into PostgreSQL; a SQLite backup folder "
                         "is itself a workspace (open it with --home)")
    if not dump.is_file():
        raise ArchiveError(f"{backup}: no {dump.name} in it (is it a backup of a PostgreSQL store?)")

    store = PostgresStore(url)
    try:
        store.restore_from(dump)
        store.migrate()  # a backup made by an older version: refused here with what to do
        with store.read_conn() as conn:
            from sqlalchemy import text

            sums = {str(p): str(c) for p, c in conn.execute(text("SELECT path, checksum FROM version")) if c}
    finally:
        store.dispose()
    media = backup / "media"
    copied = kept = 0
    from director_tui.core.archive_paths import UnsafePath, version_file

    unsafe = 0
    for rel, checksum in sorted(sums.items()):
        try:  # the backup's rows are data too: a path that leaves media/ (or a link) is not followed
            dest = version_file(home, rel)
        except UnsafePath:
            unsafe += 1
            continue
        src = media / rel
        if dest.is_file():
            if sha256_of(dest) != checksum:
                raise ArchiveError(f"{dest}: already there and not the file the backup recorded; move it away first")
            kept += 1
            continue
        if src.is_file():
            copy_verified(src, dest, checksum)
            copied += 1
    missing = len(sums) - copied - kept - unsafe
    tail = f"; {missing} recorded file(s) were not in the backup (archived or skipped)" if missing else ""
    tail += f"; {unsafe} recorded path(s) leave media/ or run through a link: not restored" if unsafe else ""
    return f"restored {redact(url)} from {backup.name}: {copied} media file(s) copied, {kept} already there{tail}"
