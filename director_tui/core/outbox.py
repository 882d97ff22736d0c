"""The decision outbox: a director's decisions not yet confirmed by the store, in the order
pressed, kept per user outside the workspace (`$DIRECTOR_STATE/outbox/`, as trust is), so
that a lock, a store that is away, a crash or a dropped connection loses none (issue 24).

Each running app has a file of its own, JSON lines, locked (flock) while the app runs:

    {"add": {...the decision, bound to its ids...}}   written and fsynced when the key is
                                                       pressed, before its row shows it pending
    {"done": ID, "result": "applied" | "refused" | "failed", "reason": "..."}

A file whose lock can be taken belongs to an app that ended; the next app on the same store
adopts its open decisions (in order) and delivers them. Delivering twice is harmless: each
decision writes a receipt (`decision_receipt`, by the id it got when pressed) in its own
transaction, and one whose receipt is there already is not applied again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("approve", "reject", "regenerate", "send_back", "comment", "many", "undo", "redo")
TEXT_KINDS = ("send_back", "comment")  # a refused one keeps its text (a draft)
MAX_LINE = 4 * 1024 * 1024  # a comment may be long (100 KB tested); a line past this is not ours


@dataclass(frozen=True)
class Pressed:
    """One decision as it was pressed: what, on which ids, by whom, and when."""

    id: str
    kind: str
    user: str
    stream_id: int
    segment_id: int | None = None
    asset: str = ""
    expected: tuple[int | None, str] | None = None  # the (version id, state) the director saw
    text: str = ""
    verb: str = ""  # "many": approve / reject / regen
    segment_ids: tuple[int, ...] = ()  # "many"
    queue_video: bool = True
    about: str = ""  # "#3 keyframe v2", for the lines that name it
    pressed_at: float = field(default_factory=time.time)

    @staticmethod
    def new(kind: str, user: str, stream_id: int, **kw: Any) -> Pressed:
        if kind not in KINDS:
            raise ValueError(f"unknown decision {kind!r}")
        return Pressed(secrets.token_hex(12), kind, user, stream_id, **kw)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["expected"] = list(self.expected) if self.expected is not None else None
        data["segment_ids"] = list(self.segment_ids)
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> Pressed | None:
        """None for anything that is not a whole decision of a kind this program knows."""
        try:
            expected = data.get("expected")
            pressed = Pressed(
                id=str(data["id"]), kind=str(data["kind"]), user=str(data["user"]), stream_id=int(data["stream_id"]),
                segment_id=None if data.get("segment_id") is None else int(data["segment_id"]),
                asset=str(data.get("asset") or ""),
                expected=(None if expected is None else (None if expected[0] is None else int(expected[0]), str(expected[1]))),
                text=str(data.get("text") or ""), verb=str(data.get("verb") or ""),
                segment_ids=tuple(int(i) for i in data.get("segment_ids") or ()),
                queue_video=bool(data.get("queue_video", True)), about=str(data.get("about") or ""),
                pressed_at=float(data.get("pressed_at") or 0.0))
        except (KeyError, TypeError, ValueError, IndexError):
            return None
        return pressed if pressed.kind in KINDS else None

    @property
    def segments(self) -> tuple[int, ...]:
        """The segments it acts on (a batch's, or its one)."""
        return self.segment_ids or ((self.segment_id,) if self.segment_id is not None else ())

    @property
    def draft_key(self) -> tuple[int, str] | None:
        """(segment, draft field) of a note or comment: where its text is kept as a draft."""
        if self.kind not in TEXT_KINDS or self.segment_id is None:
            return None
        return self.segment_id, f"{'feedback' if self.kind == 'send_back' else 'comment'}:{self.asset}"

    def describe(self) -> str:
        """`approve #3 keyframe v2`, `note on #5 video v1`: for the notices."""
        what = {"send_back": "send back", "many": f"{self.verb} of {len(self.segment_ids)} segments"}.get(self.kind, self.kind)
        return f"{what} {self.about}".strip()


def folder_for(state: Path, store_identity: str) -> Path:
    """The outbox folder of one store (its URL, or its SQLite file's real path)."""
    key = hashlib.sha256(store_identity.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return state / "outbox" / key


class OutboxError(Exception):
    """The outbox cannot be written (a full disk, a state folder that is not ours)."""


class Outbox:
    """This app's outbox file: decisions added when pressed, settled when the store answered."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if folder.is_symlink() or not folder.is_dir():
                raise OutboxError(f"{folder}: not a folder of this account's")
            self.path = folder / f"{os.getpid()}-{secrets.token_hex(4)}.jsonl"
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_NOFOLLOW, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours alone while this app runs
        except OSError as exc:
            raise OutboxError(f"{folder}: cannot keep decisions there ({exc.strerror or exc})") from None
        self.open: dict[str, Pressed] = {}  # added, not yet settled, in order

    def _append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")
        try:
            os.write(self._fd, line)
            os.fsync(self._fd)
        except OSError as exc:
            raise OutboxError(f"{self.path}: cannot keep the decision ({exc.strerror or exc})") from None

    def add(self, pressed: Pressed) -> None:
        """Before its row shows it pending: on disk, so a crash after this loses nothing."""
        self._append({"add": pressed.to_json()})
        self.open[pressed.id] = pressed

    def settle(self, pressed_id: str, result: str, reason: str = "") -> None:
        """The store answered (applied, or refused with `reason`). When nothing is open any
        more the file is emptied: it never grows past the decisions waiting."""
        self.open.pop(pressed_id, None)
        with contextlib.suppress(OutboxError):  # not written: delivered again next time, a receipt stops it
            if self.open:
                self._append({"done": pressed_id, "result": result, "reason": reason[:500]})
            else:
                os.ftruncate(self._fd, 0)

    def close(self) -> None:
        """The app ends: an empty file goes; one with open decisions stays for the next app."""
        if self._fd < 0:
            return
        if not self.open:
            with contextlib.suppress(OSError):
                self.path.unlink()
        os.close(self._fd)  # releases the lock: the next app on this store adopts what is open
        self._fd = -1

    def adopt_orphans(self) -> list[Pressed]:
        """The open decisions of apps that ended without delivering them (a crash, a kill, a
        dropped connection): taken into this outbox, in the order they were pressed, their
        files removed. A file still locked belongs to a running app and is left alone."""
        adopted: list[Pressed] = []
        for path in sorted(self.folder.glob("*.jsonl"), key=_mtime):
            if path == self.path:
                continue
            entries = _take_orphan(path)
            if entries is None:
                continue
            for pressed in entries:
                if pressed.id not in self.open:
                    self.add(pressed)  # ours first (fsynced), then their file goes
                    adopted.append(pressed)
            with contextlib.suppress(OSError):
                path.unlink()
        adopted.sort(key=lambda p: p.pressed_at)
        return adopted


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


def _take_orphan(path: Path) -> list[Pressed] | None:
    """The open decisions of an ended app's file, or None while its app runs (or it is not a
    plain file of ours: never followed through a link)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return None  # its app is running
        st = os.fstat(fd)
        import stat

        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read()
    finally:
        os.close(fd)
    return read_open(data)


def read_open(data: bytes) -> list[Pressed]:
    """The decisions added and not settled, in order; a torn last line (a crash mid-write)
    or a line that is not ours is passed over."""
    open_: dict[str, Pressed] = {}
    for raw in data.split(b"\n"):
        if not raw.strip() or len(raw) > MAX_LINE:
            continue
        try:
            record = json.loads(raw.decode("utf-8", "surrogatepass"))
        except (ValueError, UnicodeDecodeError):
            continue
        if not isinstance(record, dict):
            continue
        if isinstance(record.get("add"), dict):
            pressed = Pressed.from_json(record["add"])
            if pressed is not None:
                open_[pressed.id] = pressed
        elif isinstance(record.get("done"), str):
            open_.pop(record["done"], None)
    return list(open_.values())
