"""Commands about streams: new, import, list, status, export-spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from director_tui.cli.common import app, fail, settings, store_for
from director_tui.core.printable import printable

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
                   f"videos {r['videos_approved']}/{r['segments']}  {printable(r['title'])}")


@app.command()
def status(
    stream: Annotated[str, typer.Argument(help="The stream's slug.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a stream's segments, versions, decisions and checkpoint totals."""
    from director_tui.core.printable import printable
    from director_tui.core.streams import NotFound, get_stream
    from director_tui.core.streams import status as stream_status

    store = store_for(settings())
    try:
        with store.read() as session:
            data = stream_status(session, stream)
            generators_json = get_stream(session, stream).generators_json
    except NotFound as exc:
        raise fail(str(exc)) from None
    data["generators"] = _generator_status(generators_json)
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    t = data["totals"]
    typer.echo(f"{printable(data['title'])} ({data['stream']}): keyframes {t['keyframes']['approved']}/"
               f"{t['segments']} approved, videos {t['videos']['approved']}/{t['segments']} approved, "
               f"{data['tasks']['running']} running, {data['tasks']['queued']} queued")
    for g in data["generators"]:
        if not g["builtin"]:
            mark = "trusted" if g["trusted"] else f"NOT TRUSTED by this account: director-tui trust {data['stream']}"
            typer.echo(f"{g['asset']} generator: {printable(g['summary'])[:80]} ({mark})")
    for seg in data["segments"]:
        def cell(a: dict) -> str:  # type: ignore[type-arg]
            v = f"v{a['version']}" if a["version"] else "—"
            return f"{v} {a['state']}"
        typer.echo(f"{seg['position']:>4}  {printable(seg['title'])[:28]:<28}  keyframe {cell(seg['keyframe']):<16} "
                   f"video {cell(seg['video'])}")


def _generator_status(generators_json: str) -> list[dict]:  # type: ignore[type-arg]
    """Each asset's generator: built-in or not, trusted by this account or not (status)."""
    from director_tui.core.trust import TrustError, TrustStore, definitions

    store = TrustStore()
    out = []
    for d in definitions(generators_json):
        try:
            trusted = store.is_trusted(d)
        except TrustError:
            trusted = d.builtin
        command = d.body.get("command") or []
        out.append({"asset": d.asset, "builtin": d.builtin, "trusted": trusted, "fingerprint": d.fingerprint,
                    "summary": " ".join(map(str, command)) if command else json.dumps(d.body),
                    "definition": d.body})
    return out


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
