"""The generator back-end seam: how a claimed task becomes a running generation and a file.

A back end starts a job for a claimed task (in the worker thread that claimed it, so what
crash recovery needs is in the store before anything else runs), and the job runs on the
event loop: it reports progress and output lines, can be stopped, and leaves one output
file that the runner validates and records like any other. After a crash, `reap` is told
of a task its dead instance left running and makes sure its work stops.

Implementations: `subprocess` (an argv, DESIGN.md's contract), `procedural` (the built-in
generator, a subprocess too). A new back end is one module here plus its line in
`backends/__init__.py`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from director_tui.core.models import Task
    from director_tui.core.store import Store
    from director_tui.core.store.base import ClaimedTask
    from director_tui.jobs.generators import GeneratorSettings


class TaskFailed(Exception):
    """A generation that produced no version; the message is the reason shown to the user."""


class RemoteMismatch(Exception):
    """A task row's handle (its `remote`) names a server, a URL or a token variable that the
    trusted definition does not: ignored, and the message says what (issue 25: anyone who
    can write the store can write a task row)."""


class Reporter(Protocol):
    """Where a running job tells what happens (the runner: log file, table, task row)."""

    def text(self, lines: list[str]) -> None:
        """Lines the generator printed (progress lines among them are read as progress)."""

    def progress(self, fraction: float, message: str) -> None:
        """Progress reported otherwise than by a line (0..1)."""


@dataclass
class StartContext:
    """What a back end needs to start one task; handed to it in the claiming thread."""

    store: Store
    home: Path
    task: ClaimedTask
    settings: GeneratorSettings
    output: Path  # where the result must end up: a name in a fresh private folder
    log: Callable[[str], None]  # a line for the task's log file
    log_path: str
    make_dir: Callable[[Path], Path]


class Job(abc.ABC):
    """One started generation."""

    generator: str | None = None  # what the version records as its generator, when the job knows better

    @abc.abstractmethod
    async def run(self, report: Reporter) -> None:
        """Until the generation ends; raises TaskFailed with the reason when it failed.
        The runner bounds it with the generator's timeout."""

    @abc.abstractmethod
    async def stop(self, grace_s: float) -> None:
        """Stop it (cancel, timeout, shutdown): politely, then for good after `grace_s`;
        nothing of it may run on afterwards."""

    def close(self) -> None:
        """Let go of whatever it holds (pipes, connections) once it has ended."""
        return None


class Backend(abc.ABC):
    name: ClassVar[str]

    @abc.abstractmethod
    def start(self, ctx: StartContext) -> Job:
        """Start the generation (in the claiming worker thread); record in the store what
        crash recovery needs (a pid, a remote id). Raises TaskFailed with a reason."""

    def salvage(self, task: Task, settings: GeneratorSettings, output: Path) -> str | None:
        """A dead instance's task whose work may have finished without it (a remote server
        went on): its result written to `output`, and what made it (the version's
        generator); None when there is none to take (then it is reaped and queued again).
        `settings` is the stream's trusted definition: the only servers, URLs and token
        variable used; the task row gives ids alone (RemoteMismatch when it disagrees)."""
        return None

    @abc.abstractmethod
    def reap(self, task: Task, settings: GeneratorSettings, grace_s: float) -> bool:
        """A task left running by an instance that died: stop whatever still works on it,
        by the trusted `settings` (RemoteMismatch as for salvage). True when something was
        found and stopped."""
