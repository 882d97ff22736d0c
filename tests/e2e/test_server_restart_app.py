"""The studio's PostgreSQL server restarts under an open app whose screen is reading: the
screen lives on, keys keep acting, and decisions pressed meanwhile land once it is back
(issue 24).

Textual ends a widget whose message handler raises, taking its children with it: a read
on the loop that met the dropped connection (the segment reload after a delivered
decision, the version pane on a cursor move) ended the main screen and its table, and every
key after it was a traceback while the decisions waiting were never delivered. This test
fails that way without the guards in ui/screens/main/live.py and main/screen.py."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from director_tui.config import Settings
from director_tui.core.models import Review, Segment
from director_tui.core.store import open_store
from director_tui.ui.app import make_app
from director_tui.ui.messages import SegmentsChanged
from tests.conftest import SIZE, wait_for


async def test_a_server_restart_while_the_screen_reads_ends_nothing(tmp_path: Path) -> None:
    from director_tui.core.spec import create_stream, validate_spec
    from tests.conftest import spec_dict
    from tests.postgres_cluster import running_cluster, server_bin_dir
    from tests.seed import seed_keyframes

    if server_bin_dir() is None:
        pytest.fail("no PostgreSQL server binaries; .ci/run installs them")
    root = Path(tempfile.mkdtemp(prefix="director-pg-"))
    home = tmp_path / "shared"
    home.mkdir()
    try:
        with running_cluster(root) as cluster:
            store = open_store(home, cluster.url)
            with store.write() as s:
                stream = create_stream(s, validate_spec(spec_dict(4)), "tester")
            seed_keyframes(store, home, stream.id)
            settings = Settings(home=home, user="tester", auto_generate=False, auto_queue_video=False,
                                store=cluster.url)
            app = make_app(settings, store, "film", start_runner=False)
            async with app.run_test(size=SIZE) as pilot:
                screen = app.main_screen
                table = screen.table
                with store.read() as s:
                    ids = [seg.id for seg in s.execute(select(Segment).order_by(Segment.position)).scalars()]
                cluster.stop("fast")
                # what a delivered decision and a cursor move do: read the rows and versions again
                screen.post_message(SegmentsChanged((ids[0],)))
                await pilot.pause(0.3)
                await pilot.press("j")
                await pilot.pause(0.3)
                assert table.is_attached and app.screen is screen, "the main screen ended"
                assert table.current is not None and table.current.id == ids[1]
                await pilot.press("space")  # pressed while the server is away: kept, pending
                await pilot.pause(0.2)
                assert app.decisions.waiting, "the approval was not kept while the store was away"
                cluster.start()
                await wait_for(pilot, lambda: not app.decisions.waiting and not app.decisions._draining, 60)
                assert table.is_attached and app.screen is screen
            with store.read() as s:
                reviews = [(r.segment_id, r.decision) for r in s.execute(select(Review)).scalars()]
            assert reviews == [(ids[1], "approved")]
            store.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)
