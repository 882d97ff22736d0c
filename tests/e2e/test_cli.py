"""The CLI through typer's runner, on a real workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_cli_unit import cli  # shared with its unit tier


def test_duplicate_and_bad_config(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli(home, "new", "film").exit_code == 0
    r = cli(home, "new", "film")
    assert r.exit_code == 2 and "stream: 'film' already exists" in r.output
    config = tmp_path / "config.toml"
    config.write_text('player = "mpv"\n')
    monkeypatch.setenv("DIRECTOR_CONFIG", str(config))
    r = cli(home, "list")
    assert r.exit_code == 2 and "player: must be a non-empty list of strings" in r.output


@pytest.mark.parametrize(("args", "message", "code"), [
    (["open", "nope"], "stream 'nope' not found", 2),
    (["open", "../x"], "stream '../x' not found", 2),
    (["open", "--help"], "Open a stream", 0),
])
def test_the_real_entry_point_open_errors(home: Path, args: list[str], message: str, code: int) -> None:
    """`python -m director_tui` (what the console script runs): one line, no traceback."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "director_tui", "--home", str(home), *args],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == code and message in r.stdout + r.stderr
    assert "Traceback" not in r.stderr and (code == 0 or len(r.stderr.strip().splitlines()) == 1)


def test_open_names_a_bad_config_in_one_line(home: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    config = tmp_path / "c.toml"
    config.write_text("image_protocol = 3\n")
    r = subprocess.run([sys.executable, "-m", "director_tui", "--home", str(home), "open", "film"],
                       capture_output=True, text=True, timeout=60, env={**os.environ, "DIRECTOR_CONFIG": str(config)})
    assert r.returncode == 2 and r.stderr.strip() == f"director-tui: {config}: image_protocol: must be auto, sixel, kitty, halfcell or unicode"


def test_open_without_a_terminal_for_keys_is_one_line(home: Path, tmp_path: Path) -> None:
    """`open` with stdin from /dev/null (cron, a pipe, ssh -n) waited forever for keys."""
    import os
    import subprocess
    import sys

    assert cli(home, "new", "film").exit_code == 0
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_DRIVER"}
    for form in (["open", "film"], ["demo"]):
        r = subprocess.run([sys.executable, "-m", "director_tui", "--home", str(home), *form], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode == 2 and r.stderr.startswith("director-tui: open: standard input is not a terminal"), r
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
