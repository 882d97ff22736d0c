"""Unsaved prompt edits, kept in the store while the director types (on every pause and at
least every few seconds), so a dead app or a dropped SSH connection loses nothing: the next
open restores them. A draft goes when its prompt is saved or the edit is deliberately
cancelled (esc)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlmodel import Session

from director_tui.core.models import Draft, utcnow
from director_tui.core.store import Store

FIELDS = ("image", "motion")
# a comment or a send-back note being typed, per asset: kept like a prompt edit
LINES = ("comment:keyframe", "comment:video", "feedback:keyframe", "feedback:video")


@dataclass(frozen=True)
class DraftView:
    segment_id: int
    position: int
    title: str
    field: str
    text: str
    base: str  # the saved prompt the edit started from
    saved: str  # the prompt as it is saved now (differs from base: changed elsewhere since)


# an upsert (one statement, any number of saves); `now` typed as the ORM stores its times
_SAVE = text(
    # "user" quoted: a reserved word in PostgreSQL (and in standard SQL); SQLite takes it either way
    'INSERT INTO draft ("user", segment_id, field, text, base, updated_at) VALUES (:u, :s, :f, :t, :b, :now) '
    'ON CONFLICT ("user", segment_id, field) DO UPDATE SET text = excluded.text, base = excluded.base, '
    "updated_at = excluded.updated_at").bindparams(bindparam("now", type_=Draft.__table__.c.updated_at.type))  # type: ignore[attr-defined]


def save(session: Session, user: str, segment_id: int, field: str, text_: str, base: str) -> None:
    if field not in FIELDS + LINES:
        raise ValueError(f"draft field {field!r}: not one of {', '.join(FIELDS + LINES)}")
    session.connection().execute(_SAVE, {"u": user, "s": segment_id, "f": field, "t": text_, "b": base,
                                         "now": utcnow()})


def clear(session: Session, user: str, segment_id: int, field: str) -> None:
    session.connection().execute(text('DELETE FROM draft WHERE "user" = :u AND segment_id = :s AND field = :f'),
                                 {"u": user, "s": segment_id, "f": field})


def for_stream(session: Session, user: str, stream_id: int) -> list[DraftView]:
    """The user's drafts in this stream, most recently typed first."""
    rows = session.execute(text(
        "SELECT d.segment_id, g.position, g.title, d.field, d.text, d.base, "
        "CASE d.field WHEN 'image' THEN g.image_prompt ELSE g.motion_prompt END "
        "FROM draft d JOIN segment g ON g.id = d.segment_id "
        'WHERE d."user" = :u AND g.stream_id = :s ORDER BY d.updated_at DESC, d.id DESC'),
        {"u": user, "s": stream_id})
    return [DraftView(int(r[0]), int(r[1]), r[2] or "", r[3], r[4], r[5] or "", r[6] or "") for r in rows]


class DraftSaver:
    """Writes drafts from a worker thread, latest text wins. Called from the UI on every
    change; the UI decides when (pause, or the longest wait) and calls flush()."""

    def __init__(self, store: Store, user: str) -> None:
        self.store, self.user = store, user
        self._pending: dict[tuple[int, str], tuple[str, str] | None] = {}  # None: clear
        self._lock = threading.Lock()  # one writer at a time, so an older text never lands last
        self._pending_lock = threading.Lock()  # held for a dict swap only: the UI never waits on the database

    def put(self, segment_id: int, field: str, text_: str, base: str) -> None:
        with self._pending_lock:
            self._pending[(segment_id, field)] = (text_, base) if text_ != base else None

    def drop(self, segment_id: int, field: str) -> None:
        with self._pending_lock:
            self._pending[(segment_id, field)] = None

    @property
    def dirty(self) -> bool:
        return bool(self._pending)

    def flush(self) -> int:
        """Write what is pending (thread-safe); returns how many drafts it wrote or cleared."""
        with self._lock:
            with self._pending_lock:
                pending, self._pending = self._pending, {}
            if not pending:
                return 0
            try:
                with self.store.write() as s:
                    for (segment_id, field), value in pending.items():
                        if value is None:
                            clear(s, self.user, segment_id, field)
                        else:
                            save(s, self.user, segment_id, field, value[0], value[1])
            except Exception:
                with self._pending_lock:  # not written: keep it for the next flush, unless typed over
                    self._pending = {**pending, **self._pending}
                raise
            return len(pending)
