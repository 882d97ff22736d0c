"""`:trust` in the app: the stream's untrusted generator definitions in full, and y to trust
them for this account (as `director-tui trust STREAM` does), after which the queue runs."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App

from director_tui.ui.context import context_of


def review_trust(app: App[Any]) -> None:
    from director_tui.core.models import Stream

    ctx = context_of(app)
    if ctx.store_or_later(lambda: review_trust(app)) is None:
        return
    stream_id = ctx.stream_id

    def definitions(s: Any) -> tuple[str, str]:
        stream = s.get(Stream, stream_id)
        return (stream.slug, stream.generators_json) if stream else ("?", "{}")

    ctx.reader.read("trust", definitions, lambda found: _ask(app, *found), holds_keys=True)


def _ask(app: App[Any], slug: str, generators: str) -> None:
    """The definitions read: shown in full, and y trusts them."""
    from director_tui.core.trust import TrustError, TrustStore
    from director_tui.ui.screens.confirm import ConfirmScreen

    ctx = context_of(app)
    trust = TrustStore()
    try:
        untrusted = trust.untrusted(generators)
    except TrustError as exc:
        app.notify(str(exc), severity="error", timeout=8)
        return
    if not untrusted:
        app.notify("every generator of this stream is trusted by this account", timeout=3)
        return
    body = Text("These came with the stream (its spec, or a colleague). Trusted, this account runs "
                "them with your permissions:\n\n", style="")
    for definition in untrusted:
        for line in definition.lines():
            body.append(line + "\n", style="bold")

    def answered(yes: bool | None) -> None:
        if not yes:
            app.notify("not trusted; nothing of it runs", timeout=3)
            return
        try:
            for definition in untrusted:
                trust.trust(definition, slug)
        except TrustError as exc:
            app.notify(str(exc), severity="error", timeout=8)
            return
        app.notify(f"trusted {len(untrusted)} generator definition(s); the queue runs", timeout=4)
        for definition in untrusted:
            ctx.tasks.trust_changed(definition.asset)
        ctx.tasks.queue_missing_keyframes()
        ctx.tasks.wake()

    app.push_screen(ConfirmScreen(f"Trust the generators of '{slug}'?", body), answered)
