"""Fetching a remote back end's result: one GET streamed into the task's fresh output name,
with a size cap (a server's answer is not trusted to be small). Shared by comfyui and
replicate, their runs and their salvage after a crash."""

from __future__ import annotations

from typing import Any

from director_tui.jobs.backends.base import TaskFailed

DOWNLOAD_MAX = 4 << 30  # a result larger than this is not a keyframe or a clip
CHUNK = 1 << 20


async def fetch_to(http: Any, url: str, output: Any, what: str, params: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> int:
    """GET `url` into `output` (created: the name must not exist); its size in bytes.
    Raises TaskFailed naming `what` on a refusal or an answer over DOWNLOAD_MAX."""
    written = 0
    async with http.get(url, params=params, headers=headers) as resp:
        if resp.status != 200:
            raise TaskFailed(f"{what}: cannot download it ({resp.status} from {url.split('?')[0]})")
        with open(output, "xb") as fh:  # a fresh private folder: the name cannot exist
            async for chunk in resp.content.iter_chunked(CHUNK):
                written += len(chunk)
                if written > DOWNLOAD_MAX:
                    raise TaskFailed(f"{what}: over {DOWNLOAD_MAX >> 20} MB")
                fh.write(chunk)
    return written
