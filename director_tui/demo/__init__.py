"""The demo production opened by `make demo` / `director-tui demo`."""

from pathlib import Path

DEMO_SPEC = Path(__file__).with_name("lighthouse.json")
DEMO_SLUG = "demo"
