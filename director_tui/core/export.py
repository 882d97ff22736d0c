"""One export entry point for the CLI (`director-tui export`) and the TUI (`:export`):
keyframes (ZIP), spec (JSON), cut (final MP4) or backup (database + media)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from director_tui.core import archive
from director_tui.core.commands import EXPORTS as WHATS  # one list for the CLI, `:export` and here
from director_tui.core.guards import check_destination
from director_tui.core.printable import printable
from director_tui.core.store import Store

Progress = Callable[[int, int, str], None]


@dataclass
class ExportDone:
    what: str
    where: str
    files: int
    skipped: list[str] = field(default_factory=list)  # left out, each with why

    def __str__(self) -> str:
        done = f"exported {self.what} to {printable(self.where)} ({self.files} file{'s' if self.files != 1 else ''})"
        if self.skipped:
            done += (f"; {len(self.skipped)} left out: {printable(self.skipped[0])}"
                     + (f" (and {len(self.skipped) - 1} more)" if len(self.skipped) > 1 else ""))
        return done


def default_dest(home: Path, slug: str, what: str) -> str:
    return {"keyframes": f"{slug}-keyframes.zip", "spec": f"{slug}.json", "cut": f"{slug}-final-cut.mp4",
            "backup": str(home / "backups")}[what]


def destination(home: Path, slug: str, what: str, dest: str | None) -> Path:
    return Path(dest or default_dest(home, slug, what)).expanduser().absolute()


def half_written(path: Path, what: str) -> list[Path]:
    """The files an export of `what` to `path` writes before the final rename (to remove
    when it is abandoned). A backup copies file by file through its own temporary names."""
    if what == "backup":
        return []
    from director_tui.media.cut import partials

    return archive.partials_of(path) + partials(path)


def run_export(store: Store, home: Path, slug: str, what: str, dest: str | None, actor: str, *,
               every_version: bool = False, progress: Progress = archive._quiet) -> ExportDone:
    """Write the export and record it in the activity. Raises ArchiveError, MediaError or
    OSError with a one-line reason; a partial file never takes the final name."""
    from director_tui.core.spec import export_spec
    from director_tui.core.streams import get_stream

    if what not in WHATS:
        raise archive.ArchiveError(f"export: {what!r} is not one of {', '.join(WHATS)}")
    dest = dest or default_dest(home, slug, what)  # a folder or a remote for backup: not a Path yet
    check_destination(home, dest if what == "backup" else str(destination(home, slug, what, dest)), what)
    with store.read() as session:
        stream = get_stream(session, slug)
        stream_id = int(stream.id)  # type: ignore[arg-type]
        if what == "keyframes":
            entries = archive.keyframe_entries(session, home, stream_id, every_version=every_version)
        elif what == "spec":
            data = export_spec(session, stream)
    path = destination(home, slug, what, dest)
    skipped: list[str] = []
    if what == "backup":
        where, files = archive.backup(store, home, dest, progress, skipped=skipped)
    elif what == "keyframes":
        if not entries:
            raise archive.ArchiveError("no approved keyframes to export (use --all-versions for every version)")
        files = archive.write_zip(entries, path, progress, root=home / "media", skipped=skipped)
        where = str(path)
    elif what == "spec":
        archive.write_json(data, path)
        files, where = 1, str(path)
    else:
        with store.read() as session:
            archive.final_cut(session, home, get_stream(session, slug), path,
                              lambda f: progress(int(f * 100), 100, "cut"))
        files, where = 1, str(path)
    archive.record_export(store, stream_id, actor, what, where, files)
    return ExportDone(what, where, files, skipped)
