"""The `:` command line: parsing only (the UI and tests share it).

    :regen 3-7 keyframe     :approve 1-4     :reject 2 video     :cancel all     :filter stale
"""

from __future__ import annotations

from dataclasses import dataclass

from director_tui.core.selection import SelectionError, parse_positions
from director_tui.core.states import Asset

VERBS = ("regen", "approve", "reject", "cancel", "filter", "help")
SUGGESTIONS = [
    "regen all keyframe", "regen all video", "regen ", "approve ", "reject ", "cancel all", "cancel ",
    "filter ", "filter review", "filter failed", "filter stale", "help",
]


class CommandError(ValueError):
    """A command line that cannot be run; the message says what is wrong."""


@dataclass(frozen=True)
class Command:
    verb: str
    positions: tuple[int, ...] = ()
    asset: str | None = None  # None: the active column
    text: str = ""


def parse_command(line: str, last_position: int) -> Command:
    words = line.strip().lstrip(":").split()
    if not words:
        raise CommandError("empty command (try :help)")
    verb, args = words[0].lower(), words[1:]
    if verb not in VERBS:
        raise CommandError(f"unknown command {verb!r} (one of {', '.join(VERBS)})")
    if verb == "help":
        return Command("help")
    if verb == "filter":
        return Command("filter", text=" ".join(args))
    asset = None
    if args and args[-1].lower() in Asset.ALL:
        asset = args.pop().lower()
    if not args:
        if verb == "cancel":
            raise CommandError("cancel what? :cancel all or :cancel 3-5")
        raise CommandError(f"{verb} which segments? e.g. :{verb} 3-7 {asset or 'keyframe'}")
    try:
        positions = parse_positions(",".join(args), last_position)
    except SelectionError as exc:
        raise CommandError(f"{verb}: {exc}") from None
    return Command(verb, tuple(positions), asset)
