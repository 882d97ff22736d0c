"""Helpers for the benchmarks: synthetic streams, running a program in a pseudo-terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import termios
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

COLUMNS, LINES = 160, 48
VERSIONS_PER_ASSET = 10


def fill_history(home: Path, *, activity: int, tasks: int, kinds: list[str], actors: list[str], spacing_s: int,
                 seed: int, minutes_back: int) -> None:
    """The `bench` stream's history: `activity` timeline rows `spacing_s` apart up to now,
    and `tasks` finished tasks (1 in 17 failed) started up to `minutes_back` ago."""
    import json
    import random
    from datetime import timedelta

    from sqlalchemy import insert, text

    from director_tui.core.models import Activity, Task
    from director_tui.core.store import open_store

    rng = random.Random(seed)
    store = open_store(home)
    now = datetime.now(UTC)
    with store.write() as s:
        stream_id = s.execute(text("SELECT id FROM stream WHERE slug = 'bench'")).scalar_one()
        seg_ids = [r[0] for r in s.execute(text("SELECT id FROM segment WHERE stream_id = :s"), {"s": stream_id})]
        s.execute(insert(Activity), [{
            "stream_id": stream_id, "segment_id": rng.choice(seg_ids), "actor": rng.choice(actors),
            "kind": rng.choice(kinds), "detail": json.dumps({"asset": "keyframe", "version": rng.randint(1, 10)}),
            "created_at": now - timedelta(seconds=activity - i) * spacing_s} for i in range(activity)])
        rows = []
        for i in range(tasks):
            started = now - timedelta(minutes=rng.randint(1, minutes_back))
            rows.append({"stream_id": stream_id, "segment_id": rng.choice(seg_ids),
                         "asset": rng.choice(["keyframe", "video"]), "prompt": "p",
                         "state": "failed" if i % 17 == 0 else "succeeded", "message": "", "error": "",
                         "started_at": started, "finished_at": started + timedelta(seconds=rng.uniform(2, 90))})
        s.execute(insert(Task), rows)
    store.dispose()


def row_texts(i: int) -> tuple[str, str, str, str]:
    """The same texts for the bare baseline and for our stream."""
    return (f"Segment {i:04d}", f"wide shot of a harbour at dawn number {i}, mist over the water, 35mm",
            "slow pan left across the boats", f"{i}")


def build_stream(home: Path, n: int, slug: str = "bench", url: str | None = None) -> None:
    """A stream of n segments with VERSIONS_PER_ASSET versions of each asset (rows only), in
    the workspace's SQLite file or the store `url` names."""
    from sqlalchemy import insert, update

    from director_tui.core.models import Segment, Stream, Version
    from director_tui.core.store import open_store

    store = open_store(home, url)
    now = datetime.now(UTC)
    with store.write() as s:
        stream = Stream(slug=slug, title=f"Benchmark {n}")
        s.add(stream)
        s.flush()
        s.execute(insert(Segment), [
            {"stream_id": stream.id, "position": i, "title": row_texts(i)[0],
             "image_prompt": row_texts(i)[1], "motion_prompt": row_texts(i)[2], "duration": 4.0,
             "keyframe_state": "review", "video_state": "review", "comment_count": 0,
             "updated_at": now}
            for i in range(1, n + 1)
        ])
        seg_ids = [r[0] for r in s.execute(Segment.__table__.select().with_only_columns(Segment.id)
                                           .where(Segment.stream_id == stream.id).order_by(Segment.position))]
        rows = []
        for sid in seg_ids:
            for asset in ("keyframe", "video"):
                for v in range(1, VERSIONS_PER_ASSET + 1):
                    rows.append({"segment_id": sid, "asset": asset, "number": v,
                                 "path": f"{slug}/s{sid:05d}/{asset}-v{v:03d}", "prompt": "p",
                                 "seed": v, "generator": "{}", "width": 1280, "height": 720,
                                 "size_bytes": 1, "checksum": "", "created_at": now})
        for start in range(0, len(rows), 20_000):
            s.execute(insert(Version), rows[start:start + 20_000])
    # current version = the newest of each asset
    with store.write() as s:
        conn = s.connection()
        conn.exec_driver_sql(
            "UPDATE segment SET keyframe_version_id = (SELECT id FROM version v WHERE v.segment_id = segment.id "
            "AND v.asset = 'keyframe' ORDER BY number DESC LIMIT 1), video_version_id = (SELECT id FROM version v "
            "WHERE v.segment_id = segment.id AND v.asset = 'video' ORDER BY number DESC LIMIT 1)")
        s.execute(update(Segment).values(comment_count=0))
    store.dispose()


@dataclass
class PtyRun:
    settle_s: float  # time from start to the last byte of the first settled screen
    peak_rss_mb: float
    output_bytes: int
    saw_marker: bool


def run_in_pty(argv: list[str], marker: bytes, quiet_s: float = 1.0, timeout_s: float = 120,
               env: dict[str, str] | None = None) -> PtyRun:
    """Start argv in a pseudo-terminal; the screen has settled when `marker` was drawn and
    nothing more arrived for quiet_s. Then press q and collect peak memory."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.environ.update(env or {})
        os.environ["TERM"] = "xterm-256color"
        os.environ["COLUMNS"], os.environ["LINES"] = str(COLUMNS), str(LINES)
        os.execvp(argv[0], argv)
    # with the pixel size, as terminal emulators report it (textual-image reads cell sizes from it)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, COLUMNS * 10, LINES * 20))
    buf = b""
    last_byte = start
    seen = False
    deadline = start + timeout_s
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        now = time.perf_counter()
        if ready:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            last_byte = now
            if not seen and marker in buf[-(1 << 20):]:
                seen = True
            # answer terminal queries (cursor position / device attributes) like a real terminal
            if b"\x1b[6n" in chunk:
                os.write(fd, b"\x1b[1;1R")
            if b"\x1b[c" in chunk:
                os.write(fd, b"\x1b[?62;c")
            if b"\x1b[16t" in chunk:  # cell size in pixels
                os.write(fd, b"\x1b[6;20;10t")
        elif seen and now - last_byte >= quiet_s:
            break
    settle = last_byte - start
    os.write(fd, b"q")
    rss_kb = 0
    end = time.perf_counter() + 20
    while time.perf_counter() < end:
        with_status = os.wait4(pid, os.WNOHANG)
        if with_status[0] == pid:
            rss_kb = with_status[2].ru_maxrss
            break
        try:
            select.select([fd], [], [], 0.05)
            os.read(fd, 1 << 16)
        except OSError:
            time.sleep(0.05)
    else:
        os.kill(pid, 9)
        rss_kb = os.wait4(pid, 0)[2].ru_maxrss
    os.close(fd)
    return PtyRun(settle, rss_kb / 1024, len(buf), seen)
