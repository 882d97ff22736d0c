"""Issue 24, 1: every long-lived command (`open`, `demo`, `work`, `regen --wait`, `serve`
and its tabs) runs beside other processes writing the same SQLite workspace, and every
write of every process is in the store afterwards; `director.db-wal` stays while any of
them runs (a process that dropped its own locks lets the next one to close delete the log
under it: its later commits then go nowhere).

Only subprocesses touch the database here: the test process opens no connection while a
command runs, so nothing of ours holds a lock that would hide the fault."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PY, gen
from tests.e2e.hostile.test_signals import Terminal

CLI = [PY, "-m", "director_tui"]


def cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*CLI, "--home", str(home), *args], capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def query(home: Path, sql: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
    """A read on a connection of its own, closed at once (through SQLite: safe)."""
    con = sqlite3.connect(f"file:{home / 'director.db'}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def wait_for(condition: Callable[[], bool], timeout: float = 60, proc: subprocess.Popen | None = None) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the command ended early with {proc.returncode}")
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def wal(home: Path) -> Path:
    return home / "director.db-wal"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A stream of 3 shots whose keyframes take 3 s each (a generator subprocess)."""
    home = tmp_path / "ws"
    records = tmp_path / "runs"
    records.mkdir()
    spec = {"stream": "film", "title": "Film", "width": 64, "height": 36,
            "segments": [{"title": f"Shot {i}", "image_prompt": f"shot {i}", "motion_prompt": "pan",
                          "duration": 1.0} for i in range(1, 4)],
            "generators": {"keyframe": {"command": [PY, gen("timed.py"), "--out", "{output}", "--dir", str(records),
                                                    "--sleep", "{seconds}"]}}}
    path = tmp_path / "film.json"
    path.write_text(json.dumps(spec).replace("{seconds}", "3"))
    cli(home, "import", str(path))
    cli(home, "trust", "film", "--yes")
    return home


def others_write(home: Path, tag: str, running: subprocess.Popen, count: int = 3,  # type: ignore[type-arg]
                 working: Callable[[], bool] = lambda: True) -> list[str]:
    """Other processes comment, one after another; each closes its connection when done.
    The log must survive each close: the long-lived command still holds it open. A check
    counts only while the command is still at work after it (`working`: a `regen --wait`
    whose last task has ended is closing its own connections, rightly the last ones)."""
    notes, checked = [], 0
    for i in range(count):
        note = f"{tag}-{i}"
        cli(home, "comment", "film", "2", note)
        notes.append(note)
        there = wal(home).exists()
        if running.poll() is None and working():
            assert there, f"{wal(home).name} was deleted under the running command after {note!r}"
            checked += 1
    assert checked, "the command ended too soon for the check to mean anything"
    return notes


def tasks_left(home: Path) -> bool:
    return bool(query(home, "SELECT count(*) FROM task WHERE state IN ('queued', 'running')")[0][0])


def comments(home: Path) -> set[str]:
    return {text for (text,) in query(home, "SELECT body FROM comment")}


def keyframe_state(home: Path, position: int) -> str:
    return str(query(home, "SELECT keyframe_state FROM segment WHERE position = ?", position)[0][0])


def versions(home: Path) -> int:
    return int(query(home, "SELECT count(*) FROM version")[0][0])


def made_versions(home: Path) -> bool:
    """The demo has made its workspace and a first keyframe (tables may not exist yet)."""
    try:
        return (home / "director.db").exists() and versions(home) >= 1
    except sqlite3.OperationalError:
        return False


def stop(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_work_beside_other_writers(workspace: Path) -> None:
    home = workspace
    cli(home, "regen", "film")  # 3 keyframes queued
    proc = subprocess.Popen([*CLI, "--home", str(home), "work", "film"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: versions(home) == 3, proc=proc)  # it runs the 3 queued keyframes
        notes = others_write(home, "beside-work", proc)
        cli(home, "regen", "film", "--segments", "1")  # queued by another process: the worker runs it
        # its version is visible to every other process while it still runs
        wait_for(lambda: versions(home) == 4, proc=proc)
        notes += others_write(home, "after-its-result", proc)
        assert wal(home).exists()
    finally:
        stop(proc)
    assert comments(home) == set(notes)
    assert versions(home) == 4
    assert len(query(home, "SELECT id FROM activity WHERE kind = 'comment.added'")) == len(notes)


def test_regen_wait_beside_other_writers(workspace: Path) -> None:
    home = workspace
    proc = subprocess.Popen([*CLI, "--home", str(home), "regen", "film", "--segments", "all", "--wait"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: versions(home) >= 1, proc=proc)
        notes = others_write(home, "beside-regen", proc, working=lambda: tasks_left(home))
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
    finally:
        stop(proc)
    assert comments(home) == set(notes)
    assert versions(home) == 3


def app_env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text("auto_generate = true\n")
    return {**os.environ, "DIRECTOR_CONFIG": str(config), "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}


def review_in_a_terminal(home: Path, term: Terminal, slug: str) -> list[str]:
    """Others write while the app runs; then the director approves #1 and quits: the approval,
    made after the others closed their connections, must be in the store."""
    assert term.pump(lambda: b"Shot 1" in term.screen or b"Storm" in term.screen, 60), term.screen[-2000:]
    assert term.pump(lambda: wal(home).exists() and keyframe_state(home, 1) == "review", 60), "no keyframe to review"
    notes = []
    for i in range(3):
        note = f"beside-{slug}-{i}"
        cli(home, "comment", slug, "2", note)
        notes.append(note)
        term.pump(lambda: False, 0.3)
        assert wal(home).exists(), f"{wal(home).name} was deleted under the running app after {note!r}"
    term.send(" ")  # space: approve #1's keyframe
    assert term.pump(lambda: keyframe_state(home, 1) == "approved", 30), "the approval did not reach the store"
    term.send("q")
    assert term.exited_within(30)
    return notes


def test_open_beside_other_writers(workspace: Path, tmp_path: Path) -> None:
    home = workspace
    cli(home, "regen", "film", "--segments", "all", "--wait")  # keyframes to review
    term = Terminal([*CLI, "--home", str(home), "open", "film"], app_env(tmp_path))
    try:
        notes = review_in_a_terminal(home, term, "film")
    finally:
        stop(term.proc)
        term.close()
    assert set(notes) <= comments(home)
    assert keyframe_state(home, 1) == "approved"


def test_demo_beside_other_writers(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    term = Terminal([*CLI, "--home", str(home), "demo"], app_env(tmp_path))
    try:
        # pumped: an app whose terminal is not read blocks on its next write (a full pty),
        # and its runner with it; a faster sync (issue 26) drew enough to fill it first
        assert term.pump(lambda: made_versions(home), 60), "the demo made no keyframe"
        notes = review_in_a_terminal(home, term, "demo")
    finally:
        stop(term.proc)
        term.close()
    assert comments(home) == set(notes)
    assert keyframe_state(home, 1) == "approved"


def test_serve_and_a_tab_beside_other_writers(workspace: Path, tmp_path: Path) -> None:
    """The server holds the store (it checks each tab's stream); a tab is its own `open`."""
    import asyncio

    import aiohttp

    from tests.e2e.test_serve import TOKEN, start_server

    home = workspace
    cli(home, "regen", "film", "--segments", "all", "--wait")
    proc, url = start_server(home, "film")

    async def tab() -> list[str]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(url + f"/?token={TOKEN}") as r:
                assert r.status == 200
            async with http.ws_connect(url + "/ws?width=120&height=40", headers={"Origin": url}) as ws:
                screen = b""
                deadline = time.monotonic() + 60
                while b"Shot 1" not in screen and time.monotonic() < deadline:
                    msg = await ws.receive(timeout=60)
                    if msg.type == aiohttp.WSMsgType.BINARY:
                        screen += msg.data
                    elif msg.type == aiohttp.WSMsgType.TEXT:
                        screen += msg.data.encode()
                assert b"Shot 1" in screen
                notes = await asyncio.to_thread(others_write, home, "beside-serve", proc)
                await ws.send_str(json.dumps(["stdin", " "]))
                for _ in range(300):
                    if await asyncio.to_thread(keyframe_state, home, 1) == "approved":
                        break
                    try:
                        await ws.receive(timeout=0.1)
                    except TimeoutError:
                        pass
                return notes

    try:
        notes = asyncio.run(tab())
        assert wal(home).exists()
    finally:
        stop(proc)
    assert set(notes) <= comments(home)
    assert keyframe_state(home, 1) == "approved"
