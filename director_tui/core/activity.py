"""The append-only activity log: who did what, when."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from director_tui.core.models import Activity


def record(
    session: Session,
    kind: str,
    actor: str,
    stream_id: int | None = None,
    segment_id: int | None = None,
    **detail: Any,
) -> Activity:
    """Add an activity row inside the caller's transaction."""
    row = Activity(
        stream_id=stream_id,
        segment_id=segment_id,
        actor=actor,
        kind=kind,
        detail=json.dumps(detail, ensure_ascii=False, default=str),
    )
    session.add(row)
    return row
