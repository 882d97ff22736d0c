"""The store seam: one interface (base.Store), chosen by a store URL.

`open_store(home)` opens the workspace's SQLite file (the zero-setup default);
`open_store(home, url)` picks the implementation by the URL's scheme (STORES). The first
frame reads a snapshot before any store is open (`read_snapshot`, SQLite's raw read-only
path, None elsewhere: the app then reads through the ORM). This module and base.py import
no SQLAlchemy: the app's first frame imports them.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from director_tui.core.errors import DamagedStore, StoreError, StoreUnusable
from director_tui.core.store.base import ClaimedTask, Store, TaskQueries
from director_tui.core.store.failures import damaged_message, unavailable

if TYPE_CHECKING:
    from director_tui.core.rows import Snapshot
    from director_tui.core.store.sql import Reader

# scheme -> the module whose open_url(home, url) opens it; a new store is one module and one line
STORES = {"sqlite": "director_tui.core.store.sqlite", "postgresql": "director_tui.core.store.postgres"}

__all__ = ["STORES", "ClaimedTask", "DamagedStore", "Store", "StoreError", "StoreUnusable", "TaskQueries",
           "damaged_message", "fast_reader", "init_store", "open_store", "read_snapshot", "requeue_now", "scheme_of", "unavailable"]


def scheme_of(url: str) -> str:
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower() if ":" in url else ""
    return "postgresql" if scheme == "postgres" else scheme


def _check_url(url: str) -> str:
    scheme = scheme_of(url)
    if scheme not in STORES:
        known = ", ".join(f"{s}://" for s in STORES)
        raise StoreUnusable(f"store URL {redact(url)}: {scheme or 'no scheme'} is not a store this program "
                            f"knows ({known})")
    return scheme


def redact(url: str) -> str:
    """The URL without its password (for every message that names it)."""
    if "@" not in url or "://" not in url:
        return url
    head, rest = url.split("://", 1)
    auth, host = rest.rsplit("@", 1)
    user = auth.split(":", 1)[0]
    return f"{head}://{user}{':***' if ':' in auth else ''}@{host}"


def open_store(home: Path, url: str | None = None) -> Store:
    """The workspace's store: its SQLite file unless `url` names another."""
    if url is None or scheme_of(url) == "sqlite" and url.removeprefix("sqlite:///") in ("", str(home / "director.db")):
        from director_tui.core.store.sqlite import open_workspace

        return open_workspace(home)
    module = _store_module(url)
    return module.open_url(home, url)


# what a store's driver comes with: PostgreSQL's is an extra (pip install director-tui[studio])
EXTRAS = {"postgresql": ("psycopg", "studio")}


def _store_module(url: str) -> Any:
    """The module of the store a URL names; StoreUnusable naming the extra to install when
    its driver is not there."""
    import importlib

    scheme = _check_url(url)
    try:
        return importlib.import_module(STORES[scheme])
    except ImportError as exc:
        driver, extra = EXTRAS.get(scheme, ("", ""))
        if not driver or not (exc.name or "").startswith(driver):
            raise
        raise StoreUnusable(f"store {redact(url)}: a {scheme} store needs {driver}, which is not installed: "
                            f"pip install 'director-tui[{extra}]'") from None


def init_store(home: Path, url: str) -> str:
    """`director-tui init-store URL`: the schema created or brought to head; one line saying which."""
    scheme = _check_url(url)
    if scheme == "sqlite":
        store = open_store(home, url)
        store.dispose()
        return f"store {url}: up to date"
    return _store_module(url).init_store(url)


def requeue_now(home: Path, url: str | None, task_ids: list[int], actor: str, reason: str) -> int:
    """Put running tasks back on the queue on a connection of its own (the store's may be
    held by a stuck event loop: the app's backstop); how many went back."""
    if url is None or scheme_of(url) == "sqlite":
        from director_tui.core.store.sqlite import requeue_now as sqlite_requeue

        db = home / "director.db" if url is None else Path(url.removeprefix("sqlite:///"))
        return sqlite_requeue(db, task_ids, actor, reason) if db.exists() else 0
    from director_tui.core.store.postgres import requeue_now as postgres_requeue

    return postgres_requeue(url, task_ids, actor, reason)


def fast_reader(home: Path, url: str | None = None) -> AbstractContextManager[Reader | None]:
    """A Reader (sql.py) without the ORM on the workspace's SQLite file, for the read
    commands' fast start; None inside when the store must be opened (another store, no
    file yet, another schema, damage)."""
    if url is not None and (scheme_of(url) != "sqlite"
                            or url.removeprefix("sqlite:///") not in ("", str(home / "director.db"))):
        return nullcontext(None)
    from director_tui.core.store.sqlite_snapshot import open_reader

    return open_reader(home / "director.db")


def read_snapshot(home: Path, slug: str, user: str, url: str | None = None) -> Snapshot | None:
    """The first frame's data without the ORM, where the store has such a path (SQLite);
    None otherwise or when anything is odd (the caller reads through the store instead)."""
    if url is not None and scheme_of(url) != "sqlite":
        return None
    from director_tui.core.store.sqlite_snapshot import read_snapshot as read_sqlite

    return read_sqlite(home / "director.db", slug, user)
