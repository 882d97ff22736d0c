"""Generation jobs: the runner, generator commands, the built-in generator. No textual here."""
