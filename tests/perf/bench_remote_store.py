"""Keys against a studio's PostgreSQL 20 ms away (issue 26): the real app under Pilot on a
stream of 200 segments whose store is reached through a TCP proxy on loopback that holds
every chunk 10 ms each way (a 20 ms round trip, a server across a campus or a VPN), against
the same keys on the workspace's SQLite file, same run.

Keys as in bench_decisions: space (approve, on to the next), j, k in turn, one every 50 ms;
a key's latency is until the app has acted on it (the cursor moved). Every approval must be
in the store afterwards. Before the reads left the event loop (ui/reader.py), each 0.1 s sync
with a commit to show was a round trip on the loop, and every key waited behind it."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench_decisions import key_latencies, p95  # noqa: E402
from common import build_stream  # noqa: E402

DELAY_S = 0.010  # each way


class DelayingProxy:
    """127.0.0.1:port -> the server's unix socket, every chunk held DELAY_S in each direction
    (in order), on an event loop of its own in a thread."""

    def __init__(self, socket_path: str, delay_s: float) -> None:
        self.socket_path, self.delay_s = socket_path, delay_s
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            server = await asyncio.start_server(self._client, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_unix_connection(self.socket_path)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

        async def feed() -> None:
            while data := await src.read(65536):
                queue.put_nowait((self.loop.time() + self.delay_s, data))
            queue.put_nowait(None)

        async def send() -> None:
            while (item := await queue.get()) is not None:
                due, data = item
                await asyncio.sleep(max(0.0, due - self.loop.time()))
                dst.write(data)
                await dst.drain()
            dst.close()

        await asyncio.gather(feed(), send())


def approved(store) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from director_tui.core.models import Segment

    with store.read() as s:
        return int(s.execute(select(func.count()).select_from(Segment).where(
            Segment.keyframe_state == "approved")).scalar_one())


def main() -> dict[str, float]:
    from director_tui.config import Settings
    from director_tui.core.store import open_store
    from director_tui.ui.app import make_app
    from tests.postgres_cluster import create_database, running_cluster

    print("keys against a PostgreSQL store 20 ms away (a delaying proxy on loopback)")
    root = Path(tempfile.mkdtemp(prefix="director-remote-bench-"))
    with running_cluster(root) as cluster, tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        os.environ["DIRECTOR_STATE"] = str(tmp / "state")
        proxy = DelayingProxy(str(cluster.sock / ".s.PGSQL.5432"), DELAY_S)
        direct = create_database(cluster.url, "bench_remote")
        far = f"postgresql+psycopg://director@127.0.0.1:{proxy.port}/bench_remote"
        (tmp / "pg").mkdir()  # the media root a PostgreSQL workspace needs
        build_stream(tmp / "pg", 200, url=direct)
        build_stream(tmp / "lite", 200)
        results = {}
        for name, home, url in (("sqlite", tmp / "lite", None), ("postgresql", tmp / "pg", far)):
            settings = Settings(home=home, user="bench", auto_generate=False, auto_queue_video=False, store=url)
            store = open_store(home, url)
            lat = asyncio.run(key_latencies(make_app(settings, store, "bench", start_runner=False), 10.0))
            results[name] = (lat, approved(store))
            store.dispose()
    import shutil

    shutil.rmtree(root, ignore_errors=True)
    lite, pg = results["sqlite"][0], results["postgresql"][0]
    print(f"  key latency p95: PostgreSQL 20 ms away {p95(pg):.1f} ms (median {statistics.median(pg):.1f}, "
          f"{len(pg)} keys, {results['postgresql'][1]} approvals in the store), SQLite {p95(lite):.1f} ms "
          f"(median {statistics.median(lite):.1f}); target < 50")
    return {"pg_far_p95_ms": p95(pg), "sqlite_p95_ms": p95(lite), "pg_far_median_ms": statistics.median(pg),
            "ratio": p95(pg) / p95(lite)}


if __name__ == "__main__":
    main()
