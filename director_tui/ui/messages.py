"""What screens tell the rest of the app, as Textual messages: a screen posts one and goes
on; the main screen (through the app, which the message bubbles to) updates what it shows.
No screen reaches into another screen's internals."""

from __future__ import annotations

from textual.message import Message


class SegmentsChanged(Message):
    """These segments changed in the store: their rows are read again. `queued`: the
    (segment id, asset) of each task queued (shown at once, the runner woken)."""

    def __init__(self, segment_ids: tuple[int, ...], queued: tuple[tuple[int, str], ...] = (),
                 clear_marks: bool = False) -> None:
        super().__init__()
        self.segment_ids, self.queued, self.clear_marks = segment_ids, queued, clear_marks


class ShowingSegment(Message):
    """A screen over the table now shows this segment's asset (the review screen stepped to
    the next one): the main screen's cursor follows, so esc comes back to it."""

    def __init__(self, segment_id: int, asset: str) -> None:
        super().__init__()
        self.segment_id, self.asset = segment_id, asset
