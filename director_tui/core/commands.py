"""The `:` command line: parsing only (the UI and tests share it).

    :regen 3-7 keyframe     :approve 1-4     :reject 2 video     :cancel all     :filter stale
    :similar 7     :vary 4     :presets export FILE     :presets import FILE     :undo     :redo
"""

from __future__ import annotations

from dataclasses import dataclass

from director_tui.core.selection import SelectionError, parse_positions
from director_tui.core.states import Asset

VERBS = ("regen", "approve", "reject", "cancel", "filter", "similar", "vary", "presets", "undo", "redo", "help")
SUGGESTIONS = [
    "regen all keyframe", "regen all video", "regen ", "approve ", "reject ", "cancel all", "cancel ",
    "filter ", "filter review", "filter failed", "filter stale", "similar ", "vary ", "vary 3",
    "presets export ", "presets import ", "undo", "redo", "help",
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
    if verb in ("help", "undo", "redo"):
        return Command(verb)
    if verb == "similar":
        if len(args) != 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= last_position:
            raise CommandError(f"similar: which segment's style? e.g. :similar 7 (1-{last_position})")
        return Command("similar", (int(args[0]),))
    if verb == "vary":
        if len(args) > 1 or (args and not (args[0].isdigit() and 1 <= int(args[0]) <= 9)):
            raise CommandError("vary: how many variations, 1 to 9? e.g. :vary 4")
        return Command("vary", text=args[0] if args else "")
    if verb == "presets":
        if len(args) < 2 or args[0] not in ("import", "export"):
            raise CommandError("presets: :presets export FILE or :presets import FILE")
        return Command("presets", text=line.strip().lstrip(":").split(None, 2)[2], asset=args[0])
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
