"""Commands that open the app: open, demo."""

from __future__ import annotations

import typer

from director_tui.cli.common import State, StreamArg, app, fail, settings, store_for


def _open(slug: str) -> None:
    from director_tui.cli.open_app import open_stream

    code = open_stream(State.home, slug, State.store)
    if code:
        raise typer.Exit(code)


@app.command("open")
def open_(stream: StreamArg) -> None:
    """Open a stream in the review screen."""
    _open(stream)


@app.command()
def demo() -> None:
    """Create the demo production (first time) and open it."""
    from director_tui.core.spec import SpecError, create_stream, load_spec
    from director_tui.core.streams import NotFound, get_stream
    from director_tui.demo import DEMO_SLUG, DEMO_SPEC

    s = settings()
    store = store_for(s)
    with store.write() as session:
        try:
            get_stream(session, DEMO_SLUG)
        except NotFound:
            try:
                create_stream(session, load_spec(DEMO_SPEC), s.user)
            except SpecError as exc:
                raise fail(str(exc), 1) from None
    _open(DEMO_SLUG)
