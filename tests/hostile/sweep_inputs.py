"""A sweep of bad command-line input (issue 25's measure): every command with hostile values
in each argument. Clean means: it ends within 20 s, exits 1 or 2 (or 0 where the input is
merely odd), prints no traceback, and says what is wrong in at most two lines on stderr.

    python tests/hostile/sweep_inputs.py        # prints the figure and every unclean case

Not collected by pytest yet: each case is a whole process (~0.4 s)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

PY = sys.executable
HOSTILE = {
    "2**63": str(2**63), "-1": "-1", "0": "0", "5,000 digits": "9" * 5000, "empty": "", "ESC ] 52": "\x1b]52;c;aGk=\x07",
    "newline": "a\nb", "../": "../../etc/passwd", "100,001 chars": "x" * 100_001, "NUL-free junk": "%s%n{}[]",
    "a FIFO": "{fifo}", "/dev/zero": "/dev/zero", "a link out": "{link}", "a folder": "{folder}",
}
# each form: the command with {X} where a hostile value goes
FORMS = [
    ["status", "{X}"], ["approve", "film", "{X}"], ["reject", "film", "{X}"], ["comment", "film", "{X}", "hi"],
    ["comment", "film", "1", "{X}"], ["comment", "film", "1", "x", "--at", "{X}"], ["prompt", "film", "1", "{X}"],
    ["regen", "film", "--segments", "{X}"], ["cancel", "film", "{X}"], ["restore", "film", "1", "{X}"],
    ["restore", "film", "{X}", "1"], ["export", "film", "spec", "-o", "{X}"], ["import", "{X}"],
    ["cleanup", "film", "--keep", "{X}"], ["activity", "film", "--since", "{X}"], ["activity", "film", "--segment", "{X}"],
    ["vary", "film", "{X}"], ["pick", "film", "1", "{X}"], ["undo", "{X}"], ["new", "{X}"], ["export-spec", "{X}"],
    ["approve", "film", "1", "--version", "{X}"], ["metrics", "{X}"], ["inbox", "--limit", "{X}"],
]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        home = tmp / "ws"
        env = {**os.environ, "DIRECTOR_CONFIG": str(tmp / "none.toml"), "DIRECTOR_STATE": str(tmp / "state")}
        run = [PY, "-m", "director_tui", "--home", str(home)]
        subprocess.run([*run, "new", "film"], env=env, check=True, capture_output=True)
        os.mkfifo(tmp / "fifo")
        (tmp / "link").symlink_to("/etc/passwd")
        (tmp / "folder").mkdir()
        places = {"{fifo}": str(tmp / "fifo"), "{link}": str(tmp / "link"), "{folder}": str(tmp / "folder")}
        total, unclean = 0, []
        for form in FORMS:
            for name, value in HOSTILE.items():
                value = places.get(value, value)
                argv = [value if part == "{X}" else part for part in form]
                total += 1
                try:
                    done = subprocess.run([*run, *argv], env=env, capture_output=True, text=True, timeout=20,
                                          stdin=subprocess.DEVNULL, errors="replace")
                except subprocess.TimeoutExpired:
                    unclean.append((form, name, "no end within 20 s"))
                    continue
                err = done.stderr.strip()
                if "Traceback" in err:
                    unclean.append((form, name, "a traceback: " + err.splitlines()[-1][:160]))
                elif done.returncode not in (0, 1, 2):
                    unclean.append((form, name, f"exit {done.returncode}"))
                elif "\x1b]" in done.stdout + done.stderr:
                    unclean.append((form, name, "an escape sequence reached the terminal"))
                elif done.returncode and len(err.splitlines()) > 2 and not err.startswith("Usage:") \
                        and "╭" not in err:
                    unclean.append((form, name, f"{len(err.splitlines())} lines: {err.splitlines()[0][:120]}"))
        print(f"{total - len(unclean)} of {total} bad inputs end cleanly ({(total - len(unclean)) / total:.0%})")
        for form, name, why in unclean:
            print(f"  {' '.join(form)} with {name}: {why}")
        return 1 if unclean else 0


if __name__ == "__main__":
    sys.exit(main())
