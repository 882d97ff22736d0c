"""A sweep of fault kinds (issue 25's second measure): generators that crash, hang, lie or
leave children; a store that is locked, damaged, newer, tampered with or gone; a full disk;
signals; hostile files where the program reads or writes. Each fault is made for real in a
fresh workspace and the real CLI runs into it.

Clean means: every command ends within its time, exits with the documented code, prints no
traceback and no escape sequence, says what is wrong in at most two lines, and afterwards the
store holds what it should (no task left `running`, a decision that was taken is there, a
refused one is not, nothing outside the workspace changed).

Faults only reachable inside the app or against a stand-in server (ComfyUI, a hosted API, a
PostgreSQL server restart, a dropped terminal, a second real account) are each counted by
running the tests that make them, listed in TESTED_FAULTS.

    python tests/hostile/sweep_faults.py            # every fault, the figure, every unclean one
    python tests/hostile/sweep_faults.py lock       # only the faults whose name has "lock"

Not collected by pytest: it takes about three minutes (a process per command)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

PY = sys.executable
ROOT = Path(__file__).resolve().parents[2]
GEN = ROOT / "tests" / "generators"


class Unclean(Exception):
    """The fault did not end cleanly; the message says how."""


class Workspace:
    """A fresh workspace with a stream `film` of `n` segments and (optionally) a keyframe
    generator command, trusted, and the real CLI to run against it."""

    def __init__(self, root: Path, keyframe: list[str] | None = None, n: int = 2, timeout_s: float = 30,
                 extra: dict[str, Any] | None = None) -> None:
        self.root = root
        self.home = root / "ws"
        self.env = {**os.environ, "DIRECTOR_CONFIG": str(root / "none.toml"), "DIRECTOR_STATE": str(root / "state"),
                    "DIRECTOR_HEARTBEAT_STALE_S": "2"}
        self.env.pop("DIRECTOR_STORE", None)
        spec: dict[str, Any] = {"stream": "film", "title": "Sweep", "width": 64, "height": 36, "segments": [
            {"title": f"Shot {i + 1}", "image_prompt": f"a harbour, shot {i + 1}", "motion_prompt": "pan",
             "duration": 0.5} for i in range(n)]}
        if keyframe is not None:
            spec["generators"] = {"keyframe": {"command": keyframe, "timeout_s": timeout_s, **(extra or {})}}
        (root / "spec.json").write_text(json.dumps(spec))
        self.cli("import", str(root / "spec.json"))
        if keyframe is not None:
            self.cli("trust", "film", "--yes")

    @property
    def db(self) -> Path:
        return self.home / "director.db"

    def argv(self, *args: str) -> list[str]:
        return [PY, "-m", "director_tui", "--home", str(self.home), *args]

    def cli(self, *args: str, expect: tuple[int, ...] = (0,), timeout: float = 60,
            env: dict[str, str] | None = None, say: str | None = None) -> subprocess.CompletedProcess[str]:
        try:
            done = subprocess.run(self.argv(*args), env=env or self.env, capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL, errors="replace")
        except subprocess.TimeoutExpired:
            raise Unclean(f"`{' '.join(args)[:60]}` did not end within {timeout:.0f} s") from None
        judge(args, done, expect, say)
        return done

    def status(self) -> dict[str, Any]:
        return json.loads(self.cli("status", "film", "--json").stdout)

    def task_states(self) -> list[str]:
        return [seg[asset]["task"]["state"] for seg in self.status()["segments"] for asset in ("keyframe", "video")
                if seg[asset]["task"]]

    def regen_fails(self, reason: str, timeout: float = 60) -> None:
        done = self.cli("regen", "film", "--segments", "1", "--wait", expect=(1,), timeout=timeout)
        if reason not in done.stderr:
            raise Unclean(f"the failure does not say {reason!r}: {done.stderr.strip()[:160]}")
        if self.task_states() != ["failed"]:
            raise Unclean(f"tasks afterwards: {self.task_states()}")
        if any((self.home / "media" / "film" / ".tmp").glob("*/*")):
            raise Unclean("the failed task's files were left in media/film/.tmp")


def judge(args: tuple[str, ...], done: subprocess.CompletedProcess[str], expect: tuple[int, ...],
          say: str | None) -> None:
    err = done.stderr.strip()
    what = " ".join(args)[:60]
    # a Python traceback of ours (a generator's own stderr, quoted in one line, is not one)
    if "Traceback (most recent call last):\n" in done.stderr + done.stdout:
        raise Unclean(f"`{what}` printed a traceback: {err.splitlines()[-1][:160] if err else ''}")
    if done.returncode not in expect:
        raise Unclean(f"`{what}` exited {done.returncode} (expected {expect}): {err[:200]}")
    if "\x1b" in done.stdout + done.stderr:
        raise Unclean(f"`{what}` sent an escape sequence to the terminal")
    if done.returncode and len(err.splitlines()) > 2:
        raise Unclean(f"`{what}` said it in {len(err.splitlines())} lines: {err[:200]}")
    if say is not None and say not in err + done.stdout:
        raise Unclean(f"`{what}` did not say {say!r}: {err[:200]}")


FAULTS: list[tuple[str, Callable[[Path], None]]] = []


def fault(name: str) -> Callable[[Callable[[Path], None]], Callable[[Path], None]]:
    def register(fn: Callable[[Path], None]) -> Callable[[Path], None]:
        FAULTS.append((name, fn))
        return fn

    return register


def gen(name: str, *args: str) -> list[str]:
    return [PY, str(GEN / name), *args]


# ---- generators that crash, hang, lie or leave children ----------------------------------

@fault("a generator that crashes (exit 3, a traceback on stderr)")
def _crash(tmp: Path) -> None:
    Workspace(tmp, gen("fail.py", "{output}")).regen_fails("generator exited with code 3")


@fault("a generator that hangs past its timeout")
def _hang(tmp: Path) -> None:
    Workspace(tmp, gen("hang.py", "{output}"), timeout_s=2).regen_fails("timed out after 2 s", timeout=30)


@fault("a generator that hangs and ignores SIGTERM")
def _hang_hard(tmp: Path) -> None:
    Workspace(tmp, gen("hang.py", "--ignore-term", "{output}"), timeout_s=2).regen_fails("timed out", timeout=40)


@fault("a generator that says it succeeded and wrote nothing")
def _liar(tmp: Path) -> None:
    Workspace(tmp, gen("no_output.py", "{output}")).regen_fails("no output file was written")


@fault("a generator that writes garbage as its image")
def _garbage(tmp: Path) -> None:
    Workspace(tmp, gen("garbage.py", "--out", "{output}")).regen_fails("not a valid PNG, JPEG or WebP")


@fault("a generator that hands over a symlink to a file elsewhere")
def _symlink_out(tmp: Path) -> None:
    elsewhere = tmp / "secret.png"
    elsewhere.write_bytes(b"private")
    Workspace(tmp, gen("symlink_out.py", "--out", "{output}", "--target", str(elsewhere))).regen_fails("symbolic link")
    if elsewhere.read_bytes() != b"private":
        raise Unclean("the file the symlink named was changed")


@fault("a generator that makes a folder where its output goes")
def _dir_out(tmp: Path) -> None:
    Workspace(tmp, gen("dir_out.py", "--out", "{output}")).regen_fails("a folder, not a file")


@fault("a generator output far over the size cap (8 GB, sparse)")
def _big(tmp: Path) -> None:
    Workspace(tmp, gen("big_out.py", "--out", "{output}", "--mb", "8192")).regen_fails("over")


@fault("a decompression bomb (12,000 x 12,000 pixels)")
def _bomb(tmp: Path) -> None:
    Workspace(tmp, gen("bomb.py", "--out", "{output}")).regen_fails("pixels")


@fault("a generator not found")
def _not_found(tmp: Path) -> None:
    Workspace(tmp, ["/nonexistent/bin/gen", "{output}"]).regen_fails("generator not found")


@fault("a generator that is not executable")
def _not_executable(tmp: Path) -> None:
    Workspace(tmp, [str(GEN / "README.md"), "{output}"]).regen_fails("generator not executable")


def _leaves_a_child(tmp: Path, script: str) -> None:
    pidfile = tmp / "child.pid"
    ws = Workspace(tmp, gen(script, "--out", "{output}", "--pidfile", str(pidfile)))
    started = time.monotonic()
    ws.cli("regen", "film", "--segments", "1", "--wait", timeout=60)
    if time.monotonic() - started > 30:
        raise Unclean("regen --wait waited for the child")
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        raise Unclean(f"the generator's child {pid} outlived its task")
    if ws.task_states() != ["succeeded"]:
        raise Unclean(f"tasks afterwards: {ws.task_states()}")


@fault("a generator whose child holds the output pipe open for an hour")
def _fork_holder(tmp: Path) -> None:
    _leaves_a_child(tmp, "fork_holder.py")


@fault("a generator whose child leaves the process group with setsid()")
def _setsid(tmp: Path) -> None:
    _leaves_a_child(tmp, "setsid_child.py")


@fault("progress lines no parser expects (NaN, 1e308, 200 kB, binary)")
def _odd_progress(tmp: Path) -> None:
    ws = Workspace(tmp, gen("odd_progress.py", "--out", "{output}"))
    ws.cli("regen", "film", "--segments", "1", "--wait", timeout=60)
    if ws.task_states() != ["succeeded"]:
        raise Unclean(f"tasks afterwards: {ws.task_states()}")


# ---- signals -----------------------------------------------------------------------------

def _until_running(ws: Workspace, proc: subprocess.Popen[str]) -> None:
    """Until the stream's one task runs (in `proc`); Unclean, `proc` killed, after 30 s."""
    deadline = time.monotonic() + 30
    while ws.task_states() != ["running"]:
        if time.monotonic() > deadline:
            proc.kill()
            raise Unclean("the task never started")
        time.sleep(0.2)


def _start_hanging_task(tmp: Path) -> tuple[Workspace, subprocess.Popen[str]]:
    ws = Workspace(tmp, gen("hang.py", "{output}"), timeout_s=600)
    proc = subprocess.Popen(ws.argv("regen", "film", "--segments", "1", "--wait"), env=ws.env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    _until_running(ws, proc)
    return ws, proc


def _generators_alive(tmp: Path) -> list[int]:
    """The hang.py processes of this fault (their argv names this fault's workspace)."""
    found = subprocess.run(["pgrep", "-f", f"hang.py {tmp}"], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def _kill_leftovers(tmp: Path) -> list[int]:
    alive = _generators_alive(tmp)
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    return alive


def _signal_mid_task(tmp: Path, sig: int) -> None:
    ws, proc = _start_hanging_task(tmp)
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise Unclean(f"signal {sig} did not end regen --wait within 15 s") from None
    judge(("regen", "--wait", f"(signal {sig})"), subprocess.CompletedProcess(proc.args, proc.returncode, out, err),
          (130,), None)  # README, "When things go wrong": back on the queue, exit 130
    if ws.task_states() != ["queued"]:
        raise Unclean(f"after signal {sig} the task is {ws.task_states()}, not back on the queue")
    if _kill_leftovers(tmp):
        raise Unclean(f"the generator survived signal {sig}")


@fault("SIGTERM to regen --wait while a generator runs")
def _sigterm(tmp: Path) -> None:
    _signal_mid_task(tmp, signal.SIGTERM)


@fault("SIGHUP to regen --wait (the SSH session ends)")
def _sighup(tmp: Path) -> None:
    _signal_mid_task(tmp, signal.SIGHUP)


@fault("Ctrl-C (SIGINT) to regen --wait")
def _sigint(tmp: Path) -> None:
    _signal_mid_task(tmp, signal.SIGINT)


@fault("SIGKILL to regen --wait mid-task (then the next `work` comes)")
def _sigkill(tmp: Path) -> None:
    ws, proc = _start_hanging_task(tmp)
    proc.kill()
    proc.communicate(timeout=15)
    # the dead instance's generator is a leftover the next instance of this account reaps;
    # its task goes back on the queue and, the generator still hanging, is cancelled here
    ws.cli("cancel", "film", "--all", timeout=60)
    deadline = time.monotonic() + 20
    while ws.task_states() != ["cancelled"] and time.monotonic() < deadline:
        time.sleep(0.3)
    if ws.task_states() != ["cancelled"]:
        raise Unclean(f"after SIGKILL and cancel the task is {ws.task_states()}")
    deadline = time.monotonic() + 10
    while _generators_alive(tmp) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _kill_leftovers(tmp):
        raise Unclean("the dead instance's generator was never reaped")


# ---- the store: locked, damaged, newer, tampered with, gone --------------------------------

def _decide_under_a_lock(tmp: Path, hold_s: float, busy_ms: int) -> None:
    ws = Workspace(tmp, n=2)
    ready = tmp / "holding"
    holder = subprocess.Popen([PY, "-c", (
        "import sqlite3, sys, time, pathlib\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE'); pathlib.Path(sys.argv[2]).touch(); time.sleep(float(sys.argv[3]))\n"
        "c.execute('ROLLBACK')"), str(ws.db), str(ready), str(hold_s)])
    try:
        while not ready.exists():
            time.sleep(0.05)
        env = {**ws.env, "DIRECTOR_BUSY_TIMEOUT_MS": str(busy_ms)}
        lands = busy_ms / 1000 > hold_s
        done = ws.cli("comment", "film", "2", "too dark", env=env, expect=(0,) if lands else (1,),
                      timeout=hold_s + busy_ms / 1000 + 30,
                      say=None if lands else "the database stayed locked")
        del done
    finally:
        holder.wait(timeout=hold_s + 30)
    comments = ws.status()["segments"][1]["comments"]
    if comments != (1 if lands else 0):
        raise Unclean(f"segment 2 has {comments} comments afterwards")


@fault("a colleague holds the write lock for 8 s (a comment waits and lands)")
def _lock_short(tmp: Path) -> None:
    _decide_under_a_lock(tmp, 8, 30_000)


@fault("a colleague holds the write lock past the busy timeout")
def _lock_long(tmp: Path) -> None:
    _decide_under_a_lock(tmp, 6, 1_000)


def _damage(tmp: Path, how: Callable[[Workspace], None], say: str, code: int = 2) -> None:
    ws = Workspace(tmp, n=2)
    with sqlite3.connect(ws.db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    how(ws)
    before = ws.db.read_bytes() if ws.db.is_file() else None
    for command in (["list"], ["status", "film"], ["approve", "film", "1"], ["comment", "film", "1", "hi"]):
        ws.cli(*command, expect=(code,), say=say)
    if ws.db.is_file() and ws.db.read_bytes() != before:
        raise Unclean("the damaged database was written")


@fault("a database whose first page is garbage")
def _garbage_db(tmp: Path) -> None:
    def how(ws: Workspace) -> None:
        with open(ws.db, "r+b") as fh:
            fh.write(os.urandom(512))
    _damage(tmp, how, "director.db")


@fault("a database cut short (truncated to half)")
def _truncated_db(tmp: Path) -> None:
    def how(ws: Workspace) -> None:
        size = ws.db.stat().st_size
        os.truncate(ws.db, size // 2)
    _damage(tmp, how, "director.db")


@fault("a database that is an empty file")
def _empty_db(tmp: Path) -> None:
    _damage(tmp, lambda ws: os.truncate(ws.db, 0), "director.db")


@fault("a schema newer than this program")
def _newer(tmp: Path) -> None:
    def how(ws: Workspace) -> None:
        with sqlite3.connect(ws.db) as con:
            con.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
        with sqlite3.connect(ws.db) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _damage(tmp, how, "upgrade director-tui")


@fault("a write-ahead log without its database")
def _wal_alone(tmp: Path) -> None:
    home = tmp / "ws"
    home.mkdir()
    (home / "director.db-wal").write_bytes(b"\x37\x7f\x06\x82" + os.urandom(4000))
    env = {**os.environ, "DIRECTOR_CONFIG": str(tmp / "none.toml"), "DIRECTOR_STATE": str(tmp / "state")}
    for command in (["list"], ["new", "film"]):
        done = subprocess.run([PY, "-m", "director_tui", "--home", str(home), *command], env=env, text=True,
                              capture_output=True, timeout=60)
        judge(tuple(command), done, (2,), "restore director.db from a backup")
    if (home / "director.db").exists() or (home / "director.db-wal").stat().st_size != 4004:
        raise Unclean("a new database was made or the log was touched")


@fault("a database that is a folder")
def _db_folder(tmp: Path) -> None:
    home = tmp / "ws"
    (home / "director.db").mkdir(parents=True)
    env = {**os.environ, "DIRECTOR_CONFIG": str(tmp / "none.toml"), "DIRECTOR_STATE": str(tmp / "state")}
    for command in (["list"], ["new", "film"]):
        done = subprocess.run([PY, "-m", "director_tui", "--home", str(home), *command], env=env, text=True,
                              capture_output=True, timeout=60)
        judge(tuple(command), done, (1, 2), "director.db")


@fault("a database that is a symlink to a file outside the workspace")
def _db_link_out(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    outside = tmp / "elsewhere.db"
    ws.db.rename(outside)
    ws.db.symlink_to(outside)
    before = outside.read_bytes()
    for command in (["approve", "film", "1"], ["list"]):
        ws.cli(*command, expect=(2,), say="a symbolic link out of the workspace")
    if outside.read_bytes() != before:
        raise Unclean("the database outside the workspace was written through the link")


@fault("a database file this account may only read")
def _db_read_only(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    with sqlite3.connect(ws.db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ro = tmp / "ro"
    ro.mkdir()
    shutil.copytree(ws.home, ro / "ws")
    if shutil.which("unshare") is None or os.geteuid() != 0:
        os.chmod(ro / "ws" / "director.db", 0o444)
        argv = [PY, "-m", "director_tui", "--home", str(ro / "ws")]
    else:  # root ignores file modes: a read-only mount is what it cannot write
        argv = ["unshare", "--mount", PY, str(ROOT / "tests" / "readonly_mount.py"), str(ro), "--", PY, "-m",
                "director_tui", "--home", str(ro / "ws")]
    done = subprocess.run([*argv, "status", "film"], env=ws.env, capture_output=True, text=True, timeout=60)
    judge(("status", "(read-only)"), done, (0, 1, 2), None)
    done = subprocess.run([*argv, "approve", "film", "1"], env=ws.env, capture_output=True, text=True, timeout=60)
    judge(("approve", "(read-only)"), done, (1, 2), None)


@fault("a zeroed interior page (writes must stop)")
def _zeroed_page(tmp: Path) -> None:
    ws = Workspace(tmp, n=3000)
    con = sqlite3.connect(ws.db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    [(page,)] = con.execute("SELECT pageno FROM dbstat WHERE name = 'promptrevision' AND pagetype = 'internal' "
                            "ORDER BY pageno LIMIT 1").fetchall()
    con.close()
    with open(ws.db, "r+b") as fh:
        fh.seek((page - 1) * page_size)
        fh.write(b"\0" * page_size)
    before = ws.db.read_bytes()
    for command in (["approve", "film", "1"], ["regen", "film", "--segments", "2"]):
        ws.cli(*command, expect=(2,), say="director.db")
    if ws.db.read_bytes() != before:
        raise Unclean("the damaged database was written")


@fault("a trigger that aborts every activity row")
def _trigger(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    ws.cli("regen", "film", "--wait")
    with sqlite3.connect(ws.db) as con:
        con.execute("CREATE TRIGGER nope BEFORE INSERT ON activity BEGIN SELECT RAISE(ABORT, 'no'); END")
    ws.cli("comment", "film", "1", "hi", expect=(1,), say="nothing was changed")
    ws.cli("approve", "film", "1", expect=(1,), say="nothing was changed")


@fault("a table dropped from the store")
def _dropped(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    with sqlite3.connect(ws.db) as con:
        con.execute("DROP TABLE comment")
    ws.cli("comment", "film", "1", "hi", expect=(1,), say="no such table")
    ws.cli("status", "film", expect=(0, 1))


@fault("stored generator settings that are not JSON, a list, or a bad pace")
def _stored_settings(tmp: Path) -> None:
    ws = Workspace(tmp, gen("fail.py", "{output}"), n=1)
    for bad in ("not json", "[1, 2]", json.dumps({"keyframe": {"command": ["x", "{output}"], "pace_s": "slow"}})):
        with sqlite3.connect(ws.db) as con:
            con.execute("UPDATE stream SET generators_json = ?", (bad,))
        for command in (["status", "film"], ["regen", "film", "--wait"], ["work", "--all", "--until-idle"]):
            ws.cli(*command, expect=(0, 1, 2), timeout=30)


@fault("a fake `running` task whose remote names an attacker's URL and a secret variable")
def _fake_remote(tmp: Path) -> None:
    ws = Workspace(tmp, gen("fail.py", "{output}"), n=1)
    ws.cli("regen", "film", "--segments", "1", "--wait", expect=(1,))
    with sqlite3.connect(ws.db) as con:
        con.execute("UPDATE task SET state = 'running', owner = 'gone', "
                    "remote = ?, heartbeat_at = '2000-01-01 00:00:00'",
                    (json.dumps({"get": "http://127.0.0.1:9/pred", "token_env": "SWEEP_SECRET"}),))
    env = {**ws.env, "SWEEP_SECRET": "s3cret"}
    done = ws.cli("work", "film", "--until-idle", env=env, expect=(0, 1), timeout=60)
    if "s3cret" in done.stdout + done.stderr:
        raise Unclean("the secret was printed")


@fault("a version path in the store that leads out of the workspace")
def _path_out(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    victim = tmp / "notes.txt"
    victim.write_text("mine")
    ws.cli("regen", "film", "--wait")
    ws.cli("regen", "film", "--wait")
    with sqlite3.connect(ws.db) as con:
        con.execute("UPDATE version SET path = ? WHERE id = 1", (os.path.relpath(victim, ws.home / "media"),))
    ws.cli("cleanup", "film", "--keep", "0", expect=(0, 1))
    ws.cli("export", "film", "keyframes", "-o", str(tmp / "out"), expect=(0, 1))
    if victim.read_text() != "mine":
        raise Unclean("the file outside the workspace was changed")


# ---- the disk, the files around the workspace ----------------------------------------------

@contextlib.contextmanager
def _small_disk(tmp: Path) -> Iterator[Path]:
    """A 3 MB tmpfs, unmounted afterwards; Skip where this machine cannot mount one."""
    mount = tmp / "small"
    mount.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True).returncode:
        raise Skip("no tmpfs can be mounted here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave_kb: int) -> None:
    st = os.statvfs(disk)
    with open(disk / "filler", "wb") as fh, contextlib.suppress(OSError):  # ENOSPC: as full as it gets
        fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave_kb * 1024))


class Skip(Exception):
    """This machine cannot make the fault (said, and not counted)."""


@fault("the disk fills while regen --wait records")
def _disk_full_regen(tmp: Path) -> None:
    with _small_disk(tmp) as disk:
        ws = Workspace(disk, n=1)
        _fill(disk, 90)
        started = time.monotonic()
        ws.cli("regen", "film", "--wait", expect=(1,), timeout=60)
        if time.monotonic() - started > 30:
            raise Unclean("regen --wait took over 30 s to give up")
        (disk / "filler").unlink()
        if "running" in ws.task_states():
            ws.cli("work", "film", "--until-idle", expect=(0, 1), timeout=60)
        if "running" in ws.task_states():
            raise Unclean(f"tasks afterwards: {ws.task_states()}")


@fault("the disk is full when a comment and an approval are written")
def _disk_full_decide(tmp: Path) -> None:
    with _small_disk(tmp) as disk:
        ws = Workspace(disk, n=1)
        ws.cli("regen", "film", "--wait")
        _fill(disk, 0)
        with contextlib.suppress(OSError), open(disk / "crumbs", "wb") as fh:  # the last blocks too
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
        commented = ws.cli("comment", "film", "1", "x" * 20_000, expect=(0, 1), timeout=60).returncode == 0
        approved = ws.cli("approve", "film", "1", expect=(0, 1), timeout=60).returncode == 0
        (disk / "filler").unlink()
        (disk / "crumbs").unlink()
        seg = ws.status()["segments"][0]
        if seg["comments"] != int(commented) or (seg["keyframe"]["state"] == "approved") != approved:
            raise Unclean(f"the store disagrees with what the commands said: {seg['comments']} comments, "
                          f"keyframe {seg['keyframe']['state']} (comment said {commented}, approve said {approved})")


@fault("a spec that is /dev/zero, a FIFO, or a link to one")
def _special_spec(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    os.mkfifo(tmp / "fifo.json")
    (tmp / "link.json").symlink_to(tmp / "fifo.json")
    for spec in ("/dev/zero", str(tmp / "fifo.json"), str(tmp / "link.json")):
        ws.cli("import", spec, expect=(2,), timeout=20)


@fault("a task log planted as a symlink to a file of the director's")
def _planted_log(tmp: Path) -> None:
    ws = Workspace(tmp, gen("fail.py", "{output}"), n=1)
    victim = tmp / "bashrc"
    victim.write_text("# mine\n")
    (ws.home / "logs").mkdir(exist_ok=True)
    (ws.home / "logs" / "task-1.log").symlink_to(victim)
    ws.cli("regen", "film", "--segments", "1", "--wait", expect=(1,))
    if victim.read_text() != "# mine\n":
        raise Unclean("the task's log was written through the link")


@fault("an export onto a device or a FIFO")
def _export_device(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    os.mkfifo(tmp / "fifo")
    for target in (str(tmp / "fifo"), "/dev/null"):
        ws.cli("export", "film", "spec", "-o", target, expect=(1, 2), timeout=20)
    if not Path("/dev/null").is_char_device():
        raise Unclean("/dev/null was replaced")


@fault("a version's file deleted from media/ behind the store's back")
def _missing_media(tmp: Path) -> None:
    ws = Workspace(tmp, n=2)
    ws.cli("regen", "film", "--wait")
    ws.cli("approve", "film", "1")
    for f in (ws.home / "media").rglob("*.png"):
        f.unlink()
    ws.cli("status", "film")
    ws.cli("export", "film", "keyframes", "-o", str(tmp / "k.zip"), expect=(0, 1))
    ws.cli("cleanup", "film", "--keep", "0", expect=(0, 1))
    ws.cli("export", "film", "backup", "-o", str(tmp / "backup"), expect=(0, 1))


@fault("a version's file replaced by a FIFO")
def _fifo_media(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    ws.cli("regen", "film", "--wait")
    ws.cli("approve", "film", "1")
    [png] = list((ws.home / "media").rglob("*.png"))
    png.unlink()
    os.mkfifo(png)
    ws.cli("export", "film", "keyframes", "-o", str(tmp / "k.zip"), expect=(0, 1), timeout=30)
    ws.cli("export", "film", "backup", "-o", str(tmp / "backup"), expect=(0, 1), timeout=30)


@fault("a damaged config file (not TOML)")
def _bad_config(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    (tmp / "none.toml").write_text("store = [unclosed\n\x00")
    ws.cli("status", "film", expect=(0, 2))


@fault("a damaged trust file")
def _bad_trust(tmp: Path) -> None:
    ws = Workspace(tmp, gen("fail.py", "{output}"), n=1)
    for f in (tmp / "state").rglob("trust*"):
        if f.is_file():
            f.write_bytes(b"\xff{{not json")
    done = ws.cli("regen", "film", "--wait", expect=(3,), timeout=30, say="not a trust file")  # README: untrusted, 3
    if "failed" in ws.task_states():  # the generator ran: the damaged file trusted it
        raise Unclean(f"a damaged trust file still trusted the generator: {done.stderr.strip()[:120]}")


@fault("the state folder is a file")
def _state_is_file(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    shutil.rmtree(tmp / "state", ignore_errors=True)
    (tmp / "state").write_text("not a folder")
    ws.cli("comment", "film", "1", "hi", expect=(0, 1, 2))
    ws.cli("status", "film", expect=(0, 1, 2))


@fault("a PostgreSQL store that is not there (connection refused)")
def _pg_down(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    env = {**ws.env, "PGCONNECT_TIMEOUT": "3"}
    for command in (["list"], ["status", "film"], ["approve", "film", "1"]):
        ws.cli("--store", "postgresql://nobody:pw@127.0.0.1:9/none", *command, expect=(1, 2), env=env, timeout=30)


@fault("a PostgreSQL server that accepts and never answers")
def _pg_silent(tmp: Path) -> None:
    import socket

    ws = Workspace(tmp, n=1)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        ws.cli("--store", f"postgresql://nobody:pw@127.0.0.1:{port}/none", "list", expect=(1, 2), timeout=60)
    finally:
        listener.close()


@fault("ffmpeg missing when the cut is exported")
def _no_ffmpeg(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    env = {**ws.env, "DIRECTOR_FFMPEG": str(tmp / "no-ffmpeg")}
    ws.cli("export", "film", "cut", "-o", str(tmp / "cut.mp4"), expect=(1, 2), env=env, timeout=30)


@fault("rclone failing (an unknown remote) during cleanup")
def _rclone_fails(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    ws.cli("regen", "film", "--wait")
    ws.cli("regen", "film", "--wait")
    before = sorted(p.name for p in (ws.home / "media").rglob("*.png"))
    ws.cli("cleanup", "film", "--keep", "0", "--archive", "nosuchremote:somewhere", expect=(1, 2), timeout=60)
    if sorted(p.name for p in (ws.home / "media").rglob("*.png")) != before:
        raise Unclean("cleanup removed files although the archive copy failed")


@fault("two render machines working the same queue at once")
def _two_workers(tmp: Path) -> None:
    ws = Workspace(tmp, n=6)
    ws.cli("regen", "film")
    workers = [subprocess.Popen(ws.argv("work", "film", "--until-idle"), env=ws.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for w in workers:
        out, err = w.communicate(timeout=120)
        judge(("work", "(two at once)"), subprocess.CompletedProcess(w.args, w.returncode, out, err), (0,), None)
    versions = [seg["keyframe"]["version"] for seg in ws.status()["segments"]]
    if versions != [1] * 6:
        raise Unclean(f"keyframe versions afterwards: {versions} (each task made once)")


def _linked_folder(tmp: Path, where: str, then: Callable[[Workspace], None]) -> None:
    """`where` (a folder of the workspace) replaced by a link to a folder of the director's."""
    ws = Workspace(tmp, n=1)
    ws.cli("regen", "film", "--wait")
    ws.cli("regen", "film", "--wait")
    victim = tmp / "victims-folder"
    victim.mkdir()
    (victim / "notes.txt").write_text("mine")
    folder = ws.home / where
    if folder.exists():
        shutil.rmtree(folder) if folder.is_dir() and not folder.is_symlink() else folder.unlink()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.symlink_to(victim)
    then(ws)
    if sorted(p.name for p in victim.iterdir()) != ["notes.txt"] or (victim / "notes.txt").read_text() != "mine":
        raise Unclean(f"something was written into the folder {where} links to: {sorted(os.listdir(victim))}")


@fault("logs/ a link to a folder of the director's")
def _logs_linked(tmp: Path) -> None:
    _linked_folder(tmp, "logs", lambda ws: ws.cli("regen", "film", "--wait", expect=(0, 1)))


@fault("media/film a link to a folder of the director's")
def _media_linked(tmp: Path) -> None:
    def then(ws: Workspace) -> None:
        ws.cli("regen", "film", "--wait", expect=(0, 1))
        ws.cli("cleanup", "film", "--keep", "0", expect=(0, 1))
    _linked_folder(tmp, "media/film", then)


@fault("archive/ a link to a folder of the director's")
def _archive_linked(tmp: Path) -> None:
    _linked_folder(tmp, "archive", lambda ws: ws.cli("cleanup", "film", "--keep", "0", expect=(0, 1, 2)))


@fault("a render machine frozen past its heartbeat (SIGSTOP), then resumed")
def _frozen_worker(tmp: Path) -> None:
    (tmp / "runs").mkdir()
    ws = Workspace(tmp, gen("timed.py", "--sleep", "6", "--dir", str(tmp / "runs"), "--out", "{output}"), n=1)
    ws.cli("regen", "film")
    frozen = subprocess.Popen(ws.argv("work", "film", "--until-idle"), env=ws.env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _until_running(ws, frozen)
    os.kill(frozen.pid, signal.SIGSTOP)  # Ctrl-Z, a suspended laptop: alive, silent
    other = subprocess.Popen(ws.argv("work", "film", "--until-idle"), env=ws.env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(4)  # past DIRECTOR_HEARTBEAT_STALE_S (2): the other must not take a live instance's task
    finally:
        os.kill(frozen.pid, signal.SIGCONT)
    for proc in (frozen, other):
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise Unclean("a worker did not end within 60 s of the frozen one resuming") from None
        judge(("work", "(one frozen, then resumed)"), subprocess.CompletedProcess(proc.args, proc.returncode, out, err),
              (0,), None)
    runs = list((tmp / "runs").iterdir())
    if len(runs) != 1:
        raise Unclean(f"the generator ran {len(runs)} times for one task")
    seg = ws.status()["segments"][0]
    if seg["keyframe"]["task"]["state"] not in ("succeeded",) or seg["keyframe"]["version"] is None:
        raise Unclean(f"afterwards: {seg['keyframe']}")


@fault("numbers in the environment that are not numbers ($DIRECTOR_BUSY_TIMEOUT_MS=abc, 10**23, NaN)")
def _bad_environment(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    for name, value in (("DIRECTOR_BUSY_TIMEOUT_MS", "abc"), ("DIRECTOR_BUSY_TIMEOUT_MS", "9" * 23),
                        ("DIRECTOR_HEARTBEAT_STALE_S", "nan")):
        for command in (["approve", "film", "1"], ["status", "film"]):
            ws.cli(*command, env={**ws.env, name: value}, expect=(2,), say=name)


@fault("a config file that is /dev/zero, a FIFO or a folder")
def _special_config(tmp: Path) -> None:
    ws = Workspace(tmp, n=1)
    os.mkfifo(tmp / "fifo.toml")
    for config in ("/dev/zero", str(tmp / "fifo.toml"), str(tmp)):
        ws.cli("status", "film", env={**ws.env, "DIRECTOR_CONFIG": config}, expect=(2,), timeout=20,
               say="not a regular file")


# ---- faults reached only inside the app or against a stand-in server: counted by their tests

TESTED_FAULTS: dict[str, list[str]] = {
    "a ComfyUI server that is not there": ["tests/e2e/test_comfyui.py::test_an_unreachable_server_is_one_line"],
    "ComfyUI's websocket dropping mid-run": ["tests/e2e/test_comfyui.py::test_the_websocket_dropping_mid_run_loses_nothing"],
    "a ComfyUI node failing on the server":
        ["tests/e2e/test_comfyui.py::test_a_node_failing_on_the_server_fails_the_task_with_its_message"],
    "a ComfyUI server dying mid-run": ["tests/e2e/test_comfyui.py::test_a_server_dying_mid_run_moves_its_task_to_another"],
    "someone else interrupting the ComfyUI server, a prompt past its timeout": [
        "tests/e2e/test_comfyui.py::test_someone_else_interrupting_the_server_and_a_timeout_are_one_line_each",
        "tests/e2e/test_comfyui.py::test_a_prompt_past_its_timeout_is_stopped_on_the_server"],
    "noise on ComfyUI's websocket": ["tests/e2e/test_comfyui.py::test_noise_on_the_websocket_is_ignored"],
    "a hosted model's prediction failing, an unknown model version":
        ["tests/e2e/test_replicate.py::test_a_failed_prediction_and_an_unknown_version_are_one_line"],
    "a hosted API token missing or wrong":
        ["tests/e2e/test_replicate.py::test_a_missing_token_names_the_variable_and_a_wrong_one_is_never_shown"],
    "a task row naming another server or secret (recovery)": ["tests/e2e/hostile/test_recovery_trust.py"],
    "the PostgreSQL server restarting while the app reads":
        ["tests/e2e/test_server_restart_app.py::test_a_server_restart_while_the_screen_reads_ends_nothing"],
    "the PostgreSQL server restarting during a review under load":
        ["tests/e2e/test_review_under_fire.py::test_a_review_under_fire_on_postgresql"],
    "SIGHUP to the app whatever it is doing": ["tests/e2e/hostile/test_signals.py::test_a_hang_up_ends_the_app_whatever_it_is_doing"],
    "the terminal going away without a signal (an SSH drop)":
        ["tests/e2e/hostile/test_signals.py::test_a_terminal_that_goes_away_without_a_signal_ends_the_app"],
    "an app stuck on its event loop": ["tests/e2e/hostile/test_signals.py::test_the_backstop_ends_a_stuck_process_and_requeues_its_tasks"],
    "the write lock held while the director decides in the app": [
        "tests/e2e/hostile/test_store_faults.py::test_a_locked_database_shows_it_waits_and_the_decision_lands_when_it_goes",
        "tests/e2e/hostile/test_store_faults.py::test_a_lock_held_past_the_busy_timeout_keeps_the_typed_comment"],
    "a full disk while the director types in the app":
        ["tests/e2e/hostile/test_store_faults.py::test_a_full_disk_keeps_the_comment_waiting_and_nothing_typed_is_lost"],
    "the app killed while a comment is typed":
        ["tests/e2e/hostile/test_store_faults.py::test_a_comment_being_typed_comes_back_after_the_app_died"],
    "two directors deciding the same shot at once":
        ["tests/e2e/hostile/test_store_faults.py::test_two_directors_deciding_at_once_the_later_is_refused_and_shown_why"],
    "a state folder that cannot keep the outbox":
        ["tests/e2e/hostile/test_store_faults.py::test_a_state_folder_that_cannot_keep_the_outbox_still_decides"],
    "hostile text (escape sequences) in every field of every screen": ["tests/app/hostile/test_terminal_text.py"],
    "a colleague's account planting links and fake tasks": ["tests/e2e/hostile/test_two_accounts.py"],
    "bad preset files read in the app": ["tests/e2e/hostile/test_bad_input.py::test_bad_preset_files_in_the_app_are_a_notice"],
    "serve: requests without the token, and stopping with tabs open": [
        "tests/e2e/test_serve.py::test_without_the_token_nothing_is_served",
        "tests/e2e/test_serve.py::test_ctrl_c_with_tabs_open_stops_serve_and_every_tab_at_once"],
    "an export, a cleanup or a cut killed half way": [
        "tests/e2e/test_archive.py::test_export_killed_leaves_no_broken_zip",
        "tests/e2e/test_archive.py::test_cleanup_killed_half_way_loses_nothing_and_finishes",
        "tests/e2e/test_cut_stop.py"],
}


def run_tested(tmp: Path) -> dict[str, str | None]:
    """Run every test of TESTED_FAULTS at once; each fault kind is clean when all its tests pass."""
    report = tmp / "junit.xml"
    nodes = sorted({node for group in TESTED_FAULTS.values() for node in group})
    subprocess.run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", f"--junitxml={report}", *nodes],
                   cwd=ROOT, capture_output=True, text=True, timeout=1200)
    import xml.etree.ElementTree as ET

    outcomes: dict[str, list[str]] = {}  # "file::name" without parameters -> failures
    for case in ET.parse(report).iter("testcase"):
        path = case.get("classname", "").replace(".", "/") + ".py"
        name = case.get("name", "").split("[")[0]
        bad = [child.tag for child in case if child.tag in ("failure", "error")]
        skipped = [child.get("message", "") for child in case if child.tag == "skipped"]
        outcomes.setdefault(f"{path}::{name}", []).extend(bad + [f"skipped: {m[:80]}" for m in skipped])
    result: dict[str, str | None] = {}
    for kind, group in TESTED_FAULTS.items():
        ran = {key: bad for key, bad in outcomes.items() if any(key == n or key.startswith(n + "::") for n in group)}
        if not ran:
            result[kind] = "its tests did not run"
        else:
            problems = sorted({p for bad in ran.values() for p in bad})
            result[kind] = ", ".join(problems) if problems else None
    return result


def main(argv: list[str]) -> int:
    import concurrent.futures

    only = argv[0] if argv else ""
    chosen = [(name, fn) for name, fn in FAULTS if only in name]
    results: dict[str, str | None] = {}
    skipped: dict[str, str] = {}
    timings: dict[str, float] = {}

    def one(name: str, fn: Callable[[Path], None]) -> None:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="sweep-") as tmp:
            try:
                fn(Path(tmp))
                results[name] = None
            except Unclean as exc:
                results[name] = str(exc)
            except Skip as exc:
                skipped[name] = str(exc)
            except Exception as exc:  # the sweep's own mistake must show, not count as clean
                results[name] = f"the sweep itself failed: {type(exc).__name__}: {exc}"[:300]
        timings[name] = time.monotonic() - started

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(one, name, fn) for name, fn in chosen]:
            future.result()
    if not only or only == "tested":
        with tempfile.TemporaryDirectory(prefix="sweep-") as tmp:
            results.update(run_tested(Path(tmp)))
    total = len(results)
    unclean = {name: why for name, why in results.items() if why is not None}
    print(f"{total - len(unclean)} of {total} fault kinds end cleanly ({(total - len(unclean)) / max(total, 1):.0%})"
          + (f"; {len(skipped)} could not be made here" if skipped else ""))
    for name, why in unclean.items():
        print(f"  unclean: {name}: {why}")
    for name, why in skipped.items():
        print(f"  not made: {name}: {why}")
    slow = sorted(timings.items(), key=lambda kv: -kv[1])[:3]
    print("  slowest: " + ", ".join(f"{name[:40]} {seconds:.0f} s" for name, seconds in slow))
    return 1 if unclean else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
