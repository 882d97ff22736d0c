"""When drafts are written: after every pause in typing (PAUSE_S) and, while the director
keeps typing, at least every MAX_WAIT_S. The writes run in a worker thread (core.drafts.
DraftSaver), so a busy database never stalls a keystroke."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App

if TYPE_CHECKING:
    from director_tui.core.drafts import DraftSaver, DraftView
    from director_tui.ui.store_gate import StoreGate

PAUSE_S = 0.5
MAX_WAIT_S = 3.0


class DraftKeeper:
    def __init__(self, host: App[Any], gate: StoreGate, user: str, stream_id: int) -> None:
        self.host = host  # notices, workers, timers
        self.gate = gate
        self.user = user
        self.stream_id = stream_id
        self._saver: DraftSaver | None = None
        self._pause_timer: Any = None
        self._max_timer: Any = None
        self.restored: dict[tuple[int, str], DraftView] = {}  # found at open, not yet reopened
        # prompts that may have a draft row: only these need one cleared, so opening an edit,
        # saving it or pressing esc costs no write when nothing was ever drafted
        self._stored: set[tuple[int, str]] = set()
        self._last_refusal: str | None = None  # the last 'not saved' said

    @property
    def saver(self) -> DraftSaver | None:
        if self._saver is None and self.gate.store is not None:
            from director_tui.core.drafts import DraftSaver

            self._saver = DraftSaver(self.gate.store, self.user)
        return self._saver

    def changed(self, segment_id: int, field: str, text: str, base: str) -> None:
        saver = self.saver
        key = (segment_id, field)
        if saver is None or (text == base and key not in self._stored):
            return
        saver.put(segment_id, field, text, base)
        if text == base:
            self._stored.discard(key)  # put() records a clear for it
        else:
            self._stored.add(key)
        if self._pause_timer is not None:
            self._pause_timer.stop()
        self._pause_timer = self.host.set_timer(PAUSE_S, self._flush_soon)
        if self._max_timer is None:
            self._max_timer = self.host.set_timer(MAX_WAIT_S, self._flush_soon)

    def discard(self, segment_id: int, field: str) -> None:
        """The edit was saved, or deliberately dropped: the draft goes."""
        self.restored.pop((segment_id, field), None)
        saver = self.saver
        if saver is not None and (segment_id, field) in self._stored:
            self._stored.discard((segment_id, field))
            saver.drop(segment_id, field)
            self._flush_soon()

    def _flush_soon(self) -> None:
        for timer in (self._pause_timer, self._max_timer):
            if timer is not None:
                timer.stop()
        self._pause_timer = self._max_timer = None
        saver = self._saver
        if saver is not None and saver.dirty:
            self.host.run_worker(self._flush_in_thread, thread=True, group="drafts", exit_on_error=False)

    def _flush_in_thread(self) -> None:
        from director_tui.core.store import unavailable

        try:
            self._saver.flush()  # type: ignore[union-attr]
            self._last_refusal = None
        except Exception as exc:  # kept pending, and tried again in a while even if no key comes
            why = unavailable(exc) or str(exc).splitlines()[0][:120]
            self.host.call_from_thread(self._not_saved, why)

    def _not_saved(self, why: str) -> None:
        if why != self._last_refusal:  # once per reason: a server away for minutes is one notice
            self._last_refusal = why
            self.host.notify(f"draft not saved yet: {why}", severity="warning")
        if self._max_timer is None:
            self._max_timer = self.host.set_timer(MAX_WAIT_S, self._flush_soon)

    def flush_now(self, wait_s: float = 2.0) -> None:
        """On the way out (quit, SIGHUP, SIGTERM): write what is pending before the app goes,
        in a thread waited for at most `wait_s` (a locked database must not keep it alive)."""
        import contextlib
        import threading

        saver = self._saver
        if saver is not None and saver.dirty:
            def flush() -> None:
                with contextlib.suppress(Exception):
                    saver.flush()

            writer = threading.Thread(target=flush, daemon=True)
            writer.start()
            writer.join(wait_s)

    def adopt(self, found: list[DraftView]) -> list[DraftView]:
        """The user's drafts in this stream, read at open (most recent first): kept until the
        edit that reopens each takes it."""
        read = {(d.segment_id, d.field): d for d in found}
        self._stored |= set(read)
        self.restored = read | self.restored  # a note refused meanwhile (kept as a draft) is newer
        return found

    def take(self, segment_id: int, field: str) -> DraftView | None:
        """A draft found at open for this prompt, once (the edit that reopens it owns it now)."""
        return self.restored.pop((segment_id, field), None)
