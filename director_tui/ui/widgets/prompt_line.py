"""The one-line prompt above the key bar: `/` filters rows, `:` runs a command (with
completion), `c` comments. A label says what is being typed and where it goes
(`comment on #3 keyframe v2:`), so nothing is ever typed blind."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import Suggester, SuggestFromList
from textual.widgets import Footer, Input, Label

from director_tui.core.commands import SUGGESTIONS
from director_tui.ui.bindings import PROMPT_LINE_BINDINGS
from director_tui.ui.context import Context, context_of

PLACEHOLDERS = {
    "filter": "words in titles, prompts or states — enter keeps it, esc clears",
    "command": "regen 3-7 keyframe · approve 1-4 · similar 7 · vary 3 · undo · help — tab completes",
    "comment": "@name tells someone (tab completes) — enter saves, esc cancels",
    "comment-video": "start with a time code to pin it (00:02.5 the horizon tilts); @name tells someone — enter saves",
    "feedback": "what to change — enter saves the note and queues a new version, esc cancels",
}
LABELS = {"filter": "filter:", "command": ":"}


class PromptBar(Horizontal):
    """The line's frame: its label and the field. Shown only while the field is open, in
    the key bar's place (the keys there do not apply while typing, and the screen above
    keeps its size: nothing has to be drawn again to open the line)."""

    DEFAULT_CSS = """
    PromptBar { dock: bottom; height: 1; display: none; background: $boost; padding: 0 1; }
    PromptBar > #prompt-label { width: auto; max-width: 60%; padding-right: 1; text-style: bold; color: $accent; }
    """

    def compose(self) -> ComposeResult:
        yield Label("", id="prompt-label")
        yield PromptLine()

    def show(self, label: str) -> None:
        self.query_one("#prompt-label", Label).update(Text(label))
        self._footer(False)
        self.display = True

    def hide(self) -> None:
        self.display = False
        self._footer(True)

    def _footer(self, shown: bool) -> None:
        for footer in self.screen.query(Footer):
            footer.display = shown


class MentionSuggester(Suggester):
    """Completes an `@name` being typed at the end of a comment from the workspace's people
    (core/mentions.people); tab takes it."""

    def __init__(self, people: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.people = people

    async def get_suggestion(self, value: str) -> str | None:
        from director_tui.core.mentions import NAME

        at = value.rfind("@")
        if at < 0 or (at > 0 and not value[at - 1].isspace()):
            return None
        typed = value[at + 1:]
        if typed and not NAME.fullmatch("@" + typed):
            return None
        for name in self.people:
            if name.lower().startswith(typed.lower()) and len(name) > len(typed):
                return value[:at + 1] + name + " "
        return None


PEOPLE_TTL_S = 60.0  # the workspace's people, read again at most once a minute


def people_of(ctx: Context) -> list[str]:
    """The workspace's people for @-completion: the names of the last read (at most a minute
    old) now, and the list filled in place when a read off the loop is back (the store away
    or locked: the line opens all the same, without names)."""
    import time

    cached = ctx.people_seen
    names = list(cached[1]) if cached is not None else []
    if cached is not None and time.monotonic() - cached[0] < PEOPLE_TTL_S:
        return names
    from director_tui.core.mentions import people

    def got(found: list[str]) -> None:
        ctx.people_seen = (time.monotonic(), found)
        names[:] = found

    ctx.reader.read("people", people, got, on_error=lambda _exc: True)
    return names


class PromptLine(Input):
    DEFAULT_CSS = """
    PromptLine { width: 1fr; height: 1; border: none; padding: 0; background: $boost; }
    PromptLine:focus { border: none; }
    """
    BINDINGS = PROMPT_LINE_BINDINGS  # type: ignore[assignment]
    TAB_COMPLETES = True  # tab takes a command's completion; it never leaves the line
    # Every key typed here is taken at once, in order, as the app reads it (DirectorApp.on_event):
    # in a burst (`f` note enter space, as tmux or a laggy SSH link delivers it) the space
    # must find the note sent and the cursor on the next shot, not this line still open.
    TYPED_AT_ONCE = True

    class Closed(Message):
        def __init__(self, mode: str, value: str, submitted: bool) -> None:
            super().__init__()
            self.mode, self.value, self.submitted = mode, value, submitted

    def __init__(self) -> None:
        super().__init__(id="prompt-line", suggester=None, select_on_focus=False)
        self.mode = ""

    def open(self, mode: str, value: str = "", label: str = "") -> None:
        """mode: "filter", "command", "comment", "comment-video" (a time code may lead) or
        "feedback" (a note, then a new version); `label` says where the text goes."""
        self.mode = mode
        if mode == "command":
            self.suggester: Suggester | None = SuggestFromList(SUGGESTIONS, case_sensitive=False)
        elif mode in ("comment", "comment-video", "feedback"):  # @name tells that person
            self.suggester = MentionSuggester(people_of(context_of(self)))
        else:
            self.suggester = None
        self.placeholder = PLACEHOLDERS[mode]
        if isinstance(self.parent, PromptBar):
            self.parent.show(label or LABELS.get(mode, mode + ":"))
        self.value = value
        self.screen.set_focus(self)  # now, not next turn: see DirectorApp.on_event
        self.cursor_position = len(value)

    def close(self, submitted: bool) -> None:
        """Closed now: the screen's handler runs before the next key is read (a screen
        without one gets the message)."""
        value, mode = self.value, self.mode
        if isinstance(self.parent, PromptBar):
            self.parent.hide()
        closed = self.Closed(mode, value, submitted)
        handler = getattr(self.screen, "on_prompt_line_closed", None)
        if handler is not None:
            handler(closed)
        else:
            self.post_message(closed)

    async def action_submit(self) -> None:
        self.close(True)

    def action_cancel_prompt(self) -> None:
        self.close(False)

    def action_complete(self) -> None:
        """tab: take the suggestion (and stay in the line: tab never leaves it)."""
        if self._suggestion and self.cursor_at_end:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
