"""`director-tui preset list|add|apply`: the workspace's preset library, as P in the app."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from director_tui.cli.common import StreamArg, app, fail, settings, store_for
from director_tui.cli.decide import Context, Done, read_text
from director_tui.core.printable import printable

preset_app = typer.Typer(help="The preset library: words added to prompts (list, add, apply).",
                         no_args_is_help=True)
app.add_typer(preset_app, name="preset")


@preset_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the presets, by category."""
    from director_tui.core.prompts import list_presets

    store = store_for(settings())
    with store.read() as s:
        rows = [{"name": p.name, "category": p.category, "text": p.text} for p in list_presets(s)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no presets yet: director-tui preset add NAME --text WORDS")
    width = max((len(printable(r["name"])) for r in rows), default=0)
    for r in rows:
        typer.echo(f"{r['category']:<9} {printable(r['name']):<{width}}  {printable(r['text'])[:100]}")


@preset_app.command("add")
def add(name: Annotated[str, typer.Argument(help="The preset's name (unique).")],
        text: Annotated[str, typer.Option("--text", help="The words it adds to a prompt; - reads standard input.")],
        category: Annotated[str, typer.Option("--category", help="lighting, motion, color, framing, style or other.")] = "other",
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Add a preset to the library."""
    from director_tui.core.prompts import PresetData, PromptError, save_preset

    s = settings()
    store = store_for(s)
    words = read_text(text, "the preset's text")
    try:
        with store.write() as session:
            preset = save_preset(session, PresetData(name, category, words), s.user)
            saved = {"name": preset.name, "category": preset.category, "text": preset.text}
    except PromptError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps({"action": "preset.add", "ok": True, **saved}, ensure_ascii=False))
    else:
        typer.echo(f"preset {printable(saved['name'])!r} added ({saved['category']})")


@preset_app.command("apply")
def apply(stream: StreamArg,
          segments: Annotated[str, typer.Argument(help="Positions: 3, 1,3-5 or all.")],
          name: Annotated[str, typer.Argument(help="The preset's name.")],
          field_name: Annotated[str, typer.Option("--field", help="image or motion (default: the preset's "
                                                  "category: motion for motion presets, else image).")] = "",
          as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Add a preset's words to segments' prompts: one undoable change, a revision each."""
    from sqlalchemy import select
    from sqlmodel import col

    from director_tui.core.models import Preset
    from director_tui.core.prompts import apply_preset

    if field_name not in ("", "image", "motion"):
        raise fail(f"--field: {field_name!r} is not image or motion")
    ctx = Context(stream)
    positions = ctx.parse_segments(segments)
    ids = [ctx.segment_id(p) for p in positions]
    with ctx.store.read() as s:
        preset = s.execute(select(Preset).where(col(Preset.name) == name)).scalar_one_or_none()
        found = None if preset is None else (int(preset.id), preset.category)
    if found is None:
        raise fail(f"no preset named {name!r} (director-tui preset list)")
    preset_id, category = found
    target = field_name or ("motion" if category == "motion" else "image")
    changed = ctx.write("preset", lambda s: apply_preset(s, ids, target, preset_id, ctx.user))
    done = ctx.positions(changed)
    message = (f"preset {name!r} added to {len(done)} {target} prompt(s)" if done
               else f"preset {name!r}: every {target} prompt has it already")
    Done(stream, "preset.apply", message, segments=done, extra={"preset": name, "field": target}).emit(as_json)
