"""The `:` command line: parsing only (the UI and tests share it).

    :regen 3-7 keyframe     :approve 1-4     :reject 2 video     :cancel all     :filter stale
    :similar 7     :vary 4     :presets export FILE     :presets import FILE     :undo     :redo
    :export keyframes [all] [FILE]     :export spec|cut [FILE]     :export backup [DEST]
    :cleanup KEEP [DEST] [dry]     :restore 4 2 [keyframe|video]     :dailies [current|approved]
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from director_tui.core.selection import SelectionError, parse_positions
from director_tui.core.states import Asset

VERBS = ("regen", "approve", "reject", "cancel", "filter", "similar", "vary", "presets", "undo", "redo", "export",
         "cleanup", "restore", "trust", "help", "dailies")
EXPORTS = ("keyframes", "spec", "cut", "backup")
SUGGESTIONS = [
    "regen all keyframe", "regen all video", "regen ", "approve ", "reject ", "cancel all", "cancel ",
    "filter ", "filter review", "filter failed", "filter stale", "similar ", "vary ", "vary 3",
    "presets export ", "presets import ", "undo", "redo", "trust", "help",
    "export keyframes", "export keyframes all", "export spec", "export cut", "export backup ",
    "cleanup 3", "cleanup 3 dry", "restore ", "dailies", "dailies approved", "dailies current",
]


class CommandError(ValueError):
    """A command line that cannot be run; the message says what is wrong."""


@dataclass(frozen=True)
class Command:
    verb: str
    positions: tuple[int, ...] = ()
    asset: str | None = None  # None: the active column
    text: str = ""
    option: str = ""  # export: "all" (every keyframe version); cleanup: "dry"


def _count(word: str) -> int | None:
    """An ASCII whole number a store column holds (at most 18 digits), else None: `isdigit`
    takes '²' and int() then raises; 20 digits overflowed SQLite and ended the app."""
    return int(word) if re.fullmatch(r"[0-9]{1,18}", word) else None


def parse_command(line: str, last_position: int) -> Command:
    words = line.strip().lstrip(":").split()
    if not words:
        raise CommandError("empty command (try :help)")
    verb, args = words[0].lower(), words[1:]
    if verb not in VERBS:
        raise CommandError(f"unknown command {verb!r} (one of {', '.join(VERBS)})")
    if verb in ("help", "undo", "redo", "trust"):
        return Command(verb)
    if verb == "dailies":
        if len(args) > 1 or (args and args[0].lower() not in ("current", "approved")):
            raise CommandError("dailies: :dailies (every current clip) or :dailies approved")
        return Command("dailies", text=args[0].lower() if args else "current")
    if verb == "similar":
        if len(args) != 1 or not 1 <= (_count(args[0]) or 0) <= last_position:
            raise CommandError(f"similar: which segment's style? e.g. :similar 7 (1-{last_position})")
        return Command("similar", (int(args[0]),))
    if verb == "vary":
        if len(args) > 1 or (args and not 1 <= (_count(args[0]) or 0) <= 9):
            raise CommandError("vary: how many variations, 1 to 9? e.g. :vary 4")
        return Command("vary", text=args[0] if args else "")
    if verb == "presets":
        if len(args) < 2 or args[0] not in ("import", "export"):
            raise CommandError("presets: :presets export FILE or :presets import FILE")
        return Command("presets", text=line.strip().lstrip(":").split(None, 2)[2], asset=args[0])
    if verb == "filter":
        return Command("filter", text=" ".join(args))
    if verb == "restore":
        asset = args.pop().lower() if args and args[-1].lower() in Asset.ALL else None
        if len(args) != 2 or not 1 <= (_count(args[0]) or 0) <= last_position or not _count(args[1]):
            raise CommandError(f"restore: which segment and version? e.g. :restore 4 2 keyframe (1-{last_position})")
        return Command("restore", (int(args[0]), int(args[1])), asset)
    if verb in ("export", "cleanup"):
        try:  # destinations may hold spaces: "my cut.mp4"
            args = shlex.split(line.strip().lstrip(":"))[1:]
        except ValueError as exc:
            raise CommandError(f"{verb}: {exc} (quote a path with spaces once)") from None
        return _export(args) if verb == "export" else _cleanup(args)
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


def _export(args: list[str]) -> Command:
    if not args or args[0] not in EXPORTS:
        raise CommandError(f"export what? :export {'|'.join(EXPORTS)} [FILE] (keyframes all: every version)")
    what, rest = args[0], args[1:]
    option = ""
    if what == "keyframes" and rest[:1] == ["all"]:
        option, rest = "all", rest[1:]
    if len(rest) > 1:
        raise CommandError(f"export {what}: one destination, got {len(rest)} ({' '.join(rest)})")
    return Command("export", text=rest[0] if rest else "", asset=what, option=option)


def _cleanup(args: list[str]) -> Command:
    if not args or _count(args[0]) is None:
        raise CommandError("cleanup: keep how many versions of each asset? e.g. :cleanup 3 [DEST] [dry]")
    rest = args[1:]
    option = ""
    if rest and rest[-1] in ("dry", "dry-run", "--dry-run"):
        option, rest = "dry", rest[:-1]
    if len(rest) > 1:
        raise CommandError(f"cleanup: one archive destination, got {len(rest)} ({' '.join(rest)})")
    return Command("cleanup", positions=(int(args[0]),), text=rest[0] if rest else "", option=option)
