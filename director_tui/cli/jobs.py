"""Commands about generation jobs: regen, cancel, work."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from director_tui.cli.common import INT_MAX, StreamArg, app, fail, find_stream, settings, store_for
from director_tui.core.printable import printable


@app.command()
def regen(
    stream: StreamArg,
    segments: Annotated[str, typer.Option("--segments", help="Positions: 3, 1,3-5 or all.")] = "all",
    asset: Annotated[str, typer.Option("--asset", help="keyframe or video.")] = "keyframe",
    wait: Annotated[bool, typer.Option("--wait", help="Run the queue here until these tasks end; exit 1 if any failed.")] = False,
) -> None:
    """Queue new versions of an asset for some segments."""
    import asyncio

    from sqlalchemy import select
    from sqlmodel import col

    from director_tui.core import operations, queue
    from director_tui.core.models import Asset, Segment
    from director_tui.core.selection import SelectionError, parse_positions

    if asset not in Asset.ALL:
        raise fail(f"--asset: {asset!r} is not keyframe or video")
    s = settings()
    store = store_for(s)
    stream_id, count = find_stream(store, stream)
    from director_tui.cli.trust import _stream_generators, require_trust

    require_trust(*_stream_generators(stream), (asset,))  # nothing queued for what cannot run
    try:
        positions = parse_positions(segments, count)
    except SelectionError as exc:
        raise fail(f"--segments: {exc}") from None
    queued: list[int] = []
    problems: list[str] = []
    for start in range(0, len(positions), 500):  # 500 a transaction: 30,000 single commits took a minute
        chunk = positions[start:start + 500]
        with store.write() as session:
            ids = dict(session.execute(select(col(Segment.position), col(Segment.id)).where(
                col(Segment.stream_id) == stream_id, col(Segment.position).in_(chunk))).all())
            for pos in chunk:
                try:
                    with session.begin_nested():  # one busy segment stops no other
                        queued.append(operations.regenerate(session, ids[pos], asset, s.user).value)  # as `r` in the app
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


def _progress_printer(total: int):
    """A progress bar on a terminal; one line per finished task otherwise."""
    seen: set[int] = set()
    tty = sys.stdout.isatty()

    def show(tasks: dict, final: bool = False) -> None:
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
    stream: StreamArg,
    task_id: Annotated[int | None, typer.Argument(help="The task to cancel.", min=1, max=INT_MAX)] = None,
    all_: Annotated[bool, typer.Option("--all", help="Cancel every queued and running task of the stream.")] = False,
) -> None:
    """Cancel a task (or all): queued ones at once, running ones by their instance within a second."""
    if (task_id is None) == (not all_):
        raise fail("give a TASK_ID or --all")
    s = settings()
    store = store_for(s)
    stream_id, _ = find_stream(store, stream)
    from director_tui.jobs.recovery import recover

    # a dead instance's tasks first: its generators killed, the tasks requeued (then cancelled)
    problems: list[str] = []
    moved = dict(recover(store, s.user, grace_s=min(s.kill_grace_s, 2.0), problems=problems))
    for line in problems:
        typer.echo(line, err=True)
    from director_tui.core import operations

    with store.write() as session:  # the app's rule (core/operations.cancel_tasks)
        outcome = operations.cancel_tasks(session, stream_id, s.user,
                                          task_ids=None if all_ or task_id is None else [moved.get(task_id, task_id)])
    cancelled, asked = outcome.value
    if not all_ and outcome.problems:
        raise fail(outcome.problems[0].replace("this stream", repr(stream)))
    for line in outcome.problems:
        typer.echo(line, err=True)
    for ids, said in ((cancelled, "cancelled"), (asked, "asked to stop")):
        for i in ids:
            typer.echo(f"task {i}: {said}")
    if not cancelled and not asked:
        typer.echo("nothing queued or running")


@app.command()
def work(
    streams: Annotated[list[str] | None, typer.Argument(help="The streams' slugs (or --all).", show_default=False)] = None,
    every: Annotated[bool, typer.Option("--all", help="Every stream in the store, those created later too.")] = False,
    asset: Annotated[list[str] | None, typer.Option("--asset", help="Only this asset (keyframe or video); repeatable.")] = None,
    backend: Annotated[list[str] | None, typer.Option("--backend", help="Only generators of this back end (e.g. comfyui); repeatable.")] = None,
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Exit when nothing is queued or running.")] = False,
) -> None:
    """Run the generation queue without the UI: on a render machine, any number of them on
    one shared store (each claims tasks the others have not)."""
    import asyncio

    from director_tui.core.guards import media_root_problem
    from director_tui.core.models import Asset
    from director_tui.jobs.headless import work as run_work

    if bool(streams) == every:
        raise fail("work: name the streams to work on, or --all" if not every else "work: streams or --all, not both")
    for name in asset or []:
        if name not in Asset.ALL:
            raise fail(f"--asset: {name!r} is not keyframe or video")
    s = settings()
    store = store_for(s)
    problem = media_root_problem(s.home)
    if problem:
        raise fail(f"work: {problem}")
    stream_ids = [find_stream(store, slug)[0] for slug in streams or []]
    from director_tui.cli.trust import _stream_generators, require_trust

    assets = tuple(asset or Asset.ALL)
    for slug in streams or []:
        require_trust(*_stream_generators(slug), assets)

    import functools

    @functools.lru_cache(maxsize=4096)
    def shot(segment_id: int) -> str:
        """'film #3', as every other command names a segment (its id said nothing to anyone)."""
        from sqlalchemy import select
        from sqlmodel import col

        from director_tui.core.models import Segment, Stream

        try:
            with store.read() as session:
                row = session.execute(select(col(Stream.slug), col(Segment.position)).join(
                    Segment, col(Segment.stream_id) == col(Stream.id)).where(col(Segment.id) == segment_id)).first()
        except Exception:  # the store away for a moment: the line is still worth printing
            return f"segment id {segment_id}"
        return f"segment id {segment_id} (deleted)" if row is None else f"{row[0]} #{row[1]}"

    def on_event(e) -> None:
        if e.kind in ("started", "finished"):
            said = printable(e.message)
            state = "" if said.startswith(f"{e.state}:") else f"{e.state} "  # "interrupted: its instance (…) died"
            typer.echo(f"task {e.task_id} {e.asset} {shot(e.segment_id)}: {state}{said}".rstrip())
        elif e.kind == "trouble":
            typer.echo(f"work: {e.message}", err=True)

    reason = asyncio.run(run_work(store, s.home, stream_ids, s.user, until_idle=until_idle,
                                  kill_grace_s=s.kill_grace_s, on_event=on_event,
                                  output_caps=s.output_caps(), every_stream=every,
                                  assets=set(asset) if asset else None,
                                  backends=set(backend) if backend else None))
    typer.echo(f"work: {reason}")
