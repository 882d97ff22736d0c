"""The screens the main screen opens over the table by name (`T`, `t`, `M`, `R`, `@`),
each made by an explicit factory: the screen's module is imported on first use, never on
the first frame's path, and no screen is found by an import string."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen


def _tasks() -> Screen[Any]:
    from director_tui.ui.screens.tasks import TasksScreen

    return TasksScreen()


def _timeline() -> Screen[Any]:
    from director_tui.ui.screens.timeline import TimelineScreen

    return TimelineScreen()


def _metrics() -> Screen[Any]:
    from director_tui.ui.screens.metrics import MetricsScreen

    return MetricsScreen()


def _recommendations() -> Screen[Any]:
    from director_tui.ui.screens.recommend import RecommendScreen

    return RecommendScreen()


def _mentions() -> Screen[Any]:
    from director_tui.ui.screens.mentions import MentionsScreen

    return MentionsScreen()


# a screen that names a segment when it closes (timeline, metrics, mentions: enter) sends the table there
OVERLAYS: dict[str, Callable[[], Screen[Any]]] = {
    "tasks": _tasks, "timeline": _timeline, "metrics": _metrics, "recommendations": _recommendations,
    "mentions": _mentions,
}
