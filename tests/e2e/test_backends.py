"""The generator back-end seam (jobs/backends/): the names the spec accepts are the ones
registered, a spec's `backend` is checked, an unknown one fails its task with the reason,
and a new back end is one class and its line in the registry."""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest
from PIL import Image
from sqlalchemy import select, update

from director_tui.core import queue
from director_tui.core.models import Stream, Task, TaskState, Version
from director_tui.core.spec import KNOWN_BACKENDS, SpecError, validate_spec
from director_tui.jobs import backends
from director_tui.jobs.backends import Backend, Job, Reporter, StartContext
from director_tui.jobs.runner import Runner
from tests.conftest import run_tasks, spec_dict, trust_generators


def test_the_spec_knows_the_registered_back_ends() -> None:
    assert sorted(KNOWN_BACKENDS) == backends.names() == ["comfyui", "procedural", "replicate", "subprocess"]


@pytest.mark.parametrize(("generator", "message"), [
    ({"backend": "comfy"}, "generators.keyframe.backend: 'comfy' is not a generator back end (one of comfyui, procedural, replicate, subprocess)"),
    ({"backend": "procedural", "command": ["g", "{output}"]}, "generators.keyframe.command: the procedural back end takes no command"),
    ({"backend": "subprocess"}, "generators.keyframe.command: missing (the subprocess back end runs a command)"),
])
def test_a_spec_backend_is_checked(generator, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError) as err:
        validate_spec(spec_dict(1, generators={"keyframe": generator}))
    assert str(err.value) == message


def test_an_explicit_procedural_back_end_runs_and_needs_no_trust(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    stream = make_stream(spec_dict(1, generators={"keyframe": {"backend": "procedural"}}), trusted=False)
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "tester")
    run_tasks(store, home, stream.id)
    with store.read() as s:
        assert [t.state for t in s.execute(select(Task)).scalars()] == [TaskState.SUCCEEDED]


def keyframe_queued_with(store, make_stream, backend: str):  # type: ignore[no-untyped-def]
    """One segment whose keyframe generator is `backend` (written as the store holds it,
    trusted as this account's), its keyframe queued."""
    stream = make_stream(spec_dict(1))
    gens = {"keyframe": {"backend": backend}}
    with store.write() as s:
        s.execute(update(Stream).values(generators_json=json.dumps(gens)))
        queue.queue_missing_keyframes(s, stream.id, "tester")
    trust_generators(gens)
    return stream


def test_an_unknown_back_end_in_the_store_fails_its_task_saying_so(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    stream = keyframe_queued_with(store, make_stream, "teleport")
    run_tasks(store, home, stream.id)
    with store.read() as s:
        task = s.execute(select(Task)).scalar_one()
    assert (task.state, task.error) == (TaskState.FAILED,
                                        "unknown generator back end 'teleport' (known: comfyui, procedural, replicate, subprocess)")


class _CopyJob(Job):
    def __init__(self, source: str, output: str) -> None:
        self.source, self.output, self.stopped = source, output, False

    async def run(self, report: Reporter) -> None:
        for step in (0.25, 0.5, 1.0):
            report.progress(step, f"copying {int(step * 100)}%")
            await asyncio.sleep(0.01)
        report.text(["copied"])
        shutil.copyfile(self.source, self.output)

    async def stop(self, grace_s: float) -> None:
        self.stopped = True


class CopyBackend(Backend):
    """A whole back end in a dozen lines: it copies a picture as its 'generation'."""

    name = "copy"
    source = ""

    def start(self, ctx: StartContext) -> Job:
        ctx.log("copying a picture")
        return _CopyJob(self.source, str(ctx.output))

    def reap(self, task: object, grace_s: float) -> bool:
        return False


def test_a_new_back_end_is_one_class_and_its_line_in_the_registry(store, home, make_stream, tmp_path,  # type: ignore[no-untyped-def]
                                                                  monkeypatch) -> None:
    picture = tmp_path / "p.png"
    Image.new("RGB", (32, 18), (10, 200, 10)).save(picture)
    CopyBackend.source = str(picture)
    monkeypatch.setitem(backends.REGISTRY, "copy", CopyBackend)  # the line in the registry
    stream = keyframe_queued_with(store, make_stream, "copy")
    events = []

    async def go() -> None:
        runner = Runner(store, home, [stream.id], actor="tester", on_event=events.append, poll_interval_s=0.05)
        try:
            await runner.run_until_idle(30)
        finally:
            await runner.stop()

    asyncio.run(go())
    with store.read() as s:
        task = s.execute(select(Task)).scalar_one()
        version = s.execute(select(Version)).scalar_one()
    assert task.state == TaskState.SUCCEEDED and (version.width, version.height) == (32, 18)
    assert [e.progress for e in events if e.kind == "progress"] == [0.25, 0.5, 1.0]
    assert "copying a picture" in open(home / task.log_path).read()
