"""What the main screen's parts (live updates, session, decisions, prompts, the command
line, safekeeping, the picture, the dailies) may use of the screen they serve (issue 26, 5).

They type against `MainHost`, never against MainScreen, so no part imports the screen that
imports it: MainScreen subclasses this and fills in every method. The parts that reach
another part (the command line dispatches to the decisions and the jobs) see it through the
small protocols here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from textual.screen import Screen

from director_tui.core.rows import SegmentRow, VersionRow
from director_tui.ui.context import UsesContext
from director_tui.ui.widgets.segment_table import SegmentTable

if TYPE_CHECKING:
    from director_tui.core.commands import Command


class DecisionsPart(Protocol):
    def journal(self, verb: str) -> None: ...

    def similar(self, source_position: int | None = None) -> None: ...

    def variations(self, count: int | None = None, presets: list[tuple[int, str]] | None = None) -> None: ...

    def apply_to_segments(self, verb: str, seg_ids: list[int], asset: str) -> None: ...

    def cancel_segments(self, seg_ids: list[int] | None) -> None: ...


class JobsPart(Protocol):
    def run_export(self, command: Command) -> None: ...

    def run_cleanup(self, command: Command) -> None: ...

    def run_restore(self, command: Command) -> None: ...


class MainHost(UsesContext, Screen[None]):
    asset: str  # the asset the table's decisions act on (keyframe or video)

    @property
    def table(self) -> SegmentTable:
        return self.query_one(SegmentTable)

    @property
    def decisions(self) -> DecisionsPart:
        raise NotImplementedError

    @property
    def jobs(self) -> JobsPart:
        raise NotImplementedError

    def reload_segments(self, ids: list[int]) -> None:
        """Read these rows again (off the loop)."""
        raise NotImplementedError

    def current_or_warn(self) -> SegmentRow | None:
        raise NotImplementedError

    def current_with_store(self, action: Callable[[], object]) -> SegmentRow | None:
        raise NotImplementedError

    def update_versions(self) -> None:
        raise NotImplementedError

    def show_versions(self, row: SegmentRow, versions: list[VersionRow], asset: str | None = None) -> None:
        raise NotImplementedError

    def set_asset(self, asset: str) -> None:
        raise NotImplementedError

    def action_asset(self, asset: str) -> None:
        raise NotImplementedError

    def apply_filter(self, text: str) -> None:
        raise NotImplementedError

    def open_line(self, mode: str, segment_id: int, label: str, text: str = "") -> None:
        raise NotImplementedError

    def go_to_segment(self, segment_id: int) -> None:
        raise NotImplementedError

    def go_to_next_to_review(self, decided: int | None = None) -> None:
        raise NotImplementedError

    def action_open_review(self) -> None:
        raise NotImplementedError
