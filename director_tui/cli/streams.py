"""Commands about streams: new, import, list, status, export-spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from director_tui.cli.common import StreamArg, app, fail, settings, store_for

STARTER_PROMPT = "an empty film set, soft light, wide shot"


def _create(spec_path: Path | None, slug: str | None) -> None:
    from director_tui.core.spec import (
        SegmentSpec,
        SpecError,
        StreamSpec,
        check_slug,
        create_stream,
        load_spec,
    )

    s = settings()
    try:
        if spec_path is not None:
            spec = load_spec(spec_path, slug)
        else:
            assert slug is not None
            check_slug(slug, "slug")
            spec = StreamSpec(slug=slug, title=slug, segments=[SegmentSpec("Segment 1", STARTER_PROMPT)])
    except SpecError as exc:
        raise fail(str(exc)) from None
    store = store_for(s)
    try:
        with store.write() as session:
            stream = create_stream(session, spec, s.user)
    except SpecError as exc:
        raise fail(str(exc)) from None
    n = len(spec.segments)
    typer.echo(f"created stream {stream.slug!r} ({n} segment{'' if n == 1 else 's'}) in {s.home}")
    from director_tui.cli.trust import say_if_untrusted

    say_if_untrusted(stream.slug, stream.generators_json)


@app.command()
def new(
    slug: Annotated[str, typer.Argument(help="The stream's slug: [a-z0-9][a-z0-9-]*")],
    spec: Annotated[Path | None, typer.Option("--spec", help="A production spec (JSON or TOML).")] = None,
) -> None:
    """Create a stream, from a spec or with one starter segment."""
    _create(spec, slug)


@app.command("import")
def import_(spec: Annotated[Path, typer.Argument(help="A production spec (JSON or TOML).")]) -> None:
    """Create the stream a spec describes (its slug is the spec's `stream`)."""
    _create(spec, None)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the workspace's streams."""
    from director_tui.cli.reads import list_text
    from director_tui.core.streams import list_streams

    store = store_for(settings())
    with store.read() as session:
        rows = list_streams(session)
    typer.echo(list_text(rows, as_json))


@app.command()
def status(
    stream: StreamArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a stream's segments, versions, decisions and checkpoint totals."""
    from director_tui.cli.reads import generator_status, status_text
    from director_tui.core.streams import NotFound, get_stream
    from director_tui.core.streams import status as stream_status

    store = store_for(settings())
    try:
        with store.read() as session:
            data = stream_status(session, stream)
            generators_json = get_stream(session, stream).generators_json
    except NotFound as exc:
        raise fail(str(exc)) from None
    data["generators"] = generator_status(generators_json)
    typer.echo(status_text(data, as_json))


@app.command("export-spec")
def export_spec_cmd(stream: StreamArg) -> None:
    """Print the stream as a JSON spec that `import` takes back."""
    from director_tui.core.spec import SpecError, export_spec
    from director_tui.core.streams import NotFound, get_stream

    store = store_for(settings())
    try:
        with store.read() as session:
            data = export_spec(session, get_stream(session, stream))
    except NotFound as exc:
        raise fail(str(exc)) from None
    except SpecError as exc:  # written into the store unchecked: not exported as if it were a spec
        raise fail(f"stream {stream}: its generator definition in the store is not valid ({exc}); "
                   "import its spec again") from None
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
