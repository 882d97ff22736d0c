"""Metrics and timeline over 100,000 activity rows (1,000 segments, 20,000 versions, 20,000
tasks): each query as the `M` and `t` screens and the CLI run it, on a real SQLite file.
Median of 5 warm runs, and the first (cold) run, each in a fresh session."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import build_stream, fill_history

ROWS = 100_000
SEGMENTS = 1000
KINDS = ["prompt.saved", "task.queued", "task.succeeded", "task.failed", "task.cancelled", "version.approved",
         "version.rejected", "comment.added", "preset.applied", "export.done"]


def timed(home: Path, label: str, fn) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from director_tui.core.store import open_store

    store = open_store(home)
    runs = []
    for _ in range(6):
        t0 = time.perf_counter()
        with store.read() as s:
            result = fn(s)
        runs.append(time.perf_counter() - t0)
        if not result:
            raise SystemExit(f"{label}: empty result")
    store.dispose()
    return {"label": label, "cold_ms": runs[0] * 1000, "median_ms": statistics.median(runs[1:]) * 1000}


def main() -> list[dict[str, float]]:
    from sqlalchemy import text

    from director_tui.core import insight

    with tempfile.TemporaryDirectory() as tmp_s:
        home = Path(tmp_s) / "ws"
        build_stream(home, SEGMENTS)
        fill_history(home, activity=ROWS, tasks=20_000, kinds=KINDS, actors=["ana", "ben", "cho"],
                     spacing_s=26, seed=7, minutes_back=40_000)  # a month of work

        def sid(s) -> int:  # type: ignore[no-untyped-def]
            return int(s.execute(text("SELECT id FROM stream WHERE slug = 'bench'")).scalar_one())

        results = [
            timed(home, "metrics", lambda s: insight.metrics(s, sid(s)).segments),
            timed(home, "timeline, newest 500", lambda s: insight.timeline(s, sid(s))),
            timed(home, "timeline, next page", lambda s: insight.timeline(
                s, sid(s), before_id=insight.timeline(s, sid(s), limit=1)[0].id - 50_000)),
            timed(home, "timeline, one segment", lambda s: insight.timeline(s, sid(s), segment=500)),
            timed(home, "timeline, kind group", lambda s: insight.timeline(s, sid(s), kind="decision")),
            timed(home, "timeline, author + since", lambda s: insight.timeline(
                s, sid(s), actor="ben", since=insight.parse_since("7d"))),
        ]
    print(f"insight: {ROWS:,} activity rows, {SEGMENTS:,} segments (target < 150 ms each)")
    for r in results:
        print(f"  {r['label']:<26} {r['median_ms']:6.1f} ms (first run {r['cold_ms']:.1f} ms)")
    return results


if __name__ == "__main__":
    main()
