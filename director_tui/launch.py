"""The `director-tui` entry point. `director-tui [--home DIR] open SLUG`, the command a
director types many times a day, starts the app without importing the CLI framework
(typer and click cost ~50 ms of start-up); every other form goes to `cli.main`."""

from __future__ import annotations

import sys


def fast_open_args(argv: list[str]) -> tuple[str | None, str, str | None] | None:
    """(home, slug, store) when argv is exactly `[--home DIR] [--store URL] open SLUG`
    (either option also as --opt=VALUE, in either order), else None."""
    options: dict[str, str] = {}
    rest = list(argv)
    while rest and rest[0].split("=", 1)[0] in ("--home", "--store"):
        name = rest[0].split("=", 1)[0]
        if name in options:
            return None
        if "=" in rest[0]:
            options[name], rest = rest[0].split("=", 1)[1], rest[1:]
        elif len(rest) >= 2:
            options[name], rest = rest[1], rest[2:]
        else:
            return None
        if options[name] == "":
            return None
    if len(rest) == 2 and rest[0] == "open" and not rest[1].startswith("-"):
        return options.get("--home"), rest[1], options.get("--store")
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
