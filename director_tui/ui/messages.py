"""What screens tell the rest of the app, as Textual messages: a screen posts one and goes
on; the main screen (through the app, which the message bubbles to) updates what it shows.
No screen reaches into another screen's internals."""

from __future__ import annotations

from textual.message import Message


class SegmentsChanged(Message):
    """These segments changed in the store: their rows are read again. `clips_queued`: the
    segments whose clip was queued too (shown at once, the runner woken)."""

    def __init__(self, segment_ids: tuple[int, ...], clips_queued: tuple[int, ...] = (),
                 clear_marks: bool = False) -> None:
        super().__init__()
        self.segment_ids, self.clips_queued, self.clear_marks = segment_ids, clips_queued, clear_marks
