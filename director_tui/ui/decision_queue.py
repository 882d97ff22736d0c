"""The path from a decision's key to the store (issue 24).

When its key is pressed a decision is bound to the ids it was made on (segment, asset, the
version and state shown), written to the outbox (core/outbox.py: on disk, per user, outside
the workspace) and shown pending on its row; the screen moves on at once and never waits.
Here the decisions go to the store one after another, in the order pressed, each in its own
transaction off the loop (core/delivery.py). A lock held past the busy timeout, a server
that is away or a full disk keeps them waiting (the header says how many and for how long)
and they are tried again; a crash leaves them in the outbox and the next app on the store
delivers them, saying so. A decision the store refuses (a colleague decided first, the
version is no longer current) is shown on its row with the reason and the state as it now
is: never applied to another shot, never dropped in silence.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.app import App

from director_tui.config import Settings
from director_tui.core.outbox import TEXT_KINDS, Outbox, OutboxError, Pressed, folder_for
from director_tui.core.rows import SegmentRow
from director_tui.core.states import AssetState

if TYPE_CHECKING:
    from director_tui.core.operations import Outcome
    from director_tui.core.store import Store
    from director_tui.ui.announcer import Announcer
    from director_tui.ui.draft_keeper import DraftKeeper
    from director_tui.ui.store_gate import StoreGate
    from director_tui.ui.waiting import WaitingBoard

Then = Callable[["Outcome"], None] | None
SHOW_WAITING_AFTER_S = 0.4  # a decision confirmed sooner than this never shows "waiting"
RETRY_MAX_S = 2.0  # the longest pause between two tries while the store is locked or away


def _deliver(store: Store, pressed: Pressed) -> Outcome:
    from director_tui.core.delivery import deliver

    with store.write() as session:
        return deliver(session, pressed)


def store_identity(home: Path, store_url: str | None) -> str:
    """What names the store an outbox belongs to: its URL, or its SQLite file's real path."""
    return store_url or str(Path(home).expanduser().resolve() / "director.db")


class PendingRows(Protocol):
    """Where a decision shows while it is on its way: the main screen's segment table."""

    rows_by_id: dict[int, SegmentRow]

    def show_pending(self, marks: dict[tuple[int, str], str], notes: list[int]) -> None: ...

    def clear_pending(self, keys: list[tuple[int, str]], notes: list[int]) -> None: ...

    def show_refused(self, segment_id: int, text: str) -> None: ...


class DecisionQueue:
    def __init__(self, host: App[Any], settings: Settings, stream_id: int, gate: StoreGate, drafts: DraftKeeper,
                 rows: Callable[[], PendingRows], announcer: Announcer, waiting: WaitingBoard,
                 report_fault: Callable[[Exception], None]) -> None:
        self.host = host  # notices, workers, timers, the log
        self.settings = settings
        self.stream_id = stream_id
        self.gate = gate
        self.drafts = drafts
        self.rows = rows  # the rows that show decisions pending (the main screen's table)
        self.announcer = announcer
        self.waiting_board = waiting
        self.report_fault = report_fault
        self.waiting: deque[Pressed] = deque()
        self.outbox: Outbox | None = None
        self.predicted: dict[tuple[int, str], tuple[int, str]] = {}  # (segment, asset) -> (count, state)
        self._then: dict[str, Then] = {}
        self._keys: dict[str, list[tuple[int, str]]] = {}  # pressed id -> the (segment, asset)s it predicts
        self._draining = False
        self._unkept = False  # the outbox could not be made (its folder is not ours, a full disk)
        self._trouble = ""
        self._ticker: Any = None
        self._texts_pressed: set[tuple[int, str]] = set()  # draft keys of the notes pressed or replayed
        self.delivered = 0  # decisions confirmed by the store this session (tests, bench)

    # --- pressing ----------------------------------------------------------------------------
    def _outbox(self) -> Outbox | None:
        if self.outbox is None and not self._unkept:
            from director_tui.config import state_dir

            try:
                self.outbox = Outbox(folder_for(state_dir(), store_identity(self.settings.home, self.settings.store)))
            except OutboxError as exc:  # said once; the decisions still go to the store, in order
                self._unkept = True
                self.host.notify(f"{exc}: decisions go straight to the store, unkept", severity="warning", timeout=8)
        return self.outbox

    def press(self, kind: str, *, segment_id: int | None = None, asset: str = "",
              expected: tuple[int | None, str] | None = None, text: str = "", verb: str = "",
              segment_ids: tuple[int, ...] = (), about: str = "", then: Then = None) -> Pressed:
        """A decision, now: kept, shown pending, on its way. Returns it as pressed."""
        settings = self.settings
        pressed = Pressed.new(kind, settings.user, self.stream_id, segment_id=segment_id, asset=asset,
                              expected=expected, text=text, verb=verb, segment_ids=segment_ids,
                              queue_video=settings.auto_queue_video, about=about)
        outbox = self._outbox()
        if outbox is not None:
            try:
                outbox.add(pressed)
            except OutboxError as exc:
                self.host.notify(f"{exc}; it goes to the store unkept", severity="warning", timeout=6)
        self._queue(pressed, then)
        self._drop_draft(pressed)  # the text is in the outbox now: it is no draft to bring back
        return pressed

    def _drop_draft(self, pressed: Pressed) -> None:
        if pressed.draft_key is not None:
            self._texts_pressed.add(pressed.draft_key)
            self.drafts.discard(*pressed.draft_key)

    def texts_on_their_way(self) -> set[tuple[int, str]]:
        """(segment, draft field) of the notes and comments pressed or replayed this session:
        their text is in the outbox or the store, so a draft of it found at open is no draft.
        (Those delivered count too: the drafts are read off the loop, and a replayed note can
        be delivered before that read is back.)"""
        return {p.draft_key for p in self.waiting if p.draft_key is not None} | self._texts_pressed

    def _queue(self, pressed: Pressed, then: Then = None) -> None:
        self.waiting.append(pressed)
        self._then[pressed.id] = then
        predicts = self._predicts(pressed)
        self._keys[pressed.id] = [key for key, _ in predicts]
        for key, state in predicts:
            count, _ = self.predicted.get(key, (0, ""))
            self.predicted[key] = (count + 1, state)
        self._show_rows(pressed)
        if not self._draining:
            self._draining = True
            self.host.run_worker(self._drain(), group="decisions", exit_on_error=False)

    def adopt_orphans(self) -> None:
        """At open: the decisions an earlier app on this store pressed and never delivered
        (it was killed, crashed, lost its connection) go first, and a notice says which."""
        outbox = self._outbox()
        if outbox is None:
            return
        try:
            adopted = outbox.adopt_orphans()
        except OutboxError as exc:
            self.host.notify(str(exc), severity="warning", timeout=8)
            return
        if not adopted:
            return
        for pressed in adopted:
            self._queue(pressed)
            self._drop_draft(pressed)
        named = ", ".join(p.describe() for p in adopted[:4]) + (f" and {len(adopted) - 4} more" if len(adopted) > 4 else "")
        self.host.notify(f"replaying {len(adopted)} decision(s) kept from a session that ended before the store "
                        f"had them: {named}", timeout=10)

    # --- what the rows show meanwhile ----------------------------------------------------------
    def _predicts(self, pressed: Pressed) -> list[tuple[tuple[int, str], str]]:
        """The state each (segment, asset) will have once the decision lands."""
        table = self.rows()
        new = {"approve": AssetState.APPROVED, "reject": AssetState.REJECTED}
        if pressed.kind in new and pressed.segment_id is not None:
            return [((pressed.segment_id, pressed.asset), new[pressed.kind])]
        ids: tuple[int, ...]
        if pressed.kind in ("regenerate", "send_back") and pressed.segment_id is not None:
            ids, verb = (pressed.segment_id,), "regen"
        elif pressed.kind == "many":
            ids, verb = pressed.segment_ids, pressed.verb
        else:
            return []
        out = []
        for seg_id in ids:
            row = table.rows_by_id.get(seg_id)
            if row is None:
                continue
            now = self.state(seg_id, pressed.asset, row.state(pressed.asset))
            if verb in new:
                out.append(((seg_id, pressed.asset), new[verb]))
            elif now == AssetState.REVIEW:
                out.append(((seg_id, pressed.asset), AssetState.REGENERATE))
        return out

    def state(self, segment_id: int, asset: str, shown: str) -> str:
        """The state a row will have once its waiting decisions land (else what it shows)."""
        found = self.predicted.get((segment_id, asset))
        return found[1] if found else shown

    def expected(self, segment_id: int, asset: str, seen: tuple[int | None, str]) -> tuple[int | None, str]:
        """What a decision pressed now checks at the store: the version seen, in the state the
        decisions before it will have left (approve, then reject on the same row is the
        director's intent, not a colleague's change)."""
        return seen[0], self.state(segment_id, asset, seen[1])

    def _show_rows(self, pressed: Pressed) -> None:
        table = self.rows()
        ids = pressed.segments
        marks = {(s, pressed.asset): self.predicted[(s, pressed.asset)][1]
                 for s in ids if (s, pressed.asset) in self.predicted}
        notes = [s for s in ids if pressed.kind in TEXT_KINDS]
        table.show_pending(marks, notes)

    def _settle_rows(self, pressed: Pressed) -> None:
        for key in self._keys.pop(pressed.id, []):
            count, state = self.predicted.get(key, (0, ""))
            if count <= 1:
                self.predicted.pop(key, None)
            else:
                self.predicted[key] = (count - 1, state)
        ids = pressed.segments
        self.rows().clear_pending(
            [(s, pressed.asset) for s in ids if (s, pressed.asset) not in self.predicted],
            [s for s in ids if pressed.kind in TEXT_KINDS and not self._notes_waiting(s)])

    def _notes_waiting(self, segment_id: int) -> bool:
        return any(p.kind in TEXT_KINDS and p.segment_id == segment_id for p in list(self.waiting)[1:])

    # --- delivering ----------------------------------------------------------------------------
    async def _drain(self) -> None:
        tries = 0
        try:
            while self.waiting:
                store = self.gate.store
                if store is None:  # still opening: the decisions wait, the keys do not
                    await asyncio.sleep(0.05)
                    continue
                pressed = self.waiting[0]
                self._tick()
                try:
                    outcome = await asyncio.to_thread(_deliver, store, pressed)
                except Exception as exc:
                    from director_tui.core.operations import REFUSED

                    if isinstance(exc, REFUSED):
                        self._answered(pressed, self._refused, exc)
                    else:
                        why = self._worth_waiting(store, exc)
                        if why is not None:
                            self._trouble = why
                            tries += 1
                            self._tick()
                            await asyncio.sleep(min(RETRY_MAX_S, 0.1 * 2 ** min(tries, 5)))
                            continue
                        self._answered(pressed, self._failed, exc)
                else:
                    self._answered(pressed, self._applied, outcome)
                self.waiting.popleft()
                tries, self._trouble = 0, ""
        finally:
            self._draining = False
            self._tick()

    def _answered(self, pressed: Pressed, show: Callable[[Pressed, Any], None], answer: Any) -> None:
        """The store's answer shown; a fault in showing it (a screen on its way out) is logged
        and never stops the decisions after it from being delivered."""
        try:
            show(pressed, answer)
        except Exception as exc:
            if self.outbox is not None:  # (each show settles it first; this is for a fault before)
                self.outbox.settle(pressed.id, "shown-failed", repr(exc))
            self.host.log.error(f"decision {pressed.describe()}: showing the store's answer failed: {exc!r}")

    def _worth_waiting(self, store: Store, exc: BaseException) -> str | None:
        """Why the store cannot take it now (then it waits and is tried again), or None."""
        from director_tui.core.store import damaged_message, unavailable
        from director_tui.core.store.failures import from_the_store

        if damaged_message(exc, self.settings.home) is not None:
            self.report_fault(exc)  # type: ignore[arg-type]  # (a BaseException here) one line on the way out
            return None
        why = unavailable(exc)
        if store.is_transient(exc) or (why is not None and not why.startswith("the database refused it")):
            return why or "the store is busy"
        if from_the_store(exc):  # any other word from the store (a server restarting): wait, never drop
            return why or f"the store did not take it ({type(exc).__name__})"
        return None

    def _applied(self, pressed: Pressed, outcome: Outcome) -> None:
        if self.outbox is not None:
            self.outbox.settle(pressed.id, "applied")
        self.delivered += 1
        self._settle_rows(pressed)
        self.announcer.announce(outcome)
        if outcome.value != "already":
            self.host.notify(outcome.message, severity="warning" if outcome.problems else "information", timeout=2.5)
        self._drop_draft(pressed)  # saved: no longer a draft
        then = self._then.pop(pressed.id, None)
        if then is not None:
            then(outcome)

    def _refused(self, pressed: Pressed, exc: BaseException) -> None:
        reason = str(exc)
        if self.outbox is not None:
            self.outbox.settle(pressed.id, "refused", reason)
        self._then.pop(pressed.id, None)
        self._settle_rows(pressed)
        ids = pressed.segments
        kept = ""
        key = pressed.draft_key
        if key is not None and pressed.text.strip():
            from director_tui.core.drafts import DraftView

            self.drafts.changed(*key, pressed.text, "")
            self.drafts.restored[key] = DraftView(key[0], 0, "", key[1], pressed.text, "", "")
            kept = f" — your note is kept ({'f' if pressed.kind == 'send_back' else 'c'} on its row brings it back)"
        for seg_id in ids:
            self.rows().show_refused(seg_id, f"✗ {pressed.kind.replace('_', ' ')} refused: {reason}")
        if ids:  # the state as it now is
            self.announcer.rows_changed(tuple(ids))
        self.host.notify(f"{pressed.describe()} was not saved: {reason}{kept}", severity="warning", timeout=8)

    def _failed(self, pressed: Pressed, exc: BaseException) -> None:
        """A fault of ours: said, kept in the log, and the decisions after it go on."""
        if self.outbox is not None:
            self.outbox.settle(pressed.id, "failed", repr(exc))
        self._then.pop(pressed.id, None)
        self._settle_rows(pressed)
        self.host.log.error(f"decision {pressed.describe()} failed: {exc!r}")
        self.host.notify(f"{pressed.describe()} was not saved: internal error ({exc})", severity="error", timeout=10)

    # --- the header: what waits, and for how long -----------------------------------------------
    def _tick(self) -> None:
        """Say in the header how many decisions wait and since when (once it is worth saying)."""
        if not self.waiting:
            if self._ticker is not None:
                self._ticker.stop()
                self._ticker = None
            self.waiting_board.show(None, slot="decisions")
            return
        if self._ticker is None:
            self._ticker = self.host.set_interval(0.5, self._tick)
        age = time.time() - self.waiting[0].pressed_at
        if age < SHOW_WAITING_AFTER_S:
            return
        n = len(self.waiting)
        why = f"; {self._trouble}" if self._trouble else ""
        self.waiting_board.show(f"{n} decision{'s' if n != 1 else ''} ({age:.0f} s{why})", slot="decisions")

    async def idle(self, timeout: float | None = None) -> bool:
        """Until every decision pressed so far has an answer from the store (tests, quitting)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.waiting or self._draining:
            if deadline is not None and time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def close(self) -> int:
        """The app ends: what has not reached the store stays in the outbox for the next app."""
        left = len(self.waiting)
        if self.outbox is not None:
            self.outbox.close()
        return left

