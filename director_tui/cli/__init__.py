"""The command line: `director-tui COMMAND` (typer; cli/entry.py builds the app from every
module's commands). Importing this package costs nothing: the read commands' fast start
(cli/reads.py, from launch.py) uses its modules without typer; `app` and `main` are
built on first use."""

from __future__ import annotations

from typing import Any

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from director_tui.cli import entry

        return getattr(entry, name)
    raise AttributeError(name)
