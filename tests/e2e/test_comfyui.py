"""The comfyui back end against a stand-in ComfyUI server (tests/comfy_standin.py, which
follows ComfyUI v0.3.x's server.py and execution.py message for message): a real Runner,
a real SQLite store, real HTTP and websockets on loopback."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from director_tui.core import queue
from director_tui.core.models import Task, TaskState, Version
from director_tui.core.spec import SpecError, load_spec, validate_spec
from director_tui.jobs.runner import RunnerEvent
from tests.comfy_standin import Knobs, running_standin, workflow
from tests.conftest import cancel_once_running, run_tasks, spec_dict

INPUTS = {"prompt": ["title:Positive", "text"], "seed": ["3", "seed"], "width": ["5", "width"],
          "height": ["5", "height"]}


def comfy(servers: list[str], wf: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"keyframe": {"backend": "comfyui", "servers": servers, "workflow": wf or workflow(),
                         "inputs": INPUTS, "timeout_s": 60, **extra}}


def queued(store, make_stream, generators: dict[str, Any], n: int = 1):  # type: ignore[no-untyped-def]
    stream = make_stream(spec_dict(n, generators=generators))
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "tester")
    return stream


def tasks(store) -> list[Task]:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return list(s.execute(select(Task).order_by(Task.id)).scalars())


def run_one(store, home, make_stream, tmp_path, wf):  # type: ignore[no-untyped-def]
    """One keyframe task of `wf` run on a fresh stand-in, to its end; the task as it ended."""
    with running_standin(tmp_path / "comfy") as server:
        stream = queued(store, make_stream, comfy([server.url], wf))
        run_tasks(store, home, stream.id)
    [task] = tasks(store)
    return task


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- settings --------------------------------------------------------------------------------
@pytest.mark.parametrize(("change", "message"), [
    ({"inputs": {"prompt": ["99", "text"]}}, "generators.keyframe.inputs.prompt: no node '99' in the workflow"),
    ({"inputs": {"prompt": ["title:Nope", "text"]}}, "generators.keyframe.inputs.prompt: no node titled 'Nope'"),
    ({"inputs": {"prompt": ["6", "txt"]}}, "generators.keyframe.inputs.prompt: node 6 (CLIPTextEncode) has no input 'txt'"),
    ({"inputs": {"seed": ["3", "seed"]}}, "generators.keyframe.inputs: must map prompt"),
    ({"inputs": {"prompt": ["6", "text"], "cfg": ["3", "cfg"]}}, "generators.keyframe.inputs.cfg: not a parameter"),
    ({"servers": ["gpu-01:8188"]}, "generators.keyframe.servers[0]: 'gpu-01:8188' is not an http:// or https:// URL"),
    ({"servers": []}, "generators.keyframe.servers: missing"),
    ({"workflow": {"nodes": [], "links": []}}, "this is the UI format; export the workflow with 'Save (API Format)'"),
    ({"workflow": "missing.json"}, "a relative path needs the spec's folder"),
    ({"command": ["x", "{output}"]}, "generators.keyframe.command: unknown field for the comfyui back end"),
    # issue 25: a node whose _meta is not an object ended import (and the runner) in a traceback
    ({"workflow": {"6": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}, "_meta": "x"}}},
     "node '6'._meta: must be an object whose title is a string"),
    ({"workflow": {"6": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}, "_meta": {"title": [1]}}}},
     "node '6'._meta: must be an object whose title is a string"),
])
def test_comfyui_settings_are_checked_with_the_field_and_node(change, message) -> None:  # type: ignore[no-untyped-def]
    gens = comfy(["http://gpu-01:8188"])
    gens["keyframe"].update(change)
    with pytest.raises(SpecError) as err:
        validate_spec(spec_dict(1, generators=gens))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_workflow_file_next_to_the_spec_is_imported_inline(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "sdxl_keyframe_api.json").write_text(json.dumps(workflow()), encoding="utf-8")
    gens = comfy(["http://gpu-01:8188/"], wf=None)
    gens["keyframe"]["workflow"] = "flows/sdxl_keyframe_api.json"
    (tmp_path / "film.json").write_text(json.dumps(spec_dict(1, generators=gens)), encoding="utf-8")
    spec = load_spec(tmp_path / "film.json")
    settings = spec.generators["keyframe"]
    assert settings["workflow"] == workflow() and settings["workflow_name"] == "sdxl_keyframe_api"
    assert settings["servers"] == ["http://gpu-01:8188"]
    again = validate_spec(spec_dict(1, generators={"keyframe": settings}))  # export-spec writes it whole
    assert again.generators == spec.generators


# --- running ----------------------------------------------------------------------------------
def test_a_keyframe_made_by_comfyui(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    events: list[RunnerEvent] = []
    with running_standin(tmp_path / "comfy") as server:
        stream = queued(store, make_stream, comfy([server.url]))
        run_tasks(store, home, stream.id, events=events)
        [task] = tasks(store)
        assert task.state == TaskState.SUCCEEDED, task.error
        remote = json.loads(task.remote)
        [body] = server.received
        assert body["prompt_id"] == remote["prompt_id"] and remote["server"] == server.url
        assert body["prompt"]["6"]["inputs"]["text"] == "a harbour at dawn, shot 1"  # by title
        assert body["prompt"]["5"]["inputs"]["width"] == 320 and body["prompt"]["3"]["inputs"]["seed"] == task.seed
        assert body["client_id"] and server.history[remote["prompt_id"]]["status"]["status_str"] == "success"
    with store.read() as s:
        version = s.execute(select(Version)).scalar_one()
    generator = json.loads(version.generator)
    assert generator["name"] == f"comfyui:{server.url}/workflow" and len(generator["workflow_sha256"]) == 64
    with Image.open(home / "media" / version.path) as img:
        assert img.size == (320, 180)
    progress = [e.message for e in events if e.kind == "progress" and e.message.startswith("KSampler ")]
    assert progress[:4] == ["KSampler 1/4", "KSampler 2/4", "KSampler 3/4", "KSampler 4/4"]


def test_a_refused_workflow_names_the_node_class_and_error(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    wf = workflow()
    wf["4"]["inputs"]["ckpt_name"] = "missing_model.safetensors"
    task = run_one(store, home, make_stream, tmp_path, wf)
    assert task.state == TaskState.FAILED
    assert task.error.startswith("comfyui refused the workflow: node 4 (CheckpointLoaderSimple): value_not_in_list: "
                                 "Value not in list: ckpt_name: 'missing_model.safetensors' not in")


def test_a_blocked_branch_is_said_and_the_prompt_goes_on(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 27, 4: ExecutionBlocked comes as an `execution_error` and does not end the prompt
    on a real server; the back end failed the task on it. With progress_state messages and
    the final `executing` null that v0.8.0 sends."""
    wf = workflow()
    wf["10"] = {"class_type": "BlockingNode", "inputs": {"images": ["8", 0]}, "_meta": {"title": "Gate"}}
    task = run_one(store, home, make_stream, tmp_path, wf)
    assert task.state == TaskState.SUCCEEDED, task.error
    log = (home / "logs" / f"task-{task.id}.log").read_text()
    assert "comfyui: node 10 (BlockingNode): Execution Blocked: nothing to save on this branch" in log


def test_the_same_prompt_again_comes_from_the_servers_cache(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 27, 4: the same prompt resubmitted (same seed, same workflow: what a recall
    sends) runs no node on a real server: every node is cached and the output nodes send
    their cached outputs. It still makes a version, of the same picture."""
    from director_tui.core import queue as task_queue

    with running_standin(tmp_path / "comfy") as server:
        stream = queued(store, make_stream, comfy([server.url]))
        run_tasks(store, home, stream.id)
        [first] = tasks(store)
        with store.write() as s:
            again = task_queue.enqueue(s, first.segment_id, "keyframe", "tester", regenerate=True)
            again.seed = first.seed
        run_tasks(store, home, stream.id)
        second = server.received[-1]["prompt"]
    assert [t.state for t in tasks(store)] == [TaskState.SUCCEEDED] * 2, [t.error for t in tasks(store)]
    assert second == server.received[0]["prompt"]
    assert "comfyui: 7 node(s) cached" in (home / "logs" / f"task-{tasks(store)[1].id}.log").read_text()
    with store.read() as s:
        sums = [v.checksum for v in s.execute(select(Version).order_by(Version.number)).scalars()]
    assert len(sums) == 2 and sums[0] == sums[1]


def test_a_value_out_of_range_keeps_the_servers_numbers(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 27, 4: the refusal kept only `value_bigger_than_max: steps`; ComfyUI's numbers are
    in the message (execution.validate_inputs, checked in pollockjj/ComfyUI v0.8.0)."""
    wf = workflow()
    wf["3"]["inputs"]["steps"] = 20000
    task = run_one(store, home, make_stream, tmp_path, wf)
    assert task.state == TaskState.FAILED
    assert task.error == ("comfyui refused the workflow: node 3 (KSampler): value_bigger_than_max: "
                          "Value 20000 bigger than max of 10000: steps")


def test_a_node_failing_on_the_server_fails_the_task_with_its_message(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    wf = workflow()
    wf["10"] = {"class_type": "ExplodingNode", "inputs": {"images": ["8", 0]}, "_meta": {"title": "Upscale"}}
    task = run_one(store, home, make_stream, tmp_path, wf)
    assert (task.state, task.error) == (TaskState.FAILED, "comfyui: node 10 (ExplodingNode) failed: "
                                        "builtins.RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB")
    log = Path(task.log_path) if Path(task.log_path).is_absolute() else home / task.log_path
    assert log.read_text().rstrip().endswith(f"failed: {task.error}")  # the task log ends with it too


def test_an_unreachable_server_is_one_line(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{closed_port()}"
    stream = queued(store, make_stream, comfy([url]))
    run_tasks(store, home, stream.id)
    [task] = tasks(store)
    assert (task.state, task.error) == (TaskState.FAILED, f"cannot reach comfyui at {url}")


def test_the_websocket_dropping_mid_run_loses_nothing(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with running_standin(tmp_path / "comfy", Knobs(drop_ws_at_step=2)) as server:
        stream = queued(store, make_stream, comfy([server.url]))
        run_tasks(store, home, stream.id)
    [task] = tasks(store)
    assert task.state == TaskState.SUCCEEDED, task.error


def test_a_reconnect_takes_a_fresh_client_id_and_follows_the_prompt_by_its_id(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 27, 4: on a real server a reconnect under the same client id can be unregistered
    by the old socket's late teardown and hear nothing more; the task then waited out its
    five-second history poll. Now: a fresh id, and /history by the prompt's id."""
    knobs = Knobs(step_s=0.05, drop_ws_at_step=2, slow_socket_teardown_s=0.3)
    with running_standin(tmp_path / "comfy", knobs) as server:
        stream = queued(store, make_stream, comfy([server.url]))
        run_tasks(store, home, stream.id)
        ids = [path.split("clientId=", 1)[1] for _m, path in server.requests if path.startswith("/ws?")]
        polled = [path for _m, path in server.requests if path.startswith("/history/")]
    [task] = tasks(store)
    assert task.state == TaskState.SUCCEEDED, task.error
    assert len(ids) == 2 and ids[0] != ids[1]
    assert polled  # followed by its id


def test_an_older_server_naming_the_prompt_itself(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with running_standin(tmp_path / "comfy", Knobs(own_prompt_ids=True)) as server:
        stream = queued(store, make_stream, comfy([server.url]))
        run_tasks(store, home, stream.id)
        [task] = tasks(store)
        assert task.state == TaskState.SUCCEEDED, task.error
        assert json.loads(task.remote)["prompt_id"] in server.history  # the server's id, recorded
        assert json.loads(task.remote)["prompt_id"] != server.received[0]["prompt_id"]


def test_the_task_log_follows_a_running_prompt(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 27, 4: a ComfyUI task's log stayed empty until it ended (its lines were buffered
    and its progress never written); `T` `enter` follows it live now."""
    with running_standin(tmp_path / "comfy", Knobs(step_s=0.2)) as server:
        wf = workflow()
        wf["3"]["inputs"]["steps"] = 50
        stream = queued(store, make_stream, comfy([server.url], wf))
        [task] = tasks(store)
        log = home / "logs" / f"task-{task.id}.log"

        def follows(runner) -> bool:  # type: ignore[no-untyped-def]
            text = log.read_text() if log.exists() else ""
            return bool(runner.running) and "submitted to" in text and "KSampler 3/50" in text

        cancel_once_running(store, home, stream.id, follows)  # it gets there while the prompt runs
    assert "progress 6% KSampler 3/50" in log.read_text()


def test_cancel_while_running_interrupts_only_our_prompt(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Through /interrupt with our prompt id: ComfyUI has no route that cancels one job
    (issue 27, 4: /api/jobs/{id}/cancel answered 405 on a real v0.8.0 server)."""
    with running_standin(tmp_path / "comfy", Knobs(step_s=0.2)) as server:
        wf = workflow()
        wf["3"]["inputs"]["steps"] = 50
        stream = queued(store, make_stream, comfy([server.url], wf))
        cancel_once_running(store, home, stream.id, lambda r: server.running is not None and r.running)
        [task] = tasks(store)
        assert task.state == TaskState.CANCELLED
        pid = json.loads(task.remote)["prompt_id"]
        deadline = time.monotonic() + 10  # the server stops at its next step
        while pid not in server.history:
            assert time.monotonic() < deadline, "the prompt went on running on the server"
            time.sleep(0.05)
        assert server.history[pid]["status"]["status_str"] == "error"
        assert server.history[pid]["status"]["messages"][-1][0] == "execution_interrupted"
        assert server.interrupts == [{"prompt_id": pid}]
        assert not [path for _method, path in server.requests if path.startswith("/api/jobs")]


def test_cancel_while_pending_takes_it_off_the_queue_and_interrupts_nobody(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import urllib.request

    with running_standin(tmp_path / "comfy", Knobs(step_s=0.3)) as server:
        theirs = workflow()
        theirs["3"]["inputs"]["steps"] = 20  # a colleague's long prompt runs first
        request = urllib.request.Request(f"{server.url}/prompt", data=json.dumps(
            {"prompt": theirs, "client_id": "colleague", "prompt_id": "theirs"}).encode(),
            headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).read()
        stream = queued(store, make_stream, comfy([server.url]))
        cancel_once_running(store, home, stream.id, lambda r: len(server.pending) == 1 and r.running)
        [task] = tasks(store)
        assert task.state == TaskState.CANCELLED
        assert server.interrupts == [] and server.pending == []
        deadline = time.monotonic() + 30
        while "theirs" not in server.history:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert server.history["theirs"]["status"]["status_str"] == "success"  # theirs untouched


def test_a_pool_of_two_with_one_down_makes_every_keyframe(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dead = f"http://127.0.0.1:{closed_port()}"
    with running_standin(tmp_path / "a") as one, running_standin(tmp_path / "b") as two:
        stream = queued(store, make_stream, comfy([dead, one.url, two.url]), n=6)
        run_tasks(store, home, stream.id)
        done = tasks(store)
        assert [t.state for t in done] == [TaskState.SUCCEEDED] * 6, [t.error for t in done]
        assert len(one.received) >= 1 and len(two.received) >= 1  # both live servers worked
        assert len(one.received) + len(two.received) == 6
        assert {json.loads(t.remote)["server"] for t in done} == {one.url, two.url}


def test_the_trust_prompt_shows_the_servers_and_the_workflow_in_short() -> None:
    from director_tui.core.trust import definitions

    [keyframe, _video] = definitions(validate_spec(spec_dict(1, generators=comfy(["http://gpu-01:8188"]))).generators)
    lines = keyframe.lines()
    assert 'keyframe: servers = ["http://gpu-01:8188"]' in lines
    [flow] = [line for line in lines if line.startswith("keyframe: workflow = ")]
    assert flow.startswith("keyframe: workflow = 7 nodes, sha256 ") and "CheckpointLoaderSimple" in flow
    assert not keyframe.builtin


async def test_the_tasks_screen_shows_which_server_ran_each_task(store, settings, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from director_tui.ui.app import make_app
    from director_tui.ui.screens.tasks import TasksScreen
    from tests.conftest import SIZE

    queued(store, make_stream, comfy(["http://gpu-02.studio:8188"]))
    with store.write() as s:
        s.execute(update(Task).values(remote=json.dumps({"backend": "comfyui", "server": "http://gpu-02.studio:8188",
                                                          "prompt_id": "p-1"})))
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("T")
        await app.reader.idle()  # its rows are read off the loop
        await pilot.pause()
        assert isinstance(app.screen, TasksScreen)
        table = app.screen.query_one("#tasks-table")
        [task] = tasks(store)
        assert str(table.get_cell(str(task.id), "where")) == "gpu-02.studio:8188"
        with store.write() as s:  # it moves to another server of the pool, and says why
            s.execute(update(Task).values(remote=json.dumps({"server": "http://gpu-03.studio:8188"}),
                                          message="waiting on gpu-03.studio:8188"))
        app.screen.refresh_tasks()  # what its timer does: the live cells change in place
        await app.reader.idle()
        assert str(table.get_cell(str(task.id), "where")) == "gpu-03.studio:8188"
        assert str(table.get_cell(str(task.id), "message")) == "waiting on gpu-03.studio:8188"


# --- an instance that died while ComfyUI worked ------------------------------------------------
def _orphan_submitted(store, server, stream, steps: int) -> Task:  # type: ignore[no-untyped-def]
    """What a killed instance leaves: its task `running` under an owner that is gone, the
    prompt submitted to ComfyUI under the id recorded on the task."""
    import urllib.request

    from sqlalchemy import update

    from director_tui.jobs.backends.comfy_messages import fill_graph

    [task] = tasks(store)
    wf = workflow()
    wf["3"]["inputs"]["steps"] = steps
    graph = fill_graph(wf, INPUTS, {"prompt": task.prompt, "seed": task.seed, "width": 320, "height": 180})
    body = {"prompt": graph, "client_id": "dead-instance", "prompt_id": f"p-{task.id}"}
    urllib.request.urlopen(urllib.request.Request(f"{server.url}/prompt", data=json.dumps(body).encode(),
                                                  headers={"Content-Type": "application/json"}), timeout=5).read()
    with store.write() as s:
        s.execute(update(Task).where(Task.id == task.id).values(
            state=TaskState.RUNNING, owner=f"{socket.gethostname()}:dead", owner_pid=2 ** 22 + 7, owner_start=1.0,
            remote=json.dumps({"backend": "comfyui", "server": server.url, "prompt_id": f"p-{task.id}"})))
    return task


def test_a_result_finished_after_its_instance_died_is_recorded_not_made_again(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from director_tui.jobs.recovery import recover

    with running_standin(tmp_path / "comfy") as server:
        stream = queued(store, make_stream, comfy([server.url], wf=workflow()))
        task = _orphan_submitted(store, server, stream, steps=2)
        deadline = time.monotonic() + 10
        while f"p-{task.id}" not in server.history:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert recover(store, "tester", "me:1", home=home) == []  # nothing queued again
        assert len(server.received) == 1  # and nothing submitted again
    [after] = tasks(store)
    assert after.state == TaskState.SUCCEEDED
    with store.read() as s:
        version = s.execute(select(Version)).scalar_one()
    recorded = json.loads(version.generator)
    assert recorded["prompt_id"] == f"p-{task.id}" and recorded["salvaged"]
    # its workflow, recorded as a version made live records it (issue 27, 3: it was not)
    assert recorded["name"] == f"comfyui:{server.url}/workflow"
    assert recorded["workflow_sha256"] == hashlib.sha256(json.dumps(workflow(), sort_keys=True).encode()).hexdigest()
    with Image.open(home / "media" / version.path) as img:
        assert img.size == (320, 180)


def test_a_prompt_still_running_after_its_instance_died_is_stopped_and_queued_again(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from director_tui.jobs.recovery import recover

    with running_standin(tmp_path / "comfy", Knobs(step_s=0.2)) as server:
        stream = queued(store, make_stream, comfy([server.url]))
        task = _orphan_submitted(store, server, stream, steps=100)
        deadline = time.monotonic() + 10
        while server.running is None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        [(old, new)] = recover(store, "tester", "me:1", home=home)
        assert old == task.id
        assert server.interrupts == [{"prompt_id": f"p-{task.id}"}]  # that prompt, no other
        run_tasks(store, home, stream.id)  # the copy runs once, as a new prompt
        assert len(server.received) == 2
    states = {t.id: t.state for t in tasks(store)}
    assert states == {old: TaskState.INTERRUPTED, new: TaskState.SUCCEEDED}


def test_a_version_like_another_uploads_its_picture_once_by_checksum(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`s` (similar) starts from a version: it is uploaded through /upload/image under a
    name made from its checksum and put into the mapped LoadImage input; the same picture
    twice is the same name (no `name (1).png` copies on the server)."""
    wf = workflow()
    wf["11"] = {"class_type": "LoadImage", "inputs": {"image": "example.png"}, "_meta": {"title": "Reference"}}
    gens = comfy([], wf)
    gens["keyframe"]["inputs"] = {**INPUTS, "reference": ["title:Reference", "image"]}
    with running_standin(tmp_path / "comfy") as server:
        (tmp_path / "comfy" / "input").mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(tmp_path / "comfy" / "input" / "example.png")  # the workflow's own default
        gens["keyframe"]["servers"] = [server.url]
        stream = queued(store, make_stream, gens, n=3)
        run_tasks(store, home, stream.id)  # v1 of each from the prompt: no reference
        first_id, *rest = sorted({t.segment_id for t in tasks(store)})
        with store.write() as s:
            for seg_id in rest:  # `:similar 1` on segments 2 and 3
                queue.similar(s, seg_id, "keyframe", "tester", source_segment_id=first_id)
        run_tasks(store, home, stream.id)
        assert [t.state for t in tasks(store)] == [TaskState.SUCCEEDED] * 5
        assert [b["prompt"]["11"]["inputs"]["image"] for b in server.received[:3]] == ["example.png"] * 3
        names = [b["prompt"]["11"]["inputs"]["image"] for b in server.received[3:]]
        assert names[0] == names[1] and names[0].startswith("director-") and names[0].endswith(".png")
        assert server.uploads == names
        assert sorted(p.name for p in (tmp_path / "comfy" / "input").iterdir()) == sorted({"example.png", names[0]})


def test_a_server_dying_mid_run_moves_its_task_to_another(store, home, make_stream, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    from director_tui.jobs.backends import comfyui

    monkeypatch.setattr(comfyui, "POLL_S", 0.05)  # give up on the dead server in 0.25 s, not 5 s
    with running_standin(tmp_path / "a", Knobs(step_s=0.3)) as dying, running_standin(tmp_path / "b") as living:
        wf = workflow()
        wf["3"]["inputs"]["steps"] = 10
        stream = queued(store, make_stream, comfy([dying.url, living.url], wf), n=4)

        def kill_when_busy() -> None:
            deadline = time.monotonic() + 20
            while dying.running is None and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)
            dying.kill()

        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        run_tasks(store, home, stream.id)
        killer.join()
        done = tasks(store)
        assert [t.state for t in done] == [TaskState.SUCCEEDED] * 4, [t.error for t in done]
        assert {json.loads(t.remote)["server"] for t in done} == {living.url}
        assert len(dying.received) >= 1 and len(living.received) == 4


def test_someone_else_interrupting_the_server_and_a_timeout_are_one_line_each(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import threading
    import urllib.request

    with running_standin(tmp_path / "comfy", Knobs(step_s=0.2)) as server:
        wf = workflow()
        wf["3"]["inputs"]["steps"] = 30
        stream = queued(store, make_stream, comfy([server.url], wf))

        def colleague_presses_cancel() -> None:  # ComfyUI's own Cancel button: a global interrupt
            deadline = time.monotonic() + 20
            while server.running is None and time.monotonic() < deadline:
                time.sleep(0.01)
            urllib.request.urlopen(urllib.request.Request(f"{server.url}/interrupt", data=b"{}", method="POST",
                                                          headers={"Content-Type": "application/json"}), timeout=5)

        thread = threading.Thread(target=colleague_presses_cancel)
        thread.start()
        run_tasks(store, home, stream.id)
        thread.join()
        [task] = tasks(store)
        assert (task.state, task.error) == (TaskState.FAILED, f"comfyui: interrupted on {server.url} by someone "
                                            "else at node 3 (KSampler)")


def test_a_prompt_past_its_timeout_is_stopped_on_the_server(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with running_standin(tmp_path / "comfy", Knobs(step_s=0.2)) as server:
        wf = workflow()
        wf["3"]["inputs"]["steps"] = 100
        stream = queued(store, make_stream, comfy([server.url], wf, timeout_s=1.5))
        run_tasks(store, home, stream.id)
        [task] = tasks(store)
        assert (task.state, task.error) == (TaskState.FAILED, "timed out after 1.5 s")
        pid = json.loads(task.remote)["prompt_id"]
        deadline = time.monotonic() + 10
        while pid not in server.history:
            assert time.monotonic() < deadline, "it went on running on the server"
            time.sleep(0.05)
        assert server.interrupts == [{"prompt_id": pid}]


def keyframe_then_clip(store, home, make_stream, server, video_wf):  # type: ignore[no-untyped-def]
    """A one-shot stream on the stand-in: its keyframe made, approved, then its clip made with
    `video_wf` (the keyframe uploaded into the LoadImage titled Reference). The segment id."""
    from director_tui.core import review
    from director_tui.core.models import Asset

    gens = comfy([server.url])
    gens["video"] = {"backend": "comfyui", "servers": [server.url], "workflow": video_wf,
                     "inputs": {"prompt": ["title:Motion", "text"], "reference": ["title:Reference", "image"],
                                "width": ["12", "width"], "height": ["12", "height"]}}
    stream = queued(store, make_stream, gens)
    run_tasks(store, home, stream.id)
    [seg] = [t.segment_id for t in tasks(store)]
    with store.write() as s:
        review.approve(s, seg, Asset.KEYFRAME, "tester", queue_video=True)
    run_tasks(store, home, stream.id)
    return seg


def test_a_clip_from_the_approved_keyframe(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The video generator on ComfyUI: the approved keyframe uploaded into the mapped
    LoadImage, the clip read from the output list VideoHelperSuite writes (`gifs`), real mp4."""
    from director_tui.core.models import Asset, Segment
    from tests.comfy_standin import video_workflow

    with running_standin(tmp_path / "comfy") as server:
        seg = keyframe_then_clip(store, home, make_stream, server, video_workflow())
        assert [t.state for t in tasks(store)] == [TaskState.SUCCEEDED] * 2, [t.error for t in tasks(store)]
        clip_body = server.received[-1]
        assert clip_body["prompt"]["6"]["inputs"]["text"] == "slow pan left"
        assert clip_body["prompt"]["11"]["inputs"]["image"] == server.uploads[0]
    with store.read() as s:
        clip = s.execute(select(Version).where(Version.asset == Asset.VIDEO)).scalar_one()
        assert s.get(Segment, seg).video_version_id == clip.id
    assert clip.path.endswith(".mp4") and (clip.width, clip.height) == (320, 180) and clip.duration == pytest.approx(1.0)


def test_a_clip_saved_as_an_animated_webp_is_encoded_and_recorded(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 27, 4: ComfyUI's own SaveAnimatedWEBP lists the clip under `images` (with
    `animated`); ffmpeg reads no animated WebP and the version was refused as "no duration".
    Now its frames (Pillow) are encoded into the mp4, and the version says so."""
    from director_tui.core.models import Asset
    from tests.comfy_standin import video_workflow

    wf = video_workflow()
    wf["13"] = {"class_type": "SaveAnimatedWEBP", "inputs": {"images": ["12", 0], "filename_prefix": "ComfyUI",
                                                             "fps": 12.0}, "_meta": {"title": "Save Animated WEBP"}}
    with running_standin(tmp_path / "comfy") as server:
        keyframe_then_clip(store, home, make_stream, server, wf)
    assert [t.state for t in tasks(store)] == [TaskState.SUCCEEDED] * 2, [t.error for t in tasks(store)]
    with store.read() as s:
        clip = s.execute(select(Version).where(Version.asset == Asset.VIDEO)).scalar_one()
    assert clip.path.endswith(".mp4") and (clip.width, clip.height) == (320, 180)
    assert clip.duration == pytest.approx(1.0, abs=0.1)  # 12 frames at 12 fps
    assert json.loads(clip.generator)["converted"].endswith("(12 frames at 12 fps) encoded as H.264")
    assert not list((home / "media").rglob("*-animated.webp"))  # the picture does not stay


def test_a_user_config_generator_serves_streams_whose_spec_names_none(store, home, make_stream, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """[generators.keyframe] in the user's config: a studio's farm set once. The spec's own
    generator wins; a bad config section is one line naming the file and the field."""
    from director_tui.jobs import generators

    config = tmp_path / "config" / "config.toml"
    (config.parent / "flows").mkdir(parents=True)
    (config.parent / "flows" / "sdxl.json").write_text(json.dumps(workflow()), encoding="utf-8")
    monkeypatch.setenv("DIRECTOR_CONFIG", str(config))
    with running_standin(tmp_path / "comfy") as server:
        config.write_text(f"""
[generators.keyframe]
backend = "comfyui"
servers = ["{server.url}"]
workflow = "flows/sdxl.json"
inputs = {{prompt = ["title:Positive", "text"], seed = ["3", "seed"]}}
""", encoding="utf-8")
        stream = queued(store, make_stream, {})  # the spec names no generator
        run_tasks(store, home, stream.id)
        [task] = tasks(store)
        assert task.state == TaskState.SUCCEEDED and len(server.received) == 1
        assert generators.settings_for('{"keyframe": {"backend": "procedural"}}', "keyframe").backend == "procedural"
    config.write_text('[generators.keyframe]\nbackend = "comfyui"\nservers = ["ftp://x"]\n', encoding="utf-8")
    found, error = generators.user_generators()
    assert found == {} and error == f"{config}: generators.keyframe.servers[0]: 'ftp://x' is not an http:// or https:// URL with a host"


def test_noise_on_the_websocket_is_ignored(store, home, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Frames that are not events (an HTML error page from a proxy, JSON that is not an
    object, 100,000 nested brackets, a binary preview), and /history answering nonsense a
    few times, do not disturb a generation."""
    with running_standin(tmp_path / "comfy", Knobs(noise=True, bad_history=4)) as server:
        stream = queued(store, make_stream, comfy([server.url]))
        run_tasks(store, home, stream.id)
    [task] = tasks(store)
    assert task.state == TaskState.SUCCEEDED, task.error
