"""Prompt edits: saves with conflict detection, revisions, word diffs, presets.

A save names the text the editor started from (`expected`); if the prompt in
the store is different by then (another instance saved meanwhile), the save is
refused with both texts and nothing is written.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from director_tui.core import activity, journal
from director_tui.core.diff import diff_summary, word_diff  # noqa: F401  (part of this module's API)
from director_tui.core.errors import NotFound
from director_tui.core.models import Preset, PromptRevision, Segment, id_of, utcnow
from director_tui.core.printable import not_unicode
from director_tui.core.spec import PROMPT_MAX_BYTES
from director_tui.core.states import Asset
from director_tui.core.wording import with_preset

FIELDS = ("image", "motion")


class PromptError(ValueError):
    """A prompt or preset that cannot be saved; the message says why."""


class PromptConflict(PromptError):
    """Someone else saved this prompt after the editor opened it."""

    def __init__(self, position: int, field: str, theirs: str, mine: str) -> None:
        super().__init__(f"segment {position}: the {field} prompt was changed elsewhere while you edited it")
        self.position, self.field, self.theirs, self.mine = position, field, theirs, mine


def field_of(asset: str) -> str:
    """The prompt an asset is made from."""
    return "image" if asset == Asset.KEYFRAME else "motion"


def current_text(seg: Segment, field: str) -> str:
    return seg.image_prompt if field == "image" else seg.motion_prompt


def _set_text(seg: Segment, field: str, text: str) -> None:
    if field == "image":
        seg.image_prompt = text
    else:
        seg.motion_prompt = text
    seg.updated_at = utcnow()


def check_prompt(text: str, field: str) -> str:
    if field not in FIELDS:
        raise PromptError(f"unknown prompt {field!r} (image or motion)")
    if "\x00" in text:
        raise PromptError(f"{field} prompt: contains a NUL character")
    if (at := not_unicode(text)) is not None:
        raise PromptError(f"{field} prompt: not valid Unicode (a lone surrogate at {at})")
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > PROMPT_MAX_BYTES:  # the same limit as at import: one argument of a generator
        raise PromptError(f"{field} prompt: {size:,} bytes of UTF-8, more than a generator is handed "
                          f"({PROMPT_MAX_BYTES:,}, the system's limit for one argument)")
    if field == "image" and not text.strip():
        raise PromptError("image prompt: empty (a keyframe needs a prompt)")
    return text


def save_prompt(session: Session, segment_id: int, field: str, text: str, user: str, *,
                expected: str | None, preset_id: int | None = None, label: str = "") -> PromptRevision | None:
    """Save a prompt as a new revision (journaled for undo). None when nothing changed.

    `expected`: the text the edit started from; None skips the conflict check.
    """
    check_prompt(text, field)
    seg = session.get(Segment, segment_id)
    if seg is None:
        raise NotFound(f"segment {segment_id} not found")
    now_text = current_text(seg, field)
    if expected is not None and now_text != expected and now_text != text:
        raise PromptConflict(seg.position, field, now_text, text)
    if now_text == text:
        return None
    kind = "preset" if preset_id is not None else "prompt"
    with journal.journaled(session, seg.stream_id, user, kind,
                           label or f"{field} prompt of segment {seg.position}", [id_of(seg)]):
        _set_text(seg, field, text)
        revision = PromptRevision(segment_id=id_of(seg), field=field, text=text, author=user, preset_id=preset_id)
        session.add(revision)
    activity.record(session, "prompt.changed", user, seg.stream_id, seg.id, field=field,
                    preset=preset_id, chars=len(text))
    return revision


def revisions(session: Session, segment_id: int, field: str) -> list[PromptRevision]:
    """Newest first."""
    return list(session.execute(
        select(PromptRevision).where(col(PromptRevision.segment_id) == segment_id, col(PromptRevision.field) == field)
        .order_by(col(PromptRevision.id).desc())
    ).scalars())


# --- presets ----------------------------------------------------------------------

PRESET_CATEGORIES = ("lighting", "motion", "color", "framing", "style", "other")


@dataclass(frozen=True)
class PresetData:
    name: str
    category: str
    text: str


def apply_preset(session: Session, segment_ids: list[int], field: str, preset_id: int, user: str) -> list[int]:
    """Add the preset's words to one prompt of each segment: one undoable change, one
    revision per changed prompt, each remembering the preset. Returns the changed ids."""
    preset = session.get(Preset, preset_id)
    if preset is None:
        raise NotFound(f"preset {preset_id} not found")
    segs = [s for s in (session.get(Segment, i) for i in segment_ids) if s is not None]
    changed = [s for s in segs if with_preset(current_text(s, field), preset.text) != current_text(s, field)]
    if not changed:
        return []
    label = f"preset '{preset.name}' on {len(changed)} {field} prompt(s)"
    with journal.journaled(session, changed[0].stream_id, user, "preset", label, [int(s.id) for s in changed]):  # type: ignore[arg-type]
        for seg in changed:
            text = check_prompt(with_preset(current_text(seg, field), preset.text), field)
            _set_text(seg, field, text)
            session.add(PromptRevision(segment_id=id_of(seg), field=field, text=text, author=user, preset_id=preset.id))
            activity.record(session, "prompt.changed", user, seg.stream_id, seg.id, field=field,
                            preset=preset.id, preset_name=preset.name, chars=len(text))
    return [int(s.id) for s in changed]  # type: ignore[arg-type]


def list_presets(session: Session) -> list[Preset]:
    return list(session.execute(select(Preset).order_by(col(Preset.category), col(Preset.name))).scalars())


def _check_preset(data: PresetData, where: str = "preset") -> PresetData:
    name, category, text = data.name.strip(), data.category.strip().lower() or "other", data.text.strip()
    if not name:
        raise PromptError(f"{where}.name: empty")
    if len(name) > 80:
        raise PromptError(f"{where}.name: longer than 80 characters")
    if not text:
        raise PromptError(f"{where}.text: empty")
    if "\x00" in name + text + category:
        raise PromptError(f"{where}: contains a NUL character")
    if len(category) > 40:
        raise PromptError(f"{where}.category: longer than 40 characters")
    if len(text.encode("utf-8", errors="surrogatepass")) > 4096:
        raise PromptError(f"{where}.text: longer than 4 KB (a preset adds a few words to a prompt)")
    return PresetData(name, category, text)


def save_preset(session: Session, data: PresetData, user: str, preset_id: int | None = None) -> Preset:
    """Create (preset_id None) or update a preset; names are unique."""
    data = _check_preset(data)
    clash = session.execute(select(Preset).where(col(Preset.name) == data.name)).scalar_one_or_none()
    if clash is not None and clash.id != preset_id:
        raise PromptError(f"preset {data.name!r} exists already")
    if preset_id is None:
        preset = Preset(name=data.name, category=data.category, text=data.text)
        session.add(preset)
    else:
        found = session.get(Preset, preset_id)
        if found is None:
            raise NotFound(f"preset {preset_id} not found")
        preset = found
        preset.name, preset.category, preset.text = data.name, data.category, data.text
    session.flush()
    activity.record(session, "preset.saved", user, preset=preset.name, category=preset.category)
    return preset


def delete_preset(session: Session, preset_id: int, user: str) -> str:
    preset = session.get(Preset, preset_id)
    if preset is None:
        raise NotFound(f"preset {preset_id} not found")
    session.delete(preset)
    activity.record(session, "preset.deleted", user, preset=preset.name)
    return preset.name


def _toml_string(value: str) -> str:
    import json

    # JSON string escapes are valid TOML basic-string escapes; TOML also wants DEL escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")


def presets_to_toml(presets: list[Preset]) -> str:
    parts = ["# director-tui presets: [[preset]] tables with name, category, text\n"]
    for p in presets:
        parts.append(f"\n[[preset]]\nname = {_toml_string(p.name)}\ncategory = {_toml_string(p.category)}\n"
                     f"text = {_toml_string(p.text)}\n")
    return "".join(parts)


def parse_presets_toml(text: str, source: str = "presets") -> list[PresetData]:
    """Validate a presets file; errors name the file and the entry (`presets.toml: preset[2].text: empty`)."""
    if "\x00" in text:
        raise PromptError(f"{source}: contains a NUL byte (line {text.count(chr(10), 0, text.index(chr(0))) + 1})")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"{source}: not valid TOML ({exc})") from None
    except RecursionError:
        raise PromptError(f"{source}: nested past any sense: not a presets file") from None
    entries = doc.get("preset")
    if not isinstance(entries, list) or not entries:
        raise PromptError(f"{source}: no [[preset]] tables")
    out, seen = [], set()
    for i, entry in enumerate(entries, 1):
        where = f"{source}: preset[{i}]"
        if not isinstance(entry, dict):
            raise PromptError(f"{where}: not a table")
        unknown = set(entry) - {"name", "category", "text"}
        if unknown:
            raise PromptError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        for key in ("name", "text"):
            if not isinstance(entry.get(key), str):
                raise PromptError(f"{where}.{key}: missing or not a string")
        if not isinstance(entry.get("category", ""), str):
            raise PromptError(f"{where}.category: not a string")
        data = _check_preset(PresetData(entry["name"], entry.get("category", ""), entry["text"]), where)
        if data.name in seen:
            raise PromptError(f"{where}.name: {data.name!r} appears twice")
        seen.add(data.name)
        out.append(data)
    return out


def import_presets(session: Session, presets: list[PresetData], user: str) -> tuple[int, int]:
    """Add new presets, update same-named ones. Returns (created, updated)."""
    created = updated = 0
    for data in presets:
        existing = session.execute(select(Preset).where(col(Preset.name) == data.name)).scalar_one_or_none()
        save_preset(session, data, user, existing.id if existing else None)
        if existing is None:
            created += 1
        else:
            updated += 1
    return created, updated
