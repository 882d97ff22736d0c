"""What the screens show, as plain dataclasses (no SQLAlchemy: the first screen is drawn from them)."""

from __future__ import annotations

from dataclasses import dataclass

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
