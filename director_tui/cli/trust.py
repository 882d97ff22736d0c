"""CLI: `trust` — which generator definitions this account agrees to run.
Registered on cli.app (imported at its end)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from director_tui.cli.common import app, fail, settings, store_for
from director_tui.core.printable import printable

NOT_TRUSTED = 3  # the exit code of regen/work when a generator is not trusted (README)


def _stream_generators(slug: str) -> tuple[str, str]:
    """(slug, generators_json) of a stream, or exit 2 naming it."""
    from director_tui.core.streams import NotFound, get_stream

    store = store_for(settings())
    try:
        with store.read() as session:
            stream = get_stream(session, slug)
            return stream.slug, stream.generators_json
    except NotFound as exc:
        raise fail(str(exc)) from None


def _trust_store():
    from director_tui.core.trust import TrustStore

    return TrustStore()


def require_trust(slug: str, generators_json: str, assets: tuple[str, ...]) -> None:
    """Exit NOT_TRUSTED with one line when one of these assets' generators is not trusted (exit
    2 when its definition in the store is not a valid one)."""
    from director_tui.core.trust import InvalidDefinition, TrustError, refusal

    try:
        untrusted = _trust_store().untrusted(generators_json, assets)
    except InvalidDefinition as exc:  # written into the store unchecked: bad input, not a trust question
        raise fail(f"stream {slug}: {exc}") from None
    except TrustError as exc:
        raise fail(str(exc), NOT_TRUSTED) from None
    if untrusted:
        raise fail(refusal(slug, untrusted), NOT_TRUSTED)


def say_if_untrusted(slug: str, generators_json: str) -> None:
    """After an import: the spec's generators wait for this account's trust (a note, not an error)."""
    from director_tui.core.trust import TrustError

    try:
        untrusted = _trust_store().untrusted(generators_json)
    except TrustError:
        return
    if untrusted:
        which = " and ".join(d.asset for d in untrusted)
        typer.echo(f"note: the spec's {which} generator runs nothing until you trust it: "
                   f"`director-tui trust {slug}` shows it in full")


@app.command()
def trust(
    stream: Annotated[str | None, typer.Argument(help="The stream whose generators to review.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Trust without asking (what is trusted is still printed).")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List every definition this account trusts.")] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="Stop trusting the stream's generators.")] = False,
) -> None:
    """Review a stream's generator commands and trust them for this account (they run only then)."""
    from director_tui.core.trust import InvalidDefinition, TrustError, definitions

    store = _trust_store()
    try:
        if list_:
            _list(store)
            return
        if stream is None:
            raise fail("give a STREAM (or --list)")
        slug, generators = _stream_generators(stream)
        custom = [d for d in definitions(generators) if not d.builtin]
        if revoke:
            gone = store.revoke([d.fingerprint for d in custom])
            typer.echo(f"{slug}: {gone} generator definition(s) no longer trusted by this account")
            return
        untrusted = [d for d in custom if not store.is_trusted(d)]
        if not untrusted:
            typer.echo(f"{slug}: every generator is trusted by this account"
                       + ("" if custom else " (the built-in one)"))
            return
        typer.echo(f"{slug}: these generator definitions came with the stream (from its spec, or a "
                   "colleague). Trusted, this account runs them with your permissions:")
        for definition in untrusted:
            for line in definition.lines():
                typer.echo(f"  {line}")
        if not yes:
            if not sys.stdin.isatty():
                raise fail("not trusted: no terminal to ask on; run again with --yes to trust what is shown", 1)
            if not typer.confirm("Trust these for this account?", default=False):
                raise fail("not trusted; nothing changed", 1)
        for definition in untrusted:
            store.trust(definition, slug)
        typer.echo(f"{slug}: trusted {len(untrusted)} definition(s); their queued tasks can run now")
    except InvalidDefinition as exc:
        raise fail(f"stream {stream}: {exc}") from None
    except TrustError as exc:
        raise fail(str(exc), 1) from None


def _list(store) -> None:
    entries = store.entries()
    if not entries:
        typer.echo("this account trusts no generator definition yet (the built-in one needs none)")
        return
    for fingerprint, entry in sorted(entries.items(), key=lambda kv: str(kv[1].get("trusted_at", ""))):
        command = entry.get("definition", {}).get("command") or []
        typer.echo(f"{fingerprint[:12]}  {entry.get('asset', '?'):<8} {entry.get('stream', '?'):<20} "
                   f"{str(entry.get('trusted_at', ''))[:19]}  {printable(' '.join(map(str, command)))[:80]}")
