"""What a runner tells whoever listens (the app's table and log, `work`'s lines): one event
per start, progress step, batch of log lines, exit, end and trouble."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RunnerEvent:
    kind: str  # "started" | "progress" | "log" | "generated" (process exited) | "finished" | "trouble"
    task_id: int
    stream_id: int
    segment_id: int
    asset: str
    state: str = ""
    progress: float = 0.0
    message: str = ""
    lines: tuple[str, ...] = ()  # "log": every line of one read, in order
    version_id: int | None = None


EventCallback = Callable[[RunnerEvent], None]
