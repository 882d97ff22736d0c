"""Errors the CLI and UI report as one line; importable without SQLAlchemy."""


class NotFound(Exception):
    """A stream, segment or version that does not exist; the message says which."""


class StoreError(Exception):
    """The store cannot be opened or used; the message is for the user."""


class DamagedStore(StoreError):
    """The workspace's database is not a database any more (overwritten, emptied, truncated):
    never opened as a new one; the message says to restore it from a backup."""


class StoreUnusable(StoreError):
    """The store a URL names cannot be used as it stands: its server is unreachable, the
    credentials are wrong, its schema is older or newer than this program (exit 2)."""
