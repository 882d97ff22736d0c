"""Decisions from the command line (cli/decide.py, cli/presets.py) on a real workspace with
versions made by the real runner: what they record, journal and report, and the exit codes
the README documents (0 done, 1 refused as things stand, 2 bad input, 3 untrusted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from director_tui.core.models import Comment, Segment, Task, Version
from tests.conftest import run_tasks
from tests.unit.test_cli_decide_unit import cli, states  # shared with its unit tier


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


def test_the_installed_command_exits_with_the_codes(store, home, film) -> None:  # type: ignore[no-untyped-def]
    """Through the real entry point, as a pipeline script calls it."""
    exe = Path(sys.executable).with_name("director-tui")
    env = {**os.environ, "DIRECTOR_HOME": str(home)}
    ok = subprocess.run([str(exe), "approve", "film", "1", "--json"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and json.loads(ok.stdout)["segments"] == [1]
    bad = subprocess.run([str(exe), "reject", "film", "1", "--version", "5"], capture_output=True, text=True, env=env)
    assert (bad.returncode, bad.stdout, bad.stderr) == (2, "", "director-tui: film: segment 1 has no keyframe v5\n")
