"""Issue 13, the director's first hour: what is typed is visible, the table fits 80
columns, esc and filters, forms that take a burst or a paste, the command palette and
themes, clear wording, decisions that do the same whichever way they are made, and
metrics that count a regeneration as a decision."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update
from textual import events

from director_tui.config import load_prefs
from director_tui.core import journal, queue, review
from director_tui.core.models import (
    Asset,
    AssetState,
    Preset,
    Segment,
    Stream,
    Task,
    TaskState,
)
from director_tui.ui.app import make_app
from director_tui.ui.screens.help import HelpScreen
from director_tui.ui.screens.metrics import MetricsScreen
from director_tui.ui.screens.presets import PresetForm, PresetsScreen
from director_tui.ui.screens.review import ReviewScreen
from director_tui.ui.widgets.prompt_line import PromptBar, PromptLine
from director_tui.ui.widgets.segment_table import SegmentTable
from tests.conftest import SIZE, cell, run_tasks, segs, wait_for


def notices(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n.message) for n in app._notifications]


async def test_at_80x24_h_and_l_reach_visible_asset_columns(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    first = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(SegmentTable)
        assert table.layout_now.narrow
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= 80 - 2
        assert str(table.columns["keyframe"].label) == "▸ Keyframe"
        assert cell(app, first.id, "prompt").startswith("a harbour at dawn")
        await pilot.press("l")
        assert str(table.columns["video"].label) == "▸ Video"
        assert str(table.columns["prompt"].label) == "Motion prompt"
        assert cell(app, first.id, "prompt") == first.motion_prompt
        header = str(app.main_screen.query_one("#status").render())
        assert "0/4" in header and "video" in header and "0 running" in header and "0 queued" in header
        await pilot.resize_terminal(160, 40)  # wider: both prompts again, the rows kept
        await pilot.pause()
        assert not table.layout_now.narrow and len(table.order) == 4
        assert cell(app, first.id, "motion") == first.motion_prompt


# --- the one-line prompts -------------------------------------------------------------------
@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_the_comment_line_is_visible_with_its_label_where_the_keys_were(store, settings, film, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=size) as pilot:
        await pilot.press("j", "c", *"too dark q")
        bar = app.main_screen.query_one(PromptBar)
        assert bar.display and bar.region.y == size[1] - 1  # the bottom line, in the key bar's place
        assert str(bar.query_one("#prompt-label").render()) == "comment on #2 keyframe v1:"
        line = app.main_screen.query_one(PromptLine)
        assert line.has_focus and line.value == "too dark q"  # the q went into the comment, not quit
        assert not app.main_screen.query_one("KeyFooter").display
        await pilot.press("enter")
        assert not bar.display and app.main_screen.query_one("KeyFooter").display


async def test_esc_clears_a_kept_filter_and_an_empty_table_says_why(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(SegmentTable)
        await pilot.press("slash", *"nothing like this", "enter")
        empty = app.main_screen.query_one("#empty-filter")
        assert table.order == [] and empty.display
        assert "No segment matches the filter 'nothing like this' (all 4 hidden)" in str(empty.render())
        await pilot.press("escape")  # on the table: the kept filter goes
        assert len(table.order) == 4 and not empty.display and table.filter_text == ""
        assert "filter cleared" in notices(app)


async def test_tab_in_the_command_line_completes_and_stays(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *"canc", "tab")
        line = app.main_screen.query_one(PromptLine)
        assert line.has_focus and line.value.startswith("cancel")


# --- bursts and pastes ----------------------------------------------------------------------
def burst(app, keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Keys as a paste typed by tmux or a laggy link delivers them: all read before any runs."""
    for key in keys:
        character = {"tab": "\t", "enter": "\r", "space": " "}.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, character))


async def test_the_preset_form_takes_a_burst_intact(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P", "n")
        assert isinstance(app.screen, PresetForm)
        burst(app, [*"Rainy", "tab", *"weather", "tab", *"heavy rain, wet reflections", "enter"])
        await wait_for(pilot, lambda: isinstance(app.screen, PresetsScreen), timeout=5)
        await pilot.press("n")
        burst(app, [*"Foggy", "enter", *"weather", "enter", *"thick fog", "enter"])  # enter to go on, too
        await wait_for(pilot, lambda: isinstance(app.screen, PresetsScreen), timeout=5)
        await pilot.press("n")
        app.post_message(events.Paste("Dusk\tlighting\tlow golden sun"))  # a bracketed paste of a row
        await pilot.pause()
        await pilot.press("enter")
    with store.read() as s:
        saved = {p.name: (p.category, p.text) for p in s.execute(select(Preset)).scalars()}
    assert saved["Rainy"] == ("weather", "heavy rain, wet reflections")
    assert saved["Foggy"] == ("weather", "thick fog")
    assert saved["Dusk"] == ("lighting", "low golden sun")


async def test_a_multi_line_paste_into_a_one_line_field_keeps_every_line(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    from director_tui.core.models import Comment

    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        app.post_message(events.Paste("the sky is flat\nmore clouds\n\nand rain"))
        await pilot.pause()
        await pilot.press("enter")
    with store.read() as s:
        assert [c.body for c in s.execute(select(Comment)).scalars()] == ["the sky is flat more clouds and rain"]


# --- the palette and themes ----------------------------------------------------------------
async def test_the_command_palette_runs_any_action_by_name(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    from textual.command import CommandPalette

    first = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Approve")
        await pilot.pause(0.5)  # the palette searches in a worker
        await pilot.press("enter")
        await wait_for(pilot, lambda: "approved" in cell(app, first.id, "keyframe"), timeout=5)
    from director_tui.ui.bindings import MAIN_BINDINGS, palette_entries
    titles = [t for t, _, _ in palette_entries(app.main_screen, {})]
    assert len(titles) == len(MAIN_BINDINGS) + 2  # every key action of the screen, help and quit


async def test_theme_from_the_config_and_the_one_picked_is_remembered(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    settings.theme = "nord"
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "nord"
    settings.theme = "no-such-theme"
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("config theme: 'no-such-theme' is not a theme" in n for n in notices(app))
    settings.theme = None
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "gruvbox"  # as the palette's Theme command does
        await wait_for(pilot, lambda: load_prefs().get("theme") == "gruvbox", timeout=5)
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "gruvbox"


# --- wording -------------------------------------------------------------------------------
async def test_the_help_sizes_its_columns_to_the_content_and_wraps(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    from director_tui.ui.bindings import all_bindings

    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        widths = {k.value: c.width for k, c in table.columns.items()}
        assert widths["id"] == max(len(b.id or "") for b in all_bindings())
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= 80
        longest = max(all_bindings(), key=lambda b: len(b.tooltip or ""))
        row = next(k for k in table.rows if str(table.get_cell(k, "id")) == longest.id)
        assert table.get_cell(row, "what").plain == longest.tooltip  # whole, not cut
        await pilot.pause()
        assert table.rows[row].height > 1  # wrapped over several lines


async def test_variation_footer_task_log_and_undo_say_what_they_mean(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    from director_tui.ui.bindings import VARIATION_BINDINGS

    picks = [b for b in VARIATION_BINDINGS if b.show and b.id and b.id.startswith("variation-pick")]
    assert [(b.key_display, b.description) for b in picks] == [("1-9", "Pick the winner")]
    app = make_app(settings, store, "film")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await pilot.press("k", "u")
        assert "undone: approval of segment 1's keyframe v1" in notices(app)
        await pilot.press("r")
        await wait_for(pilot, lambda: "#1 keyframe, task" in "\n".join(
            str(line.text) for line in app.main_screen.query_one("#tasklog").lines), timeout=30)


def test_checkpoint_time_reads_the_same_in_the_app_and_the_cli(store, home, reviewed) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from director_tui.cli import app as cli_app
    from director_tui.core.timefmt import span

    assert [span(x) for x in (0, 45, 110, 3 * 3600 + 300, 2 * 86400 + 4 * 3600)] == \
        ["0 s", "45 s", "1 min 50 s", "3 h 05 min", "2 d 04 h"]
    out = CliRunner().invoke(cli_app, ["--home", str(home), "metrics", "film"]).output
    line = next(x for x in out.splitlines() if x.startswith("checkpoint keyframes"))
    assert line.rstrip().endswith("open") and (" s " in line or " min " in line) and " h open" not in line


# --- decisions that are right ---------------------------------------------------------------
async def test_approving_on_the_command_line_queues_clips_as_space_does(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    settings.auto_queue_video = True
    ids = [s.id for s in segs(store)]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *"approve 1-3", "enter")
        assert all("video queued" in cell(app, i, "progress") for i in ids[:3])
        assert "keyframe: 3 approved, 3 videos queued" in notices(app)
        await pilot.press("u")  # one undo takes back the batch and its clips
    with store.read() as s:
        tasks = list(s.execute(select(Task).where(Task.asset == Asset.VIDEO)).scalars())
        assert sorted(t.segment_id for t in tasks) == ids[:3]
        assert {t.state for t in tasks} == {TaskState.CANCELLED}
        assert {s.get(Segment, i).keyframe_state for i in ids} == {AssetState.REVIEW}


async def test_undoing_an_approval_stops_the_clip_it_queued_while_it_renders(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    settings.auto_queue_video = True
    with store.write() as s:
        s.execute(update(Stream).values(generators_json=json.dumps({"video": {"pace_s": 30}})))
    first = segs(store)[0]
    app = make_app(settings, store, "film")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")

        def clip() -> Task | None:
            with store.read() as s:
                return s.execute(select(Task).where(Task.asset == Asset.VIDEO)).scalars().first()

        await wait_for(pilot, lambda: (t := clip()) is not None and t.state == TaskState.RUNNING, timeout=30)
        await pilot.press("k", "u")
        await wait_for(pilot, lambda: clip().state == TaskState.CANCELLED, timeout=15)
    with store.read() as s:
        assert s.get(Segment, first.id).keyframe_state == AssetState.REVIEW
        assert s.get(Segment, first.id).video_version_id is None


def test_a_clip_outliving_the_undo_of_its_approval_is_stale_and_a_redo_makes_it_current(store, home, film) -> None:  # type: ignore[no-untyped-def]
    first = segs(store)[0]
    with store.write() as s:
        review.approve(s, first.id, Asset.KEYFRAME, "tester", queue_video=True)
    run_tasks(store, home, film.id)  # the clip is made
    with store.write() as s:
        journal.undo(s, film.id, "tester")  # its approval undone after the clip arrived
    with store.read() as s:
        seg = s.get(Segment, first.id)
        assert (seg.keyframe_state, seg.video_state) == (AssetState.REVIEW, AssetState.STALE)
        assert seg.video_version_id is not None
    with store.write() as s:
        journal.redo(s, film.id, "tester")
    with store.read() as s:
        seg = s.get(Segment, first.id)
        assert (seg.keyframe_state, seg.video_state) == (AssetState.APPROVED, AssetState.REVIEW)


def test_a_clip_that_finishes_after_its_keyframe_lost_approval_arrives_stale(store, home, film) -> None:  # type: ignore[no-untyped-def]
    first = segs(store)[0]
    with store.write() as s:
        review.approve(s, first.id, Asset.KEYFRAME, "tester", queue_video=True)
        s.execute(update(Segment).where(Segment.id == first.id).values(keyframe_state=AssetState.REVIEW))
    run_tasks(store, home, film.id)
    with store.read() as s:
        assert s.get(Segment, first.id).video_state == AssetState.STALE


async def test_the_metrics_screen_shows_the_hand_counted_figures(store, settings, forty) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "forty", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("M")
        await wait_for(pilot, lambda: isinstance(app.screen, MetricsScreen) and app.screen.metrics is not None)
        screen = app.screen

        def card(name: str) -> str:
            return str(screen.query_one(f"#card-{name}").render())

        # counted by hand: 40 first versions decided (30 approved, 10 sent back); no version beyond
        # the first has been made yet, nothing generated here (the keyframes were seeded)
        assert "75%  (30 of 40)" in card("first-time") and "75%  (30 of 40)" in card("approval")
        assert "0.00 average" in card("regenerations") and "0 in all" in card("regenerations")
        assert "0 done, 0 failed" in card("generation")
        assert screen.metrics.distribution == {"0": 40, "1": 0, "2": 0, "3": 0, "4": 0, "5+": 0}
        chart = str(screen.query_one("#chart-distribution").render()).splitlines()
        assert chart[1].split()[0] == "0" and chart[1].endswith(" 40") and chart[2].endswith(" 0")
        attention = screen.query_one("#attention-table")
        assert attention.row_count == 10  # the 10 sent back: one comment each, still open
        assert {str(attention.get_row_at(i)[3]) for i in range(10)} == {"1 comment"}
        await pilot.press("escape", "R")
        await pilot.pause(0.5)

        def rows() -> list[tuple[str, str, str]]:
            table = app.screen.query_one("#recommend-table")
            return [(str(r[2]), str(r[3]), str(r[4])) for r in (table.get_row_at(i) for i in range(table.row_count))]

        assert rows() == [("sun", "30 of 30", "100%"), ("a harbour at dawn", "30 of 40", "75%"),
                          ("fog", "0 of 10", "0%")]
        await pilot.press("w")
        await pilot.pause(0.5)
        assert rows()[0] == ("fog", "0 of 10", "0%")


# --- the review screen ------------------------------------------------------------------------
LONG = "a harbour at dawn, " + "gulls over the water, " * 12 + "the end"


@pytest.fixture
def like_another(store, home, film):  # type: ignore[no-untyped-def]
    """Segment 2 with a long prompt and a second keyframe made like segment 1's."""
    s1, s2 = segs(store)[:2]
    with store.write() as s:
        s.execute(update(Segment).where(Segment.id == s2.id).values(image_prompt=LONG))
        queue.similar(s, s2.id, Asset.KEYFRAME, "tester", source_segment_id=s1.id)
    run_tasks(store, home, film.id)
    return film


async def test_review_screen_end_key_made_from_and_file_columns(store, settings, like_another) -> None:  # type: ignore[no-untyped-def]
    long = LONG
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        assert isinstance(app.screen, ReviewScreen)
        versions = app.screen.query_one("#review-versions")
        made_from = [versions.get_cell(k, "from").plain for k in versions.rows]
        assert made_from == ["like #1 v1", "the prompt"]  # newest first
        await pilot.press("e", "end", *" X")
        area = app.screen.query_one("#prompt-image")
        assert area.text == long + " X"  # End went to the end of the prompt, not of a wrapped row


