"""What a store failure means, in one line for the director: a damaged database file, a
lock held too long, a full disk, a read-only file. The words matched are the database
driver's (SQLite's today: sqlite3 and SQLAlchemy pass them through). Standard library
only: the app and the CLI import this on their error paths without the ORM."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from director_tui.core.errors import StoreError

DAMAGE_WORDS = ("database disk image is malformed", "file is not a database", "database corrupt")
TRANSIENT_WORDS = ("locked", "busy")


def damaged(db: Path, why: str) -> str:
    why = next((w for w in DAMAGE_WORDS if w in why), why.strip().splitlines()[0] if why.strip() else "unreadable")
    return (f"{db}: damaged ({why}); nothing was changed — restore it from a backup "
            "(director-tui export backup makes them), or move it away to start a new workspace")


def damaged_message(exc: BaseException, home: str | Path | None) -> str | None:
    """The one line for an error that says the database file is damaged, else None."""
    text = str(exc)
    if not isinstance(exc, sqlite3.DatabaseError | StoreError) and "DatabaseError" not in type(exc).__name__:
        return None
    if not any(word in text for word in DAMAGE_WORDS):
        return None
    from director_tui.config import resolve_home

    why = next(word for word in DAMAGE_WORDS if word in text)
    return damaged(resolve_home(home) / "director.db", why)


def first_line(exc: BaseException) -> str:
    """The driver's own words: the first line, without SQLAlchemy's "(sqlite3.OperationalError) "
    prefix and its "(Background on this error at: …)" line."""
    import re

    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return re.sub(r"^\([\w.]+\) ", "", text)[:200]


def is_transient(exc: BaseException) -> bool:
    """Busy now, worth trying again: a lock held past the busy timeout."""
    operational = isinstance(exc, sqlite3.OperationalError | StoreError) or "OperationalError" in type(exc).__name__
    return operational and any(word in str(exc) for word in TRANSIENT_WORDS)


def unavailable(exc: BaseException) -> str | None:
    """Why the database could not take a write, in words, or None for another error."""
    text = str(exc)
    if "connection" in text.lower() and ("OperationalError" in text or "OperationalError" in type(exc).__name__):
        return "the store's server cannot be reached (reconnecting)"
    if "locked" in text or "busy" in text:
        return "the database stayed locked (another program's long write)"
    if "disk is full" in text or "No space left" in text:
        return "the disk is full"
    if "readonly" in text or "read-only" in text:
        return "the database cannot be written (read-only)"
    if isinstance(exc, StoreError | sqlite3.OperationalError) or "OperationalError" in type(exc).__name__:
        return f"the database refused it ({first_line(exc)[:160]})"
    return None


STORE_MODULES = ("sqlalchemy", "psycopg", "sqlite3", "_sqlite3")


def from_the_store(exc: BaseException) -> bool:
    """Whether an error came from the store (its driver, the ORM over it, the disk under it),
    not from our own code: a decision that met one waits and is tried again (a restarting
    server raises more kinds than `is_transient` knows, e.g. "Can't reconnect until invalid
    transaction is rolled back"), where one that met a fault of ours is reported."""
    if isinstance(exc, StoreError | OSError):
        return True
    return any(cls.__module__.split(".", 1)[0] in STORE_MODULES for cls in type(exc).__mro__)
