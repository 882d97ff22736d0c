"""Bad input (issue 14, 4): malformed or hostile specs, preset files and databases get one
line naming what is wrong and where, exit 2, and nothing is created or changed; what the
CLI prints of others' text cannot drive the terminal."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from director_tui.cli import app as cli_app
from tests.conftest import spec_dict

runner = CliRunner()


def cli(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli_app, ["--home", str(home), *args])


def deep(levels: int) -> dict[str, Any]:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    data = spec_dict(1)
    data["segments"][0]["motion_prompt"] = value
    return data


BIG_PROMPT = "a harbour at dawn, " * 7000  # 133,000 bytes: over one argument's 128 KiB


BAD_SPECS: dict[str, tuple[bytes, str]] = {
    "duplicate key": (b'{"stream": "film", "segments": [{"image_prompt": "a", "image_prompt": "b"}]}',
                      "duplicate key 'image_prompt' in one object (line 1): each key may appear once"),
    "nested 100 deep (JSON)": (json.dumps(deep(100)).encode(), "nested deeper than 16 levels: not a spec"),
    "nested 100,000 deep (JSON)": (b'{"stream": "film", "segments": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                                   "nested deeper than 16 levels: not a spec"),
    "nested 5,000 deep (TOML)": (b'stream = "film"\nsegments = ' + b"[" * 5000 + b"]" * 5000 + b"\n",
                                 "not a spec"),
    "duration 1e308": (json.dumps({"stream": "film", "segments": [{"image_prompt": "a", "duration": 1e308}]}).encode(),
                       "segments[0].duration: must be greater than 0 and at most 600"),
    "duration NaN": (b'{"stream": "film", "segments": [{"image_prompt": "a", "duration": NaN}]}',
                     "segments[0].duration: must be greater than 0 and at most 600, not nan"),
    "width of 5,000 digits": (b'{"stream": "film", "width": ' + b"9" * 5000 + b', "segments": [{"image_prompt": "a"}]}',
                              "invalid JSON"),
    "concurrency 10**9": (json.dumps(spec_dict(1, generators={"keyframe": {"concurrency": 10**9}})).encode(),
                          "generators.keyframe.concurrency: must be a whole number from 1 to 64"),
    "prompt of 133 KB": (json.dumps({"stream": "film", "segments": [{"image_prompt": BIG_PROMPT}]}).encode(),
                         "segments[0].image_prompt: too long: 133,000 bytes of UTF-8; a generator is handed at most 131,008"),
    "not UTF-8": (b'{"stream": "film", "segments": [{"image_prompt": "caf\xe9"}]}', "not UTF-8 text (byte 53)"),
    "NUL byte in the file": (b'{"stream": "film",\n "segments": [{"image_prompt": "a\x00"}]}',
                             "contains a NUL byte (line 2): not a text spec"),
    "NUL escaped in a prompt": (b'{"stream": "film", "segments": [{"image_prompt": "a\\u0000b"}]}',
                                "segments[0].image_prompt: contains a NUL character (at character 1)"),
    "NUL in a command": (json.dumps(spec_dict(1, generators={"keyframe": {"command": ["gen\x00", "{output}"]}})).encode(),
                         "generators.keyframe.command[0]: contains a NUL character"),
    "title of 5,000 characters": (json.dumps({"stream": "film", "title": "T" * 5000,
                                              "segments": [{"image_prompt": "a"}]}).encode(),
                                  "title: too long (5,000 characters, at most 1,000)"),
    "slug ../x": (b'{"stream": "../x", "segments": [{"image_prompt": "a"}]}', "stream: '../x' is not a valid slug"),
    "top level a list": (b"[1, 2]", "the top level must be an object/table"),
    # issue 25: lone surrogates (JSON's \\ud800) were stored, then crashed status, regen, trust, work
    "lone surrogate in a command": (b'{"stream": "film", "segments": [{"image_prompt": "a"}], "generators": '
                                    b'{"keyframe": {"command": ["echo", "\\ud800", "{output}"]}}}',
                                    "generators.keyframe.command[1]: not valid Unicode (a lone surrogate at character 1)"),
    "lone surrogate in a title": (b'{"stream": "film", "title": "F\\udfff", "segments": [{"image_prompt": "a"}]}',
                                  "title: not valid Unicode (a lone surrogate at character 2)"),
    "lone surrogate in a key": (b'{"stream": "film", "segments": [{"image_prompt": "a", "\\ud800": 1}]}',
                                "segments[0]: a key that is not valid Unicode"),
    "slug with a newline": (b'{"stream": "film\\n", "segments": [{"image_prompt": "a"}]}', "is not a valid slug"),
    # issue 25: a colleague's prompt `'; touch /tmp/x; #` spliced into a shell script ran as a command
    "{prompt} in sh -c": (json.dumps(spec_dict(1, generators={"keyframe": {"command": [
        "sh", "-c", "gen '{prompt}' {output}"]}})).encode(), "generators.keyframe.command[2]: {prompt} inside sh -c code"),
    "{prompt} in env python3 -c": (json.dumps(spec_dict(1, generators={"keyframe": {"command": [
        "/usr/bin/env", "python3", "-c", "print('{prompt}')", "{output}"]}})).encode(),
        "generators.keyframe.command[3]: {prompt} inside python -c code"),
}


def make_workspace(home: Path, tmp_path: Path) -> None:
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(spec_dict(2)))
    assert cli(home, "import", str(spec)).exit_code == 0


def damage(home: Path, how: str) -> None:
    db = home / "director.db"
    con = sqlite3.connect(db)  # everything into the main file first (the WAL would hide damage)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    if how == "not a database":
        db.write_bytes(b"these are someone's shopping notes\n" * 100)
    elif how == "zero bytes beside a WAL":
        con = sqlite3.connect(db)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA wal_autocheckpoint=0")
        con.execute("INSERT INTO activity (stream_id, actor, kind, detail, created_at) "
                    "VALUES (1, 'x', 'x', '{}', '2026-01-01')")
        con.commit()
        wal = db.with_name("director.db-wal").read_bytes()
        con.close()
        db.write_bytes(b"")
        db.with_name("director.db-wal").write_bytes(wal)
    elif how == "overwritten pages":
        data = bytearray(db.read_bytes())
        page = int.from_bytes(data[16:18], "big") or 65536
        for start in range(page, len(data), page):  # every page but the first: the schema stays readable
            data[start:start + page] = os.urandom(min(page, len(data) - start))
        db.write_bytes(bytes(data))
    elif how == "truncated":
        db.write_bytes(db.read_bytes()[:1000])


HUGE = str(2**63)  # one past what a store column holds: an OverflowError traceback in the driver before


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_a_bad_spec_is_one_line_exit_2_and_creates_nothing(home, tmp_path, case) -> None:  # type: ignore[no-untyped-def]
    raw, expected = BAD_SPECS[case]
    spec = tmp_path / ("spec.toml" if "TOML" in case else "spec.json")
    spec.write_bytes(raw)
    r = cli(home, "import", str(spec))
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"director-tui: {spec}"), r.output
    assert expected in lines[0], lines[0]
    assert "no streams yet" in cli(home, "list").output


def test_a_prompt_just_under_the_limit_is_taken(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"stream": "film", "segments": [{"image_prompt": "é" * 65_000}]}))  # 130,000 bytes
    assert cli(home, "import", str(spec)).exit_code == 0


@pytest.mark.parametrize("how", ["not a database", "zero bytes beside a WAL", "overwritten pages", "truncated"])
def test_a_damaged_database_is_one_line_and_never_a_new_workspace(home, tmp_path, how) -> None:  # type: ignore[no-untyped-def]
    make_workspace(home, tmp_path)
    damage(home, how)
    before = (home / "director.db").read_bytes()
    for command in (["status", "film"], ["list"], ["open", "film"], ["regen", "film"]):
        r = cli(home, *command)
        assert r.exit_code == 2, (how, command, r.output)
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and "director.db: damaged" in lines[0] and "restore it from a backup" in lines[0], \
            (how, command, r.output)
    assert (home / "director.db").read_bytes() == before  # untouched, not made a new workspace


def test_what_the_cli_prints_of_others_text_cannot_drive_the_terminal(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    evil = "Shot\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J one"
    data = spec_dict(1)
    data["title"] = evil
    data["segments"][0]["title"] = evil
    data["segments"][0]["image_prompt"] = f"a harbour, {evil}, more words"
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(data))
    assert cli(home, "import", str(spec)).exit_code == 0
    for command in (["list"], ["status", "film"], ["activity", "film"], ["metrics", "film"]):
        out = cli(home, *command).output
        assert "\x1b" not in out and "\x07" not in out, (command, out)
    assert "Shot\\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[2J one" in cli(home, "status", "film").output


def test_text_that_is_not_unicode_is_refused_by_every_operation(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    """What the app and the CLI write goes through these: a lone surrogate is one line each."""
    from director_tui.core import operations, prompts
    from director_tui.core.prompts import PromptError
    from director_tui.core.review import ReviewError
    from tests.conftest import segs
    from tests.seed import seed_keyframes

    stream = make_stream(n=1)
    seed_keyframes(store, home, stream.id)
    [seg] = segs(store)
    with store.write() as s, pytest.raises(ReviewError, match="comment: not valid Unicode"):
        operations.comment(s, seg.id, "keyframe", "tester", "too dark \udcff")
    with store.write() as s, pytest.raises(ReviewError, match="not valid Unicode"):
        operations.send_back(s, seg.id, "keyframe", "tester", "warmer \ud800")
    with pytest.raises(PromptError, match="image prompt: not valid Unicode"):
        prompts.check_prompt("a harbour \ud800", "image")


def test_a_log_without_its_database_is_not_a_new_workspace(home) -> None:  # type: ignore[no-untyped-def]
    home.mkdir(parents=True, exist_ok=True)
    wal = home / "director.db-wal"
    wal.write_bytes(b"\x37\x7f\x06\x82" + os.urandom(4000))  # a write-ahead log's changes, its database gone
    for command in (["list"], ["new", "film"], ["open", "film"]):
        r = cli(home, *command)
        lines = r.output.strip().splitlines()
        assert r.exit_code == 2 and len(lines) == 1, (command, r.output)
        assert "director.db: missing, but director.db-wal" in lines[0] and "restore director.db from a backup" in lines[0]
    assert not (home / "director.db").exists() and wal.stat().st_size == 4004


def test_a_schema_newer_than_this_program_is_one_line(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    make_workspace(home, tmp_path)
    db = home / "director.db"
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    before = db.read_bytes()
    for command in (["list"], ["approve", "film", "1"], ["open", "film"]):
        r = cli(home, *command)
        lines = r.output.strip().splitlines()
        assert r.exit_code == 2 and len(lines) == 1, (command, r.output)
        assert "its schema (0099_from_the_future) is newer than this program knows" in lines[0]
        assert "upgrade director-tui" in lines[0]
    assert db.read_bytes() == before


@pytest.mark.parametrize("args", [("cancel", "film", HUGE), ("restore", "film", "1", HUGE),
                                  ("approve", "film", "1", "--version", HUGE), ("comment", "film", HUGE, "hi"),
                                  ("cleanup", "film", "--keep", "9" * 30), ("activity", "film", "--segment", HUGE)])
def test_numbers_past_64_bits_are_refused_where_typed(home, tmp_path, args) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_dict(1)))
    assert cli(home, "import", str(spec)).exit_code == 0
    r = cli(home, *args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and "OverflowError" not in r.output, r.output
    assert HUGE in r.output or "9" * 20 in r.output, r.output  # it names the number


def test_a_since_far_past_any_date_reads_everything(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_dict(1)))
    assert cli(home, "import", str(spec)).exit_code == 0
    for since in ("99999999999d", "9" * 5000 + "w"):
        r = cli(home, "activity", "film", "--since", since)
        assert r.exit_code == 0 and "stream created" in r.output, r.output


@pytest.mark.parametrize("line", [":restore 1 99999999999999999999", ":restore 1 ²", ":similar ³",
                                  ":cleanup 99999999999999999999999", ":vary ⁴"])
def test_app_commands_with_numbers_no_column_holds_are_a_command_error(line) -> None:  # type: ignore[no-untyped-def]
    from director_tui.core.commands import CommandError, parse_command

    with pytest.raises(CommandError):
        parse_command(line, 5)


def test_a_destination_with_control_characters_is_echoed_escaped(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_dict(1)))
    assert cli(home, "import", str(spec)).exit_code == 0
    dest = tmp_path / "a\x1b]0;pwned\x07.json"
    r = cli(home, "export", "film", "spec", "-o", str(dest))
    assert r.exit_code == 0 and "\x1b" not in r.output and "\\x1b]0;pwned\\x07" in r.output, r.output
    r = cli(home, "export", "film", "spec", "-o", str(home / "media" / "x\x1b[2J.json"))
    assert r.exit_code == 2 and "\x1b" not in r.output and "\\x1b[2J" in r.output, r.output


def test_a_sqlite_url_that_cannot_be_opened_is_one_line(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = cli(home, "--store", f"sqlite:///{tmp_path}/no/such/folder/d.db", "list")
    lines = r.output.strip().splitlines()
    assert r.exit_code != 0 and len(lines) == 1, r.output
    assert "cannot open the database (unable to open database file)" in lines[0], lines[0]


def test_a_selection_of_100000_positions_is_linear() -> None:
    """`--segments 1-100000` checked each position against a list of those already taken:
    quadratic, minutes. A set makes it milliseconds; 2 s leaves room for a loaded machine."""
    import time

    from director_tui.core.selection import parse_positions

    started = time.perf_counter()
    out = parse_positions("1-100000,5,99999-100000", 100_000)
    assert out == list(range(1, 100_001)) and time.perf_counter() - started < 2.0


def test_a_comment_too_long_or_a_time_code_past_any_clip_is_bad_input(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Exit 2 (bad input, as the README says), not 1 (a refusal of the moment); a 5,000-digit
    --at was inf seconds; --keep -1 is checked where it is typed."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_dict(1)))
    assert cli(home, "import", str(spec)).exit_code == 0
    r = cli(home, "comment", "film", "1", "x" * 100_001)
    assert r.exit_code == 2 and "comment: longer than 100,000 characters (100,001)" in r.output, r.output
    for at in ("9" * 5000, "9" * 40 + ":00", "25:00:00"):
        r = cli(home, "comment", "film", "1", "x", "--at", at)
        assert r.exit_code == 2 and "is not a time code" in r.output, r.output
    r = cli(home, "cleanup", "film", "--keep", "-1")
    assert r.exit_code == 2, r.output

