"""Commands for a studio's shared store: init-store, migrate-store, restore-store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from director_tui.cli.common import app, fail, settings


def _store_errors(exc: Exception) -> typer.Exit:
    from director_tui.core.errors import DamagedStore, StoreUnusable

    return fail(str(exc), 2 if isinstance(exc, DamagedStore | StoreUnusable) else 1)


@app.command("init-store")
def init_store(
    url: Annotated[str, typer.Argument(help="postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE")],
) -> None:
    """Create the schema in an empty database, or bring an older one up to date (back it up
    first; every machine's director-tui must be this version or newer)."""
    from director_tui.core.errors import StoreError
    from director_tui.core.store import init_store as init

    s = settings()
    try:
        typer.echo(init(s.home, url))
    except StoreError as exc:
        raise _store_errors(exc) from None


@app.command("migrate-store")
def migrate_store(
    source: Annotated[str, typer.Option("--from", help="The workspace folder whose director.db to copy.")],
    url: Annotated[str, typer.Option("--to", help="The store to copy it into (an empty database).")],
) -> None:
    """Copy a workspace's store into a studio's (every stream, version, decision, comment,
    journal entry, activity row, preset and draft). The media stay where they are: make
    that workspace folder the shared media root."""
    from director_tui.core.errors import StoreError
    from director_tui.core.store import open_store
    from director_tui.core.store.transfer import copy_store

    home = Path(source).expanduser().resolve()
    if not (home / "director.db").is_file():
        raise fail(f"--from {home}: no director.db there (the workspace folder, as --home names it)")
    settings()
    try:
        src = open_store(home)
        dst = open_store(home, url)
    except StoreError as exc:
        raise _store_errors(exc) from None
    try:
        copied = copy_store(src, dst, lambda table, n: typer.echo(f"  {table}: {n}"))
    except StoreError as exc:
        raise _store_errors(exc) from None
    finally:
        src.dispose()
        dst.dispose()
    from director_tui.core.store import redact

    typer.echo(f"copied {sum(copied.values())} rows into {redact(url)}; the media stay in {home / 'media'}: "
               f"run the studio with --store {redact(url)} --home {home} (or media_root and store in each "
               "machine's config)")


@app.command("restore-store")
def restore_store(
    backup: Annotated[str, typer.Argument(help="A backup folder (director-backup-…) made by `export backup`.")],
    url: Annotated[str, typer.Option("--to", help="An empty database to load it into.")],
) -> None:
    """Load a PostgreSQL store's backup into an empty database, and its media into the
    workspace folder (--home; files already there with the recorded checksum are kept)."""
    from director_tui.core.archive import ArchiveError
    from director_tui.core.backup_restore import restore_backup
    from director_tui.core.errors import StoreError

    s = settings()
    try:
        line = restore_backup(Path(backup).expanduser(), url, s.home)
    except (StoreError, ArchiveError) as exc:
        raise _store_errors(exc) from None
    typer.echo(line)
