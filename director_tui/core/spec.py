"""Production specs: load (JSON or TOML), validate, create a stream, export.

Every problem is reported as one line naming the field and its position, e.g.
`segments[3].image_prompt: missing`. Nothing is written unless the whole spec
is valid.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from director_tui.core.states import Asset

if TYPE_CHECKING:  # the store's side is imported where it is used: `status` reads a stream's
    # generators through stored_generators() without SQLAlchemy (tests/e2e/test_cli_reads.py)
    from sqlmodel import Session

    from director_tui.core.models import Stream

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]*\Z")  # \Z: `$` would take a slug ending in a newline
SLUG_MAX = 64
# A prompt reaches a generator as one argument, and Linux passes at most 128 KiB in one
# (MAX_ARG_STRLEN, the NUL included); `--prompt=` and the like need a little of it.
PROMPT_MAX_BYTES = 128 * 1024 - 64
TITLE_MAX = 1000  # characters
MAX_DEPTH = 16  # a spec nests 4 levels deep; deeper than this is not a spec
SPEC_MAX_BYTES = 64 << 20  # 100,000 segments of long prompts fit; /dev/zero does not
DURATION_MAX = 600.0
SIZE_MIN, SIZE_MAX = 16, 8192

# Placeholders a generator command may use (DESIGN.md, "Generators").
GENERATOR_PLACEHOLDERS = frozenset(
    {"prompt", "output", "seed", "reference", "segment", "stream", "duration", "width", "height"}
)
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")
GENERATOR_KEYS = {"backend", "command", "timeout_s", "concurrency", "pace_s"}
# the generator back ends jobs/backends/ registers (tests/e2e/test_backends.py keeps the two equal)
KNOWN_BACKENDS = ("comfyui", "procedural", "replicate", "subprocess")
DEFAULT_CONCURRENCY = {Asset.KEYFRAME: 2, Asset.VIDEO: 1}
DEFAULT_TIMEOUT_S = 600.0


class SpecError(Exception):
    """A spec problem: `where` is the field path, the message says what is wrong."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where = where
        self.what = what


@dataclass
class SegmentSpec:
    title: str
    image_prompt: str
    motion_prompt: str = "static"
    duration: float = 4.0


@dataclass
class StreamSpec:
    slug: str
    title: str
    segments: list[SegmentSpec]
    generators: dict[str, dict[str, Any]] = field(default_factory=dict)
    width: int = 1280
    height: int = 720


def check_slug(slug: object, where: str = "stream") -> str:
    if not isinstance(slug, str) or not slug:
        raise SpecError(where, "missing")
    if len(slug) > SLUG_MAX or not SLUG_RE.match(slug):
        raise SpecError(
            where,
            f"{slug!r} is not a valid slug (lowercase letters, digits and '-', "
            f"starting with a letter or digit, at most {SLUG_MAX} characters)",
        )
    return slug


def read_spec_file(path: Path) -> dict[str, Any]:
    """Parse a JSON or TOML file; errors name the file and the line."""
    from director_tui.user_files import FileRefused, read_regular

    name = str(path)
    try:
        raw = read_regular(path, SPEC_MAX_BYTES)
    except FileNotFoundError:
        raise SpecError(name, "file not found") from None
    except FileRefused as exc:
        raise SpecError(name, str(exc.strerror)) from None
    except OSError as exc:
        raise SpecError(name, f"cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(name, f"not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SpecError(name, f"contains a NUL byte (line {line}): not a text spec")
    is_toml = path.suffix.lower() == ".toml" or (
        path.suffix.lower() != ".json" and not text.lstrip().startswith("{")
    )
    if is_toml:
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(name, f"invalid TOML: {exc}") from None
        except RecursionError:
            raise SpecError(name, f"nested deeper than {MAX_DEPTH} levels: not a spec") from None
    else:
        data = _parse_json(name, text)
    if not isinstance(data, dict):
        raise SpecError(name, "the top level must be an object/table")
    _check_depth(data, name)
    return data


def _parse_json(name: str, text: str) -> Any:
    """json.loads, refusing duplicate keys (JSON would keep the last one silently)."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise SpecError(name, f"duplicate key {key!r} in one object{_near(text, key)}: "
                                      "each key may appear once")
            seen[key] = value
        return seen

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise SpecError(name, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise SpecError(name, f"nested deeper than {MAX_DEPTH} levels: not a spec") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise SpecError(name, f"invalid JSON: {exc}") from None


def _near(text: str, key: str) -> str:
    """' (line N)' where the key appears a second time, as a hint to find it."""
    needle = json.dumps(key)
    first = text.find(needle)
    second = text.find(needle, first + 1) if first >= 0 else -1
    return f" (line {text.count(chr(10), 0, second) + 1})" if second >= 0 else ""


def _check_depth(data: Any, name: str) -> None:
    """Nesting no deeper than a spec's, and every text (keys too) valid Unicode: JSON's
    `\\ud800` escapes make lone surrogates, which no store or program can take (a stream
    made with one crashed status, regen, trust and work --all)."""
    from director_tui.core.printable import not_unicode

    stack = [(data, 1, "")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise SpecError(f"{name}: {where.lstrip('.')}", f"nested deeper than {MAX_DEPTH} levels: not a spec")
        if isinstance(value, str) and (at := not_unicode(value)) is not None:
            raise SpecError(where.lstrip(".") or name, f"not valid Unicode (a lone surrogate at {at})")
        if isinstance(value, dict):
            for k in value:
                if isinstance(k, str) and (at := not_unicode(k)) is not None:
                    raise SpecError(where.lstrip(".") or name, f"a key that is not valid Unicode (at {at})")
            stack.extend((v, depth + 1, f"{where}.{k}") for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{where}[{i}]") for i, v in enumerate(value))


def _string(value: object, where: str, *, required: bool, default: str = "") -> str:
    if value is None:
        if required:
            raise SpecError(where, "missing")
        return default
    if not isinstance(value, str):
        raise SpecError(where, f"must be a string, not {type(value).__name__}")
    if required and not value.strip():
        raise SpecError(where, "must not be empty")
    if "\x00" in value:
        raise SpecError(where, f"contains a NUL character (at character {value.index(chr(0))})")
    size = len(value.encode("utf-8", errors="surrogatepass"))
    if size > PROMPT_MAX_BYTES:
        raise SpecError(where, f"too long: {size:,} bytes of UTF-8; a generator is handed at most "
                               f"{PROMPT_MAX_BYTES:,} (the system's limit for one argument)")
    if where.endswith(".title") or where == "title":
        if len(value) > TITLE_MAX:
            raise SpecError(where, f"too long ({len(value):,} characters, at most {TITLE_MAX:,})")
    return value


def _number(value: object, where: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(where, f"must be a number, not {type(value).__name__}")
    if not lo < value <= hi:
        raise SpecError(where, f"must be greater than {lo:g} and at most {hi:g}, not {value}")
    return float(value)


def validate_generator(asset: str, value: object, base_dir: Path | None = None, *,
                       any_backend: bool = False) -> dict[str, Any]:
    """`any_backend`: a back end this program does not know passes (a definition already in
    the store, perhaps from a newer director-tui or a registry entry: the runner fails its
    task naming the back ends it knows)."""
    where = f"generators.{asset}"
    if not isinstance(value, dict):
        raise SpecError(where, "must be an object/table")
    if value.get("backend") in ("comfyui", "replicate"):
        return _validate_remote(value, where, base_dir)
    for key in value:
        if key not in GENERATOR_KEYS:
            raise SpecError(f"{where}.{key}", f"unknown field (expected one of {sorted(GENERATOR_KEYS)})")
    out: dict[str, Any] = {}
    if "backend" in value:
        backend = value["backend"]
        if not isinstance(backend, str) or (backend not in KNOWN_BACKENDS and not (
                any_backend and re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", backend))):
            raise SpecError(f"{where}.backend", f"{backend!r} is not a generator back end "
                                                f"(one of {', '.join(KNOWN_BACKENDS)})")
        if backend == "procedural" and "command" in value:
            raise SpecError(f"{where}.command", "the procedural back end takes no command")
        if backend == "subprocess" and "command" not in value:
            raise SpecError(f"{where}.command", "missing (the subprocess back end runs a command)")
        out["backend"] = backend
    if "command" in value:
        cmd = value["command"]
        if not isinstance(cmd, list) or not cmd:
            raise SpecError(f"{where}.command", "must be a non-empty list of strings (an argv)")
        for i, arg in enumerate(cmd):
            if not isinstance(arg, str):
                raise SpecError(f"{where}.command[{i}]", f"must be a string, not {type(arg).__name__}")
            if "\x00" in arg:
                raise SpecError(f"{where}.command[{i}]", "contains a NUL character")
            for name in PLACEHOLDER_RE.findall(arg):
                if name not in GENERATOR_PLACEHOLDERS:
                    raise SpecError(f"{where}.command[{i}]", f"unknown placeholder {{{name}}}")
        if not cmd[0].strip():
            raise SpecError(f"{where}.command[0]", "the program must not be empty")
        if not any("{output}" in arg for arg in cmd):
            raise SpecError(f"{where}.command", "must contain {output}")
        _no_prompt_in_inline_code(cmd, where)
        out["command"] = list(cmd)
    _scheduling(value, where, out)
    if "pace_s" in value:
        out["pace_s"] = _number(value["pace_s"], f"{where}.pace_s", -1e-9, 600)
    return out


# programs that run code given inline, and the flag that gives it: text spliced into that
# code is code (issue 25: a colleague's prompt `'; touch /tmp/x; #` ran as a command)
_INLINE_CODE = {"sh": "c", "bash": "c", "dash": "c", "zsh": "c", "ksh": "c", "fish": "c", "busybox": "c",
                "python": "c", "python3": "c", "perl": "e", "ruby": "e", "node": "e"}


def _no_prompt_in_inline_code(cmd: list[str], where: str, skipped: int = 0) -> None:
    """{prompt} (a colleague's words) inside a shell's -c script or python's -c code is
    refused: its quotes and `;` would run as commands. As its own argument it is safe."""
    name = re.sub(r"[0-9.]+$", "", cmd[0].rsplit("/", 1)[-1]) or cmd[0]
    if name == "env" and len(cmd) > 1:  # `env sh -c …`
        return _no_prompt_in_inline_code(cmd[1:], where, skipped + 1)
    flag = _INLINE_CODE.get(name)
    if flag is None:
        return
    for i, arg in enumerate(cmd[1:], start=1):
        if arg.startswith("-") and not arg.startswith("--") and flag in arg[1:] and i + 1 < len(cmd):
            if "{prompt}" in cmd[i + 1]:
                raise SpecError(f"{where}.command[{skipped + i + 1}]",
                                f"{{prompt}} inside {name} -{flag} code would run a prompt's quotes and ; as "
                                f"commands; pass it as its own argument, e.g. [\"sh\", \"-c\", \"gen \\\"$1\\\"\", "
                                f"\"sh\", \"{{prompt}}\"]")
            return


@functools.lru_cache(maxsize=64)
def stored_generators(generators_json: str | None) -> dict[str, dict[str, Any]]:
    """A stream's generator definitions as the store holds them, checked exactly as at import:
    anyone who can write the store can write them (`[1, 2]`, `{"pace_s": "slow"}`, not
    JSON), and a definition read unchecked looped `work --all` and hung `regen --wait`
    (issue 25). SpecError naming the field, the same line an import would give. (Cached by
    the text: the runner asks on every claim; callers do not change what they get.)"""
    try:
        data = _parse_json("generators", generators_json or "{}")
    except SpecError:
        raise SpecError("generators", "not valid JSON in the store") from None
    if not isinstance(data, dict):
        raise SpecError("generators", f"must be an object in the store, not {type(data).__name__}")
    _check_depth(data, "generators")
    out: dict[str, dict[str, Any]] = {}
    for asset, value in data.items():
        if asset not in Asset.ALL:
            raise SpecError(f"generators.{str(asset)[:40]}", "unknown asset (expected keyframe or video)")
        if value:
            out[asset] = validate_generator(asset, value, any_backend=True)
    return out


def _validate_remote(value: dict[str, Any], where: str, base_dir: Path | None) -> dict[str, Any]:
    from director_tui.core.remote_spec import RemoteSpecError, validate_comfyui, validate_replicate

    try:
        if value["backend"] == "replicate":
            out = validate_replicate(value, where)
        else:
            out = validate_comfyui(value, where, base_dir)
    except RemoteSpecError as exc:
        raise SpecError(exc.where, exc.what) from None
    _scheduling(value, where, out, " (tasks at once per server)")
    return out


def _scheduling(value: dict[str, Any], where: str, out: dict[str, Any], per: str = "") -> None:
    """timeout_s and concurrency, the knobs every back end has."""
    if "timeout_s" in value:
        out["timeout_s"] = _number(value["timeout_s"], f"{where}.timeout_s", 0, 86_400)
    if "concurrency" in value:
        conc = value["concurrency"]
        if isinstance(conc, bool) or not isinstance(conc, int) or not 1 <= conc <= 64:
            raise SpecError(f"{where}.concurrency", f"must be a whole number from 1 to 64{per}")
        out["concurrency"] = conc


def validate_spec(data: dict[str, Any], slug: str | None = None, base_dir: Path | None = None) -> StreamSpec:
    """Validate a parsed spec. `slug` (from the command line) overrides `stream`; `base_dir`:
    the spec file's folder (a comfyui workflow path is relative to it)."""
    known = {"stream", "title", "segments", "generators", "width", "height"}
    for key in data:
        if key not in known:
            raise SpecError(key, f"unknown field (expected one of {sorted(known)})")
    if slug is not None:
        slug = check_slug(slug, "slug")
    else:
        slug = check_slug(data.get("stream"), "stream")
    title = _string(data.get("title"), "title", required=False, default=slug) or slug
    width, height = 1280, 720
    for key in ("width", "height"):
        if key in data:
            v = data[key]
            if isinstance(v, bool) or not isinstance(v, int) or not SIZE_MIN <= v <= SIZE_MAX:
                raise SpecError(key, f"must be a whole number from {SIZE_MIN} to {SIZE_MAX}")
            if v % 2:
                raise SpecError(key, "must be even (H.264 needs even sizes)")
    width = int(data.get("width", width))
    height = int(data.get("height", height))

    raw_segments = data.get("segments")
    if raw_segments is None:
        raise SpecError("segments", "missing")
    if not isinstance(raw_segments, list):
        raise SpecError("segments", "must be a list")
    if not raw_segments:
        raise SpecError("segments", "must hold at least one segment")
    segments = []
    seg_keys = {"title", "image_prompt", "motion_prompt", "duration"}
    for i, seg in enumerate(raw_segments):
        where = f"segments[{i}]"
        if not isinstance(seg, dict):
            raise SpecError(where, "must be an object/table")
        for key in seg:
            if key not in seg_keys:
                raise SpecError(f"{where}.{key}", f"unknown field (expected one of {sorted(seg_keys)})")
        segments.append(
            SegmentSpec(
                title=_string(seg.get("title"), f"{where}.title", required=False,
                              default=f"Segment {i + 1}") or f"Segment {i + 1}",
                image_prompt=_string(seg.get("image_prompt"), f"{where}.image_prompt", required=True),
                motion_prompt=_string(seg.get("motion_prompt"), f"{where}.motion_prompt",
                                      required=False, default="static") or "static",
                duration=_number(seg.get("duration", 4.0), f"{where}.duration", 0, DURATION_MAX),
            )
        )

    generators: dict[str, dict[str, Any]] = {}
    raw_gen = data.get("generators")
    if raw_gen is not None:
        if not isinstance(raw_gen, dict):
            raise SpecError("generators", "must be an object/table")
        for asset, value in raw_gen.items():
            if asset not in Asset.ALL:
                raise SpecError(f"generators.{asset}", "unknown asset (expected keyframe or video)")
            generators[asset] = validate_generator(asset, value, base_dir)
    return StreamSpec(slug=slug, title=title, segments=segments, generators=generators,
                      width=width, height=height)


def load_spec(path: Path, slug: str | None = None) -> StreamSpec:
    try:
        return validate_spec(read_spec_file(path), slug, path.parent)
    except SpecError as exc:
        if exc.where.startswith(str(path)):
            raise
        raise SpecError(f"{path}: {exc.where}", exc.what) from None


class StreamExists(SpecError):
    pass


def create_stream(session: Session, spec: StreamSpec, actor: str) -> Stream:
    """Insert the stream, its segments and their first prompt revisions."""
    from sqlalchemy import select
    from sqlmodel import col

    from director_tui.core import activity
    from director_tui.core.models import Checkpoint, PromptRevision, Segment, Stream, id_of

    if session.execute(select(col(Stream.id)).where(col(Stream.slug) == spec.slug)).first():
        raise StreamExists("stream", f"{spec.slug!r} already exists")
    stream = Stream(slug=spec.slug, title=spec.title, width=spec.width, height=spec.height,
                    generators_json=json.dumps(spec.generators), created_by=actor)
    session.add(stream)
    session.flush()
    assert stream.id is not None
    for pos, seg in enumerate(spec.segments, start=1):
        row = Segment(stream_id=stream.id, position=pos, title=seg.title,
                      image_prompt=seg.image_prompt, motion_prompt=seg.motion_prompt,
                      duration=seg.duration)
        session.add(row)
        session.flush()
        session.add(PromptRevision(segment_id=id_of(row), field="image", text=seg.image_prompt, author=actor))
        session.add(PromptRevision(segment_id=id_of(row), field="motion", text=seg.motion_prompt, author=actor))
    session.add(Checkpoint(stream_id=stream.id, name="keyframes"))
    activity.record(session, "stream.created", actor, stream.id, segments=len(spec.segments),
                    title=spec.title)
    return stream


def export_spec(session: Session, stream: Stream) -> dict[str, Any]:
    """The stream as a spec that `import` takes back."""
    from sqlalchemy import select
    from sqlmodel import col

    from director_tui.core.models import Segment

    segs = session.execute(
        select(Segment).where(col(Segment.stream_id) == stream.id).order_by(col(Segment.position))
    ).scalars()
    out: dict[str, Any] = {"stream": stream.slug, "title": stream.title}
    if (stream.width, stream.height) != (1280, 720):
        out["width"], out["height"] = stream.width, stream.height
    out["segments"] = [
        {"title": s.title, "image_prompt": s.image_prompt, "motion_prompt": s.motion_prompt,
         "duration": s.duration}
        for s in segs
    ]
    gens = stored_generators(stream.generators_json)  # SpecError: not one an import would take
    if gens:
        out["generators"] = gens
    return out
