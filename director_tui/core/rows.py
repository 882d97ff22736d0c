"""What the screens show, as plain dataclasses (no SQLAlchemy: the first screen is drawn from them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from director_tui.core.states import Asset, AssetState


@dataclass
class SegmentRow:
    """What the segment table shows for one segment."""

    id: int
    position: int
    title: str
    image_prompt: str
    motion_prompt: str
    duration: float
    keyframe_version_id: int | None
    keyframe_number: int | None
    keyframe_state: str
    video_version_id: int | None
    video_number: int | None
    video_state: str
    comment_count: int

    def version_id(self, asset: str) -> int | None:
        return self.keyframe_version_id if asset == Asset.KEYFRAME else self.video_version_id

    def number(self, asset: str) -> int | None:
        return self.keyframe_number if asset == Asset.KEYFRAME else self.video_number

    def state(self, asset: str) -> str:
        return self.keyframe_state if asset == Asset.KEYFRAME else self.video_state

    def needs_review(self, asset: str) -> bool:
        return self.state(asset) in (AssetState.REVIEW, AssetState.STALE)


@dataclass
class TaskView:
    id: int
    segment_id: int
    asset: str
    state: str
    progress: float
    message: str
    error: str


@dataclass
class Totals:
    segments: int
    keyframes_approved: int
    videos_approved: int

    @property
    def final_cut_ready(self) -> bool:
        return self.segments > 0 and self.videos_approved == self.segments


@dataclass
class VersionRow:
    """What the version pane shows of one version."""

    id: int
    number: int
    created_at: datetime
    seed: int
    decision: str | None
    generator: str
    archived: bool = False  # copied to the archive by cleanup (restorable)
    path: str = ""  # under media/; after a restore the file is there again

    @classmethod
    def of(cls, version: Any) -> VersionRow:
        """From an ORM Version."""
        return cls(version.id, version.number, version.created_at, version.seed, version.decision,
                   version.generator, bool(version.archive_location), version.path)


@dataclass
class Snapshot:
    stream_id: int
    slug: str
    title: str
    rows: list[SegmentRow]
    latest_tasks: dict[tuple[int, str], TaskView]
    totals: Totals
    running: int
    queued: int
    ui_state: dict[str, Any] = field(default_factory=dict)
    # versions of the segment/asset the saved state points at, when the pane was open
    versions: list[VersionRow] = field(default_factory=list)
