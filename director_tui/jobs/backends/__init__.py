"""Generator back ends by name. A new one is a module of this package and a line here."""

from __future__ import annotations

from director_tui.jobs.backends.base import Backend, Job, Reporter, StartContext, TaskFailed
from director_tui.jobs.backends.comfyui import ComfyBackend
from director_tui.jobs.backends.procedural import ProceduralBackend
from director_tui.jobs.backends.replicate import ReplicateBackend
from director_tui.jobs.backends.subprocess import SubprocessBackend

REGISTRY: dict[str, type[Backend]] = {
    ComfyBackend.name: ComfyBackend,
    SubprocessBackend.name: SubprocessBackend,
    ProceduralBackend.name: ProceduralBackend,
    ReplicateBackend.name: ReplicateBackend,
}

__all__ = ["REGISTRY", "Backend", "Job", "Reporter", "StartContext", "TaskFailed", "backend_named", "names"]


def names() -> list[str]:
    return sorted(REGISTRY)


def backend_named(name: str) -> Backend:
    """The back end called `name`; TaskFailed naming the known ones when there is none."""
    cls = REGISTRY.get(name)
    if cls is None:
        raise TaskFailed(f"unknown generator back end {name!r} (known: {', '.join(names())})")
    return cls()
