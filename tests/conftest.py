"""Shared fixtures: a real workspace (SQLite file + media/) in a temporary folder."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from director_tui.config import Settings
from director_tui.core import prompts, queue, review
from director_tui.core.models import Asset, Segment, Stream
from director_tui.core.spec import create_stream, validate_spec
from director_tui.core.store import Store, open_store
from director_tui.jobs.runner import Runner, RunnerEvent
from director_tui.ui.app import DirectorApp
from director_tui.ui.widgets.segment_table import SegmentTable

GENERATORS = Path(__file__).parent / "generators"
PY = sys.executable


def gen(name: str) -> str:
    return str(GENERATORS / name)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still exists (zombies included)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's config or workspace."""
    monkeypatch.setenv("DIRECTOR_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("DIRECTOR_STATE", str(tmp_path / "user-state"))
    monkeypatch.setenv("USER", "tester")
    monkeypatch.delenv("DIRECTOR_HOME", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "workspace"


@pytest.fixture
def store_kind() -> str:
    """Which store `store` is: SQLite, unless the module says BOTH_STORES = True (then each
    of its tests runs on SQLite and on a real PostgreSQL server, as Harlequin runs its tests
    on every adapter)."""
    return "sqlite"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_kind" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_STORES", False):
        metafunc.parametrize("store_kind", ["sqlite", "postgresql"])


@pytest.fixture
def store(home: Path, store_kind: str, request: pytest.FixtureRequest,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    if store_kind == "postgresql":
        url = request.getfixturevalue("pg_database")
        home.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv("DIRECTOR_STORE", url)  # the CLI and the app in this test use it too
        s = open_store(home, url)
    else:
        s = open_store(home)
    yield s
    s.dispose()


def spec_dict(n: int = 3, generators: dict[str, Any] | None = None, slug: str = "film",
              duration: float = 0.5) -> dict[str, Any]:
    moves = ["slow pan left", "zoom in", "static", "tilt up", "pan right"]
    data: dict[str, Any] = {
        "stream": slug,
        "title": "Test Film",
        "width": 320,
        "height": 180,
        "segments": [
            {"title": f"Shot {i + 1}", "image_prompt": f"a harbour at dawn, shot {i + 1}",
             "motion_prompt": moves[i % len(moves)], "duration": duration}
            for i in range(n)
        ],
    }
    if generators is not None:
        data["generators"] = generators
    return data


def trust_generators(generators: dict[str, Any] | str, slug: str = "film") -> None:
    """Trust these generator definitions for the test's user (its DIRECTOR_STATE), as
    `director-tui trust --yes` does: the tests' own generators, written by the test."""
    from director_tui.core.trust import TrustStore, definitions

    trust = TrustStore()
    for definition in definitions(generators):
        if not definition.builtin:
            trust.trust(definition, slug)


@pytest.fixture
def make_stream(store: Store) -> Callable[..., Stream]:
    def _make(data: dict[str, Any] | None = None, *, trusted: bool = True, **kw: Any) -> Stream:
        spec = validate_spec(data or spec_dict(**kw))
        with store.write() as s:
            stream = create_stream(s, spec, "tester")
        if trusted:
            trust_generators(spec.generators, spec.slug)
        return stream

    return _make


def run_tasks(store: Store, home: Path, stream_id: int, timeout: float = 120,
              events: list[RunnerEvent] | None = None, kill_grace_s: float = 1.0) -> None:
    """Run every queued task of the stream to the end with a real Runner."""

    async def go() -> None:
        runner = Runner(store, home, [stream_id], actor="tester",
                        on_event=(events.append if events is not None else None),
                        kill_grace_s=kill_grace_s, poll_interval_s=0.1)
        try:
            await runner.run_until_idle(timeout)
        finally:
            await runner.stop()

    asyncio.run(go())


def cancel_once_running(store: Store, home: Path, stream_id: int, ready: Callable[[Runner], bool],
                        timeout: float = 30) -> None:
    """Run the stream's tasks with a real Runner; once `ready(runner)` holds, cancel its one
    running task and wait until the runner has let go of it."""

    async def go() -> None:
        runner = Runner(store, home, [stream_id], actor="tester", kill_grace_s=1.0, poll_interval_s=0.05)
        runner.start()
        try:
            deadline = time.monotonic() + timeout
            while not ready(runner):
                assert time.monotonic() < deadline, "never got there"
                await asyncio.sleep(0.02)
            [task_id] = list(runner.running)
            assert await runner.cancel(task_id)
            while runner.running:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
        finally:
            await runner.stop()

    asyncio.run(go())


@pytest.fixture
def settings(home: Path, tmp_path: Path, store_kind: str, request: pytest.FixtureRequest) -> Settings:
    return Settings(
        home=home, user="tester",
        player=[PY, gen("record_player.py"), "{path}"],
        player_in_terminal="never",
        auto_generate=False, auto_queue_video=False, kill_grace_s=1.0,
        store=request.getfixturevalue("pg_database") if store_kind == "postgresql" else None,
    )


# --- the app ------------------------------------------------------------------
SIZE = (160, 48)


@pytest.fixture
def film(store, home, make_stream):  # type: ignore[no-untyped-def]
    """A 4-segment stream whose keyframes v1 are in (awaiting review): tiny real PNGs seeded
    as the runner records them (tests/seed.py), no generator run. Tests about generating
    make their own with `generated_film`."""
    from tests.seed import seed_keyframes

    stream = make_stream(n=4)
    seed_keyframes(store, home, stream.id)
    return stream


@pytest.fixture
def generated_film(store, home, make_stream):  # type: ignore[no-untyped-def]
    """The same 4 segments, their keyframes made by the built-in generator (a subprocess)."""
    stream = make_stream(n=4)
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "tester")
    run_tasks(store, home, stream.id)
    return stream


@pytest.fixture
def forty(store, home, make_stream):  # type: ignore[no-untyped-def]
    """40 segments: 30 first versions approved, 10 sent back with `r` (never rejected)."""
    data = {"stream": "forty", "title": "Forty", "width": 320, "height": 180,
            "segments": [{"title": f"Shot {i}", "image_prompt": f"a harbour at dawn, {'fog' if i > 30 else 'sun'}",
                          "motion_prompt": "static", "duration": 1.0} for i in range(1, 41)]}
    from tests.seed import seed_keyframes

    stream = make_stream(data)
    ids = seed_keyframes(store, home, stream.id)
    with store.write() as s:
        for seg_id in ids[:30]:
            review.approve(s, seg_id, Asset.KEYFRAME, "tester")
        for seg_id in ids[30:]:
            review.send_back(s, seg_id, Asset.KEYFRAME, "tester", "too flat")
    return stream


def segs(store) -> list[Segment]:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return list(s.execute(select(Segment).order_by(Segment.position)).scalars())


def cell(app: DirectorApp, seg_id: int, column: str) -> str:
    return str(app.query_one(SegmentTable).get_cell(str(seg_id), column))


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    steps = int(timeout / 0.1)
    for _ in range(steps):
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError("condition not met in time")


async def settled(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """Until the work the keys so far asked for is done: the writes and decisions delivered,
    the reads drawn, the screen in front drawn (FirstDraw), the keys held handed on, and the
    messages that followed handled. What the tests wait for instead of a pause."""
    for _ in range(3):  # a read's answer can ask for a write, a write's for a read
        await app.decisions.idle()
        await app.writer.idle()
        await app.reader.idle()
        await wait_for(pilot, lambda: getattr(app.screen, "drawing_since", None) is None
                       and not app.context.keys.held, timeout=10)
        await pilot.pause()


@pytest.fixture
def reviewed(store, home, make_stream):  # type: ignore[no-untyped-def]
    """6 segments: keyframes v1 made; 1-4 approved first time, 5 rejected then v2 approved,
    6 rejected; a comment and a prompt change by another director."""
    stream = make_stream(n=6)
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "tester")
    run_tasks(store, home, stream.id)
    ids = [x.id for x in segs(store)]
    with store.write() as s:
        for seg_id in ids[:4]:
            review.approve(s, seg_id, Asset.KEYFRAME, "tester")
        review.reject(s, ids[4], Asset.KEYFRAME, "tester", notes="too dark")
        review.reject(s, ids[5], Asset.KEYFRAME, "tester")
        queue.enqueue(s, ids[4], Asset.KEYFRAME, "tester", regenerate=True)
    run_tasks(store, home, stream.id)
    with store.write() as s:
        review.approve(s, ids[4], Asset.KEYFRAME, "tester")
        review.add_comment(s, ids[5], "the sky is wrong", "ana", asset=Asset.KEYFRAME)
        prompts.save_prompt(s, ids[5], "image", "a harbour at dawn, gentle fog", "ana", expected=None)
    return stream


def reopen(store: Store, home: Path) -> Store:
    """Another instance's Store on the same store (what a second process opens)."""
    return open_store(home, None if store.url.startswith("sqlite") else store.url)


def token_moves(store: Store, before: int, timeout: float = 2.0) -> bool:
    """Whether the store's change token moves past `before` within `timeout` (PostgreSQL's
    arrives by notification a few ms after the commit; SQLite's at once)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if store.change_token() != before:
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def impatient(store: Store, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Store, Any]]:
    """A second Store on the workspace's database whose busy timeout is 0.2 s, and a plain
    sqlite3 connection (another process's writer) that a test can hold the write lock with."""
    import sqlite3

    from director_tui.core.store import sqlite

    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT_MS", 200)
    # its own engines, not open_workspace's one shared store per file (which has the usual
    # timeout): two stores of one file in a process are safe, as nothing opens it outside SQLite
    sqlite.open_workspace(home).dispose()  # the file made and migrated (a PostgreSQL test has none)
    short = sqlite.SqliteStore(sqlite.sqlite_url(home / "director.db"))
    holder = sqlite3.connect(home / "director.db", isolation_level=None)
    yield short, holder
    holder.close()
    short.dispose()


# --- tiers -----------------------------------------------------------------------
# The directory a test is in says its tier (issue 26, 8): tests/unit/ (core and pure
# logic on a real SQLite file, no app, no generator process), tests/app/ (the real app
# under Pilot, snapshots too), tests/e2e/ (real generators, ffmpeg, players, rclone,
# pseudo-terminals, other processes, a PostgreSQL server). A module goes where its most
# demanding test belongs. `make test-fast` runs the first tier.
TIERS = ("unit", "app", "e2e")


def tier_of(item: pytest.Item) -> str:
    parts = Path(str(item.path)).resolve().relative_to(Path(__file__).resolve().parent).parts
    if not parts or parts[0] not in TIERS:
        raise pytest.UsageError(f"{item.nodeid}: a test lives in tests/unit, tests/app or tests/e2e")
    return parts[0]


def pytest_configure(config: pytest.Config) -> None:
    for name, what in (("unit", "core logic: no app, no generator process"),
                       ("app", "the real app under Pilot"),
                       ("e2e", "real generators, ffmpeg, players, rclone, terminals, processes"),
                       ("serial", "burns every core on purpose (a review under fire): run alone, after the rest "
                                  "(make test), so that no other test is starved by it")):
        config.addinivalue_line("markers", f"{name}: {what}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(getattr(pytest.mark, tier_of(item)))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for this test session (tests/postgres_cluster.py). Where no
    server binary exists the test is skipped saying so, except in CI, where it fails."""
    from tests.postgres_cluster import server_bin_dir, throwaway_cluster

    if server_bin_dir() is None:
        if os.environ.get("CI"):
            pytest.fail("CI has no PostgreSQL server binaries: .ci/run installs them (apt-get install postgresql)")
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine; .ci/run installs them")
    import shutil
    import tempfile

    # not under pytest's temp folder: its parents are private to us, and the cluster's user
    # (nobody, when the tests run as root) must reach its data and socket
    root = Path(tempfile.mkdtemp(prefix="director-pg-"))
    try:
        with throwaway_cluster(root) as url:
            yield url
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_template(postgres_url: str) -> str:
    """A database at the head revision, copied for each test (CREATE DATABASE … TEMPLATE)."""
    from director_tui.core.store.postgres import PostgresStore
    from tests.postgres_cluster import create_database

    url = create_database(postgres_url, "director_template")
    template = PostgresStore(url)
    template.migrate()
    template.dispose()
    return url


_databases = iter(range(1, 1_000_000))


@pytest.fixture
def pg_database(postgres_url: str, pg_template: str) -> Iterator[str]:
    """A fresh database with the schema, for one test; its URL."""
    from tests.postgres_cluster import create_database, drop_database

    name = f"test_{os.getpid()}_{next(_databases)}"
    yield create_database(postgres_url, name, template="director_template")
    drop_database(postgres_url, name)
