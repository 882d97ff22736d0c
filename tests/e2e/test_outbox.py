"""The decision outbox (core/outbox.py) and delivery (core/delivery.py), issue 24: decisions
kept on disk per user when pressed, settled when the store answers, adopted in order by the
next app when theirs ended, and never applied twice (receipts)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from director_tui.core.outbox import Outbox, folder_for, read_open
from tests.conftest import PY


def test_a_running_apps_outbox_is_left_alone_and_an_ended_ones_is_adopted_in_order(tmp_path: Path) -> None:
    folder = folder_for(tmp_path, "postgresql://director@/film")
    folder.mkdir(parents=True)
    # another app, in another process, presses two decisions and is killed (SIGKILL)
    script = f"""
import os, sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from pathlib import Path
from director_tui.core.outbox import Outbox, Pressed
box = Outbox(Path({str(folder)!r}))
for n in (1, 2, 3):
    box.add(Pressed.new("approve", "tester", 1, segment_id=n, asset="keyframe", expected=(n, "review"), pressed_at=100.0 + n))
box.settle(box_ids := list(box.open)[1], "applied")
print("ready", flush=True)
time.sleep(60)
"""
    other = subprocess.Popen([PY, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "ready"
        mine = Outbox(folder)
        assert mine.adopt_orphans() == []  # its app runs: its lock is held
        other.kill()
        other.wait(10)
        adopted = mine.adopt_orphans()
        assert [(p.segment_id, p.pressed_at) for p in adopted] == [(1, 101.0), (3, 103.0)]
        assert [p.id for p in read_open(mine.path.read_bytes())] == [p.id for p in adopted]  # ours now
        assert [f for f in folder.iterdir()] == [mine.path]  # its file went
        mine.close()
        assert mine.path.exists()  # open decisions stay for the next app
    finally:
        if other.poll() is None:
            other.kill()


