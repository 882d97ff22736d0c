"""A stand-in ComfyUI server for the comfyui back end's tests (aiohttp, in a thread).

It follows ComfyUI's published protocol message for message, as its server.py and
execution.py have it (v0.8.0: POST /prompt takes the client's `prompt_id`,
POST /interrupt takes a `prompt_id` and interrupts only that prompt when it is the one
running; there is no route that cancels one job: v0.8.0 serves GET /api/jobs and
/api/jobs/{id} only, read in pollockjj/ComfyUI's server.py; `requests` records every
method and path asked, so a test can say nothing else was called):

- GET /ws?clientId=: `status` {status: {exec_info: {queue_remaining}}, sid} on connect; on a
  reconnect while its prompt runs, `executing` {node} again. When a socket's handler ends
  it unregisters its client id whoever holds it now, as v0.8.0's websocket_handler does:
  a reconnect under the same id can be lost (`slow_socket_teardown_s`). Execution events go to the
  submitting client id only (`send_sync(event, data, client_id)`).
- POST /prompt {prompt, client_id, prompt_id?}: validate_prompt (unknown class_type, a
  missing required input, a value not in its list, a number outside its range with the
  numbers in the message as v0.8.0's execution.py words it, no output node) -> 400 {error,
  node_errors}; else {prompt_id, number, node_errors: {}}.
- Execution, one prompt at a time: `execution_start`, `execution_cached` {nodes: []}, then
  per node `executing` {node, display_node, prompt_id}, a sampler's `progress` {value, max,
  prompt_id, node} with `progress_state` {prompt_id, nodes: {id: {value, max, state, …}}}
  (comfy_execution/progress.py), an output node's `executed` {node, display_node, output,
  prompt_id}; then `execution_success`. A failing node: `execution_error` {prompt_id,
  node_id, node_type, executed, exception_message, exception_type, traceback,
  current_inputs, current_outputs}; an interrupt: `execution_interrupted` {prompt_id,
  node_id, node_type, executed}. A branch blocked on purpose: `execution_error` of type
  ExecutionBlocked, and the prompt goes on. The same prompt again: every node cached, the
  output nodes' `executed` with their cached outputs, nothing run. Whatever the outcome, `executing` {node: null,
  prompt_id} once the history is written (main.py's prompt_worker).
  Followed: ComfyUI v0.8.0 (pollockjj/ComfyUI: server.py, execution.py, main.py,
  comfy_execution/progress.py), read line by line against this file.
- GET /history/{id}: {id: {prompt: [number, id, prompt, extra_data, outputs], outputs,
  status: {status_str, completed, messages}, meta}}; GET /view?filename&subfolder&type;
  POST /upload/image (multipart `image`, `overwrite`): {name, subfolder, type}; GET/POST
  /queue ({queue_running, queue_pending} / {delete: [ids]}); POST /interrupt.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from PIL import Image

from tests.serving import serve_by_hand, served

LINK = "LINK"
NODES: dict[str, dict[str, Any]] = {
    "CheckpointLoaderSimple": {"required": {"ckpt_name": ["sdxl_base.safetensors", "sd15.safetensors"]}},
    "CLIPTextEncode": {"required": {"text": "STRING", "clip": LINK}},
    # INT inputs with their range, as the nodes declare them (nodes.py: MAX_RESOLUTION 16384)
    "EmptyLatentImage": {"required": {"width": ("INT", 16, 16384), "height": ("INT", 16, 16384),
                                      "batch_size": ("INT", 1, 4096)}},
    "LoadImage": {"required": {"image": "INPUT_FILE"}},
    "KSampler": {"required": {"model": LINK, "seed": ("INT", 0, 0xFFFFFFFFFFFFFFFF), "steps": ("INT", 1, 10000),
                              "positive": LINK, "negative": LINK,
                              "latent_image": LINK}},
    "VAEDecode": {"required": {"samples": LINK, "vae": LINK}},
    "SaveImage": {"required": {"images": LINK, "filename_prefix": "STRING"}, "output_node": True},
    "ExplodingNode": {"required": {"images": LINK}},  # raises when it runs (a model that fails)
    # blocks its branch with a message (an ExecutionBlocker): execution.py sends an
    # `execution_error` of type ExecutionBlocked, and the prompt goes on and succeeds
    "BlockingNode": {"required": {"images": LINK}},
    # image to video (as Wan/LTXV's ImageToVideo nodes) and the VideoHelperSuite writer most
    # video workflows end with: its output is a list under "gifs", mp4 files included
    "ImageToVideo": {"required": {"start_image": LINK, "positive": LINK, "width": "INT", "height": "INT",
                                  "length": "INT"}},
    "VHS_VideoCombine": {"required": {"images": LINK, "frame_rate": "INT", "filename_prefix": "STRING",
                                      "format": ["video/h264-mp4", "image/gif"]}, "output_node": True},
    # ComfyUI's own (nodes.py): a clip saved as an animated WebP, listed under "images" with
    # "animated": [true] beside it (its ui output)
    "SaveAnimatedWEBP": {"required": {"images": LINK, "filename_prefix": "STRING", "fps": "FLOAT"},
                         "output_node": True},
}


def video_workflow() -> dict[str, Any]:
    """A clip from a keyframe (LoadImage titled Reference) and a motion prompt."""
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl_base.safetensors"},
              "_meta": {"title": "Load Checkpoint"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "camera moves", "clip": ["4", 1]},
              "_meta": {"title": "Motion"}},
        "11": {"class_type": "LoadImage", "inputs": {"image": "example.png"}, "_meta": {"title": "Reference"}},
        "12": {"class_type": "ImageToVideo", "inputs": {"start_image": ["11", 0], "positive": ["6", 0],
                                                        "width": 832, "height": 480, "length": 12},
               "_meta": {"title": "Image to Video"}},
        "13": {"class_type": "VHS_VideoCombine", "inputs": {"images": ["12", 0], "frame_rate": 12,
                                                            "filename_prefix": "clip", "format": "video/h264-mp4"},
               "_meta": {"title": "Video Combine"}},
    }


def workflow(prompt_title: str = "Positive") -> dict[str, Any]:
    """An SDXL-like text-to-image workflow in API format (what 'Save (API Format)' writes)."""
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl_base.safetensors"},
              "_meta": {"title": "Load Checkpoint"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1},
              "_meta": {"title": "Empty Latent Image"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["4", 1]},
              "_meta": {"title": prompt_title}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]},
              "_meta": {"title": "Negative"}},
        "3": {"class_type": "KSampler", "inputs": {"model": ["4", 0], "seed": 1, "steps": 4, "positive": ["6", 0],
                                                   "negative": ["7", 0], "latent_image": ["5", 0]},
              "_meta": {"title": "KSampler"}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]},
              "_meta": {"title": "VAE Decode"}},
        "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "director"},
              "_meta": {"title": "Save Image"}},
    }


class Interrupted(Exception):
    pass


@dataclass
class Knobs:
    step_s: float = 0.02  # per sampler step
    own_prompt_ids: bool = False  # an older server: ignores the client's prompt_id
    drop_ws_at_step: int | None = None  # close the submitting client's websocket at this step, once
    # a closed socket's handler ends this much later (a server under load): its `finally`
    # then unregisters the client id, as server.py does, even if that client has reconnected
    slow_socket_teardown_s: float = 0.0
    noise: bool = False  # frames no client should trip on: not JSON, JSON not an object, binary previews
    bad_history: int = 0  # the first N answers of /history/{id} are a proxy's HTML page, or a JSON list


@dataclass
class Item:
    number: int
    prompt_id: str
    prompt: dict[str, Any]
    extra_data: dict[str, Any]
    outputs: list[str]

    def as_list(self) -> list[Any]:
        return [self.number, self.prompt_id, self.prompt, self.extra_data, self.outputs]


@dataclass
class StandIn:
    root: Path
    knobs: Knobs = field(default_factory=Knobs)
    url: str = ""
    sockets: dict[str, web.WebSocketResponse] = field(default_factory=dict)
    pending: list[Item] = field(default_factory=list)
    running: Item | None = None
    history: dict[str, dict[str, Any]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)  # every POST /prompt body
    interrupts: list[dict[str, Any]] = field(default_factory=list)  # every POST /interrupt body
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every request
    outputs_by_prompt: dict[str, dict[str, Any]] = field(default_factory=dict)  # the cache, by prompt
    uploads: list[str] = field(default_factory=list)
    number: int = 0
    spans: list[tuple[float, float]] = field(default_factory=list)  # when each prompt ran (perf_counter)
    last_node: str | None = None
    _interrupt: bool = False
    _dropped: bool = False
    kill: Any = None  # set by running_standin: the server dies at once (a GPU box lost mid-run)

    # --- websocket ----------------------------------------------------------------------
    async def send(self, event: str, data: dict[str, Any], sid: str | None) -> None:
        targets = [self.sockets[sid]] if sid in self.sockets else ([] if sid else list(self.sockets.values()))
        for ws in targets:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(json.dumps({"type": event, "data": data}))

    def queue_info(self) -> dict[str, Any]:
        return {"exec_info": {"queue_remaining": len(self.pending) + (1 if self.running else 0)}}

    async def ws_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid = request.rel_url.query.get("clientId", "") or uuid.uuid4().hex
        self.sockets.pop(sid, None)
        self.sockets[sid] = ws
        try:
            await self.send("status", {"status": self.queue_info(), "sid": sid}, sid)
            if self.running and self.running.extra_data.get("client_id") == sid and self.last_node is not None:
                await self.send("executing", {"node": self.last_node}, sid)
            async for msg in ws:
                if msg.type == WSMsgType.ERROR:
                    break
        finally:  # server.py: the id is unregistered whoever holds it now (a reconnect with it is lost)
            if self.knobs.slow_socket_teardown_s:
                await asyncio.sleep(self.knobs.slow_socket_teardown_s)
            self.sockets.pop(sid, None)
        return ws

    # --- POST /prompt: validate_prompt ---------------------------------------------------------
    def validate(self, prompt: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any], list[str]]:
        for node_id, node in prompt.items():
            if node.get("class_type") not in NODES:
                return ({"type": "invalid_prompt", "message": f"Cannot execute because node {node.get('class_type')} "
                         "does not exist.", "details": f"Node ID '#{node_id}'", "extra_info": {}}, {}, [])
        outputs = [nid for nid, node in prompt.items() if NODES[node["class_type"]].get("output_node")]
        if not outputs:
            return {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "",
                    "extra_info": {}}, {}, []
        node_errors: dict[str, Any] = {}
        for node_id, node in prompt.items():
            errors = []
            for name, kind in NODES[node["class_type"]]["required"].items():
                value = node["inputs"].get(name)
                if name not in node["inputs"]:
                    errors.append({"type": "required_input_missing", "message": "Required input is missing",
                                   "details": name, "extra_info": {"input_name": name}})
                elif isinstance(kind, list) and value not in kind:
                    errors.append({"type": "value_not_in_list", "message": "Value not in list",
                                   "details": f"{name}: '{value}' not in {kind}",
                                   "extra_info": {"input_name": name, "received_value": value}})
                elif isinstance(kind, tuple) and isinstance(value, int) and not kind[1] <= value <= kind[2]:
                    # execution.validate_inputs: the numbers in the message, the input's name in details
                    low = value < kind[1]
                    errors.append({"type": "value_smaller_than_min" if low else "value_bigger_than_max",
                                   "message": f"Value {value} smaller than min of {kind[1]}" if low
                                   else f"Value {value} bigger than max of {kind[2]}",
                                   "details": name, "extra_info": {"input_name": name, "received_value": value}})
                elif kind == "INPUT_FILE" and not (self.root / "input" / str(value)).is_file():
                    errors.append({"type": "custom_validation_failed", "message": "Custom validation failed for node",
                                   "details": f"{name} - Invalid image file: {value}",
                                   "extra_info": {"input_name": name, "received_value": value}})
            if errors:
                node_errors[node_id] = {"errors": errors, "dependent_outputs": outputs,
                                        "class_type": node["class_type"]}
        if node_errors:
            details = "\n".join(f"{e['message']}: {e['details']}" for n in node_errors.values() for e in n["errors"])
            return {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                    "details": details, "extra_info": {}}, node_errors, outputs
        return None, {}, outputs

    async def post_prompt(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if "prompt" not in body:
            return web.json_response({"error": "no prompt", "node_errors": []}, status=400)
        error, node_errors, outputs = self.validate(body["prompt"])
        if error is not None:
            return web.json_response({"error": error, "node_errors": node_errors}, status=400)
        prompt_id = str(uuid.uuid4()) if self.knobs.own_prompt_ids else (body.get("prompt_id") or str(uuid.uuid4()))
        extra = dict(body.get("extra_data") or {})
        if "client_id" in body:
            extra["client_id"] = body["client_id"]
        number = self.number
        self.number += 1
        self.pending.append(Item(number, prompt_id, body["prompt"], extra, outputs))
        await self.send("status", {"status": self.queue_info()}, None)
        return web.json_response({"prompt_id": prompt_id, "number": number, "node_errors": {}})

    # --- the executor ---------------------------------------------------------------------------
    async def executor(self) -> None:
        while True:
            if not self.pending:
                await asyncio.sleep(0.01)
                continue
            item = self.pending.pop(0)
            self.running, self._interrupt = item, False
            began = time.perf_counter()
            try:
                await self.execute(item)
            finally:
                self.spans.append((began, time.perf_counter()))
                self.running, self.last_node = None, None
                await self.send("status", {"status": self.queue_info()}, None)

    def order(self, prompt: dict[str, Any]) -> list[str]:
        done: list[str] = []

        def visit(node_id: str) -> None:
            if node_id in done:
                return
            for value in prompt[node_id]["inputs"].values():
                if isinstance(value, list) and len(value) == 2 and str(value[0]) in prompt:
                    visit(str(value[0]))
            done.append(node_id)

        for node_id in prompt:
            visit(node_id)
        return done

    async def execute(self, item: Item) -> None:
        sid, pid, prompt = item.extra_data.get("client_id"), item.prompt_id, item.prompt
        messages: list[list[Any]] = []

        async def say(event: str, data: dict[str, Any]) -> None:
            if event.startswith("execution_"):
                messages.append([event, data])
            await self.send(event, data, sid)

        if self.knobs.noise and sid in self.sockets:
            ws = self.sockets[sid]
            for junk in ("<html>502 Bad Gateway</html>", "[1, 2, 3]", "null", '{"type": "progress", "data": 7}',
                         "[" * 100_000):
                await ws.send_str(junk)
            await ws.send_bytes(b"\x00\x00\x00\x01" + b"\xff\xd8 not really a jpeg")  # a PREVIEW_IMAGE frame
        await say("execution_start", {"prompt_id": pid, "timestamp": int(time.time() * 1000)})
        # the same prompt again (a recall, a resubmission): every node is cached (execution.py's
        # caches), and each output node sends `executed` with its cached output, nothing runs
        key = json.dumps(prompt, sort_keys=True)
        cached = self.outputs_by_prompt.get(key)
        await say("execution_cached", {"nodes": list(prompt) if cached is not None else [], "prompt_id": pid,
                                       "timestamp": int(time.time() * 1000)})
        outputs: dict[str, Any] = {}
        executed: list[str] = []
        status = "success"
        for node_id in self.order(prompt):
            node = prompt[node_id]
            if cached is not None:
                if node_id in cached:
                    outputs[node_id] = cached[node_id]
                    await self.send("executed", {"node": node_id, "display_node": node_id,
                                                 "output": cached[node_id], "prompt_id": pid}, sid)
                continue
            self.last_node = node_id
            await self.send("executing", {"node": node_id, "display_node": node_id, "prompt_id": pid}, sid)
            if node["class_type"] == "BlockingNode":
                await self.send("execution_error", {
                    "prompt_id": pid, "node_id": node_id, "node_type": node["class_type"], "executed": executed,
                    "exception_message": "Execution Blocked: nothing to save on this branch",
                    "exception_type": "ExecutionBlocked", "traceback": [], "current_inputs": [],
                    "current_outputs": []}, sid)
                continue
            try:
                output = await self.run_node(item, node_id, node)
            except Interrupted:
                await say("execution_interrupted", {"prompt_id": pid, "node_id": node_id,
                                                    "node_type": node["class_type"], "executed": executed})
                status = "error"
                break
            except Exception as exc:  # a node that fails, as execution.py reports it
                await say("execution_error", {
                    "prompt_id": pid, "node_id": node_id, "node_type": node["class_type"], "executed": executed,
                    "exception_message": str(exc), "exception_type": f"builtins.{type(exc).__name__}",
                    "traceback": ["Traceback (most recent call last):\n", f"  {type(exc).__name__}: {exc}\n"],
                    "current_inputs": {}, "current_outputs": {}})
                status = "error"
                break
            executed.append(node_id)
            if output is not None:
                outputs[node_id] = output
                await self.send("executed", {"node": node_id, "display_node": node_id, "output": output,
                                             "prompt_id": pid}, sid)
        else:
            await say("execution_success", {"prompt_id": pid, "timestamp": int(time.time() * 1000)})
        if status == "success":
            self.outputs_by_prompt[key] = outputs
        self.history[pid] = {"prompt": item.as_list(), "outputs": outputs,
                             "status": {"status_str": status, "completed": status == "success", "messages": messages},
                             "meta": {nid: {"node_id": nid, "display_node": nid, "parent_node": None, "real_node_id": nid}
                                      for nid in outputs}}
        # main.py's prompt_worker: after the history is written, whatever the outcome
        await self.send("executing", {"node": None, "prompt_id": pid}, sid)

    async def run_node(self, item: Item, node_id: str, node: dict[str, Any]) -> dict[str, Any] | None:
        kind, inputs = node["class_type"], node["inputs"]
        if kind == "KSampler":
            steps = int(inputs["steps"])
            for step in range(1, steps + 1):
                await asyncio.sleep(self.knobs.step_s)
                if self._interrupt:
                    raise Interrupted
                await self.send("progress", {"value": step, "max": steps, "prompt_id": item.prompt_id,
                                             "node": node_id}, item.extra_data.get("client_id"))
                # comfy_execution/progress.py: every running node's state, beside `progress`
                await self.send("progress_state", {"prompt_id": item.prompt_id, "nodes": {node_id: {
                    "value": step, "max": steps, "state": "running", "node_id": node_id,
                    "prompt_id": item.prompt_id, "display_node_id": node_id, "parent_node_id": None,
                    "real_node_id": node_id}}}, item.extra_data.get("client_id"))
                if self.knobs.drop_ws_at_step == step and not self._dropped:
                    self._dropped = True
                    ws = self.sockets.get(item.extra_data.get("client_id", ""))
                    if ws is not None:
                        await ws.close()
            return None
        if kind == "ExplodingNode":
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        if kind == "SaveImage":
            latent = next(n for n in item.prompt.values() if n["class_type"] == "EmptyLatentImage")["inputs"]
            text = next(n for n in item.prompt.values() if n["class_type"] == "CLIPTextEncode")["inputs"]["text"]
            seed = next(n for n in item.prompt.values() if n["class_type"] == "KSampler")["inputs"]["seed"]
            shade = hashlib.sha256(f"{text}|{seed}".encode()).digest()
            name = f"{inputs['filename_prefix']}_{self.number:05d}_{item.prompt_id[:8]}.png"
            out = self.root / "output"
            out.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (int(latent["width"]), int(latent["height"])), tuple(shade[:3])).save(out / name)
            return {"images": [{"filename": name, "subfolder": "", "type": "output"}]}
        if kind == "VHS_VideoCombine":
            return {"gifs": [await asyncio.to_thread(self._write_clip, item, inputs)]}
        if kind == "SaveAnimatedWEBP":
            size = next(n for n in item.prompt.values() if n["class_type"] == "ImageToVideo")["inputs"]
            name = f"{inputs['filename_prefix']}_{self.number:05d}_.webp"
            out = self.root / "output"
            out.mkdir(parents=True, exist_ok=True)
            frames = [Image.new("RGB", (int(size["width"]), int(size["height"])), (i * 20 % 256, 90, 160))
                      for i in range(int(size["length"]))]
            frames[0].save(out / name, save_all=True, append_images=frames[1:],
                           duration=round(1000 / float(inputs["fps"])), loop=0, lossless=False, quality=80)
            return {"images": [{"filename": name, "subfolder": "", "type": "output"}], "animated": [True]}
        return None

    def _write_clip(self, item: Item, inputs: dict[str, Any]) -> dict[str, Any]:
        import subprocess

        from director_tui.media.ffmpeg import ffmpeg_exe

        size = next(n for n in item.prompt.values() if n["class_type"] == "ImageToVideo")["inputs"]
        seconds = int(size["length"]) / int(inputs["frame_rate"])
        name = f"{inputs['filename_prefix']}_{self.number:05d}_{item.prompt_id[:8]}.mp4"
        out = self.root / "output"
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc=size={size['width']}x{size['height']}:rate={inputs['frame_rate']}:duration={seconds}",
                        "-pix_fmt", "yuv420p", "-c:v", "libx264", str(out / name)], check=True)
        return {"filename": name, "subfolder": "", "type": "output", "format": "video/h264-mp4",
                "frame_rate": inputs["frame_rate"]}

    # --- the other routes -----------------------------------------------------------------------
    async def get_history(self, request: web.Request) -> web.Response:
        pid = request.match_info["prompt_id"]
        if self.knobs.bad_history > 0:
            self.knobs.bad_history -= 1
            if self.knobs.bad_history % 2:
                return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")
            return web.json_response([pid])
        return web.json_response({pid: self.history[pid]} if pid in self.history else {})

    async def view(self, request: web.Request) -> web.StreamResponse:
        q = request.rel_url.query
        filename = q.get("filename", "")
        if not filename or filename[0] == "/" or ".." in filename:
            return web.Response(status=400)
        folder = self.root / q.get("type", "output") / q.get("subfolder", "")
        path = folder / Path(filename).name
        if not path.is_file():
            return web.Response(status=404)
        return web.FileResponse(path, headers={"Content-Disposition": f'filename="{path.name}"'})

    async def upload_image(self, request: web.Request) -> web.Response:
        post = await request.post()
        image = post.get("image")
        if image is None or not getattr(image, "filename", ""):
            return web.Response(status=400)
        folder = self.root / "input"
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(image.filename).name  # type: ignore[union-attr]
        data = image.file.read()  # type: ignore[union-attr]
        target = folder / name
        if post.get("overwrite") not in ("true", "1") and target.exists() and target.read_bytes() != data:
            stem, suffix, i = target.stem, target.suffix, 1
            while target.exists():
                target = folder / f"{stem} ({i}){suffix}"
                i += 1
        target.write_bytes(data)
        self.uploads.append(target.name)
        return web.json_response({"name": target.name, "subfolder": "", "type": "input"})

    async def get_queue(self, _request: web.Request) -> web.Response:
        return web.json_response({"queue_running": [self.running.as_list()] if self.running else [],
                                  "queue_pending": [i.as_list() for i in self.pending]})

    async def post_queue(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("clear"):
            self.pending.clear()
        for pid in body.get("delete", []):
            self.pending = [i for i in self.pending if i.prompt_id != pid]
        return web.Response(status=200)

    async def post_interrupt(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except (ValueError, json.JSONDecodeError):
            body = {}
        self.interrupts.append(body)
        pid = body.get("prompt_id")
        if not pid or (self.running is not None and self.running.prompt_id == pid):
            self._interrupt = True
        return web.Response(status=200)

    def app(self) -> web.Application:
        @web.middleware
        async def noting(request: web.Request, handler: Any) -> web.StreamResponse:
            self.requests.append((request.method, request.path_qs))
            return await handler(request)

        app = web.Application(middlewares=[noting])
        routes = [web.get("/ws", self.ws_handler), web.post("/prompt", self.post_prompt),
                  web.get("/history/{prompt_id}", self.get_history), web.get("/view", self.view),
                  web.post("/upload/image", self.upload_image), web.get("/queue", self.get_queue),
                  web.post("/queue", self.post_queue), web.post("/interrupt", self.post_interrupt)]
        for route in list(routes):  # server.py serves every route under /api too
            routes.append(web.route(route.method, "/api" + route.path, route.handler))
        app.add_routes(routes)
        return app


@contextlib.contextmanager
def running_standin(root: Path, knobs: Knobs | None = None) -> Iterator[StandIn]:
    """A stand-in on 127.0.0.1 (a free port) in a thread of its own, until the block ends."""
    standin = StandIn(root, knobs or Knobs())
    tasks: list[asyncio.Task[None]] = []

    async def stopping() -> None:
        for task in tasks:
            task.cancel()
        for ws in list(standin.sockets.values()):
            await ws.close()

    with served(standin.app(), lambda loop: tasks.append(loop.create_task(standin.executor())), stopping) as server:
        standin.url, standin.kill = server.url, server.kill
        yield standin


if __name__ == "__main__":
    serve_by_hand(lambda root, step_s: running_standin(root, Knobs(step_s=step_s)), "comfy-standin")
