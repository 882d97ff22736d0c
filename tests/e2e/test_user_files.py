"""This user's own files (trust, preferences) written by two processes at once (issue 26):
each read the file, changed it and wrote it back, and the later write lost the earlier
one's change; now each read-modify-write holds the file's lock. Real processes, a real
state folder; both tests fail without the lock (checked: 125 and 109 of 200 survived)."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

from tests.conftest import PY

WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    which, what, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    from director_tui.config import save_pref
    from director_tui.core.trust import Definition, TrustStore
    while not go.exists():  # both start at once
        time.sleep(0.001)
    store = TrustStore()
    for i in range(n):
        if what == "prefs":
            save_pref(f"{which}-{i}", "x")
        else:
            store.trust(Definition("keyframe", {"command": [f"/bin/{which}", str(i), "{output}"]}), "film")
""")


def race(tmp_path: Path, what: str, n: int = 100) -> None:
    env = {**os.environ, "DIRECTOR_STATE": str(tmp_path / "state")}
    go = tmp_path / "go"
    procs = [subprocess.Popen([PY, "-c", WRITER, which, what, str(n), str(go)], env=env, stderr=subprocess.PIPE,
                              text=True) for which in ("ana", "ben")]
    go.touch()
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err


def count_after_race(tmp_path: Path, what: str, count: str) -> str:
    """Race two writers, then count what the file keeps (in a fresh process)."""
    race(tmp_path, what)
    env = {**os.environ, "DIRECTOR_STATE": str(tmp_path / "state")}
    return subprocess.run([PY, "-c", count], env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_two_processes_saving_preferences_at_once_keep_every_one(tmp_path: Path) -> None:
    assert count_after_race(tmp_path, "prefs", "from director_tui.config import load_prefs; print(len(load_prefs()))") \
        == "200"
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == [".prefs.json.lock", "prefs.json"]  # no .tmp left
    assert (tmp_path / "state" / "prefs.json").stat().st_mode & 0o777 == 0o600


def test_two_processes_trusting_at_once_keep_every_definition(tmp_path: Path) -> None:
    assert count_after_race(tmp_path, "trust", "from director_tui.core.trust import TrustStore; "
                            "print(len(TrustStore().entries()))") == "200"
    assert (tmp_path / "state" / "trust.json").stat().st_mode & 0o777 == 0o600
