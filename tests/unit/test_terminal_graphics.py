"""The picture protocol is asked of a real pseudo-terminal in one round trip."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

import pytest

from director_tui.config import ConfigError, load_settings
from director_tui.ui.terminal_graphics import parse_replies

CHILD = ("import time; from director_tui.ui import terminal_graphics as g; t=time.perf_counter(); "
         "p=g.probe(); print('RESULT', p, *g.cell_size(), round(time.perf_counter()-t, 3))")


def run_probe(answers: dict[bytes, bytes], pixels: bool) -> tuple[str, int, int, float, bytes]:
    """Run the probe in a child on a pty that answers like a terminal; return what it chose
    and every byte it sent."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-c", CHILD])
    size = (48, 160, 1600, 960) if pixels else (48, 160, 0, 0)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", *size))
    sent, out = b"", b""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # until the child exits (EOF or EIO on the pty)
        if not select.select([fd], [], [], 0.1)[0]:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        sent += chunk
        for query, answer in answers.items():
            if query in chunk:
                os.write(fd, answer)
    os.waitpid(pid, 0)
    os.close(fd)
    found = re.search(r"RESULT (\w+) (\d+) (\d+) ([\d.]+)", out.decode(errors="replace"))
    assert found, out
    protocol, w, h, took = found.groups()
    return protocol, int(w), int(h), float(took), sent


KITTY = b"\x1b_Gi=31;OK\x1b\\"


def test_plain_terminal_gets_half_blocks_without_waiting_out_a_timeout() -> None:
    protocol, w, h, took, sent = run_probe({b"\x1b[c": b"\x1b[?62;22c"}, pixels=True)
    assert protocol == "halfcell" and (w, h) == (10, 20)
    assert b"\x1b_G" in sent and b"\x1b[16t" not in sent  # pixel size known: no cell query
    assert took < 0.09, took  # textual-image's own probe waits 0.1 s for the kitty answer here


def test_kitty_and_sixel_terminals_and_the_cell_size_query() -> None:
    protocol, w, h, _, sent = run_probe(
        {b"\x1b[c": KITTY + b"\x1b[6;18;9t" + b"\x1b[?62;22c"}, pixels=False)
    assert (protocol, w, h) == ("kitty", 9, 18) and b"\x1b[16t" in sent
    protocol, *_ = run_probe({b"\x1b[c": b"\x1b[?62;4;22c"}, pixels=True)
    assert protocol == "sixel"


def test_a_terminal_that_never_answers_falls_back_after_the_timeout() -> None:
    protocol, w, h, took, _ = run_probe({}, pixels=False)
    assert (protocol, w, h) == ("halfcell", 10, 20) and 0.4 <= took < 2


def test_parse_replies_in_any_order() -> None:
    assert parse_replies("\x1b[?1;2c") == (True, "halfcell", None)
    assert parse_replies(KITTY.decode() + "\x1b[?62c") == (True, "kitty", None)
    assert parse_replies("junk\x1b[6;16;8t\x1b[?62;4c") == (True, "sixel", (8, 16))
    assert parse_replies("\x1b_Gi=31;ENOTSUPPORTED:x\x1b\\\x1b[?62c")[1] == "halfcell"


def test_config_names_a_bad_protocol(tmp_path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('image_protocol = "ascii"\n')
    with pytest.raises(ConfigError, match=r"c.toml: image_protocol: must be auto"):
        load_settings(tmp_path, config)
    config.write_text('image_protocol = "kitty"\n')
    assert load_settings(tmp_path, config).image_protocol == "kitty"
