"""`@name` in a comment notifies that user: a notice in their open app (which polls
`unseen` on every change it hears of) and a line in `director-tui inbox`, until seen.

A name is what follows `@` where a word starts: a letter, then letters, digits, `.`, `_`
or `-` (account names); `ana@studio.org` is no mention, nor is a clip's time code
(`@00:02.5`). The author mentioning themself is no notice. Names complete from the
workspace's people (`people`): whoever has commented, decided or generated anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col

from director_tui.core.store.sql import as_reader

NAME = re.compile(r"(?<![\w@.])@([A-Za-z][\w.-]{0,63})")
EXCERPT = 160  # characters of the comment a notice and an inbox line show


def names_in(text: str) -> list[str]:
    """The names mentioned, each once, in order (a sentence's full stop is not part of one)."""
    out: list[str] = []
    for match in NAME.finditer(text):
        name = match.group(1).rstrip(".-")
        if name and name not in out:
            out.append(name)
    return out


def record(session: Any, comment: Any, stream_id: int) -> list[str]:
    """Mentions of `comment`'s body, in its transaction; returns who was mentioned."""
    from director_tui.core.models import Mention

    names = [n for n in names_in(comment.body) if n != comment.author]
    for name in names:
        session.add(Mention(comment_id=comment.id, stream_id=stream_id, segment_id=comment.segment_id,
                            recipient=name, author=comment.author))
    return names


@dataclass(frozen=True)
class MentionView:
    id: int
    stream: str
    stream_id: int
    segment_id: int
    position: int
    title: str
    author: str
    excerpt: str
    at: datetime
    seen: bool

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "stream": self.stream, "segment": self.position, "segment_title": self.title,
                "author": self.author, "comment": self.excerpt, "at": self.at.isoformat(), "seen": self.seen}


_INBOX = """
SELECT m.id, st.slug, m.stream_id, m.segment_id, g.position, g.title, m.author, c.body, m.created_at, m.seen_at
FROM mention m JOIN comment c ON c.id = m.comment_id JOIN segment g ON g.id = m.segment_id
JOIN stream st ON st.id = m.stream_id
WHERE m.recipient = :user {where} ORDER BY m.id DESC LIMIT :limit"""


def _when(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=None)


def inbox(source: Any, user: str, *, include_seen: bool = False, after_id: int = 0,
          limit: int = 200) -> list[MentionView]:
    """`user`'s mentions, newest first: not yet seen (or all), newer than `after_id`."""
    where = ("" if include_seen else "AND m.seen_at IS NULL") + (" AND m.id > :after" if after_id else "")
    rows = as_reader(source).all(_INBOX.format(where=where), {"user": user, "limit": limit, "after": after_id})
    out = []
    for mid, slug, stream_id, seg_id, position, title, author, body, created, seen in rows:
        text = " ".join((body or "").split())
        out.append(MentionView(int(mid), slug, int(stream_id), int(seg_id), int(position), title or "", author or "",
                               text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…", _when(created),
                               seen is not None))
    return out


def mark_seen(session: Any, user: str, ids: list[int] | None = None) -> int:
    """Mark `user`'s mentions seen (these ids, or all); returns how many were unseen."""
    from sqlalchemy import update

    from director_tui.core.models import Mention, utcnow

    query = update(Mention).where(col(Mention.recipient) == user, col(Mention.seen_at).is_(None))
    if ids is not None:
        query = query.where(col(Mention.id).in_(ids))
    result = session.execute(query.values(seen_at=utcnow()))
    return int(result.rowcount or 0)


def people(source: Any) -> list[str]:
    """Everyone the workspace knows of, to complete `@` names: authors of comments and
    whoever appears in the activity timeline."""
    rows = as_reader(source).all(
        "SELECT author FROM comment WHERE author != '' UNION SELECT actor FROM activity WHERE actor != ''")
    return sorted({r[0] for r in rows if NAME.fullmatch("@" + r[0])}, key=str.lower)
