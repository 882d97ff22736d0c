"""The review workflow in the real app (Pilot), on a real workspace with real generators."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.widgets import DataTable, TextArea

from director_tui.core import queue
from director_tui.core.models import (
    Asset,
    AssetState,
    Comment,
    PromptRevision,
    Segment,
    Task,
    VariationPick,
    Version,
)
from director_tui.ui.app import make_app
from director_tui.ui.screens.compare import CompareScreen
from director_tui.ui.screens.conflict import ConflictScreen
from director_tui.ui.screens.presets import PresetForm, PresetsScreen
from director_tui.ui.screens.review import ReviewScreen
from director_tui.ui.screens.variations import VariationScreen
from director_tui.ui.widgets.prompt_diff import PromptDiff
from director_tui.ui.widgets.quick_edit import QuickEdit
from tests.conftest import PY, SIZE, cell, gen, run_tasks, segs, wait_for


@pytest.fixture
def with_clip(store, home, film):  # type: ignore[no-untyped-def]
    """Segment 1's keyframe approved and its clip made."""
    from director_tui.core import review

    with store.write() as s:
        review.approve(s, segs(store)[0].id, Asset.KEYFRAME, "tester", queue_video=True)
    run_tasks(store, home, film.id)
    return film


@pytest.fixture
def two_keyframes(store, home, film):  # type: ignore[no-untyped-def]
    """Segment 1 has keyframe v1 and v2 (v2 from an edited prompt)."""
    from director_tui.core import prompts

    s1 = segs(store)[0]
    with store.write() as s:
        prompts.save_prompt(s, s1.id, "image", "a harbour at dusk, storm", "tester", expected=None)
        queue.enqueue(s, s1.id, Asset.KEYFRAME, "tester", regenerate=True)
    run_tasks(store, home, film.id)
    return film


@pytest.fixture
def two_clips(store, home, with_clip):  # type: ignore[no-untyped-def]
    with store.write() as s:
        queue.enqueue(s, segs(store)[0].id, Asset.VIDEO, "tester", regenerate=True)
    run_tasks(store, home, with_clip.id)
    return with_clip


def prompt_of(store, seg_id: int, field: str = "image") -> str:  # type: ignore[no-untyped-def]
    with store.read() as s:
        seg = s.get(Segment, seg_id)
        return seg.image_prompt if field == "image" else seg.motion_prompt


async def test_quick_edit_saves_a_revision_shows_the_diff_and_esc_cancels(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1, s2 = segs(store)[:2]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "e")
        edit = app.query_one(QuickEdit)
        assert edit.display and edit.segment_id == s2.id
        await pilot.press("end", *" at night", "space")
        await pilot.press(*"rain")
        assert "+3 −0 words" in str(app.query_one("#quick-edit-diff", PromptDiff).render())
        await pilot.press("enter")
        assert not edit.display
        assert prompt_of(store, s2.id) == s2.image_prompt + " at night rain"
        await pilot.press("e", *"xyz", "escape")
        assert prompt_of(store, s2.id) == s2.image_prompt + " at night rain"
        await pilot.press("l", "e", "ctrl+u", *"slow dolly left", "enter")  # video column: the motion prompt
        assert prompt_of(store, s2.id, "motion") == "slow dolly left"
    with store.read() as s:
        revs = s.execute(select(PromptRevision.field).where(PromptRevision.segment_id == s2.id)).scalars().all()
    assert sorted(revs) == ["image", "image", "motion", "motion"]
    assert prompt_of(store, s1.id) == s1.image_prompt


async def test_a_save_over_another_instances_change_shows_both_texts(store, settings, home, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "end", *" mine")
        # meanwhile a colleague's instance (another process) saves the same prompt
        subprocess.run([PY, gen("save_prompt.py"), str(home), str(s1.id), "image", "theirs: a harbour"],
                       check=True, timeout=60)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConflictScreen))
        shown = " ".join(str(w.render()) for w in app.screen.query(".conflict-text"))
        assert "theirs: a harbour" in shown and s1.image_prompt + " mine" in shown
        assert prompt_of(store, s1.id) == "theirs: a harbour"  # nothing overwritten
        await pilot.press("e")  # edit mine again, now against theirs
        edit = app.query_one(QuickEdit)
        assert edit.display and edit.original == "theirs: a harbour"
        await pilot.press("enter")
        assert prompt_of(store, s1.id) == s1.image_prompt + " mine"


async def test_E_edits_the_prompt_in_a_real_editor(store, settings, film, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    monkeypatch.setenv("EDITOR", f"{PY} {gen('edit_prompt.py')}")
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        await wait_for(pilot, lambda: prompt_of(store, s1.id) != s1.image_prompt)
        monkeypatch.setenv("EDITOR", "no-such-editor-xyz")
        await pilot.press("E")
        assert any("editor not found: 'no-such-editor-xyz'" in str(n.message) for n in app._notifications)
    assert prompt_of(store, s1.id) == s1.image_prompt + ", edited in vim; \"quoted\" $(x) 🌧"


async def test_comments_from_the_table_and_the_review_screen(store, settings, with_clip) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", *"too dark", "enter")
        assert "💬" in cell(app, s1.id, "note")
        await pilot.press("l", "c", *"00:00.3 the horizon tilts", "enter")
        await pilot.press("c", *"00:09.0 past the end", "enter")  # refused: the box stays open with the text
        assert app.main_screen.query_one("#prompt-line").display
        await pilot.press("escape", "enter")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("c", *"from the review screen", "enter")
        listed = str(app.screen.query_one("#review-comments").render())
        assert listed.index("from the review screen") < listed.index("the horizon tilts") < listed.index("too dark")
        assert "tester" in listed and "@00:00.3" in listed
    with store.read() as s:
        rows = s.execute(select(Comment).order_by(Comment.id)).scalars().all()
        seg = s.get(Segment, s1.id)
    assert [(c.body, c.timecode) for c in rows] == [("too dark", None), ("the horizon tilts", 0.3),
                                                    ("from the review screen", None)]
    assert rows[1].version_id == seg.video_version_id and rows[0].version_id == seg.keyframe_version_id


async def test_review_screen_edits_prompts_decides_and_follows_the_next_segment(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1, s2 = segs(store)[:2]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.segment_id == s1.id
        assert screen.query_one(".preview-image") is not None  # the keyframe, drawn in the terminal
        await pilot.press("e", "end", *" fog")
        assert "unsaved" in str(screen.query_one("#diff-image").render())
        await pilot.press("ctrl+s")
        assert prompt_of(store, s1.id) == s1.image_prompt + " fog"
        assert "saved" in str(screen.query_one("#diff-image").render())
        await pilot.press("escape", "space")  # leave the prompt, approve
        assert screen.segment_id == s2.id  # on to the next waiting for review
        assert "approved" in cell(app, s1.id, "keyframe")
        await pilot.press("n", "l")  # the next segment, its video: the table's cursor and column follow
        await pilot.pause()
        assert screen.segment_id == segs(store)[2].id and screen.asset == Asset.VIDEO
        await pilot.press("escape")
        assert not isinstance(app.screen, ReviewScreen)
        main = app.main_screen
        assert main.table.current.id == segs(store)[2].id and main.asset == Asset.VIDEO


async def test_compare_side_by_side_with_flicker(store, settings, two_keyframes) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.sides is not None,
                       timeout=10)  # (read off the loop)
        screen = app.screen
        assert isinstance(screen, CompareScreen) and (screen.a.number, screen.b.number) == (1, 2)
        diff = str(screen.query_one("#compare-diff").render())
        assert "storm" in diff and "seed" in str(screen.query_one("#compare-seeds").render())
        assert len(screen.query(".preview-image")) == 2
        await pilot.press("f")
        assert screen.flicker_on == "A" and not screen.query_one("#compare-pair").display
        await pilot.press("f")
        assert screen.flicker_on == "B"
        await pilot.press("b")
        assert screen.query_one("#compare-pair").display
        await pilot.press("escape", "enter", "m", "j", "C")  # picked in the review screen's version list
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.sides is not None,
                       timeout=10)
        assert isinstance(app.screen, CompareScreen) and {app.screen.a.number, app.screen.b.number} == {1, 2}


async def test_compare_clips_plays_them_side_by_side(store, settings, two_clips, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from director_tui.media.ffmpeg import probe

    record = tmp_path / "played.jsonl"
    monkeypatch.setenv("PLAYER_RECORD", str(record))
    app = make_app(settings, store, "film", start_runner=False)  # a player that is not mpv
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l", "C")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.sides is not None,
                       timeout=10)  # (which two, and a clip's still, are found off the loop)
        await pilot.press("o")
        await wait_for(pilot, lambda: record.exists() and record.read_text().strip() != "")
    played = Path(json.loads(record.read_text().splitlines()[0])[0])
    info = probe(played)
    assert info.kind == "video" and info.width > info.height * 3  # two 16:9 clips side by side


async def test_presets_apply_to_marked_segments_and_undo_as_one(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1, s2, s3 = segs(store)[:3]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x", "x", "P")
        screen = app.screen
        assert isinstance(screen, PresetsScreen) and screen.segment_ids == [s1.id, s2.id]
        table = screen.query_one(DataTable)
        warm = next(k for k, n in screen.names.items() if n == "Warmer color palette")
        table.move_cursor(row=table.get_row_index(str(warm)))
        await pilot.press("enter")
        assert not isinstance(app.screen, PresetsScreen)
        for seg in (s1, s2):
            assert prompt_of(store, seg.id).endswith(", warm color palette, amber and orange tones")
        assert prompt_of(store, s3.id) == s3.image_prompt
        with store.read() as s:
            assert s.execute(select(PromptRevision.preset_id).where(PromptRevision.segment_id == s1.id)
                             .order_by(PromptRevision.id.desc())).scalars().first() == warm
        await pilot.press("u")
        assert (prompt_of(store, s1.id), prompt_of(store, s2.id)) == (s1.image_prompt, s2.image_prompt)
        await pilot.press("ctrl+r")
        assert prompt_of(store, s2.id).endswith("orange tones")


async def test_presets_create_edit_delete(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P", "n")
        assert isinstance(app.screen, PresetForm)
        await pilot.press(*"Rainy", "tab", *"weather", "tab", *"heavy rain, wet reflections", "enter")
        screen = app.screen
        assert isinstance(screen, PresetsScreen) and "Rainy" in screen.names.values()
        rainy = next(k for k, n in screen.names.items() if n == "Rainy")
        table = screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(str(rainy)))
        await pilot.press("e", "tab", "tab", "ctrl+u", *"drizzle", "enter")
        assert screen.texts[rainy] == "drizzle"
        await pilot.press("D")
        assert rainy in screen.names  # armed, not deleted
        await pilot.press("D")
        assert rainy not in screen.names


async def test_similar_and_similar_to_another_segment(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1, s2 = segs(store)[:2]
    app = make_app(settings, store, "film")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "colon", *"similar 1", "enter", "k", "s")
        await wait_for(pilot, lambda: all("v2" in cell(app, seg.id, "keyframe") for seg in (s1, s2)))
    with store.read() as s:
        for seg in (s1, s2):
            v = s.get(Version, s.get(Segment, seg.id).keyframe_version_id)
            assert v.number == 2 and v.parent_version_id == s1.keyframe_version_id
        assert v.prompt.endswith("in the style of segment 1")


async def test_variations_fill_a_grid_live_and_a_number_picks(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    app = make_app(settings, store, "film")  # with the runner
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, VariationScreen)
        await wait_for(pilot, lambda: len(screen.cells) == 3 and all(v for _, v in screen.cells))
        assert len(screen.query(".preview-image")) == 3
        await pilot.press("2")
        assert not isinstance(app.screen, VariationScreen)
        winner = screen.cells[1][1]
    with store.read() as s:
        seg = s.get(Segment, s1.id)
        assert (seg.keyframe_version_id, seg.keyframe_state) == (winner, AssetState.APPROVED)
        pick = s.execute(select(VariationPick)).scalar_one()
        decisions = s.execute(select(Version.decision).where(Version.variation_group == pick.variation_group)
                              .order_by(Version.task_id)).scalars().all()
        assert decisions == ["rejected", "approved", "rejected"] and pick.version_id == winner
        assert len(s.execute(select(Task).where(Task.variation_group == pick.variation_group)).all()) == 3


async def test_undo_after_a_restart(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        assert "approved" in cell(app, s1.id, "keyframe")
    app = make_app(settings, store, "film", start_runner=False)  # a new session
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")
        assert "review" in cell(app, s1.id, "keyframe")
        assert isinstance(app.screen.focused, DataTable) and not isinstance(app.screen.focused, TextArea)
    assert segs(store)[0].keyframe_state == AssetState.REVIEW


async def test_review_screen_warns_once_on_unsaved_prompts_and_still_saves(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "e", "end", *" haze", "escape", "escape")  # leave the field, warned
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("ctrl+s")  # the warning did not throw the edit away
        assert prompt_of(store, s1.id) == s1.image_prompt + " haze"
        await pilot.press("escape")
        assert not isinstance(app.screen, ReviewScreen)


async def test_presets_chosen_for_variations_queue_one_each_and_open_the_grid(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1 = segs(store)[0]
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P", "space", "j", "space", "a")  # two presets chosen, one variation each
        await wait_for(pilot, lambda: isinstance(app.screen, VariationScreen), timeout=10)
    with store.read() as s:
        tasks = list(s.execute(select(Task).where(Task.segment_id == s1.id)).scalars())
    assert len(tasks) == 2 and len({t.preset_id for t in tasks}) == 2 and all(t.preset_id for t in tasks)
    assert len({t.variation_group for t in tasks}) == 1
