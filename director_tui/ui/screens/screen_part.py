"""The base of the main screen's collaborators (live updates, session, decisions, prompts,
the command line, safekeeping): each holds the screen it serves and reaches the app
through it, since a screen knows its app only once it is mounted."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from director_tui.ui.app import DirectorApp
    from director_tui.ui.screens.main import MainScreen


class ScreenPart:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    @property
    def app(self) -> DirectorApp:
        return self.screen.app
