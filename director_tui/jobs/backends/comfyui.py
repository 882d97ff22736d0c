"""The `comfyui` back end: a task runs as a prompt on a ComfyUI server (or a pool of them).

Protocol (ComfyUI's server.py and execution.py): the websocket `/ws?clientId=` is opened
first, then POST /prompt {prompt, client_id, prompt_id}; its events (`executing`,
`progress`, `execution_cached`, `execution_success`, `execution_error`,
`execution_interrupted`) come to that client id only. The result is read from
/history/{prompt_id} and downloaded through /view. A reference picture (clips, `s`,
variations) is uploaded through /upload/image under a name derived from its checksum.
Cancel: /interrupt with the prompt id
(only that prompt, never another user's) when it runs and /queue {delete} when it waits.

The server and prompt id are recorded on the task before anything is submitted, so an
instance that dies leaves enough for the next one to stop the work (`reap`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit

from director_tui.jobs.backends.base import (
    Backend,
    Job,
    RemoteMismatch,
    Reporter,
    StartContext,
    TaskFailed,
)
from director_tui.jobs.backends.comfy_messages import (
    CONNECT_S,
    fill_graph,
    node_errors_line,
    node_failed,
    outputs_of,
)
from director_tui.jobs.backends.comfy_results import fetch_finished, fetch_result

QUIET_POLL_S = 5.0  # no event for this long: look at /history (an event may have been missed)
POLL_S = 1.0  # following a prompt by /history (its websocket lost)
GONE_AFTER = 5  # /history unanswered this many times in a row: the server is gone
BACKOFF_S = (5.0, 60.0)  # a server that did not answer is skipped for 5 s, doubling up to 60 s


class ServerPool:
    """Which server takes the next task: the least busy one with room (per-server
    concurrency), skipping one that did not answer lately (back-off). Process-wide."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.busy: dict[str, int] = {}
        self._down_until: dict[str, float] = {}
        self._backoff: dict[str, float] = {}

    def choose(self, servers: list[str], per_server: int, avoid: Collection[str] = ()) -> str | None:
        with self._lock:
            now = time.monotonic()
            up = [s for s in servers if s not in avoid and self._down_until.get(s, 0.0) <= now]
            room = [s for s in up if self.busy.get(s, 0) < per_server] or up
            if not room:
                return None
            best = min(room, key=lambda s: (self.busy.get(s, 0), servers.index(s)))
            self.busy[best] = self.busy.get(best, 0) + 1
            return best

    def take(self, server: str) -> None:
        with self._lock:
            self.busy[server] = self.busy.get(server, 0) + 1

    def release(self, server: str) -> None:
        with self._lock:
            self.busy[server] = max(0, self.busy.get(server, 0) - 1)

    def down(self, server: str) -> None:
        with self._lock:
            wait = min(BACKOFF_S[1], self._backoff.get(server, BACKOFF_S[0] / 2) * 2)
            self._backoff[server] = wait
            self._down_until[server] = time.monotonic() + wait

    def up(self, server: str) -> None:
        with self._lock:
            self._backoff.pop(server, None)
            self._down_until.pop(server, None)


POOL = ServerPool()


class ComfyJob(Job):
    def __init__(self, ctx: StartContext, servers: list[str], server: str, per_server: int, prompt_id: str,
                 graph: dict[str, Any], inputs: dict[str, list[str]], workflow_sha: str, workflow_name: str) -> None:
        self.ctx, self.servers, self.server, self.per_server = ctx, servers, server, per_server
        self.prompt_id, self.client_id = prompt_id, uuid.uuid4().hex
        self.graph, self.inputs = graph, inputs
        self.workflow_sha, self.workflow_name = workflow_sha, workflow_name
        self.titles = {nid: (node.get("_meta") or {}).get("title") or node.get("class_type", nid)
                       for nid, node in graph.items()}
        self.stopping = False
        self._fraction = 0.0
        self._stopped = asyncio.Event()
        self._held: str | None = server  # the pool slot this job holds

    # --- running ---------------------------------------------------------------------------
    async def run(self, report: Reporter) -> None:
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT_S, sock_connect=CONNECT_S)
        gone: list[str] = []
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                ws = await self._connect(http, report, avoid=set(gone))
                try:
                    await self._upload_reference(http)
                    await self._submit(http, report)
                    await self._follow(http, ws, report)
                    await self._collect(http, report)
                    return
                except (aiohttp.ClientConnectionError, ConnectionError) as exc:
                    # the server went away with our prompt: its work is lost with it, so it
                    # is submitted again elsewhere in the pool (never twice on a live server)
                    if self.stopping:
                        raise TaskFailed("cancelled") from None
                    gone.append(self.server)
                    report.text([f"comfyui: {self.server} went away mid-run ({type(exc).__name__}); trying another"])
                    if not await self._move_on(gone):
                        raise TaskFailed(f"comfyui: {', '.join(gone)} went away mid-run, no other server "
                                         "answers") from None
                finally:
                    await ws.close()

    async def _connect(self, http: Any, report: Reporter, avoid: set[str] | None = None) -> Any:
        """The websocket, on this job's server or, when it does not answer, another of the pool."""
        import aiohttp

        tried: list[str] = list(avoid or ())
        while True:
            try:
                ws = await http.ws_connect(f"{self.server}/ws?clientId={self.client_id}", heartbeat=30)
                POOL.up(self.server)
                return ws
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                tried.append(self.server)
                report.text([f"comfyui: cannot reach {self.server} ({type(exc).__name__}: {exc})"])
                if not await self._move_on(tried):
                    raise TaskFailed(f"cannot reach comfyui at {', '.join(tried)}") from None

    async def _move_on(self, avoid: list[str]) -> bool:
        """This job's server failed: marked down, its slot freed, the next of the pool taken
        with a new prompt id, recorded before anything is submitted there. False: none is left."""
        POOL.down(self.server)
        self._release()
        nxt = POOL.choose(self.servers, self.per_server, avoid=set(avoid))
        if nxt is None:
            return False
        self.server, self._held, self.prompt_id = nxt, nxt, str(uuid.uuid4())
        await asyncio.to_thread(self._record)
        return True

    def _record(self) -> None:
        self.ctx.store.tasks.set_remote(self.ctx.task.id, json.dumps(
            {"backend": "comfyui", "server": self.server, "prompt_id": self.prompt_id}), self.ctx.log_path)

    async def _upload_reference(self, http: Any) -> None:
        import aiohttp

        task = self.ctx.task
        if "reference" not in self.inputs or not task.reference_path:
            return
        path = self.ctx.home / "media" / task.reference_path
        data = await asyncio.to_thread(path.read_bytes)
        name = f"director-{hashlib.sha256(data).hexdigest()[:24]}{path.suffix.lower() or '.png'}"
        form = aiohttp.FormData()
        form.add_field("image", data, filename=name, content_type="application/octet-stream")
        form.add_field("overwrite", "true")  # the same name is the same bytes: idempotent
        async with http.post(f"{self.server}/upload/image", data=form) as resp:
            if resp.status != 200:
                raise TaskFailed(f"comfyui at {self.server} refused the reference upload ({resp.status})")
            uploaded = await resp.json()
        node_ref, input_name = self.inputs["reference"]
        from director_tui.core.remote_spec import find_node

        self.graph[find_node(self.graph, node_ref, "reference")]["inputs"][input_name] = uploaded["name"]

    async def _submit(self, http: Any, report: Reporter) -> None:
        body = {"prompt": self.graph, "client_id": self.client_id, "prompt_id": self.prompt_id}
        async with http.post(f"{self.server}/prompt", json=body) as resp:
            text = await resp.text()
            try:
                answer = json.loads(text)
            except ValueError:
                answer = text
            if resp.status == 400:
                raise TaskFailed(f"comfyui refused the workflow: {node_errors_line(answer)}")
            if resp.status != 200 or not isinstance(answer, dict) or "prompt_id" not in answer:
                raise TaskFailed(f"comfyui at {self.server} answered {resp.status} to /prompt: {str(text)[:200]}")
        if answer["prompt_id"] != self.prompt_id:  # an older server names it itself
            self.prompt_id = str(answer["prompt_id"])
            await asyncio.to_thread(self._record)
        report.text([f"comfyui: submitted to {self.server} as prompt {self.prompt_id}"])
        report.progress(0.0, f"waiting on {urlsplit(self.server).netloc}")  # its queue may hold others' first

    async def _follow(self, http: Any, ws: Any, report: Reporter) -> None:
        """Until the prompt ends: its events from the websocket; when the websocket drops,
        reconnect once, else poll /history (a finished result is never lost)."""
        import aiohttp

        while True:
            if self.stopping:
                raise TaskFailed("cancelled")
            receive = asyncio.ensure_future(ws.receive())
            stopped = asyncio.ensure_future(self._stopped.wait())
            done, _ = await asyncio.wait({receive, stopped}, timeout=QUIET_POLL_S,
                                         return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if receive not in done:
                receive.cancel()
                if self.stopping:
                    raise TaskFailed("cancelled")
                if await self._history(http) is not None:
                    return
                continue
            msg = receive.result()
            if msg.type == aiohttp.WSMsgType.TEXT:
                try:
                    message = json.loads(msg.data)
                except (ValueError, RecursionError):
                    continue  # not an event of the protocol: a proxy's or a plugin's noise
                if isinstance(message, dict) and self._event(message, report):
                    return
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING,
                              aiohttp.WSMsgType.ERROR):
                # A reconnect under the same client id can be lost: the server unregisters the
                # id when the old socket's handler ends, which may come after the reconnect
                # (server.py's websocket_handler, v0.8.0), and then nothing more arrives. So a
                # fresh id (the server still knows it is there), and the prompt followed by its id.
                report.text([f"comfyui: the websocket to {self.server} dropped; following the prompt by its id"])
                self.client_id = uuid.uuid4().hex
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    await ws.close()
                    ws = await http.ws_connect(f"{self.server}/ws?clientId={self.client_id}", heartbeat=30)
                await self._poll_history(http, report)
                return
            # binary messages are previews: not ours to show

    def _event(self, message: dict[str, Any], report: Reporter) -> bool:
        """One websocket event; True when the prompt has finished well."""
        kind, data = message.get("type"), message.get("data") or {}
        if not isinstance(data, dict) or data.get("prompt_id", self.prompt_id) != self.prompt_id:
            return False
        if kind == "progress":
            value, most = data.get("value", 0), data.get("max", 1) or 1
            title = self.titles.get(str(data.get("node")), "sampling")
            self._fraction = float(value) / float(most)
            report.progress(self._fraction, f"{title} {value}/{most}")
        elif kind == "executing":
            if data.get("node") is None:
                return "prompt_id" in data  # the end (an older server's way to say it)
            report.progress(self._fraction, self.titles.get(str(data["node"]), str(data["node"])))
        elif kind == "execution_cached" and data.get("nodes"):
            report.text([f"comfyui: {len(data['nodes'])} node(s) cached"])
        elif kind == "execution_success":
            return True
        elif kind == "execution_error" and data.get("exception_type") == "ExecutionBlocked":
            # a node blocked its branch on purpose (an ExecutionBlocker with a message): the
            # prompt goes on, and ends in execution_success (execution.py, v0.8.0)
            report.text([f"comfyui: node {data.get('node_id')} ({data.get('node_type')}): "
                         f"{str(data.get('exception_message', ''))[:300]}"])
        elif kind == "execution_error":
            raise TaskFailed(node_failed(data))
        elif kind == "execution_interrupted":
            if self.stopping:
                raise TaskFailed("cancelled")
            raise TaskFailed(f"comfyui: interrupted on {self.server} by someone else at node "
                             f"{data.get('node_id')} ({data.get('node_type')})")
        return False

    async def _history(self, http: Any) -> dict[str, Any] | None:
        async with http.get(f"{self.server}/history/{self.prompt_id}") as resp:
            if resp.status != 200:
                return None
            try:  # a proxy's error page, or nonsense: not an answer yet
                answer = json.loads(await resp.text())
            except (ValueError, RecursionError):
                return None
        entry = answer.get(self.prompt_id) if isinstance(answer, dict) else None
        if not isinstance(entry, dict):
            return None
        found = entry.get("status")
        status: dict[str, Any] = found if isinstance(found, dict) else {}
        if status.get("status_str") == "error":
            raise TaskFailed(self._failure_from(status))
        return entry

    def _failure_from(self, status: dict[str, Any]) -> str:
        for event, data in status.get("messages") or []:
            if event == "execution_error":
                return node_failed(data)
            if event == "execution_interrupted":
                return "cancelled" if self.stopping else f"comfyui: interrupted on {self.server} by someone else"
        return "comfyui: the prompt ended in an error"

    async def _poll_history(self, http: Any, report: Reporter) -> None:
        """Without its websocket: /history once a second. A server that does not answer for
        GONE_AFTER tries in a row is gone (the caller submits elsewhere); a blip is not."""
        import aiohttp

        report.text([f"comfyui: following prompt {self.prompt_id} by polling /history"])
        misses = 0
        while True:
            if self.stopping:
                raise TaskFailed("cancelled")
            try:
                if await self._history(http) is not None:
                    return
                misses = 0
            except aiohttp.ClientConnectionError:
                misses += 1
                if misses >= GONE_AFTER:
                    raise
            await asyncio.sleep(POLL_S)

    async def _collect(self, http: Any, report: Reporter) -> None:
        entry = None
        for _ in range(50):  # the history is written a moment after the last event
            entry = await self._history(http)
            if entry is not None:
                break
            await asyncio.sleep(0.1)
        files = outputs_of(entry or {}, self.ctx.task.asset)
        if not files:
            raise TaskFailed(f"comfyui: prompt {self.prompt_id} produced no file (its output nodes saved nothing)")
        chosen = files[0]
        written, converted = await fetch_result(http, self.server, chosen, self.ctx.task.asset, self.ctx.output)
        report.text([f"comfyui: downloaded {chosen['filename']} ({written:,} bytes)"]
                    + ([f"comfyui: {converted}"] if converted else []))
        report.progress(1.0, "done")
        self.generator = json.dumps({"name": f"comfyui:{self.server}/{self.workflow_name}", "backend": "comfyui",
                                     "server": self.server, "prompt_id": self.prompt_id,
                                     **({"converted": converted} if converted else {}),
                                     "workflow_sha256": self.workflow_sha}, ensure_ascii=False)

    # --- stopping -----------------------------------------------------------------------------
    async def stop(self, grace_s: float) -> None:
        self.stopping = True
        self._stopped.set()
        await cancel_on_server(self.server, self.prompt_id)

    def close(self) -> None:
        self._release()

    def _release(self) -> None:
        if self._held is not None:
            POOL.release(self._held)
            self._held = None


async def cancel_on_server(server: str, prompt_id: str) -> bool:
    """Stop this prompt and no other: interrupt it when it runs, take it off the queue when it
    waits. True when it was there. (ComfyUI has no cancel route for one job: v0.8.0's
    server.py serves GET /api/jobs and /api/jobs/{id} only, and /interrupt takes a prompt id.)"""
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=CONNECT_S * 2)
    with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(f"{server}/queue") as resp:
                queue = await resp.json() if resp.status == 200 else {}
            running = {str(item[1]) for item in queue.get("queue_running", []) if len(item) > 1}
            pending = {str(item[1]) for item in queue.get("queue_pending", []) if len(item) > 1}
            if prompt_id in running:
                async with http.post(f"{server}/interrupt", json={"prompt_id": prompt_id}):
                    pass
                return True
            if prompt_id in pending:
                async with http.post(f"{server}/queue", json={"delete": [prompt_id]}):
                    pass
                return True
    return False


class ComfyBackend(Backend):
    name = "comfyui"

    def start(self, ctx: StartContext) -> Job:
        options = ctx.settings.options
        servers = [str(s) for s in options.get("servers", [])]
        workflow = options.get("workflow")
        inputs = options.get("inputs") or {}
        if not servers or not isinstance(workflow, dict):
            raise TaskFailed("comfyui settings lack servers or a workflow (import the spec again)")
        per_server = int(options.get("concurrency", 1))
        server = POOL.choose(servers, per_server)
        if server is None:  # every server failed lately: try the first again (run() fails over)
            server = servers[0]
            POOL.take(server)
        task = ctx.task
        values = {"prompt": task.prompt, "seed": task.seed, "width": task.width, "height": task.height,
                  "duration": task.duration, "segment": f"segment {task.position}", "stream": task.slug}
        try:
            graph = fill_graph(workflow, inputs, values)
        except ValueError as exc:
            POOL.release(server)
            raise TaskFailed(f"comfyui inputs: {exc}") from None
        sha, name = workflow_identity(options)
        job = ComfyJob(ctx, servers, server, per_server, str(uuid.uuid4()), graph, inputs, sha, name)
        job._record()  # before anything is submitted: a crash leaves the handle to reap
        ctx.log(f"comfyui: {server}, prompt {job.prompt_id}")
        return job

    def salvage(self, task: Any, settings: Any, output: Any) -> str | None:
        """The prompt finished on its server after its instance died: download the result."""
        found = trusted_handle(task, settings)
        if found is None:
            return None
        sha, name = workflow_identity(settings.options or {})  # recorded like any version's (issue 27, 3)
        return asyncio.run(fetch_finished(found[0], found[1], task.asset, output, workflow_sha=sha, workflow_name=name))

    def reap(self, task: Any, settings: Any, grace_s: float) -> bool:
        """A dead instance's prompt: stopped on its server (it is queued again by recovery)."""
        found = trusted_handle(task, settings)
        if found is None:
            return False
        return asyncio.run(cancel_on_server(*found))


def workflow_identity(options: dict[str, Any]) -> tuple[str, str]:
    """(sha256, name) of a generator's workflow, as each of its versions records them."""
    workflow = options.get("workflow")
    return (hashlib.sha256(json.dumps(workflow, sort_keys=True).encode()).hexdigest(),
            str(options.get("workflow_name") or "workflow"))


PROMPT_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")  # ours are uuid4s; nothing that could reshape a URL


def trusted_handle(task: Any, settings: Any) -> tuple[str, str] | None:
    """(server, prompt id) of a dead instance's prompt, the server one of the trusted
    definition's (never the row's word alone); None when the row has no handle, and
    RemoteMismatch when it names a server or id the definition would never have used."""
    try:
        remote = json.loads(task.remote or "{}")
    except ValueError:
        return None
    if not isinstance(remote, dict) or not remote.get("server") or not remote.get("prompt_id"):
        return None
    servers = {str(s).rstrip("/"): str(s) for s in (settings.options or {}).get("servers") or []}
    server, prompt_id = str(remote["server"]).rstrip("/"), str(remote["prompt_id"])
    if server not in servers:
        raise RemoteMismatch(f"its recorded server {server[:120]!r} is not one of the stream's trusted "
                             "comfyui servers")
    if not PROMPT_ID.fullmatch(prompt_id):
        raise RemoteMismatch(f"its recorded prompt id {prompt_id[:60]!r} is not one this program makes")
    return servers[server], prompt_id
