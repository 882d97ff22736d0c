"""Seed a stream's keyframes without running a generator: a tiny real PNG per segment,
written where the runner would put it, and its version row made current (state review).
For tests about reviewing, where how the picture was made does not matter."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from director_tui.core.models import Asset, AssetState, Segment, Stream, Version
from director_tui.core.store import Store


def tiny_png(path: Path, shade: int) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 9), (shade % 256, 80, 160)).save(path, format="PNG")
    return path.read_bytes()


def seed_keyframes(store: Store, home: Path, stream_id: int) -> list[int]:
    """A keyframe v1 for every segment of the stream that has none; returns the segment ids."""
    with store.write() as s:
        stream = s.get(Stream, stream_id)
        assert stream is not None
        segs = list(s.execute(select(Segment).where(Segment.stream_id == stream_id)
                              .order_by(Segment.position)).scalars())
        for seg in segs:
            if seg.keyframe_version_id is not None:
                continue
            rel = Path(stream.slug) / f"s{seg.id:05d}" / "keyframe-v001.png"
            data = tiny_png(home / "media" / rel, seg.position * 7)
            version = Version(segment_id=seg.id, asset=Asset.KEYFRAME, number=1, path=str(rel),  # type: ignore[arg-type]
                              prompt=seg.image_prompt, seed=seg.position, generator='{"name": "seed"}',
                              width=16, height=9, size_bytes=len(data), checksum=hashlib.sha256(data).hexdigest())
            s.add(version)
            s.flush()
            seg.keyframe_version_id = version.id
            seg.keyframe_state = AssetState.REVIEW
        return [int(seg.id) for seg in segs]  # type: ignore[arg-type]
