"""Pictures through tmux (ui/tmux_graphics.py): tmux says which terminal is outside and
whether passthrough is allowed; kitty graphics then go out wrapped, and a real tmux 3.3
delivers them to the terminal outside (here a `script` pty posing as kitty, with its
terminfo), or the director is told the one setting to change."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from director_tui.ui.tmux_graphics import PASSTHROUGH_OFF, TmuxView, decide, wrap

ROOT = Path(__file__).resolve().parents[2]


def test_what_is_drawn_in_tmux_by_what_tmux_says() -> None:
    kitty_on = TmuxView("xterm-kitty", "256,RGB,title", "on")
    assert decide(kitty_on) == ("kitty", None)
    assert decide(TmuxView("xterm-kitty", "", "off")) == (None, PASSTHROUGH_OFF)
    assert decide(TmuxView("xterm-ghostty", "", "all")) == ("kitty", None)
    assert decide(TmuxView("xterm-kitty", "", None))[1].startswith("pictures are half-blocks here: kitty graphics")
    assert decide(TmuxView("foot", "256,RGB,sixel", "off")) == ("sixel", None)  # tmux 3.4 draws sixel itself
    assert decide(TmuxView("xterm-256color", "256", "on")) == (None, None)
    assert decide(TmuxView("xterm-256color", "", "on"), wanted="kitty") == ("kitty", None)  # the config says so
    assert wrap("\x1b_Ga=q;AAAA\x1b\\") == "\x1bPtmux;\x1b\x1b_Ga=q;AAAA\x1b\x1b\\\x1b\\"


def kitty_terminfo() -> bool:
    return subprocess.run(["infocmp", "xterm-kitty"], capture_output=True).returncode == 0


@pytest.mark.skipif((shutil.which("tmux") is None or shutil.which("script") is None or not kitty_terminfo())
                    and not os.environ.get("CI"), reason="needs tmux, script and kitty's terminfo (.ci/run installs)")
def test_kitty_graphics_reach_the_terminal_outside_tmux_only_with_passthrough(tmp_path: Path) -> None:
    sock = tmp_path / "tmux.sock"
    tmux = ["tmux", "-S", str(sock), "-f", "/dev/null"]
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    subprocess.run([*tmux, "new", "-d", "-s", "g", "-x", "100", "-y", "30"], check=True, env=env)
    outer = tmp_path / "outer.typescript"  # what the terminal outside tmux receives
    # a tmux client in a pty of its own (`script`), posing as kitty; its input held open by sleep
    keep_open = subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE, start_new_session=True)
    client = subprocess.Popen(["script", "-q", "-f", "-c", shlex.join([*tmux, "attach", "-t", "g"]), str(outer)],
                              stdin=keep_open.stdout, env={**env, "TERM": "xterm-kitty"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not subprocess.run([*tmux, "list-clients"], capture_output=True,
                                                                  text=True).stdout.strip():
            time.sleep(0.1)
        probe = tmp_path / "probe.py"
        result = tmp_path / "result.txt"
        probe.write_text(
            "import sys\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "from director_tui.ui import terminal_graphics as g\n"
            "protocol = g.probe('auto')\n"
            "said = g.notice()\n"
            "if protocol == 'kitty':\n"
            "    g.image_widget_class()  # installs the passthrough, as the first picture does\n"
            "    import textual_image.renderable.tgp as tgp\n"
            "    tgp._send_tgp_message(i=4242, a='q', t='d', f=24, payload='AAAA')\n"
            f"open({str(result)!r}, 'w').write(f'{{protocol}}\\n{{said}}\\n')\n")

        def run_probe() -> list[str]:
            result.unlink(missing_ok=True)
            subprocess.run([*tmux, "send-keys", "-t", "g", f"{sys.executable} {probe}", "Enter"], check=True)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not result.exists():
                time.sleep(0.1)
            time.sleep(0.3)
            return result.read_text().splitlines()

        subprocess.run([*tmux, "set", "-g", "allow-passthrough", "off"], check=True)
        assert run_probe() == ["halfcell", PASSTHROUGH_OFF]
        assert b"\x1b_Gi=4242" not in outer.read_bytes()
        subprocess.run([*tmux, "set", "-g", "allow-passthrough", "on"], check=True)
        assert run_probe() == ["kitty", "None"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and b"\x1b_Gi=4242" not in outer.read_bytes():
            time.sleep(0.1)
        assert b"\x1b_Gi=4242,a=q,t=d,f=24;AAAA\x1b\\" in outer.read_bytes()  # unwrapped, outside tmux
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
        for proc in (client, keep_open):
            os.killpg(proc.pid, 9)
            proc.wait()
