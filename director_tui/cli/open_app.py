"""Running the app on a stream from a command (`director-tui open`, `demo`): settings, the
first frame from the snapshot, errors as one line. Imports no CLI framework, so the fast
`open` path (launch.py) starts without typer."""

from __future__ import annotations

import sys


def open_stream(home: str | None, slug: str, store: str | None = None) -> int:
    """Open a stream in the app; errors are one line on stderr. Returns the exit code."""
    import gc
    import os

    # Start-up only allocates what the app keeps (modules, widgets, rows): the collector's
    # passes over that growing heap are wasted. The app turns it back on, with all of this
    # frozen out of its way, once the store is open (DirectorApp._store_ready).
    gc.disable()
    from director_tui.config import ConfigError, apply_workspace_mode, load_settings
    from director_tui.core.errors import DamagedStore, NotFound, StoreError, StoreUnusable
    from director_tui.ui.app import make_app
    from director_tui.ui.terminal_graphics import probe

    try:
        settings = load_settings(home, store=store)
        apply_workspace_mode(settings.workspace_mode)
        director = make_app(settings, None, slug)
    except (ConfigError, NotFound) as exc:
        print(f"director-tui: {exc}", file=sys.stderr)
        return 2
    except (DamagedStore, StoreUnusable) as exc:
        print(f"director-tui: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"director-tui: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # damage past the file's header (an overwritten page): one line
        from director_tui.core.store import damaged_message

        message = damaged_message(exc, home)
        if message is None:
            raise
        print(f"director-tui: {message}", file=sys.stderr)
        return 2
    # keys come from a terminal: with stdin from /dev/null or a pipe the app waited forever
    # for keys that could not come (a tab of `serve` talks through textual's web driver)
    if not os.environ.get("TEXTUAL_DRIVER") and not sys.stdin.isatty():
        print("director-tui: open: standard input is not a terminal (the app reads your keys there); run it "
              "in a terminal, or `director-tui serve` for a browser", file=sys.stderr)
        return 2
    probe(settings.image_protocol)
    director.run()
    if director.exit_message:
        print(f"director-tui: {director.exit_message}", file=sys.stderr)
    return director.return_code or 0
