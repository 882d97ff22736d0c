"""The `procedural` back end: the built-in generator (`python -m director_tui.jobs.procedural`),
run as a subprocess like any other program; the default when a spec names no generator."""

from __future__ import annotations

from director_tui.jobs.backends.base import StartContext
from director_tui.jobs.backends.subprocess import SubprocessBackend
from director_tui.jobs.generators import builtin_command


class ProceduralBackend(SubprocessBackend):
    name = "procedural"

    def template(self, ctx: StartContext) -> list[str]:
        return builtin_command(ctx.settings.asset, ctx.settings.pace_s)
