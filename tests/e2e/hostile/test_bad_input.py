"""Bad input (issue 14, 4): malformed or hostile specs, preset files and databases get one
line naming what is wrong and where, exit 2, and nothing is created or changed; what the
CLI prints of others' text cannot drive the terminal."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import spec_dict
from tests.unit.hostile.test_bad_input_unit import (  # shared with its unit tier
    cli,
    make_workspace,
)

BAD_PRESETS = {
    "not TOML": ("[[preset]\nname =", "not valid TOML"),
    "nested 5,000 deep": ("x = " + "[" * 5000 + "]" * 5000, "not a presets file"),
    "NUL byte": ('[[preset]]\nname = "a"\ntext = "b\x00"', "contains a NUL byte (line 3)"),
    "text of 10 KB": ('[[preset]]\nname = "a"\ntext = "' + "w" * 10_000 + '"', "preset[1].text: longer than 4 KB"),
    "no presets": ("title = 'x'", "no [[preset]] tables"),
    "a name twice": ('[[preset]]\nname = "a"\ntext = "b"\n[[preset]]\nname = "a"\ntext = "c"', "'a' appears twice"),
}


async def test_bad_preset_files_in_the_app_are_a_notice(store, settings, film, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from director_tui.core.prompts import list_presets
    from director_tui.ui.app import make_app
    from tests.conftest import SIZE, wait_for

    with store.read() as s:
        before = len(list_presets(s))
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        for i, (text, expected) in enumerate(BAD_PRESETS.values()):
            path = tmp_path / f"p{i}.toml"
            path.write_text(text, encoding="utf-8")
            app.main_screen.commands.run(f"presets import {path}")  # what `:` + enter runs
            await wait_for(pilot, lambda e=expected: any(e in str(n.message) for n in app._notifications), 10)  # type: ignore[misc]
        (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00garbage")
        app.main_screen.commands.run(f"presets import {tmp_path / 'binary.toml'}")
        await wait_for(pilot, lambda: any("binary.toml" in str(n.message) for n in app._notifications), 10)
        # issue 25: a FIFO froze the screen, /dev/zero grew the app to 4.9 GB
        fifo = tmp_path / "presets.fifo"
        os.mkfifo(fifo)
        for special, kind in ((fifo, "a FIFO"), (Path("/dev/zero"), "a device")):
            app.main_screen.commands.run(f"presets import {special}")
            before_row = app.main_screen.table.cursor_row
            await pilot.press("j")  # the screen takes keys meanwhile
            assert app.main_screen.table.cursor_row == before_row + 1 or before_row == app.main_screen.table.row_count - 1
            await wait_for(pilot, lambda k=kind: any(f"not a regular file ({k})" in str(n.message)  # type: ignore[misc]
                                                     for n in app._notifications), 10)
        assert app.is_running
    with store.read() as s:
        assert len(list_presets(s)) == before


@pytest.mark.parametrize("theirs", ["another program's SQLite file", "a workspace's database elsewhere"])
def test_a_database_linked_out_of_the_workspace_is_never_opened(home, tmp_path, theirs) -> None:  # type: ignore[no-untyped-def]
    """The fault sweep (issue 25): a colleague who can write a group workspace replaces
    director.db with a link to another SQLite file of the director's; every command opened
    it, and `new` migrated our tables into it (the read commands' fast start read a linked
    workspace database). Now one line, exit 2, the file untouched."""
    make_workspace(home, tmp_path)
    target = tmp_path / "elsewhere.sqlite"
    if theirs == "another program's SQLite file":
        with sqlite3.connect(target) as con:
            con.execute("CREATE TABLE visits (url TEXT)")
            con.execute("INSERT INTO visits VALUES ('https://example.com')")
        con.close()
    else:
        with sqlite3.connect(home / "director.db") as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        (home / "director.db").rename(target)
    (home / "director.db").unlink(missing_ok=True)
    (home / "director.db").symlink_to(target)
    before = target.read_bytes()
    for command in (["status", "film"], ["list"], ["new", "other"], ["open", "film"]):
        r = cli(home, *command)
        lines = r.output.strip().splitlines()
        assert r.exit_code == 2 and len(lines) == 1, (command, r.output)
        assert "director.db: a symbolic link out of the workspace" in lines[0] and "--store sqlite:///" in lines[0]
    import subprocess
    import sys

    for command in (["list"], ["status", "film", "--json"]):  # the read commands' fast start (cli/reads.py)
        done = subprocess.run([sys.executable, "-m", "director_tui", "--home", str(home), *command],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "a symbolic link out of the workspace" in done.stderr, (command, done)
    assert target.read_bytes() == before and not target.with_name(target.name + "-wal").exists()


def test_argv_that_is_not_utf8_is_one_line_exit_2(home) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    from tests.conftest import PY

    assert cli(home, "new", "film").exit_code == 0
    done = subprocess.run([PY, "-m", "director_tui", "--home", str(home), "comment", "film", "1", b"ok \xff\xfe"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip() == ("director-tui: argument 6 ('ok \\xff\\xfe') is not valid UTF-8 text "
                                   "(at character 4): nothing was done")
    assert cli(home, "new", "a\n").exit_code == 2  # a slug ending in a newline


def test_a_zeroed_interior_page_stops_every_write(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 25: a page no query had touched yet let approve and regen write on into the
    damaged file. The first write of a process checks every page (quick_check) first."""
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(spec_dict(3000)))  # enough for interior pages: the prompt history's, which these commands never read
    assert cli(home, "import", str(spec)).exit_code == 0
    db = home / "director.db"
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    [(page,)] = con.execute("SELECT pageno FROM dbstat WHERE name = 'promptrevision' AND pagetype = 'internal' "
                            "ORDER BY pageno LIMIT 1").fetchall()
    con.close()
    with open(db, "r+b") as fh:
        fh.seek((page - 1) * page_size)
        fh.write(b"\0" * page_size)
    before = db.read_bytes()
    import subprocess

    from tests.conftest import PY

    for command in (["approve", "film", "1"], ["regen", "film", "--segments", "2"], ["comment", "film", "3", "hi"]):
        done = subprocess.run([PY, "-m", "director_tui", "--home", str(home), *command], capture_output=True,
                              text=True, timeout=60)
        lines = (done.stdout + done.stderr).strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, (command, done.stdout, done.stderr)
        assert "director.db: damaged (database disk image is malformed)" in lines[0] and "restore it from a backup" in lines[0]
    assert db.read_bytes() == before


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_spec_that_is_a_device_or_a_fifo_is_refused_before_it_is_read(home, tmp_path, special) -> None:  # type: ignore[no-untyped-def]
    """Issue 25: `/dev/zero` grew the CLI to 5.7 GB; a FIFO waited for a writer forever."""
    import subprocess

    from tests.conftest import PY

    path = Path(special)
    if special == "fifo":
        path = tmp_path / "spec.json"
        os.mkfifo(path)
    done = subprocess.run([PY, "-m", "director_tui", "--home", str(home), "import", str(path)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (f"director-tui: {path}: not a regular file "
                                   f"({'a device' if special == '/dev/zero' else 'a FIFO'}); nothing was read")


def test_a_comment_from_an_endless_standard_input_is_refused(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    from tests.conftest import PY

    make_workspace(home, tmp_path)
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run([PY, "-m", "director_tui", "--home", str(home), "comment", "film", "1", "-"],
                              stdin=zero, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "the comment from standard input: more than 1,048,576 bytes" in done.stderr


def test_a_store_whose_trigger_aborts_or_table_is_gone_is_one_line(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Someone with write access to the shared store adds a trigger that aborts every
    activity row, or drops a table: an IntegrityError traceback before, and 'try again'."""
    import subprocess
    import sys

    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_dict(1)))
    assert cli(home, "import", str(spec)).exit_code == 0
    with sqlite3.connect(home / "director.db") as conn:
        conn.execute("CREATE TRIGGER nope BEFORE INSERT ON activity BEGIN SELECT RAISE(ABORT, 'no activity today'); END")
    run = [sys.executable, "-m", "director_tui", "--home", str(home)]
    done = subprocess.run([*run, "comment", "film", "1", "hi"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.strip() == ("director-tui: stopped: the database refused it "
                                                            "(no activity today); nothing was changed"), done.stderr
    with sqlite3.connect(home / "director.db") as conn:
        conn.execute("DROP TRIGGER nope")
        conn.execute("DROP TABLE comment")
    done = subprocess.run([*run, "comment", "film", "1", "hi"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.strip() == ("director-tui: stopped: the database refused it "
                                                            "(no such table: comment); nothing was changed"), done.stderr


def test_a_usage_error_repeats_a_bad_argument_escaped(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Click's 'Got unexpected extra argument (…)' echoed ESC ] 52 raw (tests/hostile/sweep_inputs.py)."""
    import subprocess
    import sys

    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_dict(1)))
    assert cli(home, "import", str(spec)).exit_code == 0
    done = subprocess.run([sys.executable, "-m", "director_tui", "--home", str(home), "prompt", "film", "1",
                           "a\x1b]52;c;aGk=\x07"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "\x1b" not in done.stderr and "\\x1b]52" in done.stderr, done.stderr


@pytest.mark.parametrize(("variable", "value"), [
    ("DIRECTOR_BUSY_TIMEOUT_MS", "abc"), ("DIRECTOR_BUSY_TIMEOUT_MS", "9" * 23), ("DIRECTOR_HEARTBEAT_STALE_S", "nan"),
    ("DIRECTOR_HEARTBEAT_STALE_S", "\x1b]52;c;aGk=\x07")])
def test_a_bad_number_in_the_environment_is_one_line(home, tmp_path, variable, value) -> None:  # type: ignore[no-untyped-def]
    """Found by the fault sweep (issue 25): `abc` and 10**23 in $DIRECTOR_BUSY_TIMEOUT_MS were
    tracebacks (ValueError, OverflowError) from a module's import; NaN was taken as 1 s."""
    import subprocess
    import sys

    make_workspace(home, tmp_path)
    env = {**os.environ, variable: value}
    for command in (["approve", "film", "1"], ["status", "film"], ["open", "film"]):
        done = subprocess.run([sys.executable, "-m", "director_tui", "--home", str(home), *command], env=env,
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 2, (command, done.stderr)
        assert done.stderr.startswith(f"director-tui: ${variable} is '") and "not a number from 1 to" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "\x1b" not in done.stderr


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "folder"])
def test_a_config_file_that_is_not_a_regular_file_is_one_line(home, tmp_path, special) -> None:  # type: ignore[no-untyped-def]
    """Found by the fault sweep: $DIRECTOR_CONFIG=/dev/zero grew the process without end; a
    FIFO waited for a writer forever."""
    import subprocess
    import sys

    make_workspace(home, tmp_path)
    path = {"/dev/zero": "/dev/zero", "fifo": str(tmp_path / "config.toml"), "folder": str(tmp_path)}[special]
    if special == "fifo":
        os.mkfifo(path)
    env = {**os.environ, "DIRECTOR_CONFIG": path}
    done = subprocess.run([sys.executable, "-m", "director_tui", "--home", str(home), "approve", "film", "1"], env=env,
                          capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and done.stderr.strip() == \
        f"director-tui: {path}: cannot read (not a regular file (a {'device' if special == '/dev/zero' else special.replace('fifo', 'FIFO')}); nothing was read)", done.stderr
