"""What happened and how it is going: the activity timeline, quality metrics, and
recommendations learnt from the workspace's history. Plain SQL over indexed columns, so
each answers in well under 150 ms over 100,000 activity rows."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from director_tui.core.store.sql import as_reader, day_of, seconds_between

# Every query takes a session or a Reader (core/store/sql.py): the read commands' fast path
# runs these same queries on a bare sqlite3 connection, without SQLAlchemy.
Source = Any


def utcnow() -> datetime:
    """Naive UTC, as the store keeps its times."""
    return datetime.now(UTC).replace(tzinfo=None)

KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt.", "preset."),
    "generation": ("task.", "version.created", "video.stale"),
    "decision": ("version.approved", "version.rejected", "variation.picked", "journal.", "checkpoint."),
    "comment": ("comment.",),
    "export": ("export.",),
    "cleanup": ("cleanup.", "archive."),
}
DECIDED = ("approved", "rejected", "regenerate")  # a version's decisions; only the first is a win
MIN_SAMPLES = 5  # nothing is recommended from fewer first-time decisions than this


class InsightError(ValueError):
    """Bad input to a query (a filter, a time); the message names it."""


# --- timeline ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineEvent:
    id: int
    at: datetime
    actor: str
    kind: str
    segment_id: int | None
    position: int | None
    title: str
    summary: str
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor, "kind": self.kind,
                "segment": self.position, "segment_title": self.title, "summary": self.summary,
                "detail": self.detail}


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """`90m`, `2h`, `3d`, `1w`, or a date/time like `2026-11-24` or `2026-11-24T09:30`."""
    now = now or utcnow()
    value = value.strip()
    match = re.fullmatch(r"(\d+)\s*([mhdw])", value)
    if match:
        n, unit = int(match.group(1)[:12]), match.group(2)  # (12 digits: past any date; int() of 5,000 digits is refused)
        try:
            return now - timedelta(**{{"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: n})
        except (OverflowError, ValueError):  # before year 1: everything since the first day
            return datetime.min
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InsightError(f"since: {value!r} is not a time (use 90m, 2h, 3d, 1w or 2026-11-24)") from None
    return parsed.replace(tzinfo=None)


def _summary(kind: str, d: dict[str, Any]) -> str:
    asset = d.get("asset", "")
    version = f" v{d['version']}" if d.get("version") else ""
    match kind:
        case "prompt.changed":
            via = f" with preset '{d['preset_name']}'" if d.get("preset_name") else ""
            return f"{d.get('field', '')} prompt changed{via}"
        case "task.queued":
            how = "variation" if d.get("group") else "regeneration" if d.get("regenerate") else "generation"
            return f"{asset} {how} queued"
        case "version.created":
            return f"{asset}{version} generated (seed {d.get('seed', '?')})"
        case "task.failed" | "task.cancelled" | "task.interrupted":
            state = kind.split(".")[1]
            reason = str(d.get("reason") or "").removeprefix(f"{state}: ")  # reasons may repeat the state
            return f"{asset} {state}" + (f": {reason}" if reason else "")
        case "task.cancel_requested":
            return f"{asset} cancel requested"
        case "task.cancel_restored":
            return f"{asset} regeneration cancelled: the row is as it was before it"
        case "version.approved" | "version.rejected":
            notes = f" — {d['notes']}" if d.get("notes") else ""
            return f"{asset}{version} {kind.split('.')[1]}{notes}"
        case "variation.picked":
            return f"{asset}{version} picked from {d.get('candidates', '?')} variations"
        case "comment.added":
            at = f" at {d['timecode']:.1f} s" if isinstance(d.get("timecode"), int | float) else ""
            names = d.get("mentions") if isinstance(d.get("mentions"), list) else []
            told = f", mentioning {', '.join('@' + str(n) for n in names)}" if names else ""
            return f"comment on {asset}{version}{at}{told}"
        case "video.stale":
            return f"video marked stale: {d.get('reason', '')}"
        case "checkpoint.passed" | "checkpoint.reopened":
            return f"checkpoint '{d.get('checkpoint', '')}' {kind.split('.')[1]}"
        case "stream.created":
            return f"stream created ({d.get('segments', '?')} segments)"
        case "export.done":
            return f"exported {d.get('what', '')} to {d.get('dest', '')} ({d.get('files', 0)} files)"
        case "cleanup.done":
            return f"archived {d.get('archived', 0)} versions to {d.get('dest', '')}"
        case "archive.restored":
            return f"{asset}{version} restored from the archive"
        case _ if kind.startswith("journal."):
            return f"{kind.split('.')[1]}: {d.get('label', '')}"
        case _ if kind.startswith("preset."):
            return f"preset '{d.get('preset', '')}' {kind.split('.')[1]}"
    return kind


def timeline(session: Source, stream_id: int, *, segment: int | None = None, kind: str | None = None,
             actor: str | None = None, since: datetime | None = None, before_id: int | None = None,
             limit: int = 500) -> list[TimelineEvent]:
    """Newest first. `segment` is a position; `kind` a group (prompt, generation, decision,
    comment, export, cleanup) or a kind prefix such as `task.failed`."""
    db = as_reader(session)
    where = ["a.stream_id = :stream"]
    params: dict[str, Any] = {"stream": stream_id, "limit": limit}
    if segment is not None:
        where.append("g.position = :position")
        params["position"] = segment
    if kind:
        prefixes = KIND_GROUPS.get(kind, (kind,))
        likes = []
        for i, prefix in enumerate(prefixes):
            params[f"k{i}"] = prefix.replace("%", r"\%").replace("_", r"\_") + "%"
            likes.append(f"a.kind LIKE :k{i} ESCAPE '\\'")
        where.append("(" + " OR ".join(likes) + ")")
    if actor:
        where.append("a.actor = :actor")
        params["actor"] = actor
    if since is not None:
        where.append("a.created_at >= :since")
        params["since"] = since.strftime("%Y-%m-%d %H:%M:%S.%f")
    if before_id is not None:  # older in the order shown: by time, then id (several writers' clocks)
        where.append("(a.created_at, a.id) < (SELECT b.created_at, b.id FROM activity b WHERE b.id = :before)")
        params["before"] = before_id
    sql = (f"SELECT a.id, a.created_at, a.actor, a.kind, a.segment_id, g.position, g.title, a.detail "
           f"FROM activity a LEFT JOIN segment g ON g.id = a.segment_id WHERE {' AND '.join(where)} "
           f"ORDER BY a.created_at DESC, a.id DESC LIMIT :limit")
    events = []
    for row in db.all(sql, params):
        try:
            detail = json.loads(row[7] or "{}")
        except ValueError:
            detail = {}
        at = _dt(row[1]) or utcnow()
        events.append(TimelineEvent(int(row[0]), at, row[2] or "", row[3], row[4], row[5], row[6] or "",
                                    _summary(row[3], detail), detail))
    return events


def latest_activity_id(session: Source) -> int | None:
    """Changes whenever anything is recorded, in any stream: max(rowid) is one index step,
    cheap enough for the timeline and metrics screens to poll."""
    db = as_reader(session)
    return db.all("SELECT max(id) FROM activity")[0][0]


def actors(session: Source, stream_id: int) -> list[str]:
    db = as_reader(session)
    return [r[0] for r in db.all((
        "SELECT DISTINCT actor FROM activity WHERE stream_id = :s AND actor != '' ORDER BY actor"), {"s": stream_id})]


# --- metrics ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Attention:
    segment_id: int
    position: int
    title: str
    score: int
    reasons: str


@dataclass
class Metrics:
    segments: int = 0
    decided: int = 0
    approved: int = 0
    first_decided: int = 0  # assets whose first version was decided
    first_approved: int = 0  # ... and approved
    regenerations: dict[int, int] = field(default_factory=dict)  # segment id -> versions beyond the first
    distribution: dict[str, int] = field(default_factory=dict)  # "0", "1", … "5+" -> segments
    attention: list[Attention] = field(default_factory=list)
    checkpoints: list[tuple[str, float, bool]] = field(default_factory=list)  # name, seconds, done
    generation: dict[str, dict[str, float]] = field(default_factory=dict)  # asset -> count/mean/median/p90/failed
    activity_per_day: list[tuple[str, int]] = field(default_factory=list)  # last 14 days

    @property
    def approval_rate(self) -> float | None:
        return self.approved / self.decided if self.decided else None

    @property
    def first_time_rate(self) -> float | None:
        return self.first_approved / self.first_decided if self.first_decided else None

    @property
    def regenerations_mean(self) -> float:
        return statistics.fmean(self.regenerations.values()) if self.regenerations else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "segments": self.segments,
            "approval": {"approved": self.approved, "decided": self.decided, "rate": self.approval_rate},
            "first_time_approval": {"approved": self.first_approved, "decided": self.first_decided,
                                    "rate": self.first_time_rate},
            "regenerations_per_segment": {"mean": round(self.regenerations_mean, 3),
                                          "distribution": self.distribution},
            "attention": [{"segment": a.position, "title": a.title, "score": a.score, "why": a.reasons}
                          for a in self.attention],
            "checkpoints": [{"name": n, "seconds": round(s, 1), "done": d} for n, s, d in self.checkpoints],
            "generation_seconds": self.generation,
            "activity_per_day": dict(self.activity_per_day),
        }


def plural(n: int, noun: str) -> str:
    """`1 comment`, `2 comments`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _dt(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=None)


def metrics(session: Source, stream_id: int, now: datetime | None = None) -> Metrics:
    db = as_reader(session)
    now = now or utcnow()
    m = Metrics()
    segs = {int(r[0]): (int(r[1]), r[2] or "", r[3], r[4]) for r in db.all((
        "SELECT id, position, title, keyframe_state, video_state FROM segment WHERE stream_id = :s"),
        {"s": stream_id})}
    m.segments = len(segs)
    versions: dict[tuple[int, str], int] = Counter()
    rejected: Counter[tuple[int, str]] = Counter()
    # aggregated in the database: 100,000s of rows would cost Python far more (make bench: insight)
    # A version is decided when it is approved, rejected, or sent back with `r` (decision
    # 'regenerate'): a regenerated first version is a first-time miss, not "undecided".
    for seg_id, asset, count, approved, rejects, sent_back, first in db.all((
            "SELECT v.segment_id, v.asset, count(*), sum(CASE WHEN v.decision = 'approved' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN v.decision = 'rejected' THEN 1 ELSE 0 END), sum(CASE WHEN v.decision = 'regenerate' THEN 1 ELSE 0 END), "
            "(SELECT f.decision FROM version f WHERE f.segment_id = v.segment_id AND f.asset = v.asset "
            " ORDER BY f.number LIMIT 1) "
            "FROM version v JOIN segment g ON g.id = v.segment_id WHERE g.stream_id = :s "
            "GROUP BY v.segment_id, v.asset"), {"s": stream_id}):
        versions[(seg_id, asset)] = int(count)
        rejected[(seg_id, asset)] = int(rejects or 0)
        m.decided += int(approved or 0) + int(rejects or 0) + int(sent_back or 0)
        m.approved += int(approved or 0)
        if first in DECIDED:
            m.first_decided += 1
            m.first_approved += first == "approved"
    for seg_id in segs:
        m.regenerations[seg_id] = sum(max(0, versions.get((seg_id, a), 0) - 1) for a in ("keyframe", "video"))
    for n in m.regenerations.values():
        bucket = "5+" if n >= 5 else str(n)
        m.distribution[bucket] = m.distribution.get(bucket, 0) + 1
    m.distribution = {k: m.distribution.get(k, 0) for k in ("0", "1", "2", "3", "4", "5+")}

    failed: Counter[tuple[int, str]] = Counter()
    durations: dict[str, list[float]] = defaultdict(list)
    failures: Counter[str] = Counter()
    for seg_id, asset, n in db.all((
            "SELECT segment_id, asset, count(*) FROM task WHERE stream_id = :s AND state = 'failed' "
            "GROUP BY segment_id, asset"), {"s": stream_id}):
        failed[(seg_id, asset)] = int(n)
        failures[asset] += int(n)
    took = seconds_between(db, "started_at", "finished_at")
    for asset, seconds in db.all((
            f"SELECT asset, {took} FROM task "
            "WHERE stream_id = :s AND state = 'succeeded' AND started_at IS NOT NULL AND finished_at IS NOT NULL"),
            {"s": stream_id}):
        if seconds is not None:
            durations[asset].append(float(seconds))
    for asset in ("keyframe", "video"):
        xs = sorted(durations.get(asset, []))
        m.generation[asset] = {
            "count": len(xs), "failed": failures[asset],
            "mean": round(statistics.fmean(xs), 2) if xs else 0.0,
            "median": round(statistics.median(xs), 2) if xs else 0.0,
            "p90": round(xs[min(len(xs) - 1, int(0.9 * len(xs)))], 2) if xs else 0.0,
        }
    comments = Counter({int(r[0]): int(r[1]) for r in db.all((
        "SELECT c.segment_id, count(*) FROM comment c JOIN segment g ON g.id = c.segment_id "
        "WHERE g.stream_id = :s GROUP BY c.segment_id"), {"s": stream_id})})
    ranked = []
    for seg_id, (position, title, key_state, video_state) in segs.items():
        # what went wrong with the assets still open (an approved one is settled), plus comments
        open_assets = [a for a, state in (("keyframe", key_state), ("video", video_state)) if state != "approved"]
        rej = sum(rejected[(seg_id, a)] for a in open_assets)
        regen = sum(max(0, versions.get((seg_id, a), 0) - 1) for a in open_assets)
        fail = sum(failed[(seg_id, a)] for a in open_assets)
        notes = comments[seg_id] if open_assets else 0
        score = 2 * rej + regen + 2 * fail + notes
        if score:
            parts = [(rej, "rejection"), (regen, "regeneration"), (fail, "failed generation"), (notes, "comment")]
            ranked.append(Attention(seg_id, position, title, score,
                                    ", ".join(plural(n, label) for n, label in parts if n)))
    m.attention = sorted(ranked, key=lambda a: (-a.score, a.position))[:10]
    for name, started, completed in db.all((
            "SELECT name, started_at, completed_at FROM checkpoint WHERE stream_id = :s ORDER BY id"),
            {"s": stream_id}):
        end = _dt(completed) or now
        m.checkpoints.append((name, max(0.0, (end - _dt(started)).total_seconds()), completed is not None))  # type: ignore[operator]
    since = (now - timedelta(days=13)).strftime("%Y-%m-%d")
    per_day = {r[0]: int(r[1]) for r in db.all((
        f"SELECT {day_of(db, 'created_at')} AS day, count(*) FROM activity WHERE stream_id = :s "
        "AND created_at >= :since GROUP BY day"), {"s": stream_id, "since": since})}
    m.activity_per_day = [((now - timedelta(days=13 - i)).strftime("%Y-%m-%d"), 0) for i in range(14)]
    m.activity_per_day = [(day, per_day.get(day, 0)) for day, _ in m.activity_per_day]
    return m


# --- recommendations --------------------------------------------------------------------
@dataclass(frozen=True)
class Recommendation:
    kind: str  # "phrase" or "preset"
    field: str  # "image" or "motion"
    label: str
    approved_first: int
    samples: int

    @property
    def rate(self) -> float:
        return self.approved_first / self.samples

    def describe(self) -> str:
        what = f"'{self.label}' in {self.field} prompts" if self.kind == "phrase" else f"preset '{self.label}'"
        return f"{what}: {self.approved_first} of {self.samples} approved first time"

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "field": self.field, "label": self.label,
                "approved_first_time": self.approved_first, "samples": self.samples, "rate": round(self.rate, 3)}


def phrases(prompt: str) -> set[str]:
    """The comma-separated phrases of a prompt, normalised (how directors write prompts)."""
    out = set()
    for part in re.split(r"[,;\n]|\.\s", prompt.lower()):
        phrase = " ".join(part.split()).strip(" .")
        if 2 <= len(phrase) <= 60:
            out.add(phrase)
    return out


def recommendations(session: Source, *, field: str | None = None, min_samples: int = MIN_SAMPLES,
                    limit: int = 20, worst: bool = False) -> list[Recommendation]:
    """Phrases and presets ranked by how often the first version generated from a prompt
    holding them was approved (workspace-wide). A sample is the first version of each
    distinct prompt of a segment's asset that has been decided."""
    db = as_reader(session)
    presets = {int(r[0]): (r[1], (r[2] or "").lower().strip()) for r in db.all(
        "SELECT id, name, text FROM preset")}
    seen: set[tuple[int, str, str]] = set()
    stats: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for seg_id, asset, prompt, decision, preset_id in db.all(
            "SELECT segment_id, asset, prompt, decision, preset_id FROM version ORDER BY segment_id, asset, number"):
        key = (seg_id, asset, prompt)
        if key in seen:
            continue
        seen.add(key)
        if decision not in DECIDED:
            continue
        where = "image" if asset == "keyframe" else "motion"
        if field and where != field:
            continue
        win = int(decision == "approved")
        lowered = prompt.lower()
        for phrase in phrases(prompt):
            s = stats[("phrase", where, phrase)]
            s[0] += win
            s[1] += 1
        for pid, (name, preset_text) in presets.items():
            if pid == preset_id or (preset_text and preset_text in lowered):
                s = stats[("preset", where, name)]
                s[0] += win
                s[1] += 1
    recs = [Recommendation(kind, where, label, wins, n)
            for (kind, where, label), (wins, n) in stats.items() if n >= min_samples]
    if worst:
        recs.sort(key=lambda r: (r.rate, -r.samples, r.label))
    else:
        recs.sort(key=lambda r: (-r.rate, -r.samples, r.label))
    return recs[:limit]


# --- hints beside a prompt being edited -----------------------------------------------------
@dataclass(frozen=True)
class PromptHints:
    in_prompt: list[Recommendation]  # what the prompt already holds that history knows
    suggestions: list[Recommendation]  # what often got approved first time and is not in it

    def __bool__(self) -> bool:
        return bool(self.in_prompt or self.suggestions)


def hint_stats(session: Source, field: str, min_samples: int = MIN_SAMPLES) -> list[Recommendation]:
    """Every phrase and preset of `field` prompts with enough samples, best first: read once
    when an edit opens, matched against the text on every keystroke (hints_for)."""
    return recommendations(session, field=field, min_samples=min_samples, limit=100_000)


def hints_for(prompt: str, stats: list[Recommendation], suggest: int = 3,
              good_rate: float = 0.6) -> PromptHints:
    held = phrases(prompt)
    lowered = prompt.lower()
    in_prompt = [r for r in stats if (r.label in held if r.kind == "phrase" else False)
                 or (r.kind == "phrase" and len(r.label) > 3 and r.label in lowered)]
    in_prompt.sort(key=lambda r: (-r.samples, r.label))
    taken = {r.label for r in in_prompt}
    suggestions = [r for r in stats if r.rate >= good_rate and r.label not in taken
                   and r.label not in lowered][:suggest]
    return PromptHints(in_prompt[:4], suggestions)
