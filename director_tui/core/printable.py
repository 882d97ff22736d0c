"""Text from someone else (titles, prompts, commands, file names) made safe to print on a
terminal: control characters are shown as escapes, never sent, so a title holding
`\\x1b]52;…` cannot reach the terminal as a command."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str, *, newlines: bool = False) -> str:
    """`text` with every control character escaped (`\\x1b`); tabs kept, and newlines too
    when `newlines` (else shown as `\\n`)."""
    if not newlines:
        text = text.replace("\n", "\\n").replace("\r", "\\r")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def not_unicode(text: str) -> str | None:
    """Where `text` is not valid Unicode ("character 7": a lone surrogate, as Python makes of
    bytes that are not UTF-8), else None. Such text cannot be stored or sent anywhere: it
    is refused where it comes in, with the field and this position."""
    found = _SURROGATE.search(text)
    return None if found is None else f"character {found.start() + 1}"

