"""Quality metrics (`M`): cards and charts drawn in the terminal; `enter` on a segment that
needs attention jumps to it. Counts are always shown beside rates."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Label, Sparkline, Static

from director_tui.core.timefmt import span
from director_tui.ui.bindings import METRICS_BINDINGS
from director_tui.ui.cells import clip
from director_tui.ui.context import UsesContext
from director_tui.ui.key_router import FirstDraw
from director_tui.ui.table_cursor import step_cursor
from director_tui.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from director_tui.core.insight import Metrics

REFRESH_S = 2.0
BAR = 30


def rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%  ({part} of {whole})" if whole else "—  (nothing decided yet)"


def bars(rows: list[tuple[str, int]], width: int = BAR, style: str = "cyan") -> Text:
    """A horizontal bar chart: label, bar scaled to the largest value, value."""
    top = max((v for _, v in rows), default=0) or 1
    out = Text()
    for i, (label, value) in enumerate(rows):
        n = value * width / top
        out.append(f"{label:>4} ")
        out.append("█" * int(n) + ("▌" if n - int(n) >= 0.5 else ""), style=style)
        out.append(f" {value}" + ("\n" if i < len(rows) - 1 else ""))
    return out


def card(title: str, value: str, note: str = "") -> Text:
    out = Text(title + "\n", style="bold")
    out.append(value + "\n", style="bold cyan")
    out.append(note, style="dim")
    return out


class MetricsScreen(FirstDraw, UsesContext, Screen["int | None"]):
    BINDINGS = METRICS_BINDINGS  # type: ignore[assignment]

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__(id="metrics")
        self.start_first_draw()  # keys typed before its first draw wait for it (ui/key_router.py)
        self.now = now  # fixed only by tests (snapshots); otherwise the current time
        self.metrics: Metrics | None = None
        self._newest: int | None = None

    def compose(self) -> ComposeResult:
        yield Label("Metrics — reading…", id="metrics-title")
        with Horizontal(id="metric-cards"):
            for name in ("approval", "first-time", "regenerations", "generation"):
                yield Static(id=f"card-{name}", classes="metric-card")
        with Horizontal(id="metric-charts"):
            yield Static(id="chart-distribution", classes="metric-chart")
            yield Static(id="chart-generation", classes="metric-chart")
            yield Static(id="chart-checkpoints", classes="metric-chart")
        with Horizontal(id="metric-bottom"):
            with Vertical(id="attention-box"):
                yield Label("Needs attention most (enter: go to it)", classes="metric-heading")
                yield DataTable(id="attention-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="activity-box"):
                yield Label("Activity, 14 days", id="activity-heading", classes="metric-heading")
                yield Sparkline([], id="activity-sparkline")
                yield Static(id="activity-days")
        yield KeyFooter()

    async def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (("seg", "#", 4), ("title", "Segment", 22), ("score", "Score", 5),
                                  ("why", "Why", 48)):
            table.add_column(label, key=key, width=width)
        table.focus()
        await self.reload()
        self.first_drawn(self.ctx.keys)
        self.set_interval(REFRESH_S, self._refresh_if_new)

    def _read(self) -> tuple[Metrics, int | None]:
        from director_tui.core import insight

        assert self.ctx.store is not None
        with self.ctx.store.read() as s:
            return insight.metrics(s, self.ctx.stream_id, now=self.now), insight.latest_activity_id(s)

    async def reload(self) -> None:
        # off the UI thread: over 100,000 activity rows this takes ~70 ms (make bench: insight)
        found, self._newest = await asyncio.to_thread(self._read)
        self.metrics = found
        self.show(found)

    def _refresh_if_new(self) -> None:
        """Every REFRESH_S: the newest activity's id read off the loop (ui/reader.py); the
        figures are computed again only when something happened."""
        from director_tui.core.insight import latest_activity_id

        def then(newest: int | None) -> None:
            if newest != self._newest:
                self.run_worker(self.reload(), group="metrics-reload", exclusive=True)

        self.ctx.reader.read("metrics-newest", latest_activity_id, then, owner=self)

    def show(self, m: Metrics) -> None:
        self.query_one("#metrics-title", Label).update(
            f"Metrics — {self.ctx.stream_title}: {m.segments} segments")
        self.query_one("#card-approval", Static).update(card(
            "Approval rate", rate(m.approved, m.decided), "approved of all decided versions"))
        self.query_one("#card-first-time", Static).update(card(
            "First-time approval", rate(m.first_approved, m.first_decided), "first version of an asset approved"))
        self.query_one("#card-regenerations", Static).update(card(
            "Regenerations per segment", f"{m.regenerations_mean:.2f} average",
            f"max {max(m.regenerations.values(), default=0)} · {sum(m.regenerations.values())} in all"))
        g = m.generation
        total = sum(int(g[a]["count"]) for a in g)
        failed = sum(int(g[a]["failed"]) for a in g)
        self.query_one("#card-generation", Static).update(card(
            "Generations", f"{total} done, {failed} failed",
            "median " + ", ".join(f"{a} {g[a]['median']:.1f} s" for a in g if g[a]["count"])))
        self.query_one("#chart-distribution", Static).update(
            Text("Regenerations per segment (segments)\n", style="bold")
            + bars([(k, v) for k, v in m.distribution.items()]))
        times = Table.grid(padding=(0, 2))
        for col in ("", "done", "failed", "mean", "median", "p90"):
            times.add_column(col, justify="right" if col else "left")
        times.add_row(*(Text(c, style="dim") for c in ("asset", "done", "failed", "mean", "median", "p90")))
        for asset, s in g.items():
            times.add_row(asset, str(int(s["count"])), str(int(s["failed"])), f"{s['mean']:.1f} s",
                          f"{s['median']:.1f} s", f"{s['p90']:.1f} s")
        self.query_one("#chart-generation", Static).update(
            _stack(Text("Generation time per asset", style="bold"), times))
        checks = Text("Time per checkpoint\n", style="bold")
        if not m.checkpoints:
            checks.append("no checkpoints yet", style="dim")
        for i, (name, seconds, done) in enumerate(m.checkpoints):
            checks.append(f"{clip(name, 22):<22} {span(seconds):>12} ")
            checks.append("done" if done else "open", style="green" if done else "yellow")
            if i < len(m.checkpoints) - 1:
                checks.append("\n")
        self.query_one("#chart-checkpoints", Static).update(checks)
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for a in m.attention:
            table.add_row(str(a.position), clip(a.title, 22), str(a.score), a.reasons, key=str(a.segment_id))
        if m.attention:
            table.move_cursor(row=min(keep, len(m.attention) - 1), animate=False)
        days = m.activity_per_day
        self.query_one(Sparkline).data = [float(n) for _, n in days]
        self.query_one("#activity-heading", Label).update(
            f"Activity, 14 days: {sum(n for _, n in days)} events, busiest day {max((n for _, n in days), default=0)}")
        self.query_one("#activity-days", Static).update(
            Text(f"{days[0][0][5:]} … {days[-1][0][5:]}" if days else "", style="dim"))

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_jump()

    def action_jump(self) -> None:
        if self.metrics is None or not self.metrics.attention:
            self.notify("no segment needs attention", severity="information")
            return
        row = self.query_one(DataTable).cursor_row
        target = self.metrics.attention[max(0, min(row, len(self.metrics.attention) - 1))]
        self.dismiss(target.segment_id)  # the main screen goes there

    def action_cursor(self, step: int) -> None:
        step_cursor(self.query_one(DataTable), step)

    async def action_refresh(self) -> None:
        await self.reload()

    def action_back(self) -> None:
        self.dismiss()


def _stack(*parts: object) -> Table:
    grid = Table.grid()
    for part in parts:
        grid.add_row(part)  # type: ignore[arg-type]
    return grid
