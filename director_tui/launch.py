"""The `director-tui` entry point. The commands typed most often start without importing
the CLI framework (typer and click cost ~50 ms of start-up, SQLAlchemy ~0.3 s):
`director-tui [--home DIR] [--store URL] open SLUG` starts the app, and the read commands
(`list`, `status`, `activity`, `metrics`) in their plain forms are answered by
cli/reads.py; every other form goes to the full CLI (cli/entry.py)."""

from __future__ import annotations

import sys


def fast_open_args(argv: list[str]) -> tuple[str | None, str, str | None] | None:
    """(home, slug, store) when argv is exactly `[--home DIR] [--store URL] open SLUG`
    (either option also as --opt=VALUE, in either order), else None."""
    from director_tui.cli.argv import global_options

    split = global_options(argv)
    if split is None:
        return None
    home, store, rest = split
    if len(rest) == 2 and rest[0] == "open" and not rest[1].startswith("-"):
        return home, rest[1], store
    return None


def main() -> None:
    argv = sys.argv[1:]
    from director_tui.core import environment

    problem = environment.problem()  # before the fast paths, which never reach cli/entry.py
    if problem is not None:
        sys.stderr.write(f"director-tui: {problem}\n")
        sys.exit(2)
    try:
        fast = fast_open_args(argv)
        if fast is not None:
            from director_tui.cli.open_app import open_stream

            sys.exit(open_stream(*fast))
        from director_tui.cli.reads import run_fast

        code = run_fast(argv)
        if code is not None:
            sys.exit(code)
        from director_tui.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # `director-tui activity film | head`: the reader is gone
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        sys.exit(1)
