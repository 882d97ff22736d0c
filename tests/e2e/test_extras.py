"""PostgreSQL and `serve` are extras (issue 26, 7): `pip install director-tui` alone has
neither psycopg nor textual-serve, and each command that needs one says which extra to
install in one line, exit 2. The real CLI in a process where importing the driver fails
as it does when it is not installed (sys.modules[name] = None makes `import` raise
ImportError naming it); the test extra installs both, so nothing else can show it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PY

WITHOUT_EXTRAS = ("import sys\n"
                  "for name in ('psycopg', 'textual_serve'):\n"
                  "    sys.modules[name] = None\n"
                  "sys.argv = ['director-tui', *sys.argv[1:]]\n"
                  "from director_tui.launch import main\n"
                  "main()\n")
URL = "postgresql://ana:secret@db.studio/film"


@pytest.mark.parametrize(("args", "extra"), [
    (["--store", URL, "list"], "studio"), (["--store", URL, "status", "film"], "studio"),
    (["--store", URL, "open", "film"], "studio"), (["init-store", URL], "studio"),
    (["serve", "film"], "serve")])
def test_a_command_without_its_extra_names_it_in_one_line(home: Path, tmp_path: Path, args: list[str],
                                                         extra: str) -> None:
    env = {**os.environ, "DIRECTOR_CONFIG": str(tmp_path / "none.toml"), "DIRECTOR_STATE": str(tmp_path / "state")}
    subprocess.run([PY, "-m", "director_tui", "--home", str(home), "new", "film"], env=env, check=True,
                   capture_output=True)
    done = subprocess.run([PY, "-c", WITHOUT_EXTRAS, "--home", str(home), *args], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, (args, done.stderr)
    assert lines[0].endswith(f"is not installed: pip install 'director-tui[{extra}]'"), lines[0]
    assert "secret" not in done.stderr
