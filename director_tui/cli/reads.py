"""The read commands, `list`, `status`, `activity` and `metrics`: what they print (from a
Reader: core/store/sql.py), and their fast start.

They run in shell loops, prompts and completion, so start-up matters more than anything
they compute: `director-tui [--home DIR] [--store URL] list|status|activity|metrics …` in
the plain forms below is answered here straight from launch.py, without typer, click or
SQLAlchemy, on the workspace's SQLite file opened read-only (make bench: cli). Anything
else, or anything odd (another store, a schema to migrate, damage, a stream not found, a
bad option, a bad config), returns None and the full CLI (cli/entry.py) answers, saying
what is wrong; the typer commands print through the same functions.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from director_tui.core.printable import printable

# command -> (positional arguments, options: name -> takes a value)
READ_COMMANDS: dict[str, tuple[tuple[str, ...], dict[str, bool]]] = {
    "list": ((), {"--json": False}),
    "status": (("stream",), {"--json": False}),
    "activity": (("stream",), {"--json": False, "--since": True, "--segment": True, "--kind": True,
                               "--author": True, "--limit": True}),
    "metrics": (("stream",), {"--json": False}),
}


# --- what they print ------------------------------------------------------------------------
def bar(value: float, width: int = 20) -> str:
    filled = int(round(max(0.0, min(1.0, value)) * width))
    return "█" * filled + "░" * (width - filled)


def _pct(n: int, d: int) -> str:
    return f"{n} of {d} ({100 * n / d:.0f}%)" if d else "no decisions yet"


def list_text(rows: list[dict[str, Any]], as_json: bool) -> str:
    if as_json:
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if not rows:
        return "no streams yet: `director-tui new SLUG --spec FILE` or `director-tui demo`"
    width = max(len(r["slug"]) for r in rows)
    return "\n".join(f"{r['slug']:<{width}}  {r['segments']:>4} segments  "
                     f"keyframes {r['keyframes_approved']}/{r['segments']}  "
                     f"videos {r['videos_approved']}/{r['segments']}  {printable(r['title'])}" for r in rows)


def generator_status(generators_json: str) -> list[dict[str, Any]]:
    """Each asset's generator: built-in or not, trusted by this account or not (status)."""
    from director_tui.core.trust import InvalidDefinition, TrustError, TrustStore, definitions

    store = TrustStore()
    out: list[dict[str, Any]] = []
    try:
        found = definitions(generators_json)
    except InvalidDefinition as exc:
        return [{"asset": "*", "builtin": False, "trusted": False, "fingerprint": "", "summary": str(exc),
                 "definition": None, "error": str(exc)}]
    for d in found:
        try:
            trusted = store.is_trusted(d)
        except TrustError:
            trusted = d.builtin
        command = d.body.get("command") or []
        out.append({"asset": d.asset, "builtin": d.builtin, "trusted": trusted, "fingerprint": d.fingerprint,
                    "summary": " ".join(map(str, command)) if command else json.dumps(d.body),
                    "definition": d.body})
    return out


def status_text(data: dict[str, Any], as_json: bool) -> str:
    if as_json:
        return json.dumps(data, indent=2, ensure_ascii=False)
    t = data["totals"]
    lines = [f"{printable(data['title'])} ({data['stream']}): keyframes {t['keyframes']['approved']}/"
             f"{t['segments']} approved, videos {t['videos']['approved']}/{t['segments']} approved, "
             f"{data['tasks']['running']} running, {data['tasks']['queued']} queued"]
    for g in data["generators"]:
        if not g["builtin"]:
            mark = "trusted" if g["trusted"] else f"NOT TRUSTED by this account: director-tui trust {data['stream']}"
            if g.get("error"):  # nothing of it runs: said in full
                lines.append(f"generators: {printable(g['error'])}")
                continue
            lines.append(f"{g['asset']} generator: {printable(g['summary'])[:80]} ({mark})")

    def cell(a: dict[str, Any]) -> str:
        return f"{'v' + str(a['version']) if a['version'] else '—'} {a['state']}"

    for seg in data["segments"]:
        lines.append(f"{seg['position']:>4}  {printable(seg['title'])[:28]:<28}  keyframe {cell(seg['keyframe']):<16} "
                     f"video {cell(seg['video'])}")
    return "\n".join(lines)


def activity_text(events: list[Any], as_json: bool) -> str:
    if as_json:
        return json.dumps([e.as_json() for e in events], indent=2, ensure_ascii=False)
    if not events:
        return "no activity matches"
    lines = []
    for e in events:
        where = f"#{e.position} {e.title[:20]}" if e.position is not None else "—"
        lines.append(f"{e.at:%Y-%m-%d %H:%M:%S}  {printable(e.actor)[:12]:<12}  {printable(where):<24}  "
                     f"{printable(e.summary)}")
    return "\n".join(lines)


def metrics_text(m: Any, as_json: bool) -> str:
    from director_tui.core.timefmt import span

    if as_json:
        return json.dumps(m.as_json(), indent=2, ensure_ascii=False)
    lines = [f"approval rate       {bar(m.approval_rate or 0)} {_pct(m.approved, m.decided)}",
             f"first-time approval {bar(m.first_time_rate or 0)} {_pct(m.first_approved, m.first_decided)}",
             f"regenerations per segment: mean {m.regenerations_mean:.2f}"]
    top = max(m.distribution.values()) or 1
    lines += [f"  {bucket:>2}  {bar(n / top)} {n}" for bucket, n in m.distribution.items()]
    lines += [f"generation {asset:<8} {int(g['count'])} done, {int(g['failed'])} failed, "
              f"median {g['median']:.1f} s, p90 {g['p90']:.1f} s" for asset, g in m.generation.items()]
    lines += [f"checkpoint {name:<10} {span(seconds):>12} {'done' if done else 'open'}"
              for name, seconds, done in m.checkpoints]
    if m.attention:
        lines.append("needs attention:")
        lines += [f"  #{a.position:<4} {printable(a.title)[:28]:<28} {a.reasons}" for a in m.attention]
    return "\n".join(lines)


# --- the fast start -------------------------------------------------------------------------
@dataclass
class ReadCommand:
    name: str
    home: str | None
    store: str | None
    args: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


def parse_read(argv: list[str]) -> ReadCommand | None:
    """A read command in a form this module answers, or None (the full CLI then)."""
    from director_tui.cli.argv import global_options

    split = global_options(argv)
    if split is None or not split[2] or split[2][0] not in READ_COMMANDS:
        return None
    home, store, rest = split
    positional, options = READ_COMMANDS[rest[0]]
    cmd = ReadCommand(rest[0], home, store)
    given: list[str] = []
    words = rest[1:]
    while words:
        word = words.pop(0)
        if word.startswith("-"):
            name, eq, value = word.partition("=")
            if name not in options or name in cmd.args or name in cmd.flags:
                return None  # --help, an unknown option, twice: the full CLI says what it does
            if not options[name]:
                if eq:
                    return None
                cmd.flags.add(name)
                continue
            if not eq:
                if not words:
                    return None
                value = words.pop(0)
            cmd.args[name] = value
        else:
            given.append(word)
    if len(given) != len(positional):
        return None
    cmd.args.update(zip(positional, given, strict=True))
    for name in ("--segment", "--limit"):
        if name in cmd.args and not cmd.args[name].lstrip("-").isdigit():
            return None
    return cmd


def run_fast(argv: list[str]) -> int | None:
    """Answer a read command without the full CLI: the exit code, or None when the full
    CLI must (nothing has been printed then)."""
    cmd = parse_read(argv)
    if cmd is None:
        return None
    from director_tui.config import ConfigError, load_settings

    try:
        settings = load_settings(cmd.home, store=cmd.store)
    except ConfigError:
        return None
    from director_tui.core.store import fast_reader

    with fast_reader(settings.home, settings.store) as db:
        if db is None:
            return None
        try:
            text = _answer(cmd, db)
        except Exception:
            return None
    if text is None:
        return None
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    return 0


def _answer(cmd: ReadCommand, db: Any) -> str | None:
    from director_tui.core import overview

    as_json = "--json" in cmd.flags
    if cmd.name == "list":
        return list_text(overview.list_streams(db), as_json)
    slug = cmd.args["stream"]
    stream = overview.stream_row(db, slug)
    if stream is None:
        return None
    if cmd.name == "status":
        data = overview.status_of(db, slug, stream)
        data["generators"] = generator_status(stream[2])
        return status_text(data, as_json)
    from director_tui.core import insight

    if cmd.name == "metrics":
        return metrics_text(insight.metrics(db, stream[0]), as_json)
    since = cmd.args.get("--since")
    when = insight.parse_since(since) if since else None  # InsightError: the full CLI says it
    segment = cmd.args.get("--segment")
    events = insight.timeline(db, stream[0], segment=int(segment) if segment is not None else None,
                              kind=cmd.args.get("--kind"), actor=cmd.args.get("--author"), since=when,
                              limit=max(1, int(cmd.args.get("--limit", "200"))))
    return activity_text(events, as_json)
