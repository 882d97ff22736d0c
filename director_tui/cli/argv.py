"""The options every command takes before it, read without any CLI framework: the fast
paths (launch.py: `open`; cli/reads.py: the read commands) import nothing else."""

from __future__ import annotations


def global_options(argv: list[str]) -> tuple[str | None, str | None, list[str]] | None:
    """(home, store, the rest) when argv starts with at most one each of --home DIR and
    --store URL (also --opt=VALUE, in either order); None for anything else there."""
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
    return options.get("--home"), options.get("--store"), rest
