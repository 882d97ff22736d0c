"""Two directors on one PostgreSQL store, each in their own `director-tui open` in a real
terminal (tmux), and the studio's server going away under an open app (issue 17)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from director_tui.core.models import AssetState, Segment
from director_tui.core.store import open_store
from tests.conftest import PY


class Terminal:
    """One `director-tui open` in a tmux session of its own (a private tmux server)."""

    def __init__(self, socket: Path, name: str, argv: list[str], env: dict[str, str], size: tuple[int, int]) -> None:
        self.socket, self.name = socket, name
        env_args = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
        # the tmux server inherits this process's environment; pytest's COLUMNS/LINES (80x24)
        # would pin the app's size
        subprocess.run(["tmux", "-S", str(socket), "new-session", "-d", "-s", name, "-x", str(size[0]),
                        "-y", str(size[1]), *env_args, "--", "env", "-u", "COLUMNS", "-u", "LINES", *argv],
                       check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "-S", str(self.socket), "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True, check=False).stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "-S", str(self.socket), "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, condition: Callable[[str], bool], timeout: float = 30.0) -> float:
        """Seconds until the screen met `condition`; fails with the screen if it never did."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if condition(self.screen()):
                return time.monotonic() - started
            time.sleep(0.02)
        raise AssertionError(f"{self.name}: not on screen in {timeout} s:\n{self.screen()}")


@contextmanager
def terminals(tmp_path: Path) -> Iterator[Callable[..., Terminal]]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (.ci/run installs it)")
    socket = Path(tempfile.mkdtemp(prefix="dt-tmux-")) / "s"
    made: list[Terminal] = []

    def make(name: str, argv: list[str], env: dict[str, str], size: tuple[int, int] = (120, 30)) -> Terminal:
        made.append(Terminal(socket, name, argv, env, size))
        return made[-1]

    try:
        yield make
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, check=False)
        shutil.rmtree(socket.parent, ignore_errors=True)


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text("auto_generate = false\nauto_queue_video = false\nimage_protocol = \"halfcell\"\n")
    return config


def _env(tmp_path: Path, user: str) -> dict[str, str]:
    return {"DIRECTOR_CONFIG": str(_config(tmp_path)), "DIRECTOR_STATE": str(tmp_path / f"state-{user}"),
            "USER": user, "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}


def _drafts(home: Path, url: str) -> list[str]:
    from director_tui.core.models import Draft

    store = open_store(home, url)
    try:
        with store.read() as s:
            return [d.text for d in s.execute(select(Draft)).scalars()]
    finally:
        store.dispose()


def _row(screen: str, title: str) -> str:
    return next((line for line in screen.splitlines() if title in line), "")


@pytest.mark.parametrize("store_kind", ["postgresql"])
def test_two_directors_see_each_others_decisions_within_half_a_second(store, home: Path, film, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    argv = [PY, "-m", "director_tui", "--home", str(home), "--store", store.url, "open", "film"]
    with terminals(tmp_path) as terminal:
        ana = terminal("ana", argv, _env(tmp_path, "ana"))
        ben = terminal("ben", argv, _env(tmp_path, "ben"))
        for t in (ana, ben):
            t.wait_for(lambda s: "Shot 1" in s and "Shot 4" in s)
        time.sleep(1.0)  # both listening
        ana.keys("space")  # approve shot 1's keyframe
        seen = ben.wait_for(lambda s: "✓ v1" in _row(s, "Shot 1"), timeout=10)
        ben.keys("j", "d")  # reject shot 2
        back = ana.wait_for(lambda s: "✗ v1" in _row(s, "Shot 2"), timeout=10)
    with store.read() as s:
        states = [g.keyframe_state for g in s.execute(select(Segment).order_by(Segment.position)).scalars()]
    assert states[:2] == [AssetState.APPROVED, AssetState.REJECTED]
    # what a director sees: the key in one terminal to the row in the other (tmux polling included)
    assert seen < 1.0 and back < 1.0, (seen, back)


def test_an_open_app_says_the_server_is_gone_and_comes_back_with_what_changed(tmp_path: Path) -> None:
    from tests.postgres_cluster import running_cluster, server_bin_dir
    from tests.seed import seed_keyframes

    if server_bin_dir() is None:
        pytest.fail("no PostgreSQL server binaries; .ci/run installs them")
    root = Path(tempfile.mkdtemp(prefix="director-pg-"))
    home = tmp_path / "shared"
    home.mkdir()
    try:
        with running_cluster(root) as cluster, terminals(tmp_path) as terminal:
            from director_tui.core.spec import create_stream, validate_spec
            from tests.conftest import spec_dict

            store = open_store(home, cluster.url)
            with store.write() as s:
                stream = create_stream(s, validate_spec(spec_dict(3)), "tester")
            seed_keyframes(store, home, stream.id)
            store.dispose()
            app = terminal("ana", [PY, "-m", "director_tui", "--home", str(home), "--store", cluster.url, "open",
                                   "film"], _env(tmp_path, "ana"), size=(160, 40))
            app.wait_for(lambda s: "Shot 3" in s)
            app.keys("j", "e", "End")  # a director mid-edit when the server goes
            app.keys("-l", " at dusk")
            time.sleep(1.0)
            cluster.stop("fast")
            app.wait_for(lambda s: "store unreachable" in s, timeout=15)
            app.keys("-l", " under rain")  # typed while the server is away: kept as a draft
            app.wait_for(lambda s: "draft not saved yet" in s)
            assert "Traceback" not in app.screen()
            cluster.start()
            app.wait_for(lambda s: "store unreachable" not in s, timeout=30)
            deadline = time.monotonic() + 15  # written once it is back, without another key
            while time.monotonic() < deadline and not any(t.endswith("at dusk under rain") for t in _drafts(home, cluster.url)):
                time.sleep(0.1)
            assert [t.endswith("shot 2 at dusk under rain") for t in _drafts(home, cluster.url)] == [True]
            app.keys("Enter")  # saved: the edit ends, the draft with it
            app.wait_for(lambda s: "Shot 3" in s and "shot 2 at dusk u" in _row(s, "Shot 2"))
            other = open_store(home, cluster.url)  # another director decides once it is back
            with other.write() as s:
                from director_tui.core import review

                first = s.execute(select(Segment).order_by(Segment.position.desc())).scalars().first()
                review.reject(s, first.id, "keyframe", "ben")
            other.dispose()
            app.wait_for(lambda s: "✗" in _row(s, "Shot 3"), timeout=10)
            assert "Traceback" not in app.screen()
    finally:
        shutil.rmtree(root, ignore_errors=True)
