"""Decisions from the command line (cli/decide.py, cli/presets.py) on a real workspace with
versions made by the real runner: what they record, journal and report, and the exit codes
the README documents (0 done, 1 refused as things stand, 2 bad input, 3 untrusted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from director_tui.cli import app
from director_tui.core.models import Activity, Comment, PromptRevision, Segment, Task, Version
from tests.conftest import run_tasks

runner = CliRunner()


def cli(home: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--home", str(home), *args], input=stdin)


@pytest.fixture
def film(store, home, make_stream):  # type: ignore[no-untyped-def]
    """Four segments, each with keyframe v1 in review."""
    stream = make_stream(n=4)
    with store.write() as s:
        for seg in s.execute(select(Segment).where(Segment.stream_id == stream.id)).scalars():
            s.add(Task(stream_id=stream.id, segment_id=seg.id, asset="keyframe", prompt=seg.image_prompt, seed=1))
    run_tasks(store, home, stream.id)
    return stream


def states(store, asset: str = "keyframe") -> list[str]:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return [getattr(seg, f"{asset}_state") for seg in s.execute(select(Segment).order_by(Segment.position)).scalars()]


def test_approve_and_reject_as_the_app_does_journaled_and_in_the_timeline(store, home, film) -> None:  # type: ignore[no-untyped-def]
    r = cli(home, "approve", "film", "1,3-4", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["ok"] and out["segments"] == [1, 3, 4] and out["action"] == "approve"
    assert out["queued"] == [{"segment": p, "asset": "video"} for p in (1, 3, 4)]  # auto_queue_video, as in the app
    assert states(store) == ["approved", "review", "approved", "approved"]
    r = cli(home, "reject", "film", "2")
    assert r.exit_code == 0 and "keyframe v1 rejected" in r.output and "press r" not in r.output
    assert states(store) == ["approved", "rejected", "approved", "approved"]
    with store.read() as s:
        kinds = [(a.actor, a.kind) for a in s.execute(select(Activity).order_by(Activity.id)).scalars()]
    assert kinds.count(("tester", "version.approved")) == 3 and ("tester", "version.rejected") in kinds
    # one undo takes back the reject, the next the batch of three (and cancels their clips)
    assert cli(home, "undo", "film").exit_code == 0
    assert states(store) == ["approved", "review", "approved", "approved"]
    r = cli(home, "undo", "film", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["segments"] == [1, 3, 4]
    assert states(store) == ["review"] * 4
    with store.read() as s:
        assert {t.state for t in s.execute(select(Task).where(Task.asset == "video")).scalars()} == {"cancelled"}
    assert cli(home, "redo", "film").exit_code == 0
    assert states(store) == ["approved", "review", "approved", "approved"]


def test_version_guard_missing_things_and_refusals_have_their_exit_codes(store, home, film) -> None:  # type: ignore[no-untyped-def]
    r = cli(home, "approve", "film", "2", "--version", "1")
    assert r.exit_code == 0, r.output
    with store.write() as s:  # a colleague's new version arrives: v2 is current now
        seg = s.execute(select(Segment).where(Segment.position == 3)).scalar_one()
        v1 = s.get(Version, seg.keyframe_version_id)
        v2 = Version(segment_id=seg.id, asset="keyframe", number=2, path=v1.path, prompt="p", seed=2, generator="g",
                     width=16, height=9, size_bytes=1, checksum="0" * 64)
        s.add(v2)
        s.flush()
        seg.keyframe_version_id, seg.keyframe_state = v2.id, "review"
    refused = cli(home, "approve", "film", "3", "--version", "1")
    assert refused.exit_code == 1 and "v1 is no longer the current one; nothing recorded" in refused.output
    assert states(store)[2] == "review"
    cases = [
        (("approve", "film", "3", "--version", "7"), 2, "film: segment 3 has no keyframe v7"),
        (("approve", "film", "9"), 2, "film: segments: '9': positions run from 1 to 4"),
        (("approve", "nope", "1"), 2, "stream 'nope' not found"),
        (("approve", "film", "1-2", "--version", "1"), 2, "--version names one segment's version"),
        (("approve", "film", "1", "--asset", "clip"), 2, "--asset: 'clip' is not keyframe or video"),
        (("approve", "film", "1", "--asset", "video"), 1, "segment 1 has no video version yet"),
        (("comment", "film", "5", "hi"), 2, "film: no segment 5 (it has 4)"),
        (("comment", "film", "1", "--at", "00:01", "too fast"), 1, "a time code needs a video version"),
        (("comment", "film", "1", "--at", "soon", "x"), 2, "--at: 'soon' is not a time code"),
        (("pick", "film", "1", "1"), 1, "segment 1 has no keyframe variations"),
        (("prompt", "film", "1"), 2, "give one of --image TEXT or --motion TEXT"),
        (("prompt", "film", "1", "--image", " "), 2, "image prompt: empty"),
        (("redo", "film"), 1, "nothing to redo"),
    ]
    for args, code, message in cases:
        r = cli(home, *args)
        assert (r.exit_code, message in r.output) == (code, True), (args, r.exit_code, r.output)
        assert len(r.output.strip().splitlines()) == 1, r.output  # one line, never a traceback


def test_batch_with_a_segment_that_cannot_take_it_names_it_and_exits_1(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    stream = make_stream(n=2)
    with store.write() as s:
        first = s.execute(select(Segment).where(Segment.position == 1)).scalar_one()
        s.add(Task(stream_id=stream.id, segment_id=first.id, asset="keyframe", prompt="p", seed=1))
    run_tasks(store, home, stream.id)
    r = cli(home, "approve", "film", "all", "--json")
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["segments"] == [1] and len(out["problems"]) == 1 and "segment 2 has no keyframe" in out["problems"][0]
    assert states(store) == ["approved", "none"]


def test_undo_takes_back_the_last_change_that_happened_not_a_batch_that_changed_nothing(store, home, film) -> None:  # type: ignore[no-untyped-def]
    """Issue 24, 3: a batch every segment refused is not journaled (it failed before: undo
    said "undone: rejection of videos of 2 segments" and left #2 rejected)."""
    assert cli(home, "reject", "film", "2", "--asset", "keyframe").exit_code == 0
    r = cli(home, "reject", "film", "3,4", "--asset", "video")
    assert r.exit_code == 1, r.output  # no clips: nothing rejected
    r = cli(home, "undo", "film")
    assert r.exit_code == 0 and "undone: rejection of segment 2's keyframe" in r.output, r.output
    assert states(store) == ["review"] * 4
    r = cli(home, "redo", "film")  # the redo chain is the reject's, not ended by the batch
    assert r.exit_code == 0 and states(store)[1] == "rejected", r.output


def test_a_cancelled_regeneration_leaves_the_row_as_it_was(store, home, film) -> None:  # type: ignore[no-untyped-def]
    """Issue 24, 4: `regen` then `cancel --all` left the row `↻ regen` with nothing queued
    and the clip stale (fails without queue.put_back_after_cancel)."""
    assert cli(home, "regen", "film", "--segments", "2").exit_code == 0
    assert states(store)[1] == "regenerate"
    assert cli(home, "cancel", "film", "--all").exit_code == 0
    assert states(store) == ["review"] * 4
    with store.read() as s:
        v1 = s.execute(select(Version).join(Segment, Segment.keyframe_version_id == Version.id)
                       .where(Segment.position == 2)).scalar_one()
    assert v1.decision is None
    # an approved keyframe with its clip: regenerating the keyframe makes the clip stale; the
    # cancel makes it what it was (in review), the keyframe still approved
    assert cli(home, "approve", "film", "1").exit_code == 0
    run_tasks(store, home, film.id)
    assert states(store, "video")[0] == "review"
    assert cli(home, "regen", "film", "--segments", "1").exit_code == 0
    assert states(store, "video")[0] == "stale" and states(store)[0] == "approved"
    assert cli(home, "cancel", "film", "--all").exit_code == 0
    assert states(store, "video")[0] == "review" and states(store)[0] == "approved"
    # a row changed since the regeneration is left as it is: the cancel puts back only
    # what the regeneration itself did
    assert cli(home, "regen", "film", "--segments", "3").exit_code == 0
    assert cli(home, "approve", "film", "3").exit_code == 0  # approves v1 despite the regeneration asked
    assert cli(home, "cancel", "film", "--all").exit_code == 0
    assert states(store)[2] == "approved"


def test_a_running_regeneration_cancelled_leaves_the_row_as_it_was(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import PY, cancel_once_running, gen, spec_dict
    from tests.seed import seed_keyframes

    stream = make_stream(spec_dict(1, generators={"keyframe": {"command": [PY, gen("hang.py"), "{output}"]}}))
    seed_keyframes(store, home, stream.id)
    assert cli(home, "regen", "film", "--segments", "1").exit_code == 0
    assert states(store) == ["regenerate"]
    cancel_once_running(store, home, stream.id, lambda runner: bool(runner.running))
    with store.read() as s:
        assert s.execute(select(Task.state).order_by(Task.id.desc())).scalars().first() == "cancelled"
    assert states(store) == ["review"]


def test_comments_and_prompts_keep_hostile_text_exactly(store, home, film) -> None:  # type: ignore[no-untyped-def]
    hostile = 'the horizon tilts; $(rm -rf ~) `id` "quoted" \'single\' 🎬 \\n ' + "é" * 10
    assert cli(home, "comment", "film", "2", hostile).exit_code == 0
    long_text = "a long note " * 8000  # ~100 KB, through standard input
    r = cli(home, "comment", "film", "2", "-", "--version", "1", "--json", stdin=long_text)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["version"] == 1
    with store.read() as s:
        bodies = [c.body for c in s.execute(select(Comment).order_by(Comment.id)).scalars()]
    assert bodies == [hostile.strip(), long_text.strip()]
    r = cli(home, "prompt", "film", "3", "--image", hostile)
    assert r.exit_code == 0 and "image prompt saved" in r.output
    # the same conflict check as the editor: the text it started from is no longer there
    r = cli(home, "prompt", "film", "3", "--image", "mine", "--expect", "a harbour at dawn, shot 3")
    assert r.exit_code == 1 and "changed elsewhere" in r.output
    r = cli(home, "prompt", "film", "3", "--motion", "-", stdin="slow dolly in\n")
    assert r.exit_code == 0
    with store.read() as s:
        seg = s.execute(select(Segment).where(Segment.position == 3)).scalar_one()
        revisions = [(p.field, p.author) for p in s.execute(select(PromptRevision)).scalars()]
    assert seg.image_prompt == hostile and seg.motion_prompt == "slow dolly in\n"
    assert ("image", "tester") in revisions and ("motion", "tester") in revisions
    assert cli(home, "prompt", "film", "3", "--image", hostile).output.strip().endswith("image prompt unchanged")


def test_a_clip_comment_at_a_time_code(store, home, film) -> None:  # type: ignore[no-untyped-def]
    assert cli(home, "approve", "film", "1").exit_code == 0  # its clip queued
    with store.read() as s:
        stream_id = s.execute(select(Segment.stream_id)).scalars().first()
    run_tasks(store, home, stream_id)
    again = cli(home, "approve", "film", "1", "--json")  # its clip was made from this keyframe: no second one
    assert again.exit_code == 0 and json.loads(again.output)["queued"] == []
    with store.read() as s:
        assert len(s.execute(select(Task).where(Task.asset == "video")).all()) == 1
    r = cli(home, "comment", "film", "1", "--at", "00:00.3", "too fast here")
    assert r.exit_code == 0 and "comment added at 00:00.3" in r.output
    r = cli(home, "comment", "film", "1", "--at", "00:09", "past the end")
    assert r.exit_code == 1 and "outside the clip" in r.output
    with store.read() as s:
        c = s.execute(select(Comment)).scalar_one()
    assert (c.timecode, c.body) == (0.3, "too fast here")


def test_vary_then_pick(store, home, film) -> None:  # type: ignore[no-untyped-def]
    r = cli(home, "vary", "film", "2", "-n", "3", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["group"] and len(out["queued"]) == 1
    r = cli(home, "pick", "film", "2", "1")
    assert r.exit_code == 1 and "variation 1 is not made yet" in r.output
    run_tasks(store, home, film.id)
    assert cli(home, "pick", "film", "2", "4").exit_code == 2
    r = cli(home, "pick", "film", "2", "2", "--json")
    assert r.exit_code == 0, r.output
    with store.read() as s:
        seg = s.execute(select(Segment).where(Segment.position == 2)).scalar_one()
        group = [v for v in s.execute(select(Version).where(Version.variation_group == out["group"])
                                      .order_by(Version.task_id)).scalars()]
    assert [v.decision for v in group] == ["rejected", "approved", "rejected"]
    assert seg.keyframe_version_id == group[1].id and seg.keyframe_state == "approved"


def test_presets_list_add_apply_and_undo(store, home, film) -> None:  # type: ignore[no-untyped-def]
    r = cli(home, "preset", "add", "Harbour fog", "--text", "thin sea fog", "--category", "lighting")
    assert r.exit_code == 0, r.output
    assert cli(home, "preset", "add", "Harbour fog", "--text", "x").exit_code == 2
    names = [p["name"] for p in json.loads(cli(home, "preset", "list", "--json").output)]
    assert "Harbour fog" in names
    r = cli(home, "preset", "apply", "film", "1-2", "Harbour fog", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["segments"] == [1, 2]
    with store.read() as s:
        prompts = [seg.image_prompt for seg in s.execute(select(Segment).order_by(Segment.position)).scalars()]
    assert all("thin sea fog" in p for p in prompts[:2]) and "thin sea fog" not in prompts[2]
    assert cli(home, "preset", "apply", "film", "1", "Nope").exit_code == 2
    assert cli(home, "undo", "film").exit_code == 0
    with store.read() as s:
        assert not any("thin sea fog" in seg.image_prompt for seg in s.execute(select(Segment)).scalars())


def test_vary_needs_trust_exit_3(store, home, make_stream, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gens = {"keyframe": {"command": [sys.executable, str(tmp_path / "gen.py"), "{output}"]}}
    make_stream(generators=gens, trusted=False, n=1)
    r = cli(home, "vary", "film", "1")
    assert r.exit_code == 3 and "trust" in r.output
    with store.read() as s:
        assert s.execute(select(Task)).first() is None  # nothing queued for what cannot run


def test_the_installed_command_exits_with_the_codes(store, home, film) -> None:  # type: ignore[no-untyped-def]
    """Through the real entry point, as a pipeline script calls it."""
    exe = Path(sys.executable).with_name("director-tui")
    env = {**os.environ, "DIRECTOR_HOME": str(home)}
    ok = subprocess.run([str(exe), "approve", "film", "1", "--json"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and json.loads(ok.stdout)["segments"] == [1]
    bad = subprocess.run([str(exe), "reject", "film", "1", "--version", "5"], capture_output=True, text=True, env=env)
    assert (bad.returncode, bad.stdout, bad.stderr) == (2, "", "director-tui: film: segment 1 has no keyframe v5\n")
