"""Read commands' whole-process time (issue 18): `director-tui list`, `status`, `activity`
and `metrics` as a shell loop or a prompt runs them, and a shell-completion request (a
stream slug after `status `), on a workspace of 200 segments with 20,000 activity rows
and 4,000 tasks, against `python -c "import sqlite3, json"` in the same run (the floor of
any Python program that reads a database). Median of 11 runs each, output to /dev/null.
For reference, the same `list` through the full typer CLI (what every command cost before)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import build_stream, fill_history

RUNS, SEGMENTS, ACTIVITY, TASKS = 11, 200, 20_000, 4_000
KINDS = ["prompt.changed", "task.queued", "version.created", "task.failed", "version.approved",
         "version.rejected", "comment.added"]
BIN = Path(sys.executable).with_name("director-tui")


def whole_process(argv: list[str], env: dict[str, str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        times.append(time.perf_counter() - started)
        assert done.returncode == 0, (argv, done.stderr)
    return statistics.median(times)


def main() -> dict[str, object]:
    print("cli: read commands, whole process (median of 11), 200 segments, 20,000 activity rows")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        build_stream(home, SEGMENTS)
        fill_history(home, activity=ACTIVITY, tasks=TASKS, kinds=KINDS, actors=["ana", "ben"], spacing_s=60,
                     seed=18, minutes_back=20_000)
        env = {**os.environ, "DIRECTOR_HOME": str(home), "DIRECTOR_CONFIG": str(home / "none.toml"),
               "DIRECTOR_STATE": str(home / "state")}
        floor = whole_process([sys.executable, "-c", "import sqlite3, json"], env)
        commands = {"list": ["list"], "status": ["status", "bench"], "activity": ["activity", "bench"],
                    "metrics": ["metrics", "bench"], "activity --json --kind decision --since 7d":
                    ["activity", "bench", "--json", "--kind", "decision", "--since", "7d"]}
        results: dict[str, object] = {"floor_s": floor}
        for label, args in commands.items():
            took = whole_process([str(BIN), *args], env)
            results[label] = {"seconds": took, "ratio": took / floor}
            print(f"  {label:<44} {took * 1000:6.0f} ms  ratio {took / floor:5.2f} to the floor "
                  f"({floor * 1000:.0f} ms)")
        completion_env = {**env, "_DIRECTOR_TUI_COMPLETE": "complete_bash", "COMP_WORDS": "director-tui status ",
                          "COMP_CWORD": "2"}
        done = subprocess.run([str(BIN)], capture_output=True, text=True, env=completion_env)
        assert done.stdout.split() == ["bench"], done.stdout  # it completes the slug, not nothing
        took = whole_process([str(BIN)], completion_env)
        results["completion"] = {"seconds": took, "ratio": took / floor}
        print(f"  {'completion: director-tui status <tab>':<44} {took * 1000:6.0f} ms  ratio {took / floor:5.2f}")
        full = whole_process([sys.executable, "-c", "import sys; sys.argv = ['director-tui', 'list']; "
                              "from director_tui.cli import main; main()"], env)
        results["list through the full CLI"] = {"seconds": full, "ratio": full / floor}
        print(f"  {'(list through the full typer CLI)':<44} {full * 1000:6.0f} ms  ratio {full / floor:5.2f}")
        slowest = max(v["seconds"] for k, v in results.items()
                      if isinstance(v, dict) and "full" not in k and k != "completion")
        results["slowest_s"] = slowest
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
