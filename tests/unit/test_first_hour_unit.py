"""Issue 13, the director's first hour: what is typed is visible, the table fits 80
columns, esc and filters, forms that take a burst or a paste, the command palette and
themes, clear wording, decisions that do the same whichever way they are made, and
metrics that count a regeneration as a decision."""

from __future__ import annotations

import pytest
from rich.text import Text
from sqlalchemy import select

from director_tui.core import insight, journal, queue, review
from director_tui.core.models import (
    Asset,
    Task,
    TaskState,
    Version,
)
from director_tui.core.rows import Totals
from director_tui.ui.table_layout import layout_for, total_width
from director_tui.ui.widgets.status_header import HeaderFigures, fit_header
from tests.conftest import segs

# --- metrics that count a regeneration --------------------------------------------------------


# --- the layout at every width ----------------------------------------------------------
@pytest.mark.parametrize("width", [80, 90, 100, 111, 112, 120, 140, 160, 200, 300])
def test_the_table_fits_its_width_with_both_asset_columns(width: int) -> None:
    layout = layout_for(width)
    assert total_width(layout) <= width
    assert {"keyframe", "video", "note", "progress", "title"} <= set(layout.columns)
    assert layout.narrow == (width < 112)
    assert ("prompt" in layout.columns) == layout.narrow
    assert all(w >= 2 for w in layout.widths.values())


def test_the_header_shortens_but_keeps_every_figure() -> None:
    figures = HeaderFigures("The Last Night of the Lighthouse and the Very Long Subtitle", Totals(12, 3, 1),
                            running=2, queued=8, asset="keyframe", filter_text="night market", filter_shown=4)
    for width in (158, 120, 78, 60):
        line = fit_header(figures, width).plain
        assert len(line) <= width, (width, line)
        for figure in ("3/12", "1/12", "2", "8", "keyframe", "4/12"):
            assert figure in line, (width, figure, line)


def test_a_redo_queues_the_clip_its_undo_cancelled(store, home, film) -> None:  # type: ignore[no-untyped-def]
    first = segs(store)[0]
    with store.write() as s:
        review.approve(s, first.id, Asset.KEYFRAME, "tester", queue_video=True)
    with store.write() as s:
        journal.undo(s, film.id, "tester")
    with store.write() as s:
        journal.redo(s, film.id, "tester")
    with store.read() as s:
        states = [t.state for t in s.execute(select(Task).where(Task.asset == Asset.VIDEO).order_by(Task.id)).scalars()]
    assert states == [TaskState.CANCELLED, TaskState.QUEUED]
    with store.write() as s:
        journal.undo(s, film.id, "tester")  # and undoing again cancels the new one
    with store.read() as s:
        assert {t.state for t in s.execute(select(Task).where(Task.asset == Asset.VIDEO)).scalars()} == \
            {TaskState.CANCELLED}


def test_metrics_and_recommendations_count_regenerated_first_versions(store, forty) -> None:  # type: ignore[no-untyped-def]
    with store.read() as s:
        m = insight.metrics(s, forty.id)
        recs = {(r.label, r.field): r for r in insight.recommendations(s, min_samples=5, limit=100)}
        worst = insight.recommendations(s, min_samples=5, worst=True, limit=3)
        decisions = {v.decision for v in s.execute(select(Version)).scalars()}
    assert decisions == {"approved", "regenerate"}
    # by hand: 40 first versions decided, 30 of them approved; nothing else decided
    assert (m.first_approved, m.first_decided) == (30, 40)
    assert (m.approved, m.decided) == (30, 40)
    assert m.first_time_rate == 0.75
    assert (recs[("a harbour at dawn", "image")].approved_first, recs[("a harbour at dawn", "image")].samples) == (30, 40)
    assert (recs[("sun", "image")].approved_first, recs[("sun", "image")].samples) == (30, 30)
    assert (recs[("fog", "image")].approved_first, recs[("fog", "image")].samples) == (0, 10)
    assert worst[0].label == "fog"  # what gets sent back shows in the worst list


def test_send_back_keeps_nothing_when_it_cannot_queue(store, film) -> None:  # type: ignore[no-untyped-def]
    from director_tui.core.models import Comment

    first = segs(store)[0]
    with store.write() as s:
        queue.enqueue(s, first.id, Asset.KEYFRAME, "tester")
    with pytest.raises(queue.QueueError), store.write() as s:
        review.send_back(s, first.id, Asset.KEYFRAME, "tester", "more light")
    with store.read() as s:
        assert list(s.execute(select(Comment)).scalars()) == []


def test_progress_cells_name_their_asset() -> None:
    from director_tui.ui.cells import progress_cell

    assert progress_cell("running", 0.45, "rendering frame 12/24", "video").plain == \
        "⟳ 45% video: rendering frame 12/24"
    assert progress_cell("queued", asset="keyframe").plain == "… keyframe queued"
    assert progress_cell("failed", 0, "generator exited with code 3: x | CUDA out of memory", "video").plain == \
        "✗ video failed: exit 3: CUDA out of memory"
    assert isinstance(progress_cell(None), Text)

