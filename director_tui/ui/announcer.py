"""What follows a decision the store took: the rows it changed are read again and its tasks
shown (SegmentsChanged, posted to the app, which hands it to the main screen), and the
runner is woken or told to look at cancels. One place, for the decision queue and the
review service alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App

from director_tui.ui.messages import SegmentsChanged

if TYPE_CHECKING:
    from director_tui.core.operations import Outcome
    from director_tui.ui.task_control import TaskControl


class Announcer:
    def __init__(self, host: App[Any], tasks: TaskControl) -> None:
        self.host = host
        self.tasks = tasks

    def rows_changed(self, segment_ids: tuple[int, ...], queued: tuple[tuple[int, str], ...] = ()) -> None:
        self.host.post_message(SegmentsChanged(segment_ids, queued))

    def announce(self, outcome: Outcome) -> None:
        if outcome.segment_ids or outcome.queued:
            self.rows_changed(tuple(outcome.segment_ids), tuple(outcome.queued))
        if outcome.cancels:
            self.tasks.wake()
            self.tasks.check_cancels()
