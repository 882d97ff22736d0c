"""Trust (issue 14, 1): a generator that came with a spec or through the shared database
runs only after this account trusted that exact definition. The generator here is a real
program that leaves a marker file when it runs: the marker is the proof."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select, update
from typer.testing import CliRunner

from director_tui.cli import app as cli_app
from director_tui.core import queue
from director_tui.core.models import Stream, Task, TaskState
from director_tui.core.trust import TrustStore, trust_file
from director_tui.ui.app import make_app
from director_tui.ui.screens.confirm import ConfirmScreen
from tests.conftest import PY, SIZE, gen, run_tasks, spec_dict, wait_for

runner = CliRunner()


def cli(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli_app, ["--home", str(home), *args])


def hostile_spec(tmp_path: Path, n: int = 2) -> tuple[Path, Path]:
    """A spec whose keyframe generator leaves `marker` when it runs."""
    marker = tmp_path / "it-ran"
    data = spec_dict(n, generators={"keyframe": {"command": [PY, gen("marker.py"), "--marker", str(marker),
                                                             "--out", "{output}"]}})
    spec = tmp_path / "from-a-colleague.json"
    spec.write_text(json.dumps(data))
    return spec, marker


def test_an_imported_generator_runs_only_once_trusted(home: Path, tmp_path: Path) -> None:
    spec, marker = hostile_spec(tmp_path)
    r = cli(home, "import", str(spec))
    assert r.exit_code == 0, r.output
    assert "runs nothing until you trust it: `director-tui trust film`" in r.output
    r = cli(home, "regen", "film", "--wait")
    assert r.exit_code == 3
    assert r.output.strip().splitlines() == [
        "director-tui: stream 'film': its keyframe generator is not trusted by this account; "
        "review it with `director-tui trust film`"]
    r = cli(home, "work", "film", "--until-idle")
    assert r.exit_code == 3 and "director-tui trust film" in r.output
    status = json.loads(cli(home, "status", "film", "--json").output)
    assert [(g["asset"], g["builtin"], g["trusted"]) for g in status["generators"]] == \
        [("keyframe", False, False), ("video", True, True)]
    assert "NOT TRUSTED by this account" in cli(home, "status", "film").output
    assert not marker.exists()
    r = cli(home, "trust", "film")  # no terminal to ask on, no --yes: nothing trusted
    assert r.exit_code == 1 and "run again with --yes" in r.output
    r = cli(home, "trust", "film", "--yes")
    assert r.exit_code == 0, r.output
    assert f'    "{PY}"' in r.output and '    "--marker"' in r.output  # argv, one item a line
    assert oct(trust_file().stat().st_mode & 0o777) == "0o600"
    assert oct(trust_file().parent.stat().st_mode & 0o777) == "0o700"
    r = cli(home, "regen", "film", "--wait")
    assert r.exit_code == 0, r.output
    assert marker.exists()
    listed = cli(home, "trust", "--list").output
    assert "keyframe" in listed and "film" in listed and "marker.py" in listed


def test_changing_the_definition_in_the_shared_database_makes_it_untrusted(home, tmp_path, store) -> None:  # type: ignore[no-untyped-def]
    spec, marker = hostile_spec(tmp_path)
    assert cli(home, "import", str(spec)).exit_code == 0
    assert cli(home, "trust", "film", "--yes").exit_code == 0
    with store.write() as s:  # a colleague (or anyone who can write the database) changes it
        gens = json.loads(s.execute(select(Stream.generators_json)).scalar_one())
        gens["keyframe"]["command"].insert(2, "--also")
        s.execute(update(Stream).values(generators_json=json.dumps(gens)))
    r = cli(home, "regen", "film")
    assert r.exit_code == 3 and "not trusted by this account" in r.output
    with store.write() as s:  # scheduling knobs are not what runs: they keep the trust
        gens["keyframe"]["command"].remove("--also")
        gens["keyframe"]["timeout_s"] = 30
        s.execute(update(Stream).values(generators_json=json.dumps(gens)))
    assert cli(home, "regen", "film").exit_code == 0
    assert cli(home, "trust", "film", "--revoke").exit_code == 0
    assert cli(home, "regen", "film").exit_code == 3
    assert not marker.exists()


def test_the_runner_leaves_a_colleagues_queued_tasks_of_an_untrusted_generator(store, home, tmp_path, make_stream) -> None:  # type: ignore[no-untyped-def]
    from director_tui.jobs.runner import Runner, RunnerEvent

    marker = tmp_path / "it-ran"
    stream = make_stream(spec_dict(2, generators={"keyframe": {"command": [
        PY, gen("marker.py"), "--marker", str(marker), "--out", "{output}"]}}), trusted=False)
    with store.write() as s:
        queue.queue_missing_keyframes(s, stream.id, "colleague")
    events: list[RunnerEvent] = []

    import asyncio

    async def go() -> None:
        r = Runner(store, home, [stream.id], actor="tester", on_event=events.append, poll_interval_s=0.05)
        r.start()
        await asyncio.sleep(1.0)
        await r.run_until_idle(5)  # idle: an untrusted generator's tasks are not this runner's work
        await r.stop()

    asyncio.run(go())
    with store.read() as s:
        assert {t.state for t in s.execute(select(Task)).scalars()} == {TaskState.QUEUED}
    troubles = [e.message for e in events if e.kind == "trouble"]
    assert troubles == ["stream 'film': its keyframe generator is not trusted by this account; "
                        "review it with `director-tui trust film`"]  # said once, not every poll
    assert not marker.exists()
    from tests.conftest import trust_generators

    with store.read() as s:
        trust_generators(s.execute(select(Stream.generators_json)).scalar_one())
    run_tasks(store, home, stream.id)
    assert marker.exists()


def test_a_damaged_trust_file_trusts_nothing_and_says_so(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec, marker = hostile_spec(tmp_path)
    assert cli(home, "import", str(spec)).exit_code == 0
    trust_file().parent.mkdir(parents=True, exist_ok=True)
    trust_file().write_text("{ not json")
    r = cli(home, "regen", "film")
    assert r.exit_code == 3 and "trust.json: not a trust file this program wrote" in r.output
    assert len(r.output.strip().splitlines()) == 1


async def test_open_queues_nothing_untrusted_and_trust_in_the_app_lets_it_run(store, settings, make_stream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "it-ran"
    make_stream(spec_dict(2, generators={"keyframe": {"command": [
        PY, gen("marker.py"), "--marker", str(marker), "--out", "{output}"]}}), trusted=False)
    settings.auto_generate = True
    app = make_app(settings, store, "film")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        notices = [str(n.message) for n in app._notifications]
        assert any("not trusted by this account" in n and ":trust here" in n for n in notices)
        with store.read() as s:
            assert list(s.execute(select(Task)).scalars()) == []  # open queued nothing from it
        await pilot.press("colon", *"trust", "enter")
        assert isinstance(app.screen, ConfirmScreen)
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "--marker" in shown and "marker.py" in shown
        await pilot.press("y")
        await wait_for(pilot, lambda: marker.exists(), timeout=30)
    assert len(TrustStore().entries()) == 1


def test_trust_asks_on_a_terminal(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`director-tui trust film` in a real pseudo-terminal: it shows the argv and asks; n keeps
    it untrusted, y trusts."""
    spec, _ = hostile_spec(tmp_path)
    assert cli(home, "import", str(spec)).exit_code == 0

    def answer(reply: bytes) -> tuple[int, str]:
        main, child = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "director_tui", "--home", str(home), "trust", "film"],
                                stdin=child, stdout=child, stderr=child, env=os.environ.copy())
        os.close(child)
        out = b""
        deadline = time.monotonic() + 30
        while b"Trust these" not in out and time.monotonic() < deadline:
            out += os.read(main, 4096)
        os.write(main, reply + b"\r")
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                out += os.read(main, 4096)
            except OSError:
                break
        proc.wait(10)
        os.close(main)
        return proc.returncode, out.decode(errors="replace")

    code, out = answer(b"n")
    assert code == 1 and "not trusted; nothing changed" in out and "--marker" in out
    assert TrustStore().entries() == {}
    code, out = answer(b"y")
    assert code == 0 and "trusted 1 definition(s)" in out
    assert len(TrustStore().entries()) == 1
