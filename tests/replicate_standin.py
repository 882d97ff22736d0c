"""A stand-in for a hosted prediction API in Replicate's shape (its HTTP API as documented:
POST /v1/predictions {version, input} or /v1/models/{owner}/{name}/predictions {input} ->
201 with {id, status: "starting", urls: {get, cancel}, logs, output: null, error: null};
GET urls.get until status is succeeded / failed / canceled, `logs` growing (tqdm lines),
`output` a file URL; POST urls.cancel; 401 {title, detail, status} without a valid
`Authorization: Bearer` token; 422 {title: "Input validation failed", detail} for an unknown
version)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from PIL import Image

from tests.serving import serve_by_hand, served

TOKEN = "r8_standin_secret_token_123456"
VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"


@dataclass
class ReplicateStandIn:
    root: Path
    step_s: float = 0.05
    steps: int = 5
    url: str = ""
    predictions: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)  # each POST body
    cancels: list[str] = field(default_factory=list)
    auth_seen: list[str] = field(default_factory=list)
    workers: set[asyncio.Task[None]] = field(default_factory=set)

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        self.auth_seen.append(header)
        return header == f"Bearer {TOKEN}"

    @staticmethod
    def _unauthorised() -> web.Response:
        return web.json_response({"title": "Unauthenticated", "detail": "You did not pass a valid authentication token",
                                  "status": 401}, status=401)

    async def create(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        body = await request.json()
        self.created.append(body)
        model = request.match_info.get("model")
        if model is None and body.get("version") != VERSION:
            return web.json_response({"title": "Invalid version or not permitted", "status": 422,
                                      "detail": "The specified version does not exist (or perhaps you don't have "
                                                "permission to use it?)"}, status=422)
        pid = uuid.uuid4().hex[:26]
        base = f"{self.url}/v1/predictions/{pid}"
        prediction = {"id": pid, "model": model or "standin/sdxl", "version": body.get("version", VERSION),
                      "input": body.get("input", {}), "logs": "", "output": None, "error": None,
                      "status": "starting", "urls": {"get": base, "cancel": f"{base}/cancel"}}
        self.predictions[pid] = prediction
        worker = asyncio.get_running_loop().create_task(self._work(prediction))
        self.workers.add(worker)
        worker.add_done_callback(self.workers.discard)
        return web.json_response(prediction, status=201)

    async def _work(self, prediction: dict[str, Any]) -> None:
        await asyncio.sleep(self.step_s)
        if prediction["status"] == "canceled":
            return
        prediction["status"] = "processing"
        prompt = str(prediction["input"].get("prompt", ""))
        for step in range(1, self.steps + 1):
            await asyncio.sleep(self.step_s)
            if prediction["status"] == "canceled":
                return
            pct = step * 100 // self.steps
            prediction["logs"] += f"{pct:3d}%|{'#' * step:<{self.steps}}| {step}/{self.steps} [00:01<00:01, 3.1it/s]\n"
        if "FAIL" in prompt:
            prediction["status"], prediction["error"] = "failed", "NSFW content detected. Try running it again."
            return
        name = f"{prediction['id']}.png"
        (self.root / "files").mkdir(parents=True, exist_ok=True)
        size = (int(prediction["input"].get("width", 64)), int(prediction["input"].get("height", 36)))
        Image.new("RGB", size, (40, 90, 140)).save(self.root / "files" / name)
        prediction["output"] = [f"{self.url}/files/{name}"]
        prediction["status"] = "succeeded"

    async def get(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        prediction = self.predictions.get(request.match_info["pid"])
        if prediction is None:
            return web.json_response({"detail": "Not found.", "status": 404}, status=404)
        return web.json_response(prediction)

    async def cancel(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        prediction = self.predictions[request.match_info["pid"]]
        self.cancels.append(prediction["id"])
        if prediction["status"] in ("starting", "processing"):
            prediction["status"] = "canceled"
        return web.json_response(prediction)

    async def file(self, request: web.Request) -> web.StreamResponse:
        path = self.root / "files" / Path(request.match_info["name"]).name
        return web.FileResponse(path) if path.is_file() else web.Response(status=404)

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes([web.post("/v1/predictions", self.create),
                        web.post("/v1/models/{model:[^/]+/[^/]+}/predictions", self.create),
                        web.get("/v1/predictions/{pid}", self.get), web.post("/v1/predictions/{pid}/cancel", self.cancel),
                        web.get("/files/{name}", self.file)])
        return app


@contextlib.contextmanager
def running_replicate(root: Path, **kw: Any) -> Iterator[ReplicateStandIn]:
    standin = ReplicateStandIn(root, **kw)

    async def stopping() -> None:
        for worker in list(standin.workers):
            worker.cancel()

    with served(standin.app(), stopping=stopping) as server:
        standin.url = server.url
        yield standin


if __name__ == "__main__":  # the API is at <url>/v1; the token is TOKEN above
    serve_by_hand(lambda root, step_s: running_replicate(root, step_s=step_s), "replicate-standin")
