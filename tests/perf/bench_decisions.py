"""Decisions under a lock and under load (issue 24), the real app under Pilot on a real
SQLite workspace of 200 segments.

- Key latency p95 while another process holds the database's write lock for 20 s, against
  the same keys with no lock, same run: space (approve, on to the next), j, k, in turn, one
  every 50 ms; a key's latency is until the app has acted on it (the cursor moved). The
  decisions pressed under the lock are all in the store once it goes (checked).
- Key to confirmed decision (space until the store has it), median and p95, idle and with
  both cores loaded by two busy processes, against the same approval written directly in a
  write transaction in a thread (the floor), same run.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual import events

sys.path.insert(0, str(Path(__file__).parent))
from common import build_stream

PY = sys.executable
LOCK_S = 20.0


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[18]


async def key_latencies(app, seconds: float, during=None) -> list[float]:  # type: ignore[no-untyped-def]
    """space, j, k in turn every 50 ms for `seconds`; ms until each was acted on."""
    lat: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.5)
        table = app.main_screen.table
        if during is not None:
            during()
        end = time.perf_counter() + seconds
        keys = ["space", "j", "k"]
        n = 0
        while time.perf_counter() < end:
            key = keys[n % 3]
            n += 1
            before = table.cursor_row
            t0 = time.perf_counter()
            app.post_message(events.Key(key, " " if key == "space" else key))
            while table.cursor_row == before:
                await asyncio.sleep(0.0005)
                if time.perf_counter() - t0 > 10:
                    raise SystemExit(f"{key} was not acted on within 10 s")
            lat.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.05)
        if not await app.decisions.idle(LOCK_S + 60):
            raise SystemExit("decisions pressed under the lock never reached the store")
    return lat


async def confirm_times(app, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    """space, then wait until the store has confirmed it; ms each."""
    out: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.5)
        for _ in range(count):
            done = app.decisions.delivered
            t0 = time.perf_counter()
            app.post_message(events.Key("space", " "))
            while app.decisions.delivered == done:
                await asyncio.sleep(0.0005)
                if time.perf_counter() - t0 > 30:
                    raise SystemExit("a decision was not confirmed within 30 s")
            out.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.05)
    return out


def direct_times(store, ids: list[int]) -> list[float]:  # type: ignore[no-untyped-def]
    """The floor: the same approval, written straight in a write transaction in a thread."""
    from director_tui.core import operations

    async def run() -> list[float]:
        out = []
        for seg_id in ids:
            t0 = time.perf_counter()
            await asyncio.to_thread(_approve, store, operations, seg_id)
            out.append((time.perf_counter() - t0) * 1000)
        return out

    return asyncio.run(run())


def _approve(store, operations, seg_id: int) -> None:  # type: ignore[no-untyped-def]
    with store.write() as s:
        operations.approve(s, seg_id, "keyframe", "bench", queue_video=False)


def burners(n: int = 2) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([PY, "-c", "while True: pass"]) for _ in range(n)]


def main() -> dict[str, float]:
    import os

    from sqlalchemy import select

    from director_tui.config import Settings
    from director_tui.core.models import Segment
    from director_tui.core.store import open_store
    from director_tui.ui.app import make_app

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        os.environ["DIRECTOR_STATE"] = str(tmp / "state")
        settings = Settings(home=tmp / "ws", user="bench", auto_generate=False, auto_queue_video=False)

        def fresh(name: str):  # type: ignore[no-untyped-def]
            home = tmp / name
            build_stream(home, 200)
            return home, open_store(home)

        home, store = fresh("idle")
        settings.home = home
        idle = asyncio.run(key_latencies(make_app(settings, store, "bench", start_runner=False), 10.0))
        store.dispose()

        home, store = fresh("locked")
        settings.home = home
        holder: list[subprocess.Popen[str]] = []

        def lock() -> None:
            code = ("import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
                    "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); time.sleep(float(sys.argv[2])); "
                    "c.execute('COMMIT')")
            proc = subprocess.Popen([PY, "-c", code, str(home / "director.db"), str(LOCK_S)],
                                    stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
            holder.append(proc)

        app = make_app(settings, store, "bench", start_runner=False)
        locked = asyncio.run(key_latencies(app, LOCK_S - 5.0, during=lock))
        holder[0].wait(60)
        pressed = sum(1 for i in range(len(locked)) if i % 3 == 0)
        with store.read() as s:
            approved = len(s.execute(select(Segment.id).where(Segment.keyframe_state == "approved")).all())
        if approved != pressed:
            raise SystemExit(f"{pressed} approvals pressed under the lock, {approved} in the store")
        store.dispose()

        figures: dict[str, float] = {}
        for label, load in (("idle", 0), ("loaded", 2)):
            procs = burners(load)
            try:
                home, store = fresh(f"confirm-{label}")
                settings.home = home
                confirmed = asyncio.run(confirm_times(make_app(settings, store, "bench", start_runner=False), 40))
                with store.read() as s:
                    rest = list(s.execute(select(Segment.id).where(Segment.keyframe_state == "review")
                                          .order_by(Segment.position).limit(40)).scalars())
                floor = direct_times(store, rest)
                store.dispose()
            finally:
                for p in procs:
                    p.kill()
                    p.wait()
            figures[f"confirm_{label}_median_ms"] = statistics.median(confirmed)
            figures[f"confirm_{label}_p95_ms"] = p95(confirmed)
            figures[f"floor_{label}_median_ms"] = statistics.median(floor)
            figures[f"confirm_{label}_ratio"] = statistics.median(confirmed) / statistics.median(floor)

    result = {"idle_p95_ms": p95(idle), "locked_p95_ms": p95(locked), "locked_ratio": p95(locked) / p95(idle),
              "presses_locked": len(locked), "decisions_locked": pressed, **figures}
    print(f"decisions: key latency p95 under a {LOCK_S:.0f} s lock {result['locked_p95_ms']:.1f} ms "
          f"(no lock {result['idle_p95_ms']:.1f} ms, ratio {result['locked_ratio']:.2f}; target < 50 ms), "
          f"{len(locked)} keys, {pressed} approvals all in the store after it")
    for label in ("idle", "loaded"):
        print(f"decisions: key to confirmed, {label}: median {figures[f'confirm_{label}_median_ms']:.1f} ms, "
              f"p95 {figures[f'confirm_{label}_p95_ms']:.1f} ms (a direct write: median "
              f"{figures[f'floor_{label}_median_ms']:.1f} ms, ratio {figures[f'confirm_{label}_ratio']:.2f})")
    return result


if __name__ == "__main__":
    main()
