"""The config saved while the app runs applies at once (issue 26, 7: watchfiles): a new
keymap takes the key, a new theme shows, and a config that does not load is one notice and
changes nothing. The real app under Pilot, the real file saved as an editor saves it."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from director_tui.core.models import Segment
from director_tui.ui.app import make_app
from tests.conftest import SIZE, segs, wait_for


def save_like_an_editor(path: Path, text: str) -> None:
    """A new file renamed over the old one (vim, VS Code)."""
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text)
    os.replace(tmp, path)


async def test_a_saved_config_applies_without_a_restart(store, settings, film, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config.toml"
    config.write_text('theme = "textual-dark"\n')
    settings.config_path, settings.theme = config, "textual-dark"
    app = make_app(settings, store, "film", start_runner=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.config_follower is not None and app.config_follower._watcher is not None
                       and app.config_follower._watcher.active, timeout=10)
        await pilot.pause(0.2)
        save_like_an_editor(config, 'theme = "nord"\nvariations = 5\n\n[keymap]\napprove = "y"\n')
        await wait_for(pilot, lambda: app.theme == "nord", timeout=5)
        assert app.settings.variations == 5 and app.settings.keymap == {"approve": "y"}
        await pilot.press("y")  # the new key approves the first row's keyframe
        await app.writer.idle()
        await wait_for(pilot, lambda: _state(store) == "approved", timeout=5)

        save_like_an_editor(config, 'theme = [\n')  # a half-typed save
        await wait_for(pilot, lambda: any("config was not reloaded" in str(n.message) for n in app._notifications),
                       timeout=5)
        assert app.theme == "nord" and app.settings.variations == 5  # unchanged


def _state(store) -> str:  # type: ignore[no-untyped-def]
    first = segs(store)[0]
    with store.read() as s:
        return s.execute(select(Segment.keyframe_state).where(Segment.id == first.id)).scalar_one()
