"""`make bench`: every benchmark, figures printed and saved to .bench/results.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_open

TARGET_OPEN_RATIO = 1.25


def main() -> int:
    results = {"open": bench_open.main()}
    out = Path(".bench")
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    ratio = results["open"][0]["ratio"]
    verdict = "within" if ratio <= TARGET_OPEN_RATIO else "OVER"
    print(f"open 1,000 segments: ratio {ratio:.2f} ({verdict} the {TARGET_OPEN_RATIO}x target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
