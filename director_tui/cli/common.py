"""What every command shares: the typer app, the --home option, one-line failures, the
settings and the store (opened with the failure a user can read), a stream by its slug.

Errors are one line on stderr, never a traceback: exit 2 for bad input (specs, slugs,
unknown streams, a damaged database, a store that is unreachable, refuses the credentials
or has another schema), 3 when a generator this account has not trusted
would have to run (`director-tui trust`), 1 for anything else that went wrong.
"""

from __future__ import annotations

from typing import Annotated

import typer

from director_tui import __version__
from director_tui.config import ConfigError, Settings, load_settings

app = typer.Typer(
    name="director-tui",
    help="Review an AI-generated video production in the terminal.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


class State:
    home: str | None = None
    store: str | None = None
    # The stores this command opened: one store per file per process is shared and counted
    # (core/store/sqlite.open_workspace), so each opener disposes its own once, at the end.
    opened: list = []


def _close_stores() -> None:
    opened, State.opened = State.opened, []
    for store in opened:
        store.dispose()


def fail(message: str, code: int = 2) -> typer.Exit:
    """One line on stderr: whatever it quotes (a path, a slug, a colleague's text) cannot
    drive the terminal (core/printable)."""
    from director_tui.core.printable import printable

    typer.echo(f"director-tui: {printable(message)}", err=True)
    return typer.Exit(code)


def settings() -> Settings:
    from director_tui.config import apply_workspace_mode

    try:
        loaded = load_settings(State.home, store=State.store)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    if loaded.config_path is not None:
        from director_tui.jobs.generators import user_generators

        _gens, error = user_generators()
        if error is not None:
            raise fail(error)
    apply_workspace_mode(loaded.workspace_mode)
    return loaded


def store_for(s: Settings):
    from director_tui.core.store import DamagedStore, StoreError, StoreUnusable, open_store

    try:
        store = open_store(s.home, s.store)
    except (DamagedStore, StoreUnusable) as exc:
        raise fail(str(exc), 2) from None
    except StoreError as exc:
        raise fail(str(exc), 1) from None
    State.opened.append(store)  # closed when the command ends (main_options)
    return store


def _version(value: bool) -> None:
    if value:
        typer.echo(f"director-tui {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[str | None, typer.Option("--home", help="Workspace folder (default: $DIRECTOR_HOME, else the user data folder).")] = None,
    store: Annotated[str | None, typer.Option("--store", metavar="URL", help="The store: postgresql://user@host/db for a studio's shared one (default: $DIRECTOR_STORE, else the config's store, else the workspace's director.db).")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    State.home = home
    State.store = store
    ctx.call_on_close(_close_stores)


def complete_stream(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of a stream's slug: read without the ORM where the store allows
    (cli/reads.py's fast start), so a tab answers within ~0.15 s."""
    from director_tui.config import load_settings
    from director_tui.core.overview import stream_slugs
    from director_tui.core.store import fast_reader

    root = ctx.find_root().params
    try:
        found = load_settings(root.get("home"), store=root.get("store"))
        with fast_reader(found.home, found.store) as db:
            if db is None:
                return []
            slugs = stream_slugs(db)
    except Exception:  # a tab never prints an error
        return []
    return [slug for slug in slugs if slug.startswith(incomplete)]


# the largest number a store column holds (SQLite's and PostgreSQL's BIGINT): a larger id or
# count is refused where it is typed, not met as an OverflowError deep in the driver
INT_MAX = 2**63 - 1

StreamArg = Annotated[str, typer.Argument(help="The stream's slug.", autocompletion=complete_stream)]


def find_stream(store, slug: str) -> tuple[int, int]:
    """(stream id, number of segments), or exit 2 naming the stream."""
    from sqlalchemy import func, select
    from sqlmodel import col

    from director_tui.core.models import Segment
    from director_tui.core.streams import NotFound, get_stream

    try:
        with store.read() as session:
            stream = get_stream(session, slug)
            count = session.execute(select(func.count(col(Segment.id))).where(col(Segment.stream_id) == stream.id)).scalar_one()
    except NotFound as exc:
        raise fail(str(exc)) from None
    return int(stream.id), int(count)  # type: ignore[arg-type]
