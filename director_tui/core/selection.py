"""Segment selections as people type them: `3`, `1,3-5`, `all`."""

from __future__ import annotations


class SelectionError(ValueError):
    pass


def parse_positions(text: str, last: int) -> list[int]:
    """Positions 1..last named by `text`, in order, without repeats."""
    text = text.strip()
    if text in ("all", "*"):
        return list(range(1, last + 1))
    out: list[int] = []
    seen: set[int] = set()  # (a list's `in` made 1-30000 quadratic: seconds)
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo_s, sep, hi_s = part.partition("-")
        try:
            lo = int(lo_s)
            hi = int(hi_s) if sep else lo
        except ValueError:
            raise SelectionError(f"{part!r} is not a position or a range like 3-7") from None
        if lo > hi:
            raise SelectionError(f"{part!r}: the range runs backwards")
        if lo < 1 or hi > last:
            raise SelectionError(f"{part!r}: positions run from 1 to {last}")
        fresh = [p for p in range(lo, hi + 1) if p not in seen]
        seen.update(fresh)
        out.extend(fresh)
    if not out:
        raise SelectionError("no segments named")
    return out
