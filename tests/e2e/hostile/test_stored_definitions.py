"""A generator definition written into the store unchecked (issue 25, 2): anyone who can
write the store can put `[1, 2]`, `{"pace_s": "slow"}` or text that is not JSON where a
stream's definition goes. It is checked when read exactly as at import: that stream gets
one line naming the field, nothing of it runs, and every other stream keeps running.

Before the fix `work --all` looped forever on such a stream, `regen --wait` hung or printed
a traceback, and `export-spec` printed a traceback (not JSON) or exported it as a spec."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from director_tui.cli import app as cli_app
from director_tui.core import queue
from director_tui.core.models import Stream, Task, TaskState
from tests.conftest import PY, spec_dict

runner = CliRunner()
BAD = {
    "a list": ("[1, 2]", "generators: must be an object in the store"),
    "a word for a number": ('{"keyframe": {"pace_s": "slow"}}', "generators.keyframe.pace_s: must be a number"),
    "not JSON": ("not json", "generators: not valid JSON in the store"),
    "no output": ('{"keyframe": {"command": ["touch", "x"]}}', "generators.keyframe.command: must contain {output}"),
    "an unknown asset": ('{"sound": {"command": ["x", "{output}"]}}', "generators.sound: unknown asset"),
}


def cli(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli_app, ["--home", str(home), *args])


@pytest.fixture
def two_streams(store, make_stream):  # type: ignore[no-untyped-def]
    """`film` (its keyframes queued) and `good` (one queued), both with the built-in generator."""
    film = make_stream(spec_dict(2))
    good = make_stream({**spec_dict(1), "stream": "good"})
    with store.write() as s:
        queue.queue_missing_keyframes(s, film.id, "colleague")
        queue.queue_missing_keyframes(s, good.id, "colleague")
    return film, good


def break_definition(store, stream_id: int, text: str) -> None:  # type: ignore[no-untyped-def]
    with store.write() as s:
        s.execute(update(Stream).where(Stream.id == stream_id).values(generators_json=text))


@pytest.mark.parametrize("case", list(BAD))
def test_each_command_says_what_is_wrong_in_one_line(store, home, two_streams, case) -> None:  # type: ignore[no-untyped-def]
    text, why = BAD[case]
    film, _good = two_streams
    break_definition(store, film.id, text)
    status = cli(home, "status", "film")
    assert status.exit_code == 0 and why in status.output and "Traceback" not in status.output
    as_json = cli(home, "status", "film", "--json")
    assert as_json.exit_code == 0 and why in as_json.output
    for args in (("trust", "film", "--yes"), ("export-spec", "film"), ("regen", "film", "--segments", "1", "--wait")):
        done = cli(home, *args)
        assert done.exit_code == 2, (args, done.output)
        assert why in done.output and "import its spec again" in done.output, (args, done.output)
        assert done.exception is None or isinstance(done.exception, SystemExit), (args, done.exception)


def test_work_all_runs_the_other_streams_and_ends(store, home, two_streams) -> None:  # type: ignore[no-untyped-def]
    film, good = two_streams
    break_definition(store, film.id, BAD["a word for a number"][0])
    env = {**os.environ, "DIRECTOR_HEARTBEAT_STALE_S": "5"}
    started = time.monotonic()
    done = subprocess.run([PY, "-m", "director_tui", "--home", str(home), "work", "--all", "--until-idle"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 60
    said = (done.stdout + done.stderr).count("generators.keyframe.pace_s: must be a number")
    assert said == 1, done.stdout + done.stderr  # one line, not one per round
    assert "Traceback" not in done.stderr
    with store.read() as s:
        states = {(t.stream_id, t.state) for t in s.execute(select(Task)).scalars()}
    assert states == {(good.id, TaskState.SUCCEEDED), (film.id, TaskState.QUEUED)}  # film's wait, untouched
