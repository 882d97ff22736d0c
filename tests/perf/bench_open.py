"""`director-tui open` on a 1,000-segment stream (10 versions per asset) against a bare
Textual DataTable app with the same 1,000 rows, both in a pseudo-terminal, same run.
Also peak memory, and the same with 10,000 segments."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import build_stream, run_in_pty

PY = sys.executable
HERE = Path(__file__).parent
MARKER = b"Segment 0001"


def measure(n: int, repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "ws"
        t0 = time.perf_counter()
        build_stream(home, n)
        build_s = time.perf_counter() - t0
        config = Path(tmp) / "config.toml"
        config.write_text("auto_generate = false\n")
        env = {"DIRECTOR_CONFIG": str(config)}
        ours, base = [], []
        for _ in range(repeats):  # interleaved so drift hits both alike
            base.append(run_in_pty([PY, str(HERE / "bare_table_app.py"), str(n)], MARKER))
            ours.append(run_in_pty([PY, "-m", "director_tui", "--home", str(home), "open", "bench"],
                                   MARKER, env=env))
        for run in ours + base:
            if not run.saw_marker:
                raise SystemExit(f"the first row never appeared ({n} segments)")
    o = statistics.median(r.settle_s for r in ours)
    b = statistics.median(r.settle_s for r in base)
    return {"segments": n, "build_s": build_s, "open_s": o, "baseline_s": b, "ratio": o / b,
            "peak_mb": max(r.peak_rss_mb for r in ours),
            "baseline_peak_mb": max(r.peak_rss_mb for r in base)}


def main() -> list[dict[str, float]]:
    results = [measure(1000, 7), measure(10_000, 3)]
    print("open: time to first settled screen (median), pseudo-terminal 160x48")
    for r in results:
        print(f"  {int(r['segments']):>6} segments: director-tui {r['open_s']:.2f} s, bare DataTable "
              f"{r['baseline_s']:.2f} s, ratio {r['ratio']:.2f}; peak memory {r['peak_mb']:.0f} MB "
              f"(bare {r['baseline_peak_mb']:.0f} MB)")
    return results


if __name__ == "__main__":
    main()
