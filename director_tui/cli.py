"""The command line. Every command builds on core/; `open` and `demo` start the UI.

Errors are one line on stderr, never a traceback: exit 2 for bad input
(specs, slugs, unknown streams), 1 for anything else that went wrong.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from director_tui import __version__
from director_tui.config import ConfigError, Settings, load_settings

app = typer.Typer(
    name="director-tui",
    help="Review an AI-generated video production in the terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

STARTER_PROMPT = "an empty film set, soft light, wide shot"


class State:
    home: str | None = None


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"director-tui: {message}", err=True)
    return typer.Exit(code)


def settings() -> Settings:
    try:
        return load_settings(State.home)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def store_for(s: Settings):  # type: ignore[no-untyped-def]
    from director_tui.core.db import StoreError, open_store

    try:
        return open_store(s.home)
    except StoreError as exc:
        raise fail(str(exc), 1) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"director-tui {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    home: Annotated[str | None, typer.Option("--home", help="Workspace folder (default: $DIRECTOR_HOME, else the user data folder).")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    State.home = home


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
    typer.echo(f"created stream {stream.slug!r} ({len(spec.segments)} segments) in {s.home}")


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
    from director_tui.core.streams import list_streams

    store = store_for(settings())
    with store.read() as session:
        rows = list_streams(session)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no streams yet: `director-tui new SLUG --spec FILE` or `director-tui demo`")
        return
    width = max(len(r["slug"]) for r in rows)
    for r in rows:
        typer.echo(f"{r['slug']:<{width}}  {r['segments']:>4} segments  "
                   f"keyframes {r['keyframes_approved']}/{r['segments']}  "
                   f"videos {r['videos_approved']}/{r['segments']}  {r['title']}")


@app.command()
def status(
    stream: Annotated[str, typer.Argument(help="The stream's slug.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a stream's segments, versions, decisions and checkpoint totals."""
    from director_tui.core.streams import NotFound
    from director_tui.core.streams import status as stream_status

    store = store_for(settings())
    try:
        with store.read() as session:
            data = stream_status(session, stream)
    except NotFound as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    t = data["totals"]
    typer.echo(f"{data['title']} ({data['stream']}): keyframes {t['keyframes']['approved']}/"
               f"{t['segments']} approved, videos {t['videos']['approved']}/{t['segments']} approved, "
               f"{data['tasks']['running']} running, {data['tasks']['queued']} queued")
    for seg in data["segments"]:
        def cell(a: dict) -> str:  # type: ignore[type-arg]
            v = f"v{a['version']}" if a["version"] else "—"
            return f"{v} {a['state']}"
        typer.echo(f"{seg['position']:>4}  {seg['title'][:28]:<28}  keyframe {cell(seg['keyframe']):<16} "
                   f"video {cell(seg['video'])}")


@app.command("export-spec")
def export_spec_cmd(stream: Annotated[str, typer.Argument(help="The stream's slug.")]) -> None:
    """Print the stream as a JSON spec that `import` takes back."""
    from director_tui.core.spec import export_spec
    from director_tui.core.streams import NotFound, get_stream

    store = store_for(settings())
    try:
        with store.read() as session:
            data = export_spec(session, get_stream(session, stream))
    except NotFound as exc:
        raise fail(str(exc)) from None
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _open(slug: str) -> None:
    from director_tui.core.errors import NotFound, StoreError
    from director_tui.ui.app import make_app

    s = settings()
    try:
        director = make_app(s, None, slug)
    except NotFound as exc:
        raise fail(str(exc)) from None
    except StoreError as exc:
        raise fail(str(exc), 1) from None
    director.run()
    if director.exit_message:
        typer.echo(f"director-tui: {director.exit_message}", err=True)
    if director.return_code:
        raise typer.Exit(director.return_code)


@app.command("open")
def open_(stream: Annotated[str, typer.Argument(help="The stream's slug.")]) -> None:
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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
