"""The decision outbox (core/outbox.py) and delivery (core/delivery.py), issue 24: decisions
kept on disk per user when pressed, settled when the store answers, adopted in order by the
next app when theirs ended, and never applied twice (receipts)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from director_tui.core.delivery import deliver
from director_tui.core.models import Comment, DecisionReceipt, Segment
from director_tui.core.operations import REFUSED
from director_tui.core.outbox import Outbox, Pressed, folder_for, read_open
from tests.seed import seed_keyframes


def segs(store) -> list[Segment]:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return list(s.execute(select(Segment).order_by(Segment.position)).scalars())


def approve(seg: Segment, **kw: object) -> Pressed:
    return Pressed.new("approve", "tester", seg.stream_id, segment_id=seg.id, asset="keyframe",
                       expected=(seg.keyframe_version_id, seg.keyframe_state), about=f"#{seg.position}", **kw)


def test_added_decisions_are_on_disk_private_and_settled_ones_go(tmp_path: Path) -> None:
    box = Outbox(folder_for(tmp_path, "sqlite:///x/director.db"))
    one = Pressed.new("comment", "tester", 1, segment_id=3, asset="keyframe", text="too dark\n; $(rm -rf) 🌊 \udcff")
    two = Pressed.new("approve", "tester", 1, segment_id=4, asset="keyframe", expected=(7, "review"))
    box.add(one)
    box.add(two)
    assert os.stat(box.path).st_mode & 0o777 == 0o600
    assert os.stat(box.folder).st_mode & 0o777 == 0o700
    assert [p.id for p in read_open(box.path.read_bytes())] == [one.id, two.id]
    assert read_open(box.path.read_bytes())[0].text == one.text  # exactly, a lone surrogate too
    box.settle(one.id, "applied")
    assert [p.id for p in read_open(box.path.read_bytes())] == [two.id]
    box.settle(two.id, "refused", "a colleague decided first")
    assert box.path.read_bytes() == b""  # nothing open: emptied, not grown
    box.close()
    assert not box.path.exists()


def test_a_torn_line_and_foreign_lines_are_passed_over() -> None:
    good = Pressed.new("reject", "tester", 1, segment_id=2, asset="video", expected=(None, "none"))
    data = b"\n".join([b"not json", b"[1, 2]", json.dumps({"add": {"kind": "rm -rf"}}).encode(),
                       json.dumps({"add": good.to_json()}).encode(), b'{"add": {"id": "x", "ki'])
    assert [p.id for p in read_open(data)] == [good.id]


def test_a_link_in_the_outbox_folder_is_never_followed(tmp_path: Path) -> None:
    folder = folder_for(tmp_path, "sqlite:///film.db")
    folder.mkdir(parents=True)
    secret = tmp_path / "secret.jsonl"
    pressed = Pressed.new("approve", "tester", 1, segment_id=1, asset="keyframe")
    secret.write_text(json.dumps({"add": pressed.to_json()}) + "\n")
    (folder / "planted.jsonl").symlink_to(secret)
    mine = Outbox(folder)
    assert mine.adopt_orphans() == []
    assert secret.exists()
    mine.close()


def test_delivery_applies_once_and_a_refusal_writes_nothing(store, home, make_stream) -> None:  # type: ignore[no-untyped-def]
    stream = make_stream(n=2)
    seed_keyframes(store, home, stream.id)
    first, second = segs(store)
    pressed = approve(first)
    with store.write() as s:
        outcome = deliver(s, pressed)
    assert outcome.segment_ids == (first.id,)
    with store.write() as s:  # delivered again (a crash before it was settled): not applied twice
        again = deliver(s, pressed)
    assert again.value == "already"
    with store.read() as s:
        assert s.get(DecisionReceipt, pressed.id) is not None
    assert segs(store)[0].keyframe_state == "approved"
    # refused (a colleague changed the row since it was seen): nothing written, not even a receipt
    stale = Pressed.new("approve", "tester", stream.id, segment_id=second.id, asset="keyframe",
                        expected=(second.keyframe_version_id, "rejected"))
    with pytest.raises(REFUSED), store.write() as s:
        deliver(s, stale)
    with store.read() as s:
        assert s.get(DecisionReceipt, stale.id) is None
    note = Pressed.new("send_back", "tester", stream.id, segment_id=second.id, asset="keyframe", text="warmer light")
    with store.write() as s:
        deliver(s, note)
    with store.write() as s:
        deliver(s, note)
    with store.read() as s:
        assert [c.body for c in s.execute(select(Comment)).scalars()] == ["warmer light"]

