"""The `replicate` back end: hosted prediction APIs in Replicate's shape.

POST {api}/predictions {version, input} (or {api}/models/{owner}/{name}/predictions
{input} when only the model is named), with `Authorization: Bearer <token>`; then poll the
prediction's `urls.get` until `succeeded`, `failed` or `canceled`; progress from the last
progress line of its `logs`; the output is a file URL (or a list of them) downloaded as
the version; cancel is POST `urls.cancel`. The token is read from the environment variable
the settings name, at the moment it is needed: never stored, never logged, and cut out of
any message that could carry it. The prediction's URLs are recorded on the task before
anything else, so the next instance collects a finished result after a crash, or cancels.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import mimetypes
import os
from typing import Any

from director_tui.jobs.backends.base import (
    Backend,
    Job,
    RemoteMismatch,
    Reporter,
    StartContext,
    TaskFailed,
)
from director_tui.jobs.backends.downloads import fetch_to

CONNECT_S = 10.0


def token_from(options: dict[str, Any]) -> str:
    name = str(options.get("token_env", "REPLICATE_API_TOKEN"))
    token = os.environ.get(name, "")
    if not token:
        raise TaskFailed(f"replicate: no API token: set the environment variable {name}")
    return token


def redact(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


class ReplicateJob(Job):
    def __init__(self, ctx: StartContext, options: dict[str, Any]) -> None:
        self.ctx, self.options = ctx, options
        self.api = str(options["api"])
        self.poll_s = float(options.get("poll_s", 1.0))
        self.urls: dict[str, str] = {}
        self.prediction_id = ""
        self.stopping = False
        self._stopped = asyncio.Event()

    def _auth(self, url: str, token: str) -> dict[str, str]:
        """The token, for the trusted api's own origin only: an output file on another host
        (a CDN, or wherever a model's answer points) is fetched without it."""
        return {"Authorization": f"Bearer {token}"} if same_origin(url, self.api) else {}

    def _input(self) -> dict[str, Any]:
        task = self.ctx.task
        values: dict[str, Any] = {"prompt": task.prompt, "seed": task.seed, "width": task.width,
                                  "height": task.height, "duration": task.duration,
                                  "segment": f"segment {task.position}", "stream": task.slug}
        if task.reference_path:  # a data URI: the API takes one where it takes a file URL
            path = self.ctx.home / "media" / task.reference_path
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            values["reference"] = f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"
        return {name: values[ours] for ours, name in self.options["inputs"].items() if values.get(ours) is not None}

    async def run(self, report: Reporter) -> None:
        import aiohttp

        token = token_from(self.options)
        timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT_S, sock_connect=CONNECT_S, sock_read=120)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as http:
                await self._create(http, report, token)
                output = await self._follow(http, report, token)
                await self._download(http, output, report, token)
        except aiohttp.ClientError as exc:
            raise TaskFailed(redact(f"replicate: {self.api}: {type(exc).__name__}: {exc}", token)) from None
        except OSError as exc:
            raise TaskFailed(redact(f"cannot reach replicate at {self.api} ({exc.strerror or exc})", token)) from None

    async def _create(self, http: Any, report: Reporter, token: str) -> None:
        body: dict[str, Any] = {"input": await asyncio.to_thread(self._input)}
        if "version" in self.options:
            body["version"] = self.options["version"]
            url = f"{self.api}/predictions"
        else:
            url = f"{self.api}/models/{self.options['model']}/predictions"
        async with http.post(url, json=body, headers=self._auth(url, token)) as resp:
            text = await resp.text()
            if resp.status not in (200, 201):
                raise TaskFailed(redact(f"replicate refused the prediction ({resp.status}): {_detail(text)}", token))
            prediction = json.loads(text)
        self.prediction_id = str(prediction["id"])
        self.urls = {k: str(v) for k, v in (prediction.get("urls") or {}).items() if k in ("get", "cancel")}
        await asyncio.to_thread(self.ctx.store.tasks.set_remote, self.ctx.task.id, json.dumps(
            {"backend": "replicate", "server": self.api, "id": self.prediction_id, **self.urls,
             "token_env": self.options.get("token_env", "REPLICATE_API_TOKEN")}), self.ctx.log_path)
        report.text([f"replicate: prediction {self.prediction_id} created"])

    async def _follow(self, http: Any, report: Reporter, token: str) -> Any:
        from director_tui.jobs.generators import parse_progress

        seen_logs = 0
        while True:
            if self.stopping:
                raise TaskFailed("cancelled")
            async with http.get(self.urls["get"], headers=self._auth(self.urls["get"], token)) as resp:
                if resp.status != 200:
                    raise TaskFailed(redact(f"replicate: {resp.status} reading prediction {self.prediction_id}", token))
                prediction = await resp.json()
            logs = str(prediction.get("logs") or "")
            new = [line for line in logs[seen_logs:].splitlines() if line.strip()]
            seen_logs = len(logs)
            if new:
                report.text([redact(line, token) for line in new[-20:]])
                progress = next((p for p in map(parse_progress, reversed(new)) if p is not None), None)
                if progress is not None:
                    report.progress(progress.fraction, progress.message or prediction.get("status", ""))
            status = prediction.get("status")
            if status == "succeeded":
                return prediction.get("output")
            if status == "failed":
                raise TaskFailed(redact(f"replicate: the prediction failed: {str(prediction.get('error'))[:300]}", token))
            if status == "canceled":
                raise TaskFailed("cancelled" if self.stopping else "replicate: the prediction was canceled elsewhere")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), self.poll_s)

    async def _download(self, http: Any, output: Any, report: Reporter, token: str) -> None:
        urls = [output] if isinstance(output, str) else [u for u in (output or []) if isinstance(u, str)]
        if not urls:
            raise TaskFailed("replicate: the prediction succeeded with no output file")
        written = await fetch_to(http, urls[0], self.ctx.output, "replicate: the output",
                                 headers=self._auth(urls[0], token))
        report.text([f"replicate: downloaded the output ({written:,} bytes)"])
        model = self.options.get("model") or self.options.get("version")
        self.generator = json.dumps({"name": f"replicate:{model}", "backend": "replicate", "api": self.api,
                                     "version": self.options.get("version"), "prediction": self.prediction_id})

    async def stop(self, grace_s: float) -> None:
        self.stopping = True
        self._stopped.set()
        if self.urls.get("cancel"):
            with contextlib.suppress(Exception):
                if same_origin(self.urls["cancel"], self.api):
                    await cancel_prediction(self.urls["cancel"], token_from(self.options))


def _detail(text: str) -> str:
    with contextlib.suppress(ValueError, AttributeError):
        body = json.loads(text)
        return str(body.get("detail") or body.get("title") or body)[:300]
    return text[:300]


async def cancel_prediction(cancel_url: str, token: str) -> bool:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=CONNECT_S * 2)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        async with http.post(cancel_url, headers={"Authorization": f"Bearer {token}"}) as resp:
            return resp.status == 200


class ReplicateBackend(Backend):
    name = "replicate"

    def start(self, ctx: StartContext) -> Job:
        options = ctx.settings.options
        if "inputs" not in options or "api" not in options:
            raise TaskFailed("replicate settings lack inputs (import the spec again)")
        token_from(options)  # no token: the task fails now, saying which variable to set
        return ReplicateJob(ctx, options)

    def salvage(self, task: Any, settings: Any, output: Any) -> str | None:
        """The prediction succeeded after its instance died: its output, downloaded."""
        url = trusted_url(task, settings, "get")
        if url is None:
            return None
        try:
            return asyncio.run(_fetch_finished(url, _remote(task).get("id"), token_from(settings.options), output))
        except Exception:
            return None

    def reap(self, task: Any, settings: Any, grace_s: float) -> bool:
        url = trusted_url(task, settings, "cancel")
        if url is None:
            return False
        try:
            return asyncio.run(cancel_prediction(url, token_from(settings.options)))
        except Exception:
            return False


def same_origin(url: str, api: str) -> bool:
    from urllib.parse import urlsplit

    a, b = urlsplit(url), urlsplit(api)
    return bool(a.scheme and a.netloc) and (a.scheme, a.netloc) == (b.scheme, b.netloc)


def trusted_url(task: Any, settings: Any, which: str) -> str | None:
    """The dead instance's prediction URL (`get` or `cancel`) when it lies under the trusted
    definition's `api` (same scheme, host, port and path prefix): the token of the
    definition's own variable goes nowhere else, whatever the row says (issue 25).
    None when the row has none; RemoteMismatch when it names another place, or another
    token variable than the definition's."""
    from urllib.parse import urlsplit

    remote = _remote(task)
    url = remote.get(which)
    if not url:
        return None
    options = settings.options or {}
    api = str(options.get("api") or "")
    named = remote.get("token_env")
    if named is not None and str(named) != str(options.get("token_env", "REPLICATE_API_TOKEN")):
        raise RemoteMismatch(f"its recorded token variable {str(named)[:60]!r} is not the one the stream's "
                             "trusted definition names")
    mine, theirs = urlsplit(api), urlsplit(str(url))
    prefix = mine.path.rstrip("/") + "/"
    if not api or (theirs.scheme, theirs.netloc) != (mine.scheme, mine.netloc) \
            or not (theirs.path + "/").startswith(prefix) or ".." in theirs.path.split("/"):
        raise RemoteMismatch(f"its recorded prediction URL {str(url)[:120]!r} is not under the stream's "
                             f"trusted api {api[:120]!r}")
    return str(url)


async def _fetch_finished(get_url: str, prediction_id: Any, token: str, output: Any) -> str | None:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT_S, sock_read=120)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        async with http.get(get_url, headers={"Authorization": f"Bearer {token}"}) as resp:
            prediction = await resp.json() if resp.status == 200 else {}
        if prediction.get("status") != "succeeded":
            return None
        out = prediction.get("output")
        url = out if isinstance(out, str) else next((u for u in out or [] if isinstance(u, str)), None)
        if url is None:
            return None
        try:
            await fetch_to(http, url, output, "replicate: the output",
                           headers={"Authorization": f"Bearer {token}"} if same_origin(url, get_url) else {})
        except TaskFailed:
            return None
    return json.dumps({"name": "replicate", "backend": "replicate", "prediction": prediction_id, "salvaged": True})


def _remote(task: Any) -> dict[str, Any]:
    try:
        remote = json.loads(task.remote or "{}")
    except ValueError:
        return {}
    return remote if isinstance(remote, dict) else {}
