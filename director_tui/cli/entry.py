"""The typer app of `director-tui COMMAND`. Each module registers its commands on the one
typer app (cli/common.py), in the order they are listed in the help; every command builds
on core/ (and jobs/ or ui/ where it runs generators or the app)."""

from __future__ import annotations

import importlib
import sys

import typer

from director_tui.cli.common import State, app

# each module registers its commands on `app`; the help lists them in this order
for _module in ("streams", "decide", "presets", "inbox", "jobs", "session", "serve", "archive", "insight", "trust",
                "studio"):
    importlib.import_module(f"director_tui.cli.{_module}")

__all__ = ["app", "main"]


def _argv_problem(argv: list[str]) -> str | None:
    """An argument that is not valid UTF-8 text (Python hands its bytes over as lone
    surrogates, which no store or program takes): one line naming it, before any command."""
    from director_tui.core.printable import not_unicode, printable

    for i, arg in enumerate(argv, 1):
        if (at := not_unicode(arg)) is not None:
            shown = printable(arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))
            return f"argument {i} ('{shown[:60]}') is not valid UTF-8 text (at {at}): nothing was done"
    return None


def _escape_usage_errors() -> None:
    """Click repeats a bad argument in its usage error ("Got unexpected extra argument (…)"),
    raw: an argument holding ESC ] 52 reached the terminal as a command (found by
    tests/hostile/sweep_inputs.py). Every usage error's message goes through printable()."""
    try:  # typer 0.16+ carries its own copy of click, which raises these
        from typer._click import exceptions
    except ImportError:  # older typer: click itself
        from click import exceptions  # type: ignore[no-redef]

    from director_tui.core.printable import printable

    original = exceptions.UsageError.format_message
    if getattr(original, "escaped", False):
        return

    def escaped(self: exceptions.UsageError) -> str:
        return printable(original(self), newlines=True)

    escaped.escaped = True  # type: ignore[attr-defined]
    exceptions.UsageError.format_message = escaped  # type: ignore[method-assign,assignment]  # click's own, wrapped


def main() -> None:
    _escape_usage_errors()
    problem = _argv_problem(sys.argv[1:])  # the environment's numbers: launch.py, before any path
    if problem is not None:
        typer.echo(f"director-tui: {problem}", err=True)
        sys.exit(2)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # damage found past the open, or a store that refused: one line
        from director_tui.core.store import damaged_message, unavailable
        from director_tui.core.store.failures import first_line, from_the_store

        message = damaged_message(exc, State.home)
        if message is not None:
            typer.echo(f"director-tui: {message}", err=True)
            sys.exit(2)
        why = unavailable(exc)
        if why is None and from_the_store(exc) and not isinstance(exc, OSError):
            # a constraint or a trigger of the store's (someone's ALTER, a dropped table):
            # its transaction was rolled back, and it will not pass by trying again
            why = f"the database refused it ({first_line(exc)})"
        if why is None:
            raise
        again = "; try again" if not why.startswith("the database refused it") else "; nothing was changed"
        typer.echo(f"director-tui: stopped: {why}{again}", err=True)
        sys.exit(1)
