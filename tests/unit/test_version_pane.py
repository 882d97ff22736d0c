"""The version pane's Generator column (issue 27, 4): a ComfyUI version showed
`comfyui:http://1`, the whole URL cut to the column's width."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from director_tui.core.rows import VersionRow
from director_tui.ui.widgets.version_pane import generator_name


def row(generator: str) -> VersionRow:
    return VersionRow(1, 1, datetime(2026, 12, 5), 7, None, generator)


@pytest.mark.parametrize(("recorded", "shown"), [
    ({"name": "comfyui:http://127.0.0.1:8188/sdxl-portrait", "backend": "comfyui",
      "server": "http://127.0.0.1:8188", "prompt_id": "p"}, "127.0.0.1:8188 sdxl-portrait"),
    ({"name": "comfyui:https://gpu3.studio.lan:8443", "backend": "comfyui",  # a salvaged result
      "server": "https://gpu3.studio.lan:8443", "salvaged": True}, "gpu3.studio.lan:8443"),
    ({"name": "python3", "backend": "subprocess", "command": ["python3", "gen.py"]}, "python3"),
    ({"name": "procedural", "backend": "procedural", "command": None}, "procedural"),
])
def test_the_column_names_the_server_and_the_workflow(recorded: dict[str, object], shown: str) -> None:
    assert generator_name(row(json.dumps(recorded))) == shown


def test_a_generator_recorded_as_plain_text_is_shown_as_it_is() -> None:
    assert generator_name(row("my-generator v2")) == "my-generator v2"
    assert generator_name(row("[1, 2]")) == "[1, 2]"
