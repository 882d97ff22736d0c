"""The command line. Every command builds on core/; `open` and `demo` start the UI.

Errors are one line on stderr, never a traceback: exit 2 for bad input
(specs, slugs, unknown streams), 3 when a generator this account has not trusted
would have to run (`director-tui trust`), 1 for anything else that went wrong.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from director_tui import __version__
from director_tui.config import ConfigError, Settings, load_settings
from director_tui.core.printable import printable

app = typer.Typer(
    name="director-tui",
    help="Review an AI-generated video production in the terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

STARTER_PROMPT = "an empty film set, soft light, wide shot"


class State:
    home: str | None = None


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"director-tui: {message}", err=True)
    return typer.Exit(code)


def settings() -> Settings:
    from director_tui.config import apply_workspace_mode

    try:
        loaded = load_settings(State.home)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    apply_workspace_mode(loaded.workspace_mode)
    return loaded


def store_for(s: Settings):  # type: ignore[no-untyped-def]
    from director_tui.core.db import DamagedStore, StoreError, open_store

    try:
        return open_store(s.home)
    except DamagedStore as exc:
        raise fail(str(exc), 2) from None
    except StoreError as exc:
        raise fail(str(exc), 1) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"director-tui {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    home: Annotated[str | None, typer.Option("--home", help="Workspace folder (default: $DIRECTOR_HOME, else the user data folder).")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    State.home = home


def _create(spec_path: Path | None, slug: str | None) -> None:
    from director_tui.core.spec import (
        SegmentSpec,
        SpecError,
        StreamSpec,
        check_slug,
        create_stream,
        load_spec,
    )

    s = settings()
    try:
        if spec_path is not None:
            spec = load_spec(spec_path, slug)
        else:
            assert slug is not None
            check_slug(slug, "slug")
            spec = StreamSpec(slug=slug, title=slug, segments=[SegmentSpec("Segment 1", STARTER_PROMPT)])
    except SpecError as exc:
        raise fail(str(exc)) from None
    store = store_for(s)
    try:
        with store.write() as session:
            stream = create_stream(session, spec, s.user)
    except SpecError as exc:
        raise fail(str(exc)) from None
    n = len(spec.segments)
    typer.echo(f"created stream {stream.slug!r} ({n} segment{'' if n == 1 else 's'}) in {s.home}")
    from director_tui.cli_trust import say_if_untrusted

    say_if_untrusted(stream.slug, stream.generators_json)


@app.command()
def new(
    slug: Annotated[str, typer.Argument(help="The stream's slug: [a-z0-9][a-z0-9-]*")],
    spec: Annotated[Path | None, typer.Option("--spec", help="A production spec (JSON or TOML).")] = None,
) -> None:
    """Create a stream, from a spec or with one starter segment."""
    _create(spec, slug)


@app.command("import")
def import_(spec: Annotated[Path, typer.Argument(help="A production spec (JSON or TOML).")]) -> None:
    """Create the stream a spec describes (its slug is the spec's `stream`)."""
    _create(spec, None)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the workspace's streams."""
    from director_tui.core.streams import list_streams

    store = store_for(settings())
    with store.read() as session:
        rows = list_streams(session)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no streams yet: `director-tui new SLUG --spec FILE` or `director-tui demo`")
        return
    width = max(len(r["slug"]) for r in rows)
    for r in rows:
        typer.echo(f"{r['slug']:<{width}}  {r['segments']:>4} segments  "
                   f"keyframes {r['keyframes_approved']}/{r['segments']}  "
                   f"videos {r['videos_approved']}/{r['segments']}  {printable(r['title'])}")


@app.command()
def status(
    stream: Annotated[str, typer.Argument(help="The stream's slug.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a stream's segments, versions, decisions and checkpoint totals."""
    from director_tui.core.printable import printable
    from director_tui.core.streams import NotFound, get_stream
    from director_tui.core.streams import status as stream_status

    store = store_for(settings())
    try:
        with store.read() as session:
            data = stream_status(session, stream)
            generators_json = get_stream(session, stream).generators_json
    except NotFound as exc:
        raise fail(str(exc)) from None
    data["generators"] = _generator_status(generators_json)
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    t = data["totals"]
    typer.echo(f"{printable(data['title'])} ({data['stream']}): keyframes {t['keyframes']['approved']}/"
               f"{t['segments']} approved, videos {t['videos']['approved']}/{t['segments']} approved, "
               f"{data['tasks']['running']} running, {data['tasks']['queued']} queued")
    for g in data["generators"]:
        if not g["builtin"]:
            mark = "trusted" if g["trusted"] else f"NOT TRUSTED by this account: director-tui trust {data['stream']}"
            typer.echo(f"{g['asset']} generator: {printable(g['summary'])[:80]} ({mark})")
    for seg in data["segments"]:
        def cell(a: dict) -> str:  # type: ignore[type-arg]
            v = f"v{a['version']}" if a["version"] else "—"
            return f"{v} {a['state']}"
        typer.echo(f"{seg['position']:>4}  {printable(seg['title'])[:28]:<28}  keyframe {cell(seg['keyframe']):<16} "
                   f"video {cell(seg['video'])}")


def _generator_status(generators_json: str) -> list[dict]:  # type: ignore[type-arg]
    """Each asset's generator: built-in or not, trusted by this account or not (status)."""
    from director_tui.core.trust import TrustError, TrustStore, definitions

    store = TrustStore()
    out = []
    for d in definitions(generators_json):
        try:
            trusted = store.is_trusted(d)
        except TrustError:
            trusted = d.builtin
        command = d.body.get("command") or []
        out.append({"asset": d.asset, "builtin": d.builtin, "trusted": trusted, "fingerprint": d.fingerprint,
                    "summary": " ".join(map(str, command)) if command else json.dumps(d.body),
                    "definition": d.body})
    return out


@app.command("export-spec")
def export_spec_cmd(stream: Annotated[str, typer.Argument(help="The stream's slug.")]) -> None:
    """Print the stream as a JSON spec that `import` takes back."""
    from director_tui.core.spec import export_spec
    from director_tui.core.streams import NotFound, get_stream

    store = store_for(settings())
    try:
        with store.read() as session:
            data = export_spec(session, get_stream(session, stream))
    except NotFound as exc:
        raise fail(str(exc)) from None
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _stream_id(store, slug: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(stream id, number of segments), or exit 2 naming the stream."""
    from sqlalchemy import func, select

    from director_tui.core.models import Segment
    from director_tui.core.streams import NotFound, get_stream

    try:
        with store.read() as session:
            stream = get_stream(session, slug)
            count = session.execute(select(func.count(Segment.id)).where(Segment.stream_id == stream.id)).scalar_one()
    except NotFound as exc:
        raise fail(str(exc)) from None
    return int(stream.id), int(count)  # type: ignore[arg-type]


@app.command()
def regen(
    stream: Annotated[str, typer.Argument(help="The stream's slug.")],
    segments: Annotated[str, typer.Option("--segments", help="Positions: 3, 1,3-5 or all.")] = "all",
    asset: Annotated[str, typer.Option("--asset", help="keyframe or video.")] = "keyframe",
    wait: Annotated[bool, typer.Option("--wait", help="Run the queue here until these tasks end; exit 1 if any failed.")] = False,
) -> None:
    """Queue new versions of an asset for some segments."""
    import asyncio

    from sqlalchemy import select

    from director_tui.core import queue
    from director_tui.core.models import Asset, Segment
    from director_tui.core.selection import SelectionError, parse_positions

    if asset not in Asset.ALL:
        raise fail(f"--asset: {asset!r} is not keyframe or video")
    s = settings()
    store = store_for(s)
    stream_id, count = _stream_id(store, stream)
    from director_tui.cli_trust import _stream_generators, require_trust

    require_trust(*_stream_generators(stream), (asset,))  # nothing queued for what cannot run
    try:
        positions = parse_positions(segments, count)
    except SelectionError as exc:
        raise fail(f"--segments: {exc}") from None
    queued: list[int] = []
    problems: list[str] = []
    for pos in positions:
        try:
            with store.write() as session:
                seg_id = session.execute(select(Segment.id).where(
                    Segment.stream_id == stream_id, Segment.position == pos)).scalar_one()
                queued.append(int(queue.enqueue(session, seg_id, asset, s.user, regenerate=True).id))  # type: ignore[arg-type]
        except queue.QueueError as exc:
            problems.append(str(exc))
    for problem in problems:
        typer.echo(f"director-tui: {problem}", err=True)
    typer.echo(f"queued {len(queued)} {asset} task(s) for {stream}")
    if not wait or not queued:
        raise typer.Exit(1 if problems else 0)
    from director_tui.jobs.headless import Interrupted, wait_for_tasks

    show = _progress_printer(len(queued))
    try:
        tasks = asyncio.run(wait_for_tasks(store, s.home, stream_id, queued, s.user,
                                           kill_grace_s=s.kill_grace_s, on_update=show,
                                           output_caps=s.output_caps()))
    except Interrupted as exc:
        typer.echo("", err=True)
        raise fail(f"{exc}: its running tasks are back on the queue (another instance or `work` runs them)",
                   130) from None
    show(tasks, final=True)
    failed = [t for t in tasks.values() if t.state != "succeeded"]
    for t in failed:
        typer.echo(f"director-tui: task {t.id} {t.state}: {t.error or t.message}", err=True)
    raise typer.Exit(1 if failed or problems else 0)


def _progress_printer(total: int):  # type: ignore[no-untyped-def]
    """A progress bar on a terminal; one line per finished task otherwise."""
    seen: set[int] = set()
    tty = sys.stdout.isatty()

    def show(tasks: dict, final: bool = False) -> None:  # type: ignore[type-arg]
        done = [t for t in tasks.values() if t.state not in ("queued", "running")]
        if tty:
            frac = sum(1.0 if t.state not in ("queued", "running") else t.progress for t in tasks.values()) / total
            bar = "█" * int(30 * frac) + "░" * (30 - int(30 * frac))
            running = [t for t in tasks.values() if t.state == "running"]
            msg = f" {running[0].message[:40]}" if running else ""
            sys.stdout.write(f"\r{bar} {len(done)}/{total} {frac * 100:3.0f}%{msg:<42}")
            if final:
                sys.stdout.write("\n")
            sys.stdout.flush()
            return
        for t in done:
            if t.id not in seen:
                seen.add(t.id)
                typer.echo(f"task {t.id} {t.state} ({len(seen)}/{total})")

    return show


@app.command()
def cancel(
    stream: Annotated[str, typer.Argument(help="The stream's slug.")],
    task_id: Annotated[int | None, typer.Argument(help="The task to cancel.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Cancel every queued and running task of the stream.")] = False,
) -> None:
    """Cancel a task (or all): queued ones at once, running ones by their instance within a second."""
    from director_tui.core import queue
    from director_tui.core.streams import NotFound

    if (task_id is None) == (not all_):
        raise fail("give a TASK_ID or --all")
    s = settings()
    store = store_for(s)
    stream_id, _ = _stream_id(store, stream)
    from director_tui.jobs.recovery import recover

    # a dead instance's tasks first: its generators killed, the tasks requeued (then cancelled)
    moved = dict(recover(store, s.user, grace_s=min(s.kill_grace_s, 2.0)))
    try:
        with store.write() as session:
            if all_:
                ids = [int(t.id) for t in queue.active_tasks_of(session, stream_id)]  # type: ignore[arg-type]
            else:
                ids = [moved.get(task_id, task_id)]  # type: ignore[arg-type,list-item]
            results = [queue.request_cancel(session, i, s.user) for i in ids]
            if any(t.stream_id != stream_id for t in results):
                raise queue.QueueError(f"task {task_id} is not in stream {stream!r}")
    except (NotFound, queue.QueueError) as exc:
        raise fail(str(exc)) from None
    for t in results:
        typer.echo(f"task {t.id}: {'cancelled' if t.state == 'cancelled' else 'asked to stop'}")
    if not results:
        typer.echo("nothing queued or running")


@app.command()
def work(
    stream: Annotated[str, typer.Argument(help="The stream's slug.")],
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Exit when nothing is queued or running.")] = False,
) -> None:
    """Run the stream's generation queue without the UI (e.g. on a render machine)."""
    import asyncio

    from director_tui.jobs.headless import work as run_work

    s = settings()
    store = store_for(s)
    stream_id, _ = _stream_id(store, stream)
    from director_tui.cli_trust import _stream_generators, require_trust

    require_trust(*_stream_generators(stream), ("keyframe", "video"))

    def on_event(e) -> None:  # type: ignore[no-untyped-def]
        if e.kind in ("started", "finished"):
            typer.echo(f"task {e.task_id} {e.asset} segment#{e.segment_id}: {e.state} {printable(e.message)}".rstrip())
        elif e.kind == "trouble":
            typer.echo(f"work: {e.message}", err=True)

    reason = asyncio.run(run_work(store, s.home, stream_id, s.user, until_idle=until_idle,
                                  kill_grace_s=s.kill_grace_s, on_event=on_event,
                                  output_caps=s.output_caps()))
    typer.echo(f"work: {reason}")


def _open(slug: str) -> None:
    from director_tui.launch import open_stream

    code = open_stream(State.home, slug)
    if code:
        raise typer.Exit(code)


@app.command("open")
def open_(stream: Annotated[str, typer.Argument(help="The stream's slug.")]) -> None:
    """Open a stream in the review screen."""
    _open(stream)


@app.command()
def demo() -> None:
    """Create the demo production (first time) and open it."""
    from director_tui.core.spec import SpecError, create_stream, load_spec
    from director_tui.core.streams import NotFound, get_stream
    from director_tui.demo import DEMO_SLUG, DEMO_SPEC

    s = settings()
    store = store_for(s)
    with store.write() as session:
        try:
            get_stream(session, DEMO_SLUG)
        except NotFound:
            try:
                create_stream(session, load_spec(DEMO_SPEC), s.user)
            except SpecError as exc:
                raise fail(str(exc), 1) from None
    _open(DEMO_SLUG)


from director_tui import cli_archive, cli_insight, cli_trust  # noqa: E402,F401  (they register their commands on app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # damage found past the open, or a store that refused: one line
        from director_tui.core.db import damaged_message, unavailable

        message = damaged_message(exc, State.home)
        if message is not None:
            typer.echo(f"director-tui: {message}", err=True)
            sys.exit(2)
        why = unavailable(exc)
        if why is None:
            raise
        typer.echo(f"director-tui: stopped: {why}; try again", err=True)
        sys.exit(1)
