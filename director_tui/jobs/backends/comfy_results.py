"""What a finished ComfyUI prompt left, brought home: an output file through /view, a clip
saved as an animated picture encoded into an mp4 (media/animated.py), and a prompt that
finished after its instance died fetched for the recovery (`fetch_finished`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from director_tui.jobs.backends.base import TaskFailed
from director_tui.jobs.backends.comfy_messages import CONNECT_S, outputs_of
from director_tui.jobs.backends.downloads import fetch_to


async def download(http: Any, server: str, chosen: dict[str, Any], output: Any) -> int:
    """One output file through /view into `output`; its size."""
    params = {"filename": chosen["filename"], "subfolder": chosen.get("subfolder", ""),
              "type": chosen.get("type", "output")}
    return await fetch_to(http, f"{server}/view", output, f"comfyui: {chosen['filename']}", params)


async def fetch_result(http: Any, server: str, chosen: dict[str, Any], asset: str, output: Any) -> tuple[int, str]:
    """The chosen output file into `output`; (its size, what was done to it). A clip saved as
    an animated picture (SaveAnimatedWEBP, SaveAnimatedPNG, a GIF) is downloaded beside
    `output` and encoded into it (media/animated.py): ffmpeg reads no animated WebP."""
    from pathlib import Path

    from director_tui.media.animated import ANIMATED_SUFFIXES, is_animated, to_clip
    from director_tui.media.ffmpeg import MediaError

    suffix = Path(str(chosen["filename"])).suffix.lower()
    if asset != "video" or suffix not in ANIMATED_SUFFIXES:
        return await download(http, server, chosen, output), ""
    target = Path(output)
    picture = target.with_name(f"{target.stem}-animated{suffix}")
    try:
        written = await download(http, server, chosen, picture)
        if not await asyncio.to_thread(is_animated, picture):
            raise TaskFailed(f"comfyui: {chosen['filename']} is a still picture, not a clip")
        try:
            frames, fps = await asyncio.to_thread(to_clip, picture, target)
        except MediaError as exc:
            raise TaskFailed(f"comfyui: {exc}") from None
    finally:
        picture.unlink(missing_ok=True)
    return written, f"{chosen['filename']} ({frames} frames at {fps:g} fps) encoded as H.264"


async def fetch_finished(server: str, prompt_id: str, asset: str, output: Any, *, workflow_sha: str = "",
                         workflow_name: str = "workflow") -> str | None:
    """If `prompt_id` finished well on `server`, its result into `output`; the generator
    description (named and with its workflow's checksum as a version made live is), or None
    (still running, waiting, failed, unknown, or the server is gone)."""
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT_S, sock_connect=CONNECT_S, sock_read=60)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(f"{server}/history/{prompt_id}") as resp:
                entry = (await resp.json()).get(prompt_id) if resp.status == 200 else None
            if not isinstance(entry, dict) or (entry.get("status") or {}).get("status_str") != "success":
                return None
            files = outputs_of(entry, asset)
            if not files:
                return None
            _written, converted = await fetch_result(http, server, files[0], asset, output)
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError, TaskFailed):
        return None
    return json.dumps({"name": f"comfyui:{server}/{workflow_name}", "backend": "comfyui", "server": server,
                       "prompt_id": prompt_id, "salvaged": True, **({"converted": converted} if converted else {}),
                       "workflow_sha256": workflow_sha}, ensure_ascii=False)
