"""The allowed values of state columns, importable without SQLAlchemy (the first screen needs them)."""

from __future__ import annotations


class Asset:
    KEYFRAME = "keyframe"
    VIDEO = "video"
    ALL = (KEYFRAME, VIDEO)


class AssetState:
    """The review state of one asset of one segment."""

    NONE = "none"  # no version yet
    REVIEW = "review"  # a current version waits for a decision
    APPROVED = "approved"
    REJECTED = "rejected"
    REGENERATE = "regenerate"  # the director asked for another version
    STALE = "stale"  # video made from a keyframe that is no longer the approved one


class Decision:
    APPROVED = "approved"
    REJECTED = "rejected"
    REGENERATE = "regenerate"


class TaskState:
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    ACTIVE = (QUEUED, RUNNING)
    FINISHED = (SUCCEEDED, FAILED, CANCELLED, INTERRUPTED)
