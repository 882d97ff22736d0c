"""The comfyui back end's pool: 40 tasks over 4 stand-in ComfyUI servers (tests/comfy_standin.py,
each sampling 4 steps of 0.1 s per prompt). Every server must be kept busy (utilisation:
the time it spent executing prompts over the run's wall time, >= 90% each), and the run must
take at most 1.2x a bare aiohttp client doing the same protocol (websocket, POST /prompt,
events to the end, /history, /view, write the file) with one worker per server, same run."""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))

from tests.comfy_standin import Knobs, running_standin, workflow  # noqa: E402

TASKS, SERVERS, STEPS, STEP_S = 40, 4, 4, 0.1
INPUTS = {"prompt": ["title:Positive", "text"], "seed": ["3", "seed"], "width": ["5", "width"],
          "height": ["5", "height"]}


def bench_workflow() -> dict:  # type: ignore[type-arg]
    wf = workflow()
    wf["3"]["inputs"]["steps"] = STEPS
    return wf


async def bare_client(urls: list[str], out: Path) -> float:
    """The same protocol by hand: one worker per server, TASKS / SERVERS prompts each."""
    import aiohttp

    async def worker(url: str, n: int, first: int) -> None:
        async with aiohttp.ClientSession() as http:
            for i in range(n):
                client_id, prompt_id = uuid.uuid4().hex, str(uuid.uuid4())
                graph = bench_workflow()
                graph["6"]["inputs"]["text"] = f"shot {first + i}"
                graph["5"]["inputs"].update(width=64, height=36)
                async with http.ws_connect(f"{url}/ws?clientId={client_id}") as ws:
                    async with http.post(f"{url}/prompt", json={"prompt": graph, "client_id": client_id,
                                                                "prompt_id": prompt_id}) as resp:
                        await resp.json()
                    async for msg in ws:
                        event = json.loads(msg.data)
                        if event["type"] == "execution_success":
                            break
                async with http.get(f"{url}/history/{prompt_id}") as resp:
                    entry = (await resp.json())[prompt_id]
                image = next(iter(entry["outputs"].values()))["images"][0]
                async with http.get(f"{url}/view", params={"filename": image["filename"], "type": "output",
                                                           "subfolder": ""}) as resp:
                    (out / f"{first + i}.png").write_bytes(await resp.read())

    per = TASKS // len(urls)
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(url, per, k * per) for k, url in enumerate(urls)))
    return time.perf_counter() - t0


def ours(tmp: Path, urls: list[str], standins: list) -> tuple[float, float, int]:  # type: ignore[type-arg]
    """The runner over the pool: wall time, the least utilised server's share, versions made."""
    import os

    from sqlalchemy import func, select

    from director_tui.core import queue
    from director_tui.core.models import Version
    from director_tui.core.spec import create_stream, validate_spec
    from director_tui.core.store import open_store
    from director_tui.core.trust import TrustStore, definitions
    from director_tui.jobs.runner import Runner

    home = tmp / "ws"
    store = open_store(home)
    spec = validate_spec({"stream": "bench", "width": 64, "height": 36,
                          "segments": [{"image_prompt": f"shot {i}"} for i in range(TASKS)],
                          "generators": {"keyframe": {"backend": "comfyui", "servers": urls,
                                                      "workflow": bench_workflow(), "inputs": INPUTS}}})
    with store.write() as s:
        stream = create_stream(s, spec, "bench")
        queue.queue_missing_keyframes(s, stream.id, "bench")
    os.environ["DIRECTOR_STATE"] = str(tmp / "state")
    for definition in definitions(spec.generators):
        if not definition.builtin:
            TrustStore().trust(definition, "bench")
    for standin in standins:
        standin.spans.clear()

    async def go() -> tuple[float, float]:
        runner = Runner(store, home, [stream.id], actor="bench", poll_interval_s=0.05)
        t0 = time.perf_counter()
        await runner.run_until_idle(300)
        t1 = time.perf_counter()
        await runner.stop()
        return t0, t1

    t0, t1 = asyncio.run(go())
    wall = t1 - t0
    busy = [sum(min(e, t1) - max(b, t0) for b, e in standin.spans if e > t0 and b < t1) for standin in standins]
    with store.read() as s:
        made = s.execute(select(func.count(Version.id))).scalar_one()
    store.dispose()
    return wall, min(busy) / wall, int(made)


def main(rounds: int = 3) -> dict[str, float]:
    ratios, utilisations, walls, bares = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp_s, contextlib.ExitStack() as stack:
        tmp = Path(tmp_s)
        standins = [stack.enter_context(running_standin(tmp / f"gpu{k}", Knobs(step_s=STEP_S)))
                    for k in range(SERVERS)]
        urls = [s.url for s in standins]
        for r in range(rounds):
            (tmp / f"bare{r}a").mkdir()
            (tmp / f"bare{r}b").mkdir()
            bare = asyncio.run(bare_client(urls, tmp / f"bare{r}a"))
            wall, utilisation, made = ours(tmp / f"ours{r}", urls, standins)
            bare2 = asyncio.run(bare_client(urls, tmp / f"bare{r}b"))
            if made != TASKS:
                raise SystemExit(f"comfyui: {made} versions made, not {TASKS}")
            base = (bare + bare2) / 2
            ratios.append(wall / base)
            utilisations.append(utilisation)
            walls.append(wall)
            bares.append(base)
    result = {"ratio": statistics.median(ratios), "ratios": ratios, "min_utilisation": statistics.median(utilisations),
              "wall_s": statistics.median(walls), "bare_s": statistics.median(bares)}
    print(f"comfyui pool: {TASKS} tasks over {SERVERS} stand-in servers ({STEPS} steps of {STEP_S:g} s a prompt), "
          f"median of {rounds} rounds: {result['wall_s']:.2f} s vs bare aiohttp client {result['bare_s']:.2f} s, "
          f"ratio {result['ratio']:.2f} (rounds {', '.join(f'{r:.2f}' for r in ratios)}; target 1.2); "
          f"least busy server {result['min_utilisation'] * 100:.0f}% of the run (target >= 90%)")
    return result


if __name__ == "__main__":
    print(json.dumps(main()))
