"""`director-tui inbox`: the comments that mention you (`@you`), newest first."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from director_tui.cli.common import INT_MAX, app, settings, store_for
from director_tui.core.printable import printable


@app.command()
def inbox(
    all_: Annotated[bool, typer.Option("--all", help="Seen ones too.")] = False,
    seen: Annotated[bool, typer.Option("--seen", help="Mark the ones listed as seen.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.", min=1, max=INT_MAX)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Mentions of you (@name in a comment) not yet seen, in every stream."""
    from director_tui.core import mentions

    s = settings()
    store = store_for(s)
    with store.read() as session:
        found = mentions.inbox(session, s.user, include_seen=all_, limit=limit)
    if seen and found:
        ids = [m.id for m in found if not m.seen]
        with store.write() as session:
            mentions.mark_seen(session, s.user, ids)
    if as_json:
        typer.echo(json.dumps([m.as_json() for m in found], indent=2, ensure_ascii=False))
        return
    if not found:
        typer.echo(f"no {'' if all_ else 'new '}mentions of @{s.user}")
        return
    for m in found:
        mark = " " if m.seen else "•"
        typer.echo(f"{mark} {m.at:%Y-%m-%d %H:%M}  {printable(m.author)[:12]:<12}  "
                   f"{m.stream} #{m.position} {printable(m.title)[:20]}: {printable(m.excerpt)}")
    if not seen and any(not m.seen for m in found):
        typer.echo("(director-tui inbox --seen marks them seen; enter on one in the app's @ list goes there)")
