"""CLI: activity, metrics, recommend. Registered on cli.app (imported at its end)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from director_tui.cli.common import INT_MAX, StreamArg, app, fail, find_stream, settings, store_for
from director_tui.cli.reads import activity_text, bar, metrics_text
from director_tui.core.printable import printable


@app.command()
def activity(
    stream: StreamArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines' worth as one JSON list.")] = False,
    since: Annotated[str | None, typer.Option("--since", help="90m, 2h, 3d, 1w or a date like 2026-11-24.")] = None,
    segment: Annotated[int | None, typer.Option("--segment", help="Only this segment (position).", min=1, max=INT_MAX)] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="prompt, generation, decision, comment, export, cleanup, or a kind like task.failed.")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Only this user.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.", min=1, max=INT_MAX)] = 200,
) -> None:
    """The activity timeline: every action, newest first."""
    from director_tui.core import insight

    store = store_for(settings())
    stream_id, _ = find_stream(store, stream)
    try:
        when = insight.parse_since(since) if since else None
    except insight.InsightError as exc:
        raise fail(str(exc)) from None
    with store.read() as session:
        events = insight.timeline(session, stream_id, segment=segment, kind=kind, actor=author,
                                  since=when, limit=max(1, limit))
    typer.echo(activity_text(events, as_json))


@app.command()
def metrics(
    stream: StreamArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Approval rates, regenerations, segments needing attention, time per checkpoint."""
    from director_tui.core import insight

    store = store_for(settings())
    stream_id, _ = find_stream(store, stream)
    with store.read() as session:
        m = insight.metrics(session, stream_id)
    typer.echo(metrics_text(m, as_json))


@app.command()
def recommend(
    field: Annotated[str | None, typer.Option("--field", help="image or motion (default both).")] = None,
    min_samples: Annotated[int, typer.Option("--min-samples", help="Fewer first-time decisions than this: no recommendation.", min=0, max=INT_MAX)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Phrases and presets that got approved first time most often, across the workspace."""
    from director_tui.core import insight

    if field not in (None, "image", "motion"):
        raise fail(f"--field: {field!r} is not image or motion")
    store = store_for(settings())
    with store.read() as session:
        best = insight.recommendations(session, field=field, min_samples=max(1, min_samples))
        worst = insight.recommendations(session, field=field, min_samples=max(1, min_samples), worst=True, limit=5)
    if as_json:
        typer.echo(json.dumps({"best": [r.as_json() for r in best], "worst": [r.as_json() for r in worst]},
                              indent=2, ensure_ascii=False))
        return
    if not best:
        typer.echo(f"nothing to recommend yet: no phrase or preset has {min_samples} first-time decisions")
        return
    for r in best:
        typer.echo(f"{bar(r.rate, 10)} {printable(r.describe())}")
    rough = [r for r in worst if r.rate < 0.5]
    if rough:
        typer.echo("often rejected first time:")
        for r in rough:
            typer.echo(f"{bar(r.rate, 10)} {printable(r.describe())}")
