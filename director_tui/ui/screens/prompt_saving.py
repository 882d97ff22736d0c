"""Saving a prompt from any screen: the save, or the conflict with a colleague's save shown
and decided (never overwritten silently); and editing a prompt in $VISUAL/$EDITOR."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App

from director_tui.core.errors import NotFound
from director_tui.ui.context import context_of

if TYPE_CHECKING:
    from director_tui.core.prompts import PromptConflict


def save_prompt_flow(app: App[Any], segment_id: int, field: str, expected: str, text: str,
                     on_saved: Callable[[], None], on_edit_again: Callable[[str, str], None]) -> None:
    """Save, or show the conflict and let the director choose; never overwrite silently."""
    from director_tui.core import prompts
    from director_tui.ui.screens.conflict import ConflictScreen

    ctx = context_of(app)
    def refused(exc: BaseException) -> None:
        if not isinstance(exc, prompts.PromptConflict):  # the draft keeps the text
            app.notify(str(exc), severity="error", timeout=6)
            return
        conflict: PromptConflict = exc

        def chosen(choice: str | None) -> None:
            if choice == "mine":
                save_prompt_flow(app, segment_id, field, conflict.theirs, conflict.mine, on_saved, on_edit_again)
            elif choice == "edit":
                on_edit_again(conflict.theirs, conflict.mine)
            else:
                app.notify("kept their text; yours was dropped", timeout=3)
                ctx.drafts.discard(segment_id, field)
                on_saved()

        app.push_screen(ConflictScreen(conflict), chosen)

    def saved(changed: bool) -> None:
        app.notify(f"{field} prompt saved — r regenerates with it" if changed else "no change", timeout=2.5)
        ctx.drafts.discard(segment_id, field)
        on_saved()

    ctx.writer.submit(lambda s: prompts.save_prompt(s, segment_id, field, text, ctx.settings.user, expected=expected),
                      saved, refused=(prompts.PromptError, NotFound), on_refused=refused,
                      what=f"the {field} prompt")


def run_editor(app: App[Any], text: str, suffix: str = ".txt") -> str | None:
    """Edit `text` in $VISUAL/$EDITOR (the app suspends); the new text, or None if the
    editor failed. One trailing newline, which most editors add, is dropped."""
    import shlex  # here, not at import: the main screen imports this module before its first frame
    import subprocess
    import tempfile

    context_of(app)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        argv = shlex.split(editor)
    except ValueError:
        app.notify(f"$EDITOR is not a command line: {editor!r}", severity="error")
        return None
    fd, name = tempfile.mkstemp(prefix="director-prompt-", suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        try:
            if app.is_headless:  # tests: no terminal to hand over
                code = subprocess.run(argv + [str(path)], check=False).returncode  # noqa: S603
            else:
                with app.suspend():
                    code = subprocess.run(argv + [str(path)], check=False).returncode  # noqa: S603
        except FileNotFoundError:
            app.notify(f"editor not found: {argv[0]!r} (set $EDITOR)", severity="error", timeout=6)
            return None
        if code != 0:
            app.notify(f"{argv[0]} exited with {code}: prompt not changed", severity="warning")
            return None
        new = path.read_text(encoding="utf-8", errors="replace")
        return new[:-1] if new.endswith("\n") else new
    finally:
        path.unlink(missing_ok=True)
