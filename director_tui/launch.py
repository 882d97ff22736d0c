"""The `director-tui` entry point. `director-tui [--home DIR] open SLUG`, the command a
director types many times a day, starts the app without importing the CLI framework
(typer and click cost ~50 ms of start-up); every other form goes to `cli.main`."""

from __future__ import annotations

import sys


def fast_open_args(argv: list[str]) -> tuple[str | None, str] | None:
    """(home, slug) when argv is exactly `[--home DIR | --home=DIR] open SLUG`, else None."""
    home = None
    rest = list(argv)
    if rest[:1] == ["--home"] and len(rest) >= 2:
        home, rest = rest[1], rest[2:]
    elif rest and rest[0].startswith("--home="):
        home, rest = rest[0].split("=", 1)[1], rest[1:]
    if len(rest) == 2 and rest[0] == "open" and not rest[1].startswith("-") and home != "":
        return home, rest[1]
    return None


def main() -> None:
    fast = fast_open_args(sys.argv[1:])
    try:
        if fast is not None:
            from director_tui.ui.run import open_stream

            sys.exit(open_stream(*fast))
        from director_tui.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        sys.exit(130)
