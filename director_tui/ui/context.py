"""What screens and services share (issue 26, 1): built by the app, the composition root.

Screens reach it as `self.ctx` (`UsesContext`); services are handed the parts they need
in their constructors. Nothing in ui/ but app.py imports the app: a screen types against
this context, never against `DirectorApp`, so the import graph has no circle through it
and a widget or screen can be run in a small test app that holds a context of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

from textual.app import App
from textual.dom import DOMNode
from textual.message_pump import MessagePump

from director_tui.config import Settings
from director_tui.core.rows import Snapshot

if TYPE_CHECKING:
    from director_tui.core.store import Store
    from director_tui.jobs.runner import Runner
    from director_tui.media.share import ShareServer
    from director_tui.ui.decision_queue import DecisionQueue
    from director_tui.ui.draft_keeper import DraftKeeper
    from director_tui.ui.key_router import KeyRouter
    from director_tui.ui.reader import StoreReader
    from director_tui.ui.review_service import ReviewService
    from director_tui.ui.store_changes import StoreChanges
    from director_tui.ui.store_gate import StoreGate
    from director_tui.ui.task_control import TaskControl
    from director_tui.ui.waiting import WaitingBoard
    from director_tui.ui.way_out import WayOut
    from director_tui.ui.writer import StoreWriter


@dataclass(eq=False)
class Context:
    settings: Settings
    snapshot: Snapshot  # the first frame's (core/rows.py): the stream as it was at open
    gate: StoreGate
    keys: KeyRouter
    waiting: WaitingBoard
    writer: StoreWriter
    reader: StoreReader
    drafts: DraftKeeper
    decisions: DecisionQueue
    review: ReviewService
    tasks: TaskControl
    store_changes: StoreChanges
    way_out: WayOut  # quit guards and state keepers register here
    report_fault: Callable[[Exception], None]  # a fault of ours, or a damaged database: the app's handler
    share_server: ShareServer | None = None  # "send to my machine" (O): made on first use
    people_seen: tuple[float, list[str]] | None = field(default=None)  # @-completion's names, with when read

    @property
    def stream_id(self) -> int:
        return self.snapshot.stream_id

    @property
    def stream_title(self) -> str:
        return self.snapshot.title

    @property
    def store(self) -> Store | None:
        return self.gate.store

    def store_or_later(self, retry: Callable[[], object]) -> Store | None:
        return self.gate.store_or_later(retry)

    @property
    def runner(self) -> Runner | None:
        return self.tasks.runner


class HasContext(Protocol):
    context: Context


def context_of(node: MessagePump) -> Context:
    """The context of the app `node` is (or runs in): the app is the root that holds it."""
    app = node if isinstance(node, App) else node.app
    return cast(HasContext, app).context


class UsesContext:
    """Mixed into a screen or widget: `self.ctx`, the context of the app it runs in."""

    @property
    def ctx(self) -> Context:
        return context_of(cast(MessagePump, self))




def run_reporting(node: DOMNode, work: Awaitable[object], group: str) -> None:
    """Run `work` in a worker of `node`; a fault in it goes to the app's handler (a damaged
    database: one line on the way out; a studio server away: a notice), as it would from an
    action, rather than being dropped with the worker."""
    ctx = context_of(node)

    async def guarded() -> None:
        try:
            await work
        except Exception as exc:
            ctx.report_fault(exc)

    node.run_worker(guarded(), group=group, exit_on_error=False)
