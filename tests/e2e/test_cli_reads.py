"""The read commands' fast start (cli/reads.py): the plain forms are answered without typer
or SQLAlchemy and print exactly what the full CLI prints; everything else (help, a stream
not found, another schema, another store) goes to the full CLI, which says what is wrong.
Shell completion of stream slugs. Whole-process times: make bench (bench_cli)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from director_tui.cli import app
from director_tui.cli.reads import parse_read, run_fast
from director_tui.core.models import Activity, Segment, Task
from tests.conftest import run_tasks

runner = CliRunner()
EXE = Path(sys.executable).with_name("director-tui")


@pytest.fixture
def reviewed(store, home, make_stream):  # type: ignore[no-untyped-def]
    """A film with versions, decisions, a comment and a failed task: something in every column."""
    stream = make_stream(n=3)
    with store.write() as s:
        for seg in s.execute(select(Segment)).scalars():
            s.add(Task(stream_id=stream.id, segment_id=seg.id, asset="keyframe", prompt="p", seed=1))
    run_tasks(store, home, stream.id)
    for args in (["approve", "film", "1-2"], ["reject", "film", "3"], ["comment", "film", "2", "more 'fog' 🎬"]):
        assert runner.invoke(app, ["--home", str(home), *args]).exit_code == 0
    with store.write() as s:
        seg = s.execute(select(Segment).where(Segment.position == 3)).scalar_one()
        s.add(Task(stream_id=stream.id, segment_id=seg.id, asset="keyframe", prompt="p", seed=2, state="failed",
                   error="exit 3: CUDA out of memory"))
    return stream


FORMS = [["list"], ["list", "--json"], ["status", "film"], ["status", "--json", "film"],
         ["activity", "film"], ["activity", "film", "--json", "--kind", "decision"],
         ["activity", "film", "--segment=2", "--author", "tester", "--since", "1d", "--limit", "2"],
         ["metrics", "film"], ["metrics", "film", "--json"]]


def without_the_clock(text: str) -> str:
    """An open checkpoint's time grows between two runs: its figure is left out."""
    text = re.sub(r'("seconds": )[0-9.]+', r"\1…", text)
    return re.sub(r"(checkpoint \S+\s+).*?(open|done)$", r"\1… \2", text, flags=re.M)


@pytest.mark.parametrize("form", FORMS, ids=[" ".join(f) for f in FORMS])
def test_the_fast_start_prints_what_the_full_cli_prints(reviewed, home: Path, form: list[str],  # type: ignore[no-untyped-def]
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run_fast(["--home", str(home), *form]) == 0  # answered here, not by the full CLI
    fast = capsys.readouterr().out
    full = runner.invoke(app, ["--home", str(home), *form])
    assert full.exit_code == 0
    assert without_the_clock(fast) == without_the_clock(full.output)
    assert fast.strip() and "no activity matches" not in fast


def test_other_forms_go_to_the_full_cli(reviewed, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for argv in (["status", "film", "--help"], ["status"], ["status", "a", "b"], ["activity", "film", "--limit"],
                 ["activity", "film", "--segment", "two"], ["list", "--json=yes"], ["open", "film"],
                 ["--home", "x", "--home", "y", "list"], ["metrics", "film", "--json", "--json"]):
        assert parse_read(argv) is None, argv
    assert run_fast(["--home", str(home), "status", "nope"]) is None  # the full CLI says "not found"
    assert run_fast(["--home", str(tmp_path / "empty"), "list"]) is None  # no database yet: created there
    assert run_fast(["--home", str(home), "--store", "postgresql://nobody@/nothing", "list"]) is None
    # a database at another schema: the full CLI migrates it (or says why not)
    older = tmp_path / "older"
    older.mkdir()
    with sqlite3.connect(home / "director.db") as src, sqlite3.connect(older / "director.db") as copy:
        src.backup(copy)
    with sqlite3.connect(older / "director.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0007_mentions'")
    assert run_fast(["--home", str(older), "list"]) is None
    # and damage: one line from the full CLI, no traceback
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "director.db").write_bytes(b"this is not a database" * 100)
    assert run_fast(["--home", str(damaged), "list"]) is None
    done = subprocess.run([str(EXE), "--home", str(damaged), "list"], capture_output=True, text=True)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_the_installed_command_answers_without_typer_or_sqlalchemy(reviewed, home: Path) -> None:  # type: ignore[no-untyped-def]
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: sys.stderr.write('loaded: ' + ' '.join(sorted(m for m in "
             "('typer', 'click', 'sqlalchemy', 'sqlmodel', 'pydantic', 'textual') if m in sys.modules)) + '\\n'))\n"
             "sys.argv = ['director-tui'] + sys.argv[1:]\n"
             "from director_tui.launch import main\nmain()\n")
    for form in (["status", "film"], ["metrics", "film", "--json"], ["activity", "film"], ["list"]):
        done = subprocess.run([sys.executable, "-c", probe, "--home", str(home), *form], capture_output=True,
                              text=True)
        assert done.returncode == 0 and done.stdout.strip(), done.stderr
        assert done.stderr.strip() == "loaded:", (form, done.stderr)
    not_found = subprocess.run([sys.executable, "-c", probe, "--home", str(home), "status", "nope"],
                               capture_output=True, text=True)
    assert not_found.returncode == 2 and "stream 'nope' not found" in not_found.stderr
    assert "sqlalchemy" in not_found.stderr.splitlines()[-1]  # the full CLI said it


def test_shell_completion_offers_stream_slugs(reviewed, home: Path, make_stream) -> None:  # type: ignore[no-untyped-def]
    make_stream(n=1, slug="teaser")
    env = {**os.environ, "DIRECTOR_HOME": str(home), "_DIRECTOR_TUI_COMPLETE": "complete_bash"}
    for words, cword, expected in (("director-tui status ", "2", ["film", "teaser"]),
                                   ("director-tui approve t", "2", ["teaser"]),
                                   ("director-tui met", "1", ["metrics"])):
        done = subprocess.run([str(EXE)], capture_output=True, text=True,
                              env={**env, "COMP_WORDS": words, "COMP_CWORD": cword})
        assert done.stdout.split() == expected, (words, done.stdout, done.stderr)
    # as a user gets the script: typer asks which shell runs it (its parent), so from bash
    script = subprocess.run(["bash", "-c", f"'{EXE}' --show-completion; exit $?"], capture_output=True, text=True,
                            env={**os.environ, "DIRECTOR_HOME": str(home)})
    assert "_DIRECTOR_TUI_COMPLETE=complete_bash" in script.stdout


def test_a_reader_that_goes_away_is_no_error(store, home: Path, make_stream) -> None:  # type: ignore[no-untyped-def]
    """`director-tui activity film --json | head -1`: the rest is not wanted; no traceback.
    (The reader is gone before the write: on this VM's kernel one large write into a pipe
    whose reader leaves midway still succeeds, so that case would not test anything.)"""
    stream = make_stream(n=1)
    with store.write() as s:
        s.execute(insert(Activity), [{"stream_id": stream.id, "actor": "ana", "kind": "comment.added",
                                      "detail": "{}"} for _ in range(300)])
    for form in (["activity", "film", "--json"], ["export-spec", "film"]):  # the fast start; the full CLI
        read_end, write_end = os.pipe()
        os.close(read_end)
        done = subprocess.run([str(EXE), "--home", str(home), *form], stdout=write_end, stderr=subprocess.PIPE)
        os.close(write_end)
        assert (done.returncode, done.stderr) == (1, b""), (form, done.stderr[-500:])
