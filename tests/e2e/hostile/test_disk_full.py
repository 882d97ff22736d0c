"""The disk fills while `regen --wait` records (issue 25, 2): a real full file system (a small
tmpfs, mounted where the machine allows it), the real CLI and the built-in generator.

Before the fix the command hung (its task's end could not be written and it waited for the
row to stop reading `running`) and a traceback came from closing the task's log; after it,
each task fails with one line, the command exits 1 at once, and the next instance puts the
task back on the queue."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PY


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount(8) here: a full disk cannot be made")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"this machine does not let the tests mount a small tmpfs ({made.stderr.strip()[:120]})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def director(home: Path, env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "director_tui", "--home", str(home), *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def fill(disk: Path, leave_kb: int) -> Path:
    st = os.statvfs(disk)
    filler = disk / "filler"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave_kb * 1024))
    return filler


@pytest.mark.parametrize("room_kb", [60, 90])  # 60: the claim is refused; 90: the version's record is
def test_regen_wait_on_a_full_disk_ends_with_one_line(small_disk: Path, tmp_path: Path, room_kb: int) -> None:
    home = small_disk / "ws"
    env = {**os.environ, "DIRECTOR_STATE": str(tmp_path / "state"), "DIRECTOR_CONFIG": str(tmp_path / "none.toml"),
           "DIRECTOR_HEARTBEAT_STALE_S": "2"}
    assert director(home, env, "new", "film").returncode == 0
    filler = fill(small_disk, room_kb)
    started = time.monotonic()
    done = director(home, env, "regen", "film", "--wait")
    took = time.monotonic() - started
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert took < 20, f"regen --wait took {took:.1f} s on a full disk"
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("director-tui:")]
    assert len(lines) == 1 and lines[0].startswith("director-tui: task 1 "), done.stderr
    assert "the disk is full" in lines[0] and "(or `work`)" in lines[0], lines[0]
    filler.unlink()  # room again: the task is not lost, whatever the store could record
    again = director(home, env, "work", "film", "--until-idle")
    assert again.returncode == 0, again.stderr
    status = director(home, env, "status", "film")
    assert "0 running, 0 queued" in status.stdout and "keyframe v1 review" in status.stdout, status.stdout
