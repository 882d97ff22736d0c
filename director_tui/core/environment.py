"""The numbers this program takes from the environment ($DIRECTOR_BUSY_TIMEOUT_MS,
$DIRECTOR_HEARTBEAT_STALE_S), read in one place with their ranges.

Modules read them at import (a store's busy timeout is a module constant), where a
traceback would be the only way to complain: there `number()` falls back to the default.
The command line checks them first (`problem()`, cli/entry.py) and refuses a bad one with
one line, exit 2 (found by tests/hostile/sweep_faults.py: `abc` and 10**23 were tracebacks)."""

from __future__ import annotations

import math
import os

# name: (default, lowest, highest); the busy timeout at most a day (SQLite's timeout is a
# C int of milliseconds, and a time_t past 2038 overflowed)
NUMBERS: dict[str, tuple[float, float, float]] = {
    "DIRECTOR_BUSY_TIMEOUT_MS": (30_000, 1, 86_400_000),
    "DIRECTOR_HEARTBEAT_STALE_S": (30, 1, 86_400),
}


def _parse(name: str) -> float | None:
    """The variable's value when it is set and within range; None when unset or empty."""
    raw = os.environ.get(name)
    if not raw:
        return None
    _default, low, high = NUMBERS[name]
    value = float(raw)  # ValueError for junk
    if math.isnan(value) or not low <= value <= high:
        raise ValueError(raw)
    return value


def number(name: str) -> float:
    """The variable's value, or its default when unset or not a number in range."""
    try:
        value = _parse(name)
    except ValueError:
        value = None
    return NUMBERS[name][0] if value is None else value


def problem() -> str | None:
    """One line naming the first variable that is set but not a number in its range."""
    from director_tui.core.printable import printable

    for name, (_default, low, high) in NUMBERS.items():
        try:
            _parse(name)
        except ValueError:
            shown = printable(os.environ.get(name, ""))[:40]
            return f"${name} is {shown!r}: not a number from {low:,.0f} to {high:,.0f} (unset it for the default)"
    return None
