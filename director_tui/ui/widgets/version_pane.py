"""The version history of the selected segment and asset."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from director_tui.core.rows import VersionRow
from director_tui.ui.cells import STATE_STYLE

DECISION_STATE = {"approved": "approved", "rejected": "rejected", "regenerate": "regenerate"}


def archive_note(archived: bool, local: Path | None) -> str:
    """'archived' while only the archive holds the file; 'restored' once it is back here."""
    if not archived:
        return ""
    return "restored" if local is not None and local.exists() else "archived"


def generator_name(version: VersionRow) -> str:
    """What made the version, short enough for its column: a command's name, or a remote
    back end's server as host:port and its workflow (`127.0.0.1:8188 sdxl`, not the
    `comfyui:http://1` the column cut the whole URL to)."""
    import json
    from urllib.parse import urlsplit

    try:
        recorded = json.loads(version.generator)
    except ValueError:
        return version.generator[:40]
    if not isinstance(recorded, dict):
        return version.generator[:40]
    name = str(recorded.get("name", ""))
    server = recorded.get("server")
    if isinstance(server, str) and server:
        where = urlsplit(server).netloc or server
        workflow = name.rsplit("/", 1)[-1] if name.startswith(f"comfyui:{server}/") else ""
        return f"{where} {workflow}".strip()[:40]
    return name[:40]


class VersionPane(Vertical):
    DEFAULT_CSS = """
    VersionPane { height: 10; border-top: solid $primary-darken-2; padding: 0 1; }
    VersionPane > Label { text-style: bold; width: 1fr; }
    VersionPane > DataTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Label("Versions", id="versions-title")
        table: DataTable[Text | str] = DataTable(cursor_type="row", id="versions-table")
        yield table

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.can_focus = False
        # the decision and where the file is are two columns: "✗ regenerate" and "restored"
        # side by side, neither cut
        for key, label, width in (("n", "v", 4), ("time", "Time", 11), ("seed", "Seed", 10),
                                  ("decision", "Decision", 12), ("stored", "File", 8), ("gen", "Generator", 24)):
            table.add_column(label, key=key, width=width)

    def show(self, title: str, versions: list[VersionRow], current_id: int | None,
             media: Path | None = None) -> None:
        self.query_one("#versions-title", Label).update(title)
        table = self.query_one(DataTable)
        table.clear()
        for v in versions:
            note = archive_note(v.archived, media / v.path if media and v.path else None)
            decision = v.decision or ""
            glyph, style = STATE_STYLE.get(DECISION_STATE.get(decision, "review"), ("", ""))
            marker = "▸" if v.id == current_id else " "
            table.add_row(
                Text(f"{marker}{v.number}", style="bold" if v.id == current_id else ""),
                v.created_at.astimezone().strftime("%m-%d %H:%M"),  # local time
                str(v.seed),
                Text(f"{glyph} {decision}" if decision else "", style=style),
                Text(note, style="dim yellow"),
                generator_name(v),
                key=str(v.id),
            )
        if not versions:
            table.add_row(Text("—", style="dim"), Text("no versions yet", style="dim"), "", "", "", "")
