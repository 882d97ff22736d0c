"""Issue 25 with two real accounts: a director (this test's account) and a colleague (an
account made with useradd, in the workspace's group) sharing a setgid group workspace
with `workspace_mode = "group"`, as the README recommends for a studio. The colleague acts
only with what every such account has: coreutils and the sqlite3 shell, on the shared
files. Skipped, saying why, where the machine does not let the tests make an account.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PY

GROUP, COLLEAGUE = "dtstudio", "dtcolleague"


def _ensure_account() -> str | None:
    """The colleague's account and the studio group; why not, where they cannot be made.
    One xdist worker at a time (a lock file): two useradds at once refuse each other."""
    import fcntl

    if os.geteuid() != 0:
        return "making a second account needs root"
    with open("/tmp/director-tests-accounts.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _make_account()


def _make_account() -> str | None:
    for tool in ("useradd", "groupadd", "runuser", "sqlite3"):
        if shutil.which(tool) is None:
            return f"no {tool} here (.ci/run installs sqlite3)"
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        made = subprocess.run(["groupadd", "-f", GROUP], capture_output=True, text=True)  # -f: made meanwhile is fine
        if made.returncode != 0:
            return f"groupadd refused: {made.stderr.strip()[:120]}"
    try:
        pwd.getpwnam(COLLEAGUE)
    except KeyError:
        made = subprocess.run(["useradd", "--no-create-home", "-N", "-g", GROUP, "-s", "/bin/sh", COLLEAGUE],
                              capture_output=True, text=True)
        if made.returncode != 0:
            return f"useradd refused: {made.stderr.strip()[:120]}"
    return None


@pytest.fixture
def studio() -> Iterator[tuple[Path, dict[str, str]]]:
    """(the group workspace, the director's environment), in a folder both accounts reach."""
    why = _ensure_account()
    if why is not None:
        pytest.skip(why)
    root = Path(tempfile.mkdtemp(prefix="director-studio-", dir="/tmp"))
    try:
        os.chmod(root, 0o755)
        home = root / "ws"
        home.mkdir()
        os.chown(home, 0, grp.getgrnam(GROUP).gr_gid)
        os.chmod(home, 0o2770)  # setgid: what is made inside belongs to the studio's group
        private = root / "director"
        private.mkdir(mode=0o700)
        (private / "config.toml").write_text('workspace_mode = "group"\n')
        env = {**os.environ, "DIRECTOR_CONFIG": str(private / "config.toml"), "DIRECTOR_STATE": str(private / "state"),
               "DIRECTOR_HEARTBEAT_STALE_S": "2"}
        yield home, env
    finally:
        shutil.rmtree(root, ignore_errors=True)


def director(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "director_tui", "--home", str(home), *args], capture_output=True, text=True,
                          env=env, timeout=120)


def colleague(*argv: str) -> subprocess.CompletedProcess[str]:
    """A command as the colleague: their own account, the studio's group."""
    done = subprocess.run(["runuser", "-u", COLLEAGUE, "--", *argv], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (argv, done.stderr)
    return done


@pytest.mark.parametrize("planted", ["a link to the director's file", "a file of the colleague's"])
def test_a_colleague_cannot_make_the_directors_runner_write_their_file(studio, planted) -> None:  # type: ignore[no-untyped-def]
    """The colleague plants logs/task-2.log (a link to the director's .bashrc, or a file of
    their own to read what is written) and queues a prompt that is shell code; the
    director's `regen --wait` fails the task saying why, and writes neither file."""
    home, env = studio
    assert director(home, env, "new", "film").returncode == 0
    rc = home.parent / "director" / ".bashrc"
    rc.write_text("# the director's shell setup\n")
    assert director(home, env, "regen", "film", "--wait").returncode == 0  # task 1: logs/ made, as in any studio
    logs = home / "logs"
    assert logs.stat().st_mode & 0o070 == 0o070, "the group workspace lets the group write logs/"
    if planted.startswith("a link"):
        colleague("ln", "-s", str(rc), str(logs / "task-2.log"))
    else:
        colleague("touch", str(logs / "task-2.log"))
    colleague("sqlite3", str(home / "director.db"), "UPDATE segment SET image_prompt = '''; touch /tmp/pwned; #'")
    done = director(home, env, "regen", "film", "--wait")
    assert done.returncode == 1 and "cannot write the task's log" in done.stderr, done.stderr
    assert rc.read_text() == "# the director's shell setup\n"
    if not planted.startswith("a link"):
        assert (logs / "task-2.log").stat().st_size == 0  # nothing of the director's reached their file


def test_a_fake_task_cannot_make_the_directors_runner_kill_their_processes(studio) -> None:  # type: ignore[no-untyped-def]
    """The colleague writes a `running` task of a dead instance naming a process group of
    the director's (a shell of theirs: here a sleep in its own session) with its start
    time; the director's `work --until-idle` recovers the task and kills nothing."""
    home, env = studio
    assert director(home, env, "new", "film").returncode == 0
    victim = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        with open(f"/proc/{victim.pid}/stat") as fh:
            start = float(fh.read().rsplit(")", 1)[1].split()[19])
        colleague("sqlite3", str(home / "director.db"),
                  "INSERT INTO task (stream_id, segment_id, asset, state, priority, prompt, seed, progress, message, "
                  "error, pid, pgid, owner, owner_pid, owner_start, proc_start, heartbeat_at, requested_by, created_at, "
                  "started_at, cancel_requested) VALUES (1, 1, 'keyframe', 'running', 0, 'x', 1, 0.5, '', '', "
                  f"{victim.pid}, {victim.pid}, '{socket.gethostname()}:999999:dead', 999999, 1, {start}, '2000-01-01 00:00:00', "
                  f"'{COLLEAGUE}', '2000-01-01 00:00:00', '2000-01-01 00:00:00', 0)")
        done = director(home, env, "work", "film", "--until-idle")
        assert done.returncode == 0, done.stderr
        time.sleep(0.2)
        assert victim.poll() is None, "the director's process was killed on the store's word"
        status = director(home, env, "status", "film")
        assert "0 running, 0 queued" in status.stdout, status.stdout
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
