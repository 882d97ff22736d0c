"""Copying one store into another (`director-tui migrate-store`): a workspace's SQLite
file into a studio's PostgreSQL database, every table, ids kept, in one transaction on
the destination, then counted again on both sides.

The rows go through SQLAlchemy Core with the models' column types, so what SQLite keeps
as text (times) or integers (flags) arrives typed. Trust is not in any store (it is per
user, keyed by what a generator runs), so it needs no copying.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlmodel import SQLModel

from director_tui.core import models  # noqa: F401  (registers the tables)
from director_tui.core.errors import StoreError
from director_tui.core.store.base import Store

BATCH = 2000
SEEDED = ("preset",)  # rows a new store's migrations add (the default presets): the copy's replace them


def table_counts(store: Store) -> dict[str, int]:
    with store.read_conn() as conn:
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in SQLModel.metadata.sorted_tables}


def copy_store(source: Store, target: Store, progress: Callable[[str, int], None] = lambda _t, _n: None
               ) -> dict[str, int]:
    """Every row of `source` into the empty `target`; returns the rows per table. Refuses a
    target that holds streams already (nothing there is overwritten)."""
    tables = SQLModel.metadata.sorted_tables  # parents before children
    with target.read_conn() as conn:
        for table in tables:
            if table.name in SEEDED:
                continue
            if conn.execute(select(func.count()).select_from(table)).scalar_one():
                raise StoreError(f"the target store is not empty (its {table.name} table has rows); "
                                 "migrate into a new database")
    copied: dict[str, int] = {}
    with source.read_conn() as src, target.write_conn() as dst:
        for table in reversed(tables):
            if table.name in SEEDED:
                dst.execute(table.delete())
        for table in tables:
            rows = src.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            count = 0
            while batch := rows.fetchmany(BATCH):
                dst.execute(table.insert(), [dict(r) for r in batch])
                count += len(batch)
            copied[table.name] = count
            progress(table.name, count)
        target.after_bulk_load(dst)
    counted = table_counts(target)
    wrong = {name: (n, counted.get(name)) for name, n in copied.items() if counted.get(name) != n}
    if wrong:
        raise StoreError("the copy does not match its source: " +
                         ", ".join(f"{name} {n} rows, {got} copied" for name, (n, got) in wrong.items()))
    return copied
