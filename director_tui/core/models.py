"""SQLModel tables for every thing in the domain (see shared/DESIGN.md).

Times are stored as UTC `datetime`s. Enum-like columns are plain strings so
that a newer instance can add a state without a schema change breaking older
readers; the allowed values live in the classes below.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from director_tui.core.states import Asset, AssetState, Decision, TaskState

__all__ = ["Asset", "AssetState", "Decision", "TaskState"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def id_of(row: SQLModel) -> int:
    """A stored row's id, typed `int`: a row read from the store, or flushed to it, has one
    (the models declare `id: int | None` for the rows not yet added)."""
    value = getattr(row, "id", None)
    if value is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return int(value)


class Stream(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True)
    title: str
    # The generator settings from the spec, as JSON text ({} = built-in).
    generators_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    width: int = 1280
    height: int = 720
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = ""


class Segment(SQLModel, table=True):
    __table_args__ = (Index("ix_segment_stream_position", "stream_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    stream_id: int = Field(foreign_key="stream.id")
    position: int
    title: str
    image_prompt: str = Field(sa_column=Column(Text, nullable=False))
    motion_prompt: str = Field(default="", sa_column=Column(Text, nullable=False))
    duration: float = 4.0
    keyframe_version_id: int | None = Field(default=None)
    keyframe_state: str = AssetState.NONE
    video_version_id: int | None = Field(default=None)
    video_state: str = AssetState.NONE
    comment_count: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class Version(SQLModel, table=True):
    # (segment, asset) lookups use uq_version_number's index: a second one only cost every insert
    __table_args__ = (UniqueConstraint("segment_id", "asset", "number", name="uq_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    segment_id: int = Field(foreign_key="segment.id")
    asset: str
    number: int
    path: str  # relative to the workspace's media/ folder
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    seed: int
    generator: str = Field(default="", sa_column=Column(Text, nullable=False))
    parent_version_id: int | None = None  # the version this one varies
    reference_version_id: int | None = None  # for a video: the keyframe it animates
    variation_group: str | None = None
    preset_id: int | None = None  # the preset this variation tried
    width: int = 0
    height: int = 0
    duration: float | None = None
    size_bytes: int = 0
    checksum: str = ""  # sha256 of the file
    decision: str | None = None  # latest review decision, cached for display
    archive_location: str | None = None
    task_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Review(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="version.id", index=True)
    segment_id: int = Field(foreign_key="segment.id")
    decision: str
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    reviewer: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class Comment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    segment_id: int = Field(foreign_key="segment.id", index=True)
    version_id: int | None = None
    timecode: float | None = None
    author: str = ""
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class PromptRevision(SQLModel, table=True):
    __table_args__ = (Index("ix_prompt_revision_segment", "segment_id", "field"),)

    id: int | None = Field(default=None, primary_key=True)
    segment_id: int = Field(foreign_key="segment.id")
    field: str  # "image" or "motion"
    text: str = Field(sa_column=Column(Text, nullable=False))
    author: str = ""
    preset_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Task(SQLModel, table=True):
    __table_args__ = (
        Index("ix_task_state_priority", "state", "priority", "id"),
        Index("ix_task_segment", "segment_id", "asset"),
    )

    id: int | None = Field(default=None, primary_key=True)
    stream_id: int = Field(foreign_key="stream.id")
    segment_id: int = Field(foreign_key="segment.id")
    asset: str
    state: str = TaskState.QUEUED
    priority: int = 0  # higher runs first
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    seed: int = 0
    reference_version_id: int | None = None
    parent_version_id: int | None = None
    variation_group: str | None = None
    preset_id: int | None = None
    progress: float = 0.0  # 0..1
    message: str = Field(default="", sa_column=Column(Text, nullable=False))
    error: str = Field(default="", sa_column=Column(Text, nullable=False))
    pid: int | None = None
    pgid: int | None = None
    owner: str | None = None  # instance id that claimed it
    owner_pid: int | None = None
    owner_start: float | None = None  # the owner process's start time (pid reuse guard)
    proc_start: float | None = None  # the generator process's start time (pid reuse guard)
    # a remote back end's handle, JSON (comfyui: {"server": url, "prompt_id": id}): recovery re-attaches by it
    remote: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    cancel_requested: bool = False  # set by any instance; the owner kills the generator
    heartbeat_at: datetime | None = None
    log_path: str | None = None
    version_id: int | None = None  # the version it produced
    requested_by: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class Activity(SQLModel, table=True):
    __table_args__ = (Index("ix_activity_stream_time", "stream_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    stream_id: int | None = None
    segment_id: int | None = None
    actor: str = ""
    kind: str  # e.g. "stream.created", "version.approved", "task.queued"
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    created_at: datetime = Field(default_factory=utcnow)


class Preset(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    category: str = ""
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Draft(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user", "segment_id", "field", name="uq_draft"),)

    id: int | None = Field(default=None, primary_key=True)
    user: str
    segment_id: int = Field(foreign_key="segment.id")
    field: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    base: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # the saved prompt it started from
    updated_at: datetime = Field(default_factory=utcnow)


class UIState(SQLModel, table=True):
    __tablename__ = "ui_state"
    __table_args__ = (UniqueConstraint("user", "stream_id", name="uq_ui_state"),)

    id: int | None = Field(default=None, primary_key=True)
    user: str
    stream_id: int = Field(foreign_key="stream.id")
    state_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Checkpoint(SQLModel, table=True):
    """A gate of the pipeline; time spent on it runs from started_at to completed_at."""

    __table_args__ = (UniqueConstraint("stream_id", "name", name="uq_checkpoint"),)

    id: int | None = Field(default=None, primary_key=True)
    stream_id: int = Field(foreign_key="stream.id")
    name: str  # "keyframes", "videos", "final_cut"
    started_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None


class JournalEntry(SQLModel, table=True):
    """One undoable change (decision, prompt save, preset application) by one user.

    `payload` holds the before/after values of every field it changed, so undo
    and redo work after a restart and refuse when someone changed them since.
    `state`: done, undone (redo-able), dropped (a newer change ended its redo).
    """

    __tablename__ = "journal"
    __table_args__ = (Index("ix_journal_user_stream", "user", "stream_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    stream_id: int = Field(foreign_key="stream.id")
    user: str
    kind: str  # "decision", "prompt", "preset", "pick"
    label: str = ""
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    state: str = "done"
    created_at: datetime = Field(default_factory=utcnow)


class VariationPick(SQLModel, table=True):
    """Which variation of a group won: its seed, preset and wording (for recommendations)."""

    __tablename__ = "variation_pick"

    id: int | None = Field(default=None, primary_key=True)
    stream_id: int = Field(foreign_key="stream.id")
    segment_id: int = Field(foreign_key="segment.id")
    asset: str
    variation_group: str = Field(index=True)
    version_id: int
    seed: int
    preset_id: int | None = None
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    candidates: int = 0
    picked_by: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class Mention(SQLModel, table=True):
    """`@name` in a comment: a notice in that user's open app and a line in their inbox
    (`director-tui inbox`) until seen."""

    __table_args__ = (Index("ix_mention_inbox", "recipient", "seen_at"),)

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id")
    stream_id: int = Field(foreign_key="stream.id")
    segment_id: int = Field(foreign_key="segment.id")
    recipient: str
    author: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    seen_at: datetime | None = None


class DecisionReceipt(SQLModel, table=True):
    """A decision the director's outbox delivered (core/outbox.py), by the id it was given
    when its key was pressed: written with the decision, so a replay finds it done."""

    __tablename__ = "decision_receipt"

    id: str = Field(primary_key=True)
    user: str = ""
    kind: str = ""
    created_at: datetime = Field(default_factory=utcnow)
