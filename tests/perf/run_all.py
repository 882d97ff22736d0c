"""`make bench`: every benchmark, figures printed and saved to .bench/results.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_flood
import bench_open
import bench_runner

TARGETS = {"open 1,000 segments (ratio to a bare DataTable app)": 1.25,
           "runner overhead (ratio to a bare asyncio loop)": 1.3,
           "flood key latency p95 (ms)": 50.0, "flood database commits a second": 50.0}


def main() -> int:
    results = {"open": bench_open.main(), "runner": bench_runner.main(), "flood": bench_flood.main()}
    out = Path(".bench")
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    figures = [results["open"][0]["ratio"], results["runner"]["ratio"], results["flood"]["flood_p95_ms"],
               results["flood"]["commits_per_s"]]
    print("\nsummary")
    for (name, target), value in zip(TARGETS.items(), figures, strict=True):
        print(f"  {name}: {value:.2f} — {'within' if value <= target else 'OVER'} the target {target:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
