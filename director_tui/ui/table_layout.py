"""Which columns the segment table shows, and how wide, for the width it has.

Wide terminals get both prompts and the state words; below WIDE_MIN columns the table
keeps one prompt column (the active asset's: image for keyframes, motion for videos) and
shows each asset as its glyph and version (`✓ v2`), so that the Keyframe, Video, comment
and Progress columns always fit — at 80 columns too — and `h`/`l` never point at a column
off the edge. Pure arithmetic: tested on its own (tests/unit/test_first_hour_unit.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from director_tui.core.states import Asset

CELL_PADDING = 1  # DataTable's padding either side of every cell
SCROLLBAR = 2  # room kept for the vertical scrollbar, so a long stream never overflows

# wide layout: the fixed columns, then the minimum of each flexible one
WIDE_FIXED = {"pos": 4, Asset.KEYFRAME: 15, Asset.VIDEO: 15, "note": 2}
WIDE_MIN = {"title": 12, "image": 18, "motion": 12, "progress": 16}
WIDE_ORDER = ("pos", "title", "image", "motion", Asset.KEYFRAME, Asset.VIDEO, "note", "progress")

# narrow layout: glyph-and-version asset cells, the active asset's prompt only
NARROW_FIXED = {"pos": 3, Asset.KEYFRAME: 10, Asset.VIDEO: 10, "note": 2}
NARROW_MIN = {"title": 8, "prompt": 8, "progress": 10}
NARROW_ORDER = ("pos", "title", "prompt", Asset.KEYFRAME, Asset.VIDEO, "note", "progress")


def _room(width: int, columns: int) -> int:
    return width - SCROLLBAR - 2 * CELL_PADDING * columns


WIDE_MIN_WIDTH = SCROLLBAR + 2 * CELL_PADDING * len(WIDE_ORDER) + sum(WIDE_FIXED.values()) + sum(WIDE_MIN.values())


@dataclass(frozen=True)
class TableLayout:
    narrow: bool
    widths: dict[str, int]  # column key -> content width, in display order

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.widths)


def layout_for(width: int) -> TableLayout:
    """The columns for a table `width` cells wide (the whole table, scrollbar included)."""
    if width >= WIDE_MIN_WIDTH:
        return _wide(width)
    return _narrow(width)


def _wide(width: int) -> TableLayout:
    spare = _room(width, len(WIDE_ORDER)) - sum(WIDE_FIXED.values()) - sum(WIDE_MIN.values())
    # title and progress grow a little, the prompts take the rest (image 3 : motion 2)
    title = WIDE_MIN["title"] + min(spare // 4, 6)
    spare -= title - WIDE_MIN["title"]
    progress = WIDE_MIN["progress"] + min(spare // 3, 12)
    spare -= progress - WIDE_MIN["progress"]
    image = WIDE_MIN["image"] + spare * 3 // 5
    motion = WIDE_MIN["motion"] + spare - spare * 3 // 5
    sizes = {**WIDE_FIXED, "title": title, "image": image, "motion": motion, "progress": progress}
    return TableLayout(False, {key: sizes[key] for key in WIDE_ORDER})


def _narrow(width: int) -> TableLayout:
    spare = max(0, _room(width, len(NARROW_ORDER)) - sum(NARROW_FIXED.values()) - sum(NARROW_MIN.values()))
    # what is left goes to the prompt, the title and the progress, in that order of need
    title = NARROW_MIN["title"] + min(spare // 3, 10)
    spare -= title - NARROW_MIN["title"]
    progress = NARROW_MIN["progress"] + min(spare // 3, 14)
    spare -= progress - NARROW_MIN["progress"]
    prompt = NARROW_MIN["prompt"] + spare
    sizes = {**NARROW_FIXED, "title": title, "prompt": prompt, "progress": progress}
    return TableLayout(True, {key: sizes[key] for key in NARROW_ORDER})


def total_width(layout: TableLayout) -> int:
    """The cells the table draws for `layout`, scrollbar room included."""
    return SCROLLBAR + sum(w + 2 * CELL_PADDING for w in layout.widths.values())
