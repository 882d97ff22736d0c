"""Delivering a pressed decision (core/outbox.py) to the store: its operation, on the ids it
was pressed on, and its receipt, in one transaction.

A decision whose receipt is already there was delivered before (by this app before a crash,
or by the app that adopted its outbox) and is not applied again: the outcome says so. A
decision the store refuses (a colleague decided first, the version is no longer current,
the segment is gone) raises one of operations.REFUSED with the reason; nothing is written.
"""

from __future__ import annotations

from sqlmodel import Session

from director_tui.core import operations
from director_tui.core.models import DecisionReceipt
from director_tui.core.operations import Outcome
from director_tui.core.outbox import Pressed


def deliver(session: Session, pressed: Pressed) -> Outcome:
    if session.get(DecisionReceipt, pressed.id) is not None:
        return Outcome(f"{pressed.describe()}: already saved", pressed.segments, value="already")
    outcome = _apply(session, pressed)
    session.add(DecisionReceipt(id=pressed.id, user=pressed.user, kind=pressed.kind))
    return outcome


def _apply(session: Session, p: Pressed) -> Outcome:
    seg, asset, user = p.segment_id, p.asset, p.user
    match p.kind:
        case "approve":
            assert seg is not None
            return operations.approve(session, seg, asset, user, queue_video=p.queue_video, expected=p.expected)
        case "reject":
            assert seg is not None
            return operations.reject(session, seg, asset, user, expected=p.expected)
        case "regenerate":
            assert seg is not None
            return operations.regenerate(session, seg, asset, user)
        case "send_back":
            assert seg is not None
            return operations.send_back(session, seg, asset, user, p.text)
        case "comment":
            assert seg is not None
            return operations.comment(session, seg, asset, user, p.text)
        case "many":
            return operations.apply_to_many(session, p.verb, list(p.segment_ids), asset, user,
                                            queue_video=p.queue_video)
        case "undo":
            return operations.undo(session, p.stream_id, user)
        case "redo":
            return operations.redo(session, p.stream_id, user)
    raise ValueError(f"unknown decision {p.kind!r}")
