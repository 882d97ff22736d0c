"""The replicate back end (a hosted prediction API) against a stand-in in Replicate's shape
(tests/replicate_standin.py, following Replicate's documented HTTP API): a real Runner, a
real SQLite store, real HTTP on loopback. The token comes from the environment only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from director_tui.core import queue
from director_tui.core.models import Task, TaskState, Version
from director_tui.core.spec import SpecError, validate_spec
from tests.conftest import cancel_once_running, run_tasks, spec_dict
from tests.replicate_standin import TOKEN, VERSION, running_replicate


def replicate(api: str, **extra: Any) -> dict[str, Any]:
    return {"keyframe": {"backend": "replicate", "version": VERSION, "api": f"{api}/v1", "poll_s": 0.05,
                         "inputs": {"prompt": "prompt", "seed": "seed", "width": "width", "height": "height"},
                         "token_env": "STANDIN_TOKEN", **extra}}


def queued(store, make_stream, generators: dict[str, Any], prompt: str | None = None):  # type: ignore[no-untyped-def]
    data = spec_dict(1, generators=generators)
    if prompt is not None:
        data["segments"][0]["image_prompt"] = prompt
    stream = make_stream(data)
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "tester")
    return stream


def task_of(store) -> Task:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return s.execute(select(Task)).scalar_one()


@pytest.mark.parametrize(("change", "message"), [
    ({"version": None, "model": None}, "generators.keyframe.model: missing"),
    ({"model": "not a model"}, "generators.keyframe.model: 'not a model' is not owner/name"),
    ({"inputs": {"seed": "seed"}}, "generators.keyframe.inputs: must map our parameters"),
    ({"token_env": "r8_abc123secret"}, "generators.keyframe.token_env: must name an environment variable"),
    ({"token": "r8_abc"}, "generators.keyframe.token: unknown field for the replicate back end"),
])
def test_replicate_settings_are_checked(change, message) -> None:  # type: ignore[no-untyped-def]
    gens = replicate("https://api.replicate.com")
    gens["keyframe"].update(change)
    gens["keyframe"] = {k: v for k, v in gens["keyframe"].items() if v is not None}
    with pytest.raises(SpecError) as err:
        validate_spec(spec_dict(1, generators=gens))
    assert message in str(err.value)


def test_a_keyframe_from_a_hosted_model(store, home, make_stream, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STANDIN_TOKEN", TOKEN)
    events: list[Any] = []
    with running_replicate(tmp_path / "r8") as api:
        stream = queued(store, make_stream, replicate(api.url))
        run_tasks(store, home, stream.id, events=events)
        task = task_of(store)
        assert task.state == TaskState.SUCCEEDED, task.error
        [body] = api.created
        assert body["version"] == VERSION and body["input"]["prompt"] == "a harbour at dawn, shot 1"
        assert body["input"]["width"] == 320 and body["input"]["seed"] == task.seed
        assert set(api.auth_seen) == {f"Bearer {TOKEN}"}
    remote = json.loads(task.remote)
    assert remote["id"] in api.predictions and TOKEN not in task.remote
    with store.read() as s:
        version = s.execute(select(Version)).scalar_one()
    assert json.loads(version.generator)["name"] == f"replicate:{VERSION}"
    progress = [e.progress for e in events if e.kind == "progress"]
    assert progress[-1] == 1.0 and any(0.2 <= p < 1.0 for p in progress)
    log = (home / task.log_path).read_text() if not task.log_path.startswith("/") else open(task.log_path).read()
    assert TOKEN not in log and "100%|" in log


def test_a_missing_token_names_the_variable_and_a_wrong_one_is_never_shown(store, home, make_stream, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("STANDIN_TOKEN", raising=False)
    with running_replicate(tmp_path / "r8") as api:
        stream = queued(store, make_stream, replicate(api.url))
        run_tasks(store, home, stream.id)
        assert task_of(store).error == "replicate: no API token: set the environment variable STANDIN_TOKEN"
        monkeypatch.setenv("STANDIN_TOKEN", "r8_wrong_secret_value")
        with store.write() as s:
            queue.enqueue(s, task_of_segment(store), "keyframe", "tester", regenerate=True)
        run_tasks(store, home, stream.id)
    with store.read() as s:
        last = s.execute(select(Task).order_by(Task.id.desc())).scalars().first()
    assert last.state == TaskState.FAILED
    assert last.error == "replicate refused the prediction (401): You did not pass a valid authentication token"
    assert "r8_wrong_secret_value" not in (last.error + (last.remote or ""))


def task_of_segment(store) -> int:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return int(s.execute(select(Task.segment_id)).scalars().first())


def test_a_failed_prediction_and_an_unknown_version_are_one_line(store, home, make_stream, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STANDIN_TOKEN", TOKEN)
    with running_replicate(tmp_path / "r8") as api:
        stream = queued(store, make_stream, replicate(api.url), prompt="FAIL please")
        run_tasks(store, home, stream.id)
        assert task_of(store).error == "replicate: the prediction failed: NSFW content detected. Try running it again."
        with store.write() as s:  # the same stream, now naming a version that does not exist
            from sqlalchemy import update

            from director_tui.core.models import Stream

            gens = replicate(api.url, version="0123456789abcdef")
            s.execute(update(Stream).values(generators_json=json.dumps(validate_spec(
                spec_dict(1, generators=gens)).generators)))
            queue.enqueue(s, task_of_segment(store), "keyframe", "tester", regenerate=True)
        from tests.conftest import trust_generators

        trust_generators(validate_spec(spec_dict(1, generators=gens)).generators)
        run_tasks(store, home, stream.id)
    with store.read() as s:
        last = s.execute(select(Task).order_by(Task.id.desc())).scalars().first()
    assert last.error == ("replicate refused the prediction (422): The specified version does not exist "
                          "(or perhaps you don't have permission to use it?)")


def test_cancel_cancels_the_prediction(store, home, make_stream, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STANDIN_TOKEN", TOKEN)
    with running_replicate(tmp_path / "r8", step_s=0.3, steps=50) as api:
        stream = queued(store, make_stream, replicate(api.url))

        cancel_once_running(store, home, stream.id, lambda r: bool(api.predictions) and bool(r.running))
        [pid] = list(api.predictions)
        assert api.cancels == [pid] and api.predictions[pid]["status"] == "canceled"
    assert task_of(store).state == TaskState.CANCELLED
