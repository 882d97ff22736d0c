"""CLI: export, cleanup, restore. Registered on cli.app (imported at its end)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from director_tui.cli.common import INT_MAX, StreamArg, app, fail, find_stream, settings, store_for
from director_tui.core.commands import EXPORTS as WHATS  # light: checked before the store opens


def progress_bar(label: str):
    """A bar on a terminal, nothing otherwise (the final line says what was done)."""
    tty = sys.stderr.isatty()

    def show(done: int, total: int, what: str = "") -> None:
        if not tty or not total:
            return
        frac = done / total
        bar = "█" * int(30 * frac) + "░" * (30 - int(30 * frac))
        sys.stderr.write(f"\r{label} {bar} {done}/{total} {what[:40]:<40}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


@app.command()
def export(
    stream: StreamArg,
    what: Annotated[str, typer.Argument(help="keyframes (ZIP), spec (JSON), cut (final MP4) or backup (database + media).")],
    out: Annotated[str | None, typer.Option("--out", "-o", help="File to write; for backup a folder or an rclone remote such as gdrive:backups.")] = None,
    every_version: Annotated[bool, typer.Option("--all-versions", help="keyframes: every version, not only the approved ones.")] = False,
) -> None:
    """Export keyframes, the spec, the final cut, or a backup of the workspace."""
    from director_tui.core import archive
    from director_tui.core.export import run_export
    from director_tui.media.ffmpeg import MediaError

    if what not in WHATS:
        raise fail(f"export: {what!r} is not one of {', '.join(WHATS)}")
    s = settings()
    store = store_for(s)
    find_stream(store, stream)  # exits 2 naming a missing stream
    from director_tui.core.guards import DestinationError

    try:
        done = run_export(store, s.home, stream, what, out, s.user, every_version=every_version,
                          progress=progress_bar(what))
    except DestinationError as exc:
        raise fail(str(exc), 2) from None
    except (archive.ArchiveError, MediaError, OSError) as exc:
        raise fail(str(exc), 1) from None
    typer.echo(str(done))


@app.command()
def cleanup(
    stream: StreamArg,
    keep: Annotated[int, typer.Option("--keep", help="Keep the newest N versions of each asset (approved and current ones always).", min=0, max=INT_MAX)],
    archive_to: Annotated[str | None, typer.Option("--archive", help="A folder or an rclone remote (default: <workspace>/archive).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would move.")] = False,
) -> None:
    """Move old versions to the archive (checksum checked there before the local copy goes)."""
    from director_tui.core import archive
    from director_tui.core import cleanup as version_cleanup

    s = settings()
    store = store_for(s)
    stream_id, _ = find_stream(store, stream)
    dest = archive_to or str(s.home / "archive")
    from director_tui.core.guards import DestinationError

    try:
        plan = version_cleanup.cleanup(store, s.home, stream_id, keep, dest, s.user, dry_run=dry_run,
                               progress=progress_bar("cleanup"))
    except DestinationError as exc:
        raise fail(str(exc), 2) from None
    except archive.ArchiveError as exc:
        raise fail(str(exc), 1) from None
    n = len(plan.archive) + len(plan.finish)
    if dry_run:
        typer.echo(f"would archive {plan.describe(dest)}")
        for v in plan.archive + plan.finish:
            typer.echo(f"  {v.path}")
    else:
        typer.echo(f"archived {plan.describe(dest)}" if n else "nothing to archive")
    from director_tui.core.printable import printable

    for why in plan.left_alone:  # a stored path that leaves media/ or runs through a link
        typer.echo(f"left alone: {printable(why)}", err=True)


@app.command()
def restore(
    stream: StreamArg,
    segment: Annotated[int, typer.Argument(help="The segment's position.", min=1, max=INT_MAX)],
    version: Annotated[int, typer.Argument(help="The version number.", min=1, max=INT_MAX)],
    asset: Annotated[str, typer.Option("--asset", help="keyframe or video.")] = "keyframe",
) -> None:
    """Bring an archived version back into the workspace."""
    from sqlalchemy import select
    from sqlmodel import col

    from director_tui.core import archive
    from director_tui.core import cleanup as version_cleanup
    from director_tui.core.models import Segment, Version

    s = settings()
    store = store_for(s)
    stream_id, _ = find_stream(store, stream)
    with store.read() as session:
        vid = session.execute(select(col(Version.id)).join(Segment, col(Segment.id) == col(Version.segment_id)).where(
            col(Segment.stream_id) == stream_id, col(Segment.position) == segment, col(Version.asset) == asset,
            col(Version.number) == version)).scalar_one_or_none()
    if vid is None:
        raise fail(f"segment {segment}: no {asset} version {version}")
    try:
        v, came_back = version_cleanup.restore(store, s.home, vid, s.user)
    except archive.ArchiveError as exc:
        raise fail(str(exc), 1) from None
    typer.echo(f"restored {v.path}" if came_back else f"{v.path} is in the workspace already")
