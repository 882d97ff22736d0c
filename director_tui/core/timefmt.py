"""Spans of time in words, the same in the app and the CLI (`1 min 50 s`, `3 h 05 min`)."""

from __future__ import annotations


def span(seconds: float) -> str:
    """A span a person reads at a glance: `45 s`, `1 min 50 s`, `3 h 05 min`, `2 d 04 h`."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    if s < 86400:
        return f"{s // 3600} h {s // 60 % 60:02d} min"
    return f"{s // 86400} d {s // 3600 % 24:02d} h"
