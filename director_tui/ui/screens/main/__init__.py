"""The main screen (issue 26, 5): the table and what is around it (`screen.py`), and the
parts it owns, each typed against `host.MainHost`, never against the screen: `live`
(runner events, others' commits, counts), `session` (the state kept per user),
`decisions`, `prompts` (editing, drafts), `command_line` (the : line), `safekeeping`
(export, cleanup, restore), `picture` (i), `dailies` (:dailies)."""

from director_tui.ui.screens.main.screen import MainScreen

__all__ = ["MainScreen"]
