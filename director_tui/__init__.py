"""director-tui: review an AI-generated video production in the terminal."""

__version__ = "0.1.0"
