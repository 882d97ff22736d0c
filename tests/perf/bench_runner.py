"""Runner overhead: 500 tasks of a trivial generator at concurrency 4, against a bare asyncio
subprocess loop running the same generator the same number of times, same run."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

PY = sys.executable
HERE = Path(__file__).parent
TASKS, CONCURRENCY = 500, 4
CPU: dict[str, float] = {}


async def bare_loop(src: Path, out_dir: Path) -> float:
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with sem:
            proc = await asyncio.create_subprocess_exec(
                PY, str(HERE / "trivial_gen.py"), "--src", str(src), "--out", str(out_dir / f"{i}.png"),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            await proc.communicate()

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(TASKS)))
    return time.perf_counter() - t0


def trust_in(tmp: Path, generators: dict) -> None:  # type: ignore[type-arg]
    """The bench's own generator, trusted in a state folder of its own (never the user's)."""
    import os

    from director_tui.core.trust import TrustStore, definitions

    os.environ["DIRECTOR_STATE"] = str(tmp / "state")
    for definition in definitions(generators):
        if not definition.builtin:
            TrustStore().trust(definition, "bench")


def runner_run(tmp: Path, src: Path) -> tuple[float, int]:
    from sqlalchemy import func, select

    from director_tui.core import queue
    from director_tui.core.models import Segment, Version
    from director_tui.core.spec import create_stream, validate_spec
    from director_tui.core.store import open_store
    from director_tui.jobs.runner import Runner

    home = tmp / "ws"
    store = open_store(home)
    spec = validate_spec({"stream": "bench", "segments": [{"image_prompt": f"shot {i}"} for i in range(TASKS)],
                          "generators": {"keyframe": {"command": [PY, str(HERE / "trivial_gen.py"), "--src", str(src),
                                                                  "--out", "{output}"], "concurrency": CONCURRENCY}}})
    with store.write() as s:
        stream = create_stream(s, spec, "bench")
        ids = list(s.execute(select(Segment.id).where(Segment.stream_id == stream.id)).scalars())
        for seg_id in ids:
            queue.enqueue(s, seg_id, "keyframe", "bench")
    trust_in(tmp, spec.generators)

    async def go() -> float:
        runner = Runner(store, home, [stream.id], actor="bench")
        t0, cpu0 = time.perf_counter(), time.process_time()
        await runner.run_until_idle()
        elapsed = time.perf_counter() - t0
        CPU["runner_cpu_ms_per_task"] = (time.process_time() - cpu0) * 1000 / TASKS
        await runner.stop()
        return elapsed

    elapsed = asyncio.run(go())
    with store.read() as s:
        versions = s.execute(select(func.count(Version.id))).scalar_one()
    store.dispose()
    return elapsed, versions


def main(rounds: int = 3) -> dict[str, float]:
    """Interleaved rounds (bare, ours, bare), the median ratio: on a shared 2-core machine one
    round swings by ±0.1."""
    ratios, ours_s, bare_s, cpu = [], [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp_s:
            tmp = Path(tmp_s)
            src = tmp / "tiny.png"
            Image.new("RGB", (64, 36), (1, 2, 3)).save(src)
            # each bare loop writes new files, as the runner does (overwriting one allocates
            # no inodes, which on this machine's ext4 cost ~0.5 ms each)
            (tmp / "bare").mkdir()
            (tmp / "bare2").mkdir()
            bare = asyncio.run(bare_loop(src, tmp / "bare"))
            ours, versions = runner_run(tmp, src)
            bare2 = asyncio.run(bare_loop(src, tmp / "bare2"))  # again, so drift hits both
        if versions != TASKS:
            raise SystemExit(f"runner recorded {versions} versions, not {TASKS}")
        base = (bare + bare2) / 2
        ratios.append(ours / base)
        ours_s.append(ours)
        bare_s.append(base)
        cpu.append(CPU["runner_cpu_ms_per_task"])
    result = {"tasks": TASKS, "runner_s": statistics.median(ours_s), "bare_s": statistics.median(bare_s),
              "ratio": statistics.median(ratios), "ratios": ratios,
              "runner_cpu_ms_per_task": statistics.median(cpu)}
    print(f"runner: {TASKS} trivial tasks at concurrency {CONCURRENCY}, median of {rounds} rounds: "
          f"{result['runner_s']:.2f} s vs bare asyncio loop {result['bare_s']:.2f} s, ratio {result['ratio']:.2f} "
          f"(rounds {', '.join(f'{r:.2f}' for r in ratios)}; target 1.3); runner CPU "
          f"{result['runner_cpu_ms_per_task']:.1f} ms per task")
    return result


if __name__ == "__main__":
    print(json.dumps(main()))
