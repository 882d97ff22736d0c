"""Errors the CLI and UI report as one line; importable without SQLAlchemy."""


class NotFound(Exception):
    """A stream, segment or version that does not exist; the message says which."""


class StoreError(Exception):
    """The store cannot be opened or used; the message is for the user."""
