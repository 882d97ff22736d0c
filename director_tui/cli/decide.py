"""Decisions from the command line, made as the app makes them (core/operations.py):
approve, reject, comment, prompt, undo, redo, vary, pick. Each is one write transaction,
journaled (`undo` takes it back, in the app too) and in the activity timeline under this
account's name, like the key pressed in the app.

Every command prints one line saying what happened, or with `--json` one JSON object:
{"stream", "action", "ok", "message", "segments": [positions done], "queued":
[{"segment", "asset"}], "problems": [one line each], ...}. Exit codes (README, "Scripting"):
0 done; 1 refused as things stand (no version yet, a colleague's change, nothing to undo,
some segments of a batch could not take it: those are named); 2 bad input (no such
stream, segment, version or variation; a bad selection, time code or text); 3 a generator
this account has not trusted would have to run (`director-tui trust`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

from director_tui.cli.common import INT_MAX, StreamArg, app, fail, find_stream, settings, store_for
from director_tui.core.printable import printable

REFUSED = 1
Asset_ = Annotated[str, typer.Option("--asset", help="keyframe or video.")]
Json = Annotated[bool, typer.Option("--json", help="Print what happened as JSON.")]
Stream_ = StreamArg
Segment_ = Annotated[int, typer.Argument(help="The segment's position.", min=1, max=INT_MAX)]


@dataclass
class Done:
    """What a command did, printed as a line or as JSON."""

    stream: str
    action: str
    message: str
    ok: bool = True
    segments: list[int] = field(default_factory=list)
    queued: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def emit(self, as_json: bool) -> None:
        if as_json:
            typer.echo(json.dumps({"stream": self.stream, "action": self.action, "ok": self.ok,
                                   "message": self.message, "segments": self.segments, "queued": self.queued,
                                   "problems": self.problems, **self.extra}, ensure_ascii=False))
        else:
            typer.echo(printable(self.message))
            for problem in self.problems:
                typer.echo(f"director-tui: {printable(problem)}", err=True)
        raise typer.Exit(0 if self.ok and not self.problems else REFUSED)


class Context:
    """The settings, the store and the stream a command works on (exit 2 naming what is
    missing); positions to segment ids and back."""

    def __init__(self, slug: str) -> None:
        self.settings = settings()
        self.store = store_for(self.settings)
        self.slug = slug
        self.stream_id, self.count = find_stream(self.store, slug)
        self._positions: dict[int, int] | None = None

    @property
    def user(self) -> str:
        return self.settings.user

    def ids_by_position(self) -> dict[int, int]:
        if self._positions is None:
            from sqlalchemy import select
            from sqlmodel import col

            from director_tui.core.models import Segment

            with self.store.read() as s:
                self._positions = {int(p): int(i) for p, i in s.execute(
                    select(col(Segment.position), col(Segment.id)).where(col(Segment.stream_id) == self.stream_id))}
        return self._positions

    def segment_id(self, position: int) -> int:
        found = self.ids_by_position().get(position)
        if found is None:
            raise fail(f"{self.slug}: no segment {position} (it has {self.count})")
        return found

    def positions(self, segment_ids: tuple[int, ...] | list[int]) -> list[int]:
        by_id = {i: p for p, i in self.ids_by_position().items()}
        return [by_id[i] for i in segment_ids if i in by_id]

    def queued(self, queued: tuple[tuple[int, str], ...]) -> list[dict[str, Any]]:
        by_id = {i: p for p, i in self.ids_by_position().items()}
        return [{"segment": by_id.get(seg_id), "asset": asset} for seg_id, asset in queued]

    def parse_segments(self, text: str) -> list[int]:
        from director_tui.core.selection import SelectionError, parse_positions

        try:
            return parse_positions(text, self.count)
        except SelectionError as exc:
            raise fail(f"{self.slug}: segments: {exc}") from None

    def version_id(self, position: int, asset: str, number: int) -> int:
        from director_tui.core.views import version_at

        with self.store.read() as s:
            found = version_at(s, self.stream_id, position, asset, number)
        if found is None:
            raise fail(f"{self.slug}: segment {position} has no {asset} v{number}")
        return found

    def write(self, action: str, work: Any) -> Any:
        """Run `work(session)` in one write transaction; a refusal is one line, exit 1."""
        from director_tui.core.operations import REFUSED as REFUSALS
        from director_tui.core.prompts import PromptConflict, PromptError
        from director_tui.core.review import BadText

        try:
            with self.store.write() as session:
                return work(session)
        except PromptConflict as exc:  # a colleague's save since: as things stand
            raise fail(f"{self.slug}: {exc}; nothing saved (now: {printable(exc.theirs)[:200]!r})", REFUSED) from None
        except (PromptError, BadText) as exc:  # a text the store does not take: bad input
            raise fail(f"{self.slug}: {exc}") from None
        except REFUSALS as exc:
            raise fail(f"{self.slug}: {exc}", REFUSED) from None


def _check_asset(asset: str) -> str:
    if asset not in ("keyframe", "video"):
        raise fail(f"--asset: {asset!r} is not keyframe or video")
    return asset


def read_text(value: str, what: str) -> str:
    """TEXT, or standard input for `-` (a long prompt, quotes and all, from a script)."""
    from director_tui.user_files import FileRefused, read_capped

    if value != "-":
        return value
    try:  # (a comment is at most 100,000 characters, a prompt 128 KiB: /dev/zero is refused, not read)
        data = read_capped(sys.stdin.buffer, 1 << 20, f"{what} from standard input")
    except FileRefused as exc:
        raise fail(str(exc.strerror)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"{what} from standard input: not UTF-8 (byte {exc.start})") from None


def _decide(verb: str, stream: str, segments: str, asset: str, version: int | None, as_json: bool) -> None:
    from director_tui.core import operations

    _check_asset(asset)
    ctx = Context(stream)
    positions = ctx.parse_segments(segments)
    queue_video = ctx.settings.auto_queue_video
    if version is not None:
        if len(positions) != 1:
            raise fail(f"{stream}: --version names one segment's version; {segments!r} is {len(positions)}")
        version_id = ctx.version_id(positions[0], asset, version)
    if len(positions) == 1:
        seg_id = ctx.segment_id(positions[0])

        def one(session: Any) -> Any:
            if version is not None:
                from director_tui.core.models import Segment

                seg = session.get(Segment, seg_id)
                current = seg.keyframe_version_id if asset == "keyframe" else seg.video_version_id
                if current != version_id:
                    from director_tui.core.review import ReviewError

                    raise ReviewError(f"segment {positions[0]}'s {asset} v{version} is no longer the current "
                                      "one; nothing recorded (see `director-tui status`)")
            if verb == "approve":
                return operations.approve(session, seg_id, asset, ctx.user, queue_video=queue_video)
            return operations.reject(session, seg_id, asset, ctx.user)

        outcome = ctx.write(verb, one)
    else:
        ids = [ctx.segment_id(p) for p in positions]
        outcome = ctx.write(verb, lambda s: operations.apply_to_many(s, verb, ids, asset, ctx.user,
                                                                      queue_video=queue_video))
    message = outcome.message.replace(" — press r to regenerate", "")  # the app's hint
    Done(stream, verb, message, segments=ctx.positions(outcome.segment_ids),
         queued=ctx.queued(outcome.queued), problems=list(outcome.problems),
         extra={"asset": asset}).emit(as_json)


@app.command()
def approve(stream: Stream_, segments: Annotated[str, typer.Argument(help="Positions: 3, 1,3-5 or all.")],
            asset: Asset_ = "keyframe",
            version: Annotated[int | None, typer.Option("--version", help="Only if vN is still the current version.", min=1, max=INT_MAX)] = None,
            as_json: Json = False) -> None:
    """Approve segments' current versions (as space in the app; a keyframe's clip is queued)."""
    _decide("approve", stream, segments, asset, version, as_json)


@app.command()
def reject(stream: Stream_, segments: Annotated[str, typer.Argument(help="Positions: 3, 1,3-5 or all.")],
           asset: Asset_ = "keyframe",
           version: Annotated[int | None, typer.Option("--version", help="Only if vN is still the current version.", min=1, max=INT_MAX)] = None,
           as_json: Json = False) -> None:
    """Reject segments' current versions (as d in the app)."""
    _decide("reject", stream, segments, asset, version, as_json)


@app.command()
def comment(stream: Stream_, segment: Segment_,
            text: Annotated[str, typer.Argument(help="The comment; - reads it from standard input.")],
            at: Annotated[str | None, typer.Option("--at", help="A time code in the clip: 00:02.5 (implies --asset video).")] = None,
            version: Annotated[int | None, typer.Option("--version", help="On vN (default: the current version).", min=1, max=INT_MAX)] = None,
            asset: Annotated[str | None, typer.Option("--asset", help="keyframe or video (default: keyframe; video with --at).")] = None,
            as_json: Json = False) -> None:
    """Comment on a segment's version (as c in the app)."""
    from director_tui.core import operations
    from director_tui.core.review import parse_timecode

    timecode = None
    if at is not None:
        timecode = parse_timecode(at)
        if timecode is None:
            raise fail(f"--at: {at!r} is not a time code like 00:02.5, 1:02:03 or 2.5s")
        if asset not in (None, "video"):
            raise fail("--at: a time code is in a clip: --asset video")
    asset = _check_asset(asset or ("video" if at is not None else "keyframe"))
    body = read_text(text, "the comment")
    ctx = Context(stream)
    seg_id = ctx.segment_id(segment)
    version_id = None if version is None else ctx.version_id(segment, asset, version)
    outcome = ctx.write("comment", lambda s: operations.comment(s, seg_id, asset, ctx.user, body,
                                                              timecode=timecode, version_id=version_id))
    Done(stream, "comment", f"segment {segment}: {outcome.message}", segments=[segment],
         extra={"asset": asset, "version": version, "at": timecode}).emit(as_json)


@app.command()
def prompt(stream: Stream_, segment: Segment_,
           image: Annotated[str | None, typer.Option("--image", help="The new image prompt; - reads standard input.")] = None,
           motion: Annotated[str | None, typer.Option("--motion", help="The new motion prompt; - reads standard input.")] = None,
           expect: Annotated[str | None, typer.Option("--expect", help="The text you edited from: refused if the prompt is no longer that.")] = None,
           as_json: Json = False) -> None:
    """Save a new revision of a segment's image or motion prompt (as e in the app)."""
    from director_tui.core.prompts import save_prompt

    if (image is None) == (motion is None):
        raise fail("prompt: give one of --image TEXT or --motion TEXT")
    field_name = "image" if image is not None else "motion"
    text = read_text(image if image is not None else motion, f"the {field_name} prompt")  # type: ignore[arg-type]
    ctx = Context(stream)
    seg_id = ctx.segment_id(segment)
    revision = ctx.write("prompt", lambda s: save_prompt(s, seg_id, field_name, text, ctx.user, expected=expect))
    changed = revision is not None
    message = (f"segment {segment}: {field_name} prompt saved — regenerate with "
               f"`director-tui regen {stream} --segments {segment}`" if changed
               else f"segment {segment}: {field_name} prompt unchanged")
    Done(stream, "prompt", message, segments=[segment] if changed else [],
         extra={"field": field_name, "changed": changed}).emit(as_json)


def _journal(verb: str, stream: str, as_json: bool) -> None:
    from director_tui.core import operations

    ctx = Context(stream)
    run = operations.undo if verb == "undo" else operations.redo
    outcome = ctx.write(verb, lambda s: run(s, ctx.stream_id, ctx.user))
    message = outcome.message.replace(" — press r to regenerate", "")  # the app's hint
    Done(stream, verb, message, segments=ctx.positions(outcome.segment_ids)).emit(as_json)


@app.command()
def undo(stream: Stream_, as_json: Json = False) -> None:
    """Take back your last decision, prompt save or preset on the stream (as u in the app)."""
    _journal("undo", stream, as_json)


@app.command()
def redo(stream: Stream_, as_json: Json = False) -> None:
    """Do again what you undid last (as ctrl+r in the app)."""
    _journal("redo", stream, as_json)


@app.command()
def vary(stream: Stream_, segment: Segment_,
         n: Annotated[int, typer.Option("-n", "--count", help="How many variations (2-9).", min=2, max=9)] = 3,
         asset: Asset_ = "keyframe", as_json: Json = False) -> None:
    """Queue variations of a segment (different seeds), to pick one (as a in the app)."""
    from director_tui.cli.trust import _stream_generators, require_trust
    from director_tui.core import operations

    _check_asset(asset)
    ctx = Context(stream)
    seg_id = ctx.segment_id(segment)
    require_trust(*_stream_generators(stream), (asset,))  # nothing queued for what cannot run
    outcome = ctx.write("vary", lambda s: operations.variations(s, seg_id, asset, ctx.user, n))
    Done(stream, "vary", f"segment {segment}: {outcome.message.split(' — ')[0]}; once made: "
         f"director-tui pick {stream} {segment} N", segments=[segment], queued=ctx.queued(outcome.queued),
         extra={"asset": asset, "group": outcome.value}).emit(as_json)


@app.command()
def pick(stream: Stream_, segment: Segment_,
         number: Annotated[int, typer.Argument(metavar="N", help="The variation, 1.. in the order they were queued.", min=1, max=INT_MAX)],
         asset: Asset_ = "keyframe", as_json: Json = False) -> None:
    """Pick variation N of a segment's latest variations; the others are rejected (as 1-9 in the grid)."""
    from director_tui.core import operations
    from director_tui.core.views import latest_variation_group, variation_grid

    _check_asset(asset)
    ctx = Context(stream)
    seg_id = ctx.segment_id(segment)
    with ctx.store.read() as s:
        group = latest_variation_group(s, seg_id, asset)
        rows = variation_grid(s, group)[1] if group is not None else []
    if group is None:
        raise fail(f"{stream}: segment {segment} has no {asset} variations (director-tui vary {stream} {segment})",
                   REFUSED)
    if not 1 <= number <= len(rows):
        raise fail(f"{stream}: segment {segment}: no variation {number} (there are {len(rows)})")
    version_id = rows[number - 1][7]
    if version_id is None:
        raise fail(f"{stream}: segment {segment}: variation {number} is not made yet ({rows[number - 1][1]})",
                   REFUSED)
    queue_video = ctx.settings.auto_queue_video
    outcome = ctx.write("pick", lambda s: operations.pick_variation(s, group, version_id, number, ctx.user,
                                                                   queue_video=queue_video))
    Done(stream, "pick", f"segment {segment}: {outcome.message}", segments=[segment],
         queued=ctx.queued(outcome.queued), extra={"asset": asset, "variation": number}).emit(as_json)
