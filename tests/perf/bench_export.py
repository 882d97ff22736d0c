"""Export of 1,000 keyframes as a ZIP against writing the same files with `zipfile` directly,
same run, with 256 KB and 1 MB files (peak memory must not grow with the total size).

Each side runs in its own process and times its work after its imports: ours is
`core.export.run_export` (open the store, list the approved keyframes, write the ZIP,
fsync it, record the export), exactly what `director-tui export` and `:export` call.
The whole `director-tui export` command is timed too, to show what start-up adds.

The baseline fsyncs its ZIP before the rename, as ours does (an export says done when the
file is on disk): without it, zipfile measured a different promise, and that fsync was the
whole gap at 256 KB (0.10 s of 0.55 s, cProfile; sha256 of all 262 MB takes 0.17 s here,
overlapped with the copy). The ratio to the unsynced zipfile is printed too."""

from __future__ import annotations

import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

PY = sys.executable
N = 1000
PEAK = '''
def peak_mb():
    # VmHWM is this process's own peak; ru_maxrss would include the parent's at fork
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024
'''
BASELINE = PEAK + r'''
import os, sys, time, zipfile
from pathlib import Path
out, listing = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
with open(out + ".partial", "w+b") as raw:
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for line in Path(listing).read_text().splitlines():
            src, name = line.split("\t")
            zf.write(src, name)
    t_written = time.perf_counter()
    raw.flush()
    os.fsync(raw.fileno())  # what a durable export must do before it says done (ours does)
Path(out + ".partial").replace(out)
t1 = time.perf_counter()
print(t_written - t0, t1 - t0, peak_mb())
'''
OURS = PEAK + r'''
import sys, time
from pathlib import Path
from director_tui.core.store import open_store
from director_tui.core.export import run_export
home, out = Path(sys.argv[1]), sys.argv[2]
t0 = time.perf_counter()
store = open_store(home)
run_export(store, home, "bench", "keyframes", out, "bench")
print(time.perf_counter() - t0, peak_mb())
'''


def build(home: Path, size: int) -> Path:
    """A stream of N segments, each with one approved keyframe: a real file of `size` bytes."""
    from sqlalchemy import insert

    from director_tui.core.models import Segment, Stream, Version
    from director_tui.core.store import open_store

    store = open_store(home)
    with store.write() as s:
        stream = Stream(slug="bench", title="Export bench")
        s.add(stream)
        s.flush()
        s.execute(insert(Segment), [{"stream_id": stream.id, "position": i, "title": f"Shot {i}",
                                     "image_prompt": "p", "motion_prompt": "m", "duration": 4.0,
                                     "keyframe_state": "approved", "video_state": "none", "comment_count": 0}
                                    for i in range(1, N + 1)])
        seg_ids = [r[0] for r in s.execute(Segment.__table__.select().with_only_columns(Segment.id)
                                           .order_by(Segment.position))]
        rows = []
        for sid in seg_ids:
            rel = f"bench/s{sid:05d}/keyframe-v001.png"
            path = home / "media" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            data = os.urandom(size)
            path.write_bytes(data)
            rows.append({"segment_id": sid, "asset": "keyframe", "number": 1, "path": rel, "prompt": "p",
                         "seed": 1, "generator": "{}", "size_bytes": size, "decision": "approved",
                         # recorded as the runner records it: the export checks every file against it
                         "checksum": hashlib.sha256(data).hexdigest()})
        s.execute(insert(Version), rows)
        s.connection().exec_driver_sql(
            "UPDATE segment SET keyframe_version_id = (SELECT id FROM version v WHERE v.segment_id = segment.id)")
        from director_tui.core import archive

        listing = home / "listing.tsv"
        listing.write_text("".join(f"{e.path}\t{e.name}\n" for e in archive.keyframe_entries(
            s, home, int(stream.id), every_version=False)))  # type: ignore[arg-type]
    store.dispose()
    return listing


def inner(argv: list[str]) -> list[float]:
    """(seconds of work..., peak MB) as the child reports them."""
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed: {done.stderr[-300:]}")
    return [float(x) for x in done.stdout.split()]


def timed(argv: list[str]) -> float:
    """Wall time of a whole command, start-up included."""
    t0 = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed: {done.stderr.decode()[-300:]}")
    return time.perf_counter() - t0


def measure(size: int, repeats: int = 3) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        home = tmp / "ws"
        listing = build(home, size)
        ours, base, base_synced, cli, ours_mb, base_mb = [], [], [], [], [], []
        for i in range(repeats):  # interleaved, both reading from the same (warm) page cache
            t, t_synced, mb = inner([PY, "-c", BASELINE, str(tmp / f"b{i}.zip"), str(listing)])
            base.append(t)
            base_synced.append(t_synced)
            base_mb.append(mb)
            t, mb = inner([PY, "-c", OURS, str(home), str(tmp / f"o{i}.zip")])
            ours.append(t)
            ours_mb.append(mb)
            if (tmp / f"o{i}.zip").stat().st_size < N * size:
                raise SystemExit("the export is smaller than its files")
            cli.append(timed([PY, "-m", "director_tui", "--home", str(home), "export", "bench", "keyframes",
                              "-o", str(tmp / f"c{i}.zip")]))
            for name in (f"o{i}.zip", f"b{i}.zip", f"c{i}.zip"):
                (tmp / name).unlink()
    o, b, bs = statistics.median(ours), statistics.median(base), statistics.median(base_synced)
    # the target compares like with like: both files on disk (fsynced) when they say done;
    # the ratio to zipfile without the fsync is printed beside it
    return {"file_kb": size / 1024, "total_mb": N * size / 1e6, "export_s": o, "zipfile_s": bs, "ratio": o / bs,
            "zipfile_unsynced_s": b, "ratio_unsynced": o / b,
            "cli_s": statistics.median(cli), "peak_mb": max(ours_mb), "zipfile_peak_mb": max(base_mb)}


def main() -> list[dict[str, float]]:
    results = [measure(256 * 1024), measure(1024 * 1024)]
    print("export: 1,000 keyframes as a ZIP (median of 3, each side in its own process, after imports)")
    for r in results:
        print(f"  {r['file_kb']:.0f} KB files ({r['total_mb']:.0f} MB): export {r['export_s']:.2f} s, "
              f"zipfile + fsync {r['zipfile_s']:.2f} s, ratio {r['ratio']:.2f} (target 1.2; to zipfile without "
              f"the fsync {r['ratio_unsynced']:.2f}); whole `director-tui export` "
              f"command {r['cli_s']:.2f} s; peak memory {r['peak_mb']:.0f} MB (zipfile {r['zipfile_peak_mb']:.0f} MB; "
              "target < 150)")
    return results


if __name__ == "__main__":
    main()
