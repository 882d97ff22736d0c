"""The review workflow's core (no UI): prompt saves and conflicts, diffs, presets,
comments, similar, variations and picks, undo/redo across a restart, lineage."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from director_tui.core import journal, prompts, queue, review
from director_tui.core.models import (
    Activity,
    Asset,
    AssetState,
    Preset,
    PromptRevision,
    Segment,
    Task,
    TaskState,
    VariationPick,
    Version,
)
from tests.conftest import reopen, run_tasks, segs

BOTH_STORES = True  # each test on SQLite and on PostgreSQL (conftest.store_kind)


def test_a_prompt_save_is_a_revision_and_a_stale_save_is_refused(store, film) -> None:  # type: ignore[no-untyped-def]
    seg = segs(store)[0]
    with store.write() as s:
        rev = prompts.save_prompt(s, seg.id, "image", "a harbour at dusk; $(rm -rf /) \"quoted\" 🌅", "tester",
                                  expected=seg.image_prompt)
        assert rev is not None
    # a colleague's editor opened the old text: the save is refused, nothing overwritten
    with store.write() as s, pytest.raises(prompts.PromptConflict) as err:
        prompts.save_prompt(s, seg.id, "image", "my version", "colleague", expected=seg.image_prompt)
    assert err.value.theirs.startswith("a harbour at dusk") and err.value.mine == "my version"
    with store.read() as s:
        assert s.get(Segment, seg.id).image_prompt == "a harbour at dusk; $(rm -rf /) \"quoted\" 🌅"
        texts = [r.text for r in prompts.revisions(s, seg.id, "image")]
    assert texts == ["a harbour at dusk; $(rm -rf /) \"quoted\" 🌅", seg.image_prompt]


def test_prompt_validation_names_the_problem(store, film) -> None:  # type: ignore[no-untyped-def]
    seg = segs(store)[0]
    for text, message in (("  ", "image prompt: empty"), ("x" * 200_001, "bytes of UTF-8, more than a generator"),
                          ("a\x00b", "NUL")):
        with store.write() as s, pytest.raises(prompts.PromptError, match=message):
            prompts.save_prompt(s, seg.id, "image", text, "tester", expected=None)
    with store.write() as s:  # 100 KB is a prompt like any other
        assert prompts.save_prompt(s, seg.id, "motion", "pan " * 25_000, "tester", expected=None) is not None


def test_word_diff_marks_added_and_removed_words() -> None:
    ops = prompts.word_diff("a harbour at dawn, mist", "a quiet harbour at dusk, mist")
    assert ops == [("=", "a"), ("+", "quiet"), ("=", "harbour at"), ("-", "dawn,"), ("+", "dusk,"), ("=", "mist")]
    assert prompts.diff_summary(ops) == "+2 −1 words"
    assert prompts.diff_summary(prompts.word_diff("same", "same")) == "no change"


def test_presets_apply_once_round_trip_through_toml_and_refuse_bad_files(store) -> None:  # type: ignore[no-untyped-def]
    assert prompts.with_preset("a harbour, ", "warm tones") == "a harbour, warm tones"
    assert prompts.with_preset("a harbour, warm tones", "Warm tones") == "a harbour, warm tones"
    with store.write() as s:
        prompts.save_preset(s, prompts.PresetData("Neon \"noir\" 🌃", "color", "neon, rain\nwet streets"), "tester")
        exported = prompts.presets_to_toml(prompts.list_presets(s))
    parsed = prompts.parse_presets_toml(exported)
    assert prompts.PresetData("Neon \"noir\" 🌃", "color", "neon, rain\nwet streets") in parsed
    with store.write() as s:
        for p in prompts.list_presets(s):
            prompts.delete_preset(s, p.id, "tester")
        assert prompts.import_presets(s, parsed, "tester") == (len(parsed), 0)
        assert prompts.import_presets(s, parsed[:2], "tester") == (0, 2)
    for text, message in (("x = [", "not valid TOML"), ("[[preset]]\nname = 'a'\n", r"preset\[1\]\.text: missing"),
                          ("[[preset]]\nname='a'\ntext='b'\ncolour='red'\n", "unknown field 'colour'"),
                          ("[[preset]]\nname='a'\ntext='b'\n[[preset]]\nname='a'\ntext='c'\n", "appears twice")):
        with pytest.raises(prompts.PromptError, match=message):
            prompts.parse_presets_toml(text, "p.toml")
    with store.write() as s, pytest.raises(prompts.PromptError, match="exists already"):
        prompts.save_preset(s, prompts.PresetData(parsed[0].name, "x", "y"), "tester")


def test_comments_tie_to_the_version_and_take_video_time_codes(store, home, film) -> None:  # type: ignore[no-untyped-def]
    seg = segs(store)[0]
    assert review.split_timecode("00:02.5 the horizon tilts") == (2.5, "the horizon tilts")
    assert review.split_timecode("@1.25 late cut") == (1.25, "late cut")
    assert review.split_timecode("10:30 is when we shoot") == (630.0, "is when we shoot")
    assert review.split_timecode("too dark") == (None, "too dark")
    with store.write() as s:
        review.add_comment(s, seg.id, "too dark; try $(dawn)", "tester", asset=Asset.KEYFRAME)
        review.approve(s, seg.id, Asset.KEYFRAME, "tester", queue_video=True)
    run_tasks(store, home, film.id)
    with store.write() as s:
        c = review.add_comment(s, seg.id, "the horizon tilts", "tester", asset=Asset.VIDEO, timecode=0.25)
        assert c.version_id == s.get(Segment, seg.id).video_version_id
        with pytest.raises(review.ReviewError, match="outside the clip"):
            review.add_comment(s, seg.id, "x", "tester", asset=Asset.VIDEO, timecode=9.0)
    with store.write() as s, pytest.raises(review.ReviewError, match="empty"):
        review.add_comment(s, seg.id, "   ", "tester")
    with store.read() as s:
        bodies = [c.body for c in review.comments(s, seg.id)]
        assert s.get(Segment, seg.id).comment_count == 2
    assert bodies == ["the horizon tilts", "too dark; try $(dawn)"]  # newest first


def test_similar_uses_the_version_as_reference_and_records_its_parent(store, home, generated_film) -> None:  # type: ignore[no-untyped-def]
    first, second = segs(store)[:2]
    with store.write() as s:
        queue.similar(s, first.id, Asset.KEYFRAME, "tester")
        task = queue.similar(s, second.id, Asset.KEYFRAME, "tester", source_segment_id=first.id)
        assert task.prompt.endswith("in the style of segment 1")
    run_tasks(store, home, generated_film.id)
    with store.read() as s:
        v1 = s.get(Version, first.keyframe_version_id)
        for seg, parent in ((first, v1), (second, v1)):
            new = s.get(Version, s.get(Segment, seg.id).keyframe_version_id)
            assert new.number == 2 and new.parent_version_id == parent.id
            assert new.reference_version_id == parent.id
    # image-to-image: the new keyframe is closer to its reference than a fresh one of the same prompt
    media = home / "media"
    with store.read() as s:
        v2 = s.get(Version, s.get(Segment, first.id).keyframe_version_id)
        other = s.get(Version, s.get(Segment, segs(store)[2].id).keyframe_version_id)
    def distance(a: Path, b: Path) -> float:
        ia, ib = Image.open(a).convert("L").resize((64, 36)), Image.open(b).convert("L").resize((64, 36))
        return sum(abs(x - y) for x, y in zip(ia.tobytes(), ib.tobytes(), strict=True)) / (64 * 36)
    assert distance(media / v2.path, media / v1.path) < distance(media / other.path, media / v1.path)


def test_variations_then_a_pick_approves_one_and_rejects_the_rest(store, home, film) -> None:  # type: ignore[no-untyped-def]
    seg = segs(store)[0]
    with store.read() as s:
        warm = s.execute(select(Preset).where(Preset.name == "Warmer color palette")).scalar_one()
        cool = s.execute(select(Preset).where(Preset.name == "Cooler color palette")).scalar_one()
    with store.write() as s:
        group, tasks = queue.variations(s, seg.id, Asset.KEYFRAME, "tester", count=3)
        assert len({t.seed for t in tasks}) == 3
        with pytest.raises(queue.QueueError, match="already queued"):
            queue.variations(s, seg.id, Asset.KEYFRAME, "tester")
    run_tasks(store, home, film.id)
    with store.write() as s:
        by_preset, _ = queue.variations(s, seg.id, Asset.KEYFRAME, "tester",
                                        presets=[(warm.id, warm.text), (cool.id, cool.text)])
    run_tasks(store, home, film.id)
    with store.read() as s:
        versions = review.group_versions(s, by_preset)
        assert [v.preset_id for v in versions] == [warm.id, cool.id]
        assert versions[1].prompt.endswith(cool.text)
        winner = versions[1]
        before_pick = s.get(Segment, seg.id).keyframe_version_id
    with store.write() as s:
        result = review.pick_variation(s, by_preset, winner.id, "tester", queue_video=True)
        assert result.queued_task is not None
    with store.read() as s:
        seg_now = s.get(Segment, seg.id)
        assert (seg_now.keyframe_version_id, seg_now.keyframe_state) == (winner.id, AssetState.APPROVED)
        assert [v.decision for v in review.group_versions(s, by_preset)] == ["rejected", "approved"]
        pick = s.execute(select(VariationPick)).scalar_one()
        assert (pick.seed, pick.preset_id, pick.candidates) == (winner.seed, cool.id, 2)
    with store.write() as s:  # undo of the pick: previous current version back, the queued clip cancelled
        journal.undo(s, film.id, "tester")
    with store.read() as s:
        seg_now = s.get(Segment, seg.id)
        assert (seg_now.keyframe_version_id, seg_now.keyframe_state) == (before_pick, AssetState.REVIEW)
        assert [v.decision for v in review.group_versions(s, by_preset)] == [None, None]
        assert s.get(Task, result.queued_task).state == TaskState.CANCELLED


def test_undo_and_redo_survive_a_restart_and_refuse_after_a_colleague(store, home, film) -> None:  # type: ignore[no-untyped-def]
    seg = segs(store)[0]
    with store.write() as s:
        review.approve(s, seg.id, Asset.KEYFRAME, "tester")
        prompts.save_prompt(s, seg.id, "motion", "slow push in", "tester", expected=seg.motion_prompt)
    store.dispose()
    store2 = reopen(store, home)  # a new instance: the journal is in the database
    try:
        with store2.write() as s:
            assert journal.peek(s, film.id, "tester")[0] == "motion prompt of segment 1"
            journal.undo(s, film.id, "tester")
            journal.undo(s, film.id, "tester")
            with pytest.raises(journal.UndoError, match="nothing to undo"):
                journal.undo(s, film.id, "tester")
        with store2.read() as s:
            now = s.get(Segment, seg.id)
            assert (now.motion_prompt, now.keyframe_state) == (seg.motion_prompt, AssetState.REVIEW)
            assert s.get(Version, seg.keyframe_version_id).decision is None
            revs = [r.text for r in prompts.revisions(s, seg.id, "motion")]
        assert revs[:2] == [seg.motion_prompt, "slow push in"]  # the undo is a revision too
        with store2.write() as s:
            journal.redo(s, film.id, "tester")  # the approval again
        with store2.write() as s:  # a colleague rejects it meanwhile: my undo must not overwrite that
            review.reject(s, seg.id, Asset.KEYFRAME, "colleague")
        with store2.write() as s, pytest.raises(journal.UndoError, match="changed since"):
            journal.undo(s, film.id, "tester")
        with store2.read() as s:
            assert s.get(Segment, seg.id).keyframe_state == AssetState.REJECTED
            kinds = [a.kind for a in s.execute(select(Activity).order_by(Activity.id)).scalars()]
        assert kinds.count("journal.undo") == 2 and kinds.count("journal.redo") == 1
        with store2.write() as s:  # a new change ends the redo chain (one that changes something:
            journal.undo(s, film.id, "colleague")  # approving the approved is none, issue 24)
            review.reject(s, seg.id, Asset.KEYFRAME, "colleague")
            with pytest.raises(journal.UndoError, match="nothing to redo"):
                journal.redo(s, film.id, "colleague")
    finally:
        store2.dispose()


def test_batch_decisions_undo_as_one(store, film) -> None:  # type: ignore[no-untyped-def]
    ids = [s.id for s in segs(store)]
    with store.write() as s:
        batch = review.decide_many(s, ids, Asset.KEYFRAME, "approved", "tester")
    assert batch.done == ids and batch.problems == [] and batch.queued == {}
    with store.write() as s:
        journal.undo(s, film.id, "tester")
    assert {seg.keyframe_state for seg in segs(store)} == {AssetState.REVIEW}


def test_a_video_knows_its_keyframe_and_goes_stale_when_another_is_approved(store, home, film) -> None:  # type: ignore[no-untyped-def]
    seg = segs(store)[0]
    with store.write() as s:
        review.approve(s, seg.id, Asset.KEYFRAME, "tester", queue_video=True)
    run_tasks(store, home, film.id)
    with store.write() as s:
        queue.enqueue(s, seg.id, Asset.KEYFRAME, "tester", regenerate=True)
    run_tasks(store, home, film.id)
    with store.write() as s:
        review.approve(s, seg.id, Asset.KEYFRAME, "tester")
    with store.read() as s:
        assert s.get(Segment, seg.id).keyframe_version_id != seg.keyframe_version_id
        now = s.get(Segment, seg.id)
        assert s.get(Version, now.video_version_id).reference_version_id == seg.keyframe_version_id
        assert now.video_state == AssetState.STALE
        revs = s.execute(select(PromptRevision).where(PromptRevision.segment_id == seg.id)).scalars().all()
        assert len(revs) == 2  # image + motion from the spec; nothing else touched the prompts
