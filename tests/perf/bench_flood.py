"""Flood: 8 generators each printing 2,000 progress lines a second for 5 s while a director
moves through the table. Key-to-screen latency (Pilot: a key press until the screen has
processed it) p95 against the same with nothing running, same run; database commits a second."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from sqlalchemy import event
from textual import events

sys.path.insert(0, str(Path(__file__).parent))
from common import build_stream

PY = sys.executable
HERE = Path(__file__).parent
GENERATORS, SECONDS = 8, 5.0


async def measure(app, duration: float, active: bool) -> list[float]:  # type: ignore[no-untyped-def]
    """Press j/k every 50 ms for `duration`; latency of each press in ms."""
    from director_tui.ui.widgets.segment_table import SegmentTable

    lat: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.query_one(SegmentTable)
        if active:  # wait until the flood is on
            for _ in range(200):
                if app.runner and sum(1 for r in app.runner.running.values() if r.job) == GENERATORS:
                    break
                await pilot.pause(0.05)
        COMMITS.clear()
        t_end = time.perf_counter() + duration
        key = "j"
        while time.perf_counter() < t_end:
            before = table.cursor_row
            t0 = time.perf_counter()
            app.post_message(events.Key(key, key))  # as the terminal driver delivers a key
            while table.cursor_row == before:  # until the app has acted on it
                await asyncio.sleep(0.0005)
                if time.perf_counter() - t0 > 10:
                    raise SystemExit("a key press was not handled within 10 s")
            lat.append((time.perf_counter() - t0) * 1000)
            key = "k" if key == "j" else "j"
            await asyncio.sleep(0.05)
        COMMITS.append(time.perf_counter())
    return lat


COMMITS: list[float] = []


def main() -> dict[str, float]:
    from director_tui.config import Settings
    from director_tui.core import queue
    from director_tui.core.store import open_store
    from director_tui.ui.app import make_app

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        home = tmp / "ws"
        build_stream(home, 200)
        src = tmp / "tiny.png"
        Image.new("RGB", (64, 36), (9, 9, 9)).save(src)
        store = open_store(home)
        gens = {"keyframe": {"command": [PY, str(HERE / "flood_gen.py"), "--src", str(src), "--out", "{output}",
                                         "--seconds", str(SECONDS)], "concurrency": GENERATORS}}
        with store.write() as s:
            s.connection().exec_driver_sql("UPDATE stream SET generators_json = ?", (json.dumps(gens),))
        from bench_runner import trust_in

        trust_in(tmp, gens)
        settings = Settings(home=home, user="bench", auto_generate=False, auto_queue_video=False)

        commits = {"n": 0}

        def on_commit(_conn: object) -> None:
            commits["n"] += 1

        for engine in (store.write_engine, store.read_engine):
            event.listen(engine, "commit", on_commit)

        idle = asyncio.run(measure(make_app(settings, store, "bench", start_runner=False), 3.0, False))
        with store.write() as s:
            from sqlalchemy import select

            from director_tui.core.models import Segment
            ids = list(s.execute(select(Segment.id).order_by(Segment.position).limit(GENERATORS)).scalars())
            for seg_id in ids:
                queue.enqueue(s, seg_id, "keyframe", "bench")
        commits["n"] = 0
        t0 = time.perf_counter()
        busy = asyncio.run(measure(make_app(settings, store, "bench"), SECONDS - 1.0, True))
        elapsed = time.perf_counter() - t0
        n_commits = commits["n"]
        store.dispose()

    def p95(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=20)[18]

    result = {"idle_p95_ms": p95(idle), "flood_p95_ms": p95(busy), "ratio": p95(busy) / p95(idle),
              "presses": len(busy), "commits_per_s": n_commits / elapsed}
    print(f"flood: {GENERATORS} generators x 2,000 lines/s: key latency p95 {result['flood_p95_ms']:.1f} ms "
          f"(idle {result['idle_p95_ms']:.1f} ms, ratio {result['ratio']:.2f}; target < 50 ms), "
          f"{result['commits_per_s']:.1f} commits/s (target < 50), {len(busy)} presses")
    return result


if __name__ == "__main__":
    main()
