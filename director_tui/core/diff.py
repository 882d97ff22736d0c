"""Word-level prompt diffs (no SQLAlchemy here: the UI draws them before the store is open)."""

from __future__ import annotations

import difflib
import re

_WORD = re.compile(r"\S+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level diff: a list of (op, words) with op "=" kept, "-" removed, "+" added."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", " ".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            out.append(("-", " ".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(("+", " ".join(b[j1:j2])))
    return out


def diff_summary(ops: list[tuple[str, str]]) -> str:
    added = sum(len(w.split()) for op, w in ops if op == "+")
    removed = sum(len(w.split()) for op, w in ops if op == "-")
    return "no change" if not (added or removed) else f"+{added} −{removed} words"


