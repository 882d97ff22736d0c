"""The director's first review, scripted: 40 keyframes, 30 approved, 10 sent back with a
one-line note each, driven key by key through the real app under Pilot.

It counts the keys a director presses per decision (the note's text not counted) and
checks, after every key and without waiting longer than one refresh, that the cursor
stands where the director expects: on the next segment to review. Used by
tests/app/test_keys_per_decision.py (the limit) and tests/perf/bench_keys.py (the figure).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from director_tui.core.spec import create_stream, validate_spec

SEGMENTS = 40
SENT_BACK = frozenset(range(4, 41, 4))  # 10 of the 40: every fourth shot needs another try


def spec(n: int = SEGMENTS) -> dict[str, Any]:
    return {"stream": "first-hour", "title": "The First Hour", "width": 320, "height": 180,
            "segments": [{"title": f"Shot {i}", "image_prompt": f"a harbour at dawn, shot {i}",
                          "motion_prompt": "slow pan left", "duration": 1.0} for i in range(1, n + 1)]}


def make_stream(store: Any) -> int:
    with store.write() as s:
        return int(create_stream(s, validate_spec(spec()), "tester").id)  # type: ignore[arg-type]


@dataclass
class ReviewRun:
    keys: int  # counted keys: decisions' keys and the keys that open and send a note
    typed: int  # characters of note text (not counted)
    decisions: int
    seconds: float
    slowest_key_ms: float

    @property
    def keys_per_decision(self) -> float:
        return self.keys / self.decisions


async def review(app: Any, press: Callable[..., Awaitable[None]], *, comment_then_regenerate: bool = False
                 ) -> ReviewRun:
    """Review every segment from the first: `space` approves, `f` + note + enter sends back.
    `press(*keys)` presses keys and returns once the app has handled them (Pilot.press).

    `comment_then_regenerate`: send back the way the app first offered (`c` note enter, `r`,
    `n`): the baseline `make bench` measures in the same run."""
    table = app.main_screen.table
    keys = typed = decisions = 0
    slowest = 0.0
    started = time.perf_counter()

    async def counted(key: str) -> None:
        nonlocal keys, slowest
        t0 = time.perf_counter()
        await press(key)
        slowest = max(slowest, (time.perf_counter() - t0) * 1000)
        keys += 1

    for position in range(1, SEGMENTS + 1):
        current = table.current
        assert current is not None and current.position == position, \
            f"before deciding shot {position} the cursor stands on {current.position if current else None}"
        if position in SENT_BACK:
            note = f"darker sky {position}"
            await counted("c" if comment_then_regenerate else "f")
            await press(*note)
            await counted("enter")
            if comment_then_regenerate:
                await counted("r")
                await counted("n")
            typed += len(note)
        else:
            await counted("space")
        decisions += 1
    return ReviewRun(keys, typed, decisions, time.perf_counter() - started, slowest)
