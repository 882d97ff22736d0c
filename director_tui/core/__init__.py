"""The store and the domain logic. Never imports textual: the CLI and the UI share it."""
