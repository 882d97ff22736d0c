"""Crash recovery takes nothing on a task row's word (issue 25, 1 and 2): anyone who can
write the shared store can write a fake `running` task. Its `remote` may name an attacker's
URL and the victim's secret's variable, its process group the victim's own shell. Recovery
uses only the trusted definition's servers, URLs and token variable, contacts nothing for
a definition this account does not trust, and kills only process groups this account
recorded starting; what the row says against that is ignored and reported.

Each test here fails on the code before the fix: the victim's `SECRET_AWS_KEY` was sent to
the attacker as a bearer token, an untrusted definition's server was contacted, and the
victim's own process group was killed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import select, update

from director_tui.core import queue
from director_tui.core.models import Activity, Task, TaskState
from director_tui.jobs.processes import process_start, remember_group
from director_tui.jobs.recovery import recover
from tests.conftest import spec_dict
from tests.e2e.test_comfyui import comfy
from tests.e2e.test_replicate import replicate

SECRET = "aws-very-secret-value"


@contextmanager
def attacker() -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """An HTTP server that records every request it gets: (method, path, Authorization)."""
    seen: list[tuple[str, str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            seen.append((self.command, self.path, self.headers.get("Authorization", "")))
            body = json.dumps({"status": "succeeded", "output": "http://127.0.0.1:9/x.png"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _record

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def orphan(store, make_stream, generators: dict[str, Any], *, trusted: bool = True, **row: Any) -> Task:  # type: ignore[no-untyped-def]
    """A queued task turned into a dead instance's `running` one, as a colleague writes it."""
    stream = make_stream(spec_dict(1, generators=generators), trusted=trusted)
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "tester")
    return running(store, **row)


def running(store, **row: Any) -> Task:  # type: ignore[no-untyped-def]
    """The newest task, made a dead instance's `running` one with these columns."""
    with store.write() as s:
        task = s.execute(select(Task).order_by(Task.id.desc())).scalars().first()
        s.execute(update(Task).where(Task.id == task.id).values(
            state=TaskState.RUNNING, owner=f"{socket.gethostname()}:dead", owner_pid=2 ** 22 + 7, owner_start=1.0,
            **row))
    with store.read() as s:
        return s.execute(select(Task).order_by(Task.id.desc())).scalars().first()


def ignored(store) -> list[str]:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return [a.detail for a in s.execute(select(Activity).where(Activity.kind == "task.remote_ignored")).scalars()]


def test_a_rows_url_and_token_variable_get_no_secret(store, home, make_stream, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SECRET_AWS_KEY", SECRET)
    monkeypatch.setenv("STANDIN_TOKEN", "standin-token")
    with attacker() as (evil, seen):
        remote = {"backend": "replicate", "server": evil, "id": "p1", "get": f"{evil}/pred", "cancel": f"{evil}/cancel",
                  "token_env": "SECRET_AWS_KEY"}
        task = orphan(store, make_stream, replicate("http://127.0.0.1:9"), remote=json.dumps(remote))
        problems: list[str] = []
        moved = recover(store, "victim", "me:1", home=home, problems=problems)
        assert seen == []  # nothing sent there, the secret least of all
    assert [old for old, _ in moved] == [task.id]  # interrupted and queued again, as any orphan
    assert problems and all(f"task {task.id}:" in p and "ignored" in p for p in problems)
    assert any("token variable" in p or "not under the stream's trusted api" in p for p in problems)
    assert ignored(store)


def test_a_rows_comfyui_server_is_never_contacted(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    with attacker() as (evil, seen):
        remote = {"backend": "comfyui", "server": evil, "prompt_id": "abc"}
        task = orphan(store, make_stream, comfy(["http://127.0.0.1:9"]), remote=json.dumps(remote))
        problems: list[str] = []
        recover(store, "victim", "me:1", home=home, problems=problems)
        assert seen == []
    assert any(f"task {task.id}:" in p and "not one of the stream's trusted comfyui servers" in p for p in problems)


def test_an_untrusted_definition_contacts_nothing(store, home, make_stream, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The row's URL agrees with the definition, but this account never trusted it."""
    monkeypatch.setenv("STANDIN_TOKEN", "standin-token")
    with attacker() as (evil, seen):
        remote = {"backend": "replicate", "server": f"{evil}/v1", "id": "p1", "get": f"{evil}/v1/predictions/p1",
                  "cancel": f"{evil}/v1/predictions/p1/cancel", "token_env": "STANDIN_TOKEN"}
        task = orphan(store, make_stream, replicate(evil), trusted=False, remote=json.dumps(remote))
        problems: list[str] = []
        moved = recover(store, "victim", "me:1", home=home, problems=problems)
        assert seen == []
    assert [old for old, _ in moved] == [task.id]
    assert any("not stopped on its server" in p for p in problems)


def test_a_process_group_is_killed_only_when_this_account_started_it(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    victim = subprocess.Popen(["sleep", "60"], start_new_session=True)  # the victim's own, not a generator
    try:
        start = process_start(victim.pid)
        orphan(store, make_stream, None, pgid=victim.pid, pid=victim.pid, proc_start=start)
        recover(store, "victim", "me:1", grace_s=0.5)
        time.sleep(0.2)
        assert victim.poll() is None, "a group named only by the store was killed"
        # the same group, recorded by this account when it started it (as the runner does)
        again = running(store, pgid=victim.pid, pid=victim.pid, proc_start=start)  # the copy recovery queued
        remember_group(victim.pid, start)
        assert [old for old, _ in recover(store, "victim", "me:1", grace_s=0.5)] == [again.id]
        assert victim.wait(10) == -signal.SIGTERM
    finally:
        if victim.poll() is None:
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()
