"""What a screen over the table may know of the main screen's order of segments, read-only:
the review screen steps through segments and goes on to the next one to review without
touching the main screen (its cursor follows a ShowingSegment message). SegmentTable is
the implementation."""

from __future__ import annotations

from typing import Protocol


class SegmentOrder(Protocol):
    def neighbour(self, segment_id: int, delta: int) -> int | None: ...

    def next_needing_review(self, segment_id: int | None, asset: str) -> int | None: ...

    def about(self, segment_id: int, asset: str) -> str: ...

    def position(self, segment_id: int) -> int | None: ...

    def seen(self, segment_id: int, asset: str) -> tuple[int | None, str] | None:
        """The version and state the table shows for this segment's asset (None: no such row)."""
        ...
