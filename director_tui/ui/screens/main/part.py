"""The base of the main screen's collaborators (live updates, session, decisions, prompts,
the command line, safekeeping): each holds the screen it serves (typed against its host
class, ui/screens/main/host.py) and reaches the app's context through it, since a screen
knows its app only once it is mounted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App

if TYPE_CHECKING:
    from director_tui.ui.context import Context
    from director_tui.ui.screens.main.host import MainHost


class ScreenPart:
    def __init__(self, screen: MainHost) -> None:
        self.screen = screen

    @property
    def app(self) -> App[Any]:
        return self.screen.app

    @property
    def ctx(self) -> Context:
        return self.screen.ctx
