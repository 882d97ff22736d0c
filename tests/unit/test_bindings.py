"""Every binding in the registry (ui/bindings.py) has an id, a description, and an action that
exists on the screen or widget that declares it: a key that does nothing is a defect."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode

import director_tui.ui as ui
from director_tui.ui.app import DirectorApp
from director_tui.ui.bindings import all_bindings, check_keymap


def declaring_classes() -> list[type[DOMNode]]:
    """Every screen, widget and app of ours that declares BINDINGS."""
    found = []
    for info in pkgutil.walk_packages(ui.__path__, ui.__name__ + "."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, DOMNode) and cls.__module__ == module.__name__ and "BINDINGS" in cls.__dict__:
                found.append(cls)
    return found


def test_every_declared_binding_runs_an_action_of_its_own_class() -> None:
    classes = declaring_classes()
    assert DirectorApp in classes and len(classes) >= 12
    missing = []
    for cls in classes:
        for binding in cls.__dict__["BINDINGS"]:
            if not isinstance(binding, Binding):
                continue
            name = binding.action.split("(", 1)[0].removeprefix("app.").removeprefix("screen.")
            owner: type = App if binding.action.startswith("app.") else cls
            if not hasattr(owner, f"action_{name}"):
                missing.append(f"{cls.__name__}: {binding.key} -> {binding.action}")
    assert missing == []


def test_every_binding_of_ours_is_in_the_registry_with_an_id_and_words() -> None:
    registry = {id(b) for b in all_bindings()}
    ids = [b.id for b in all_bindings()]
    assert len(ids) == len(set(ids)) and all(ids)
    assert all(b.tooltip or b.description for b in all_bindings())
    for cls in declaring_classes():
        for binding in cls.__dict__["BINDINGS"]:
            if isinstance(binding, Binding) and binding.id and not binding.id.startswith("_"):
                assert id(binding) in registry, f"{cls.__name__}: {binding.id} is not in ui/bindings.py"
    assert check_keymap({"prompt-cancel": "escape", "send-back": "f", "command-palette": "ctrl+p"}) == []


def test_no_screen_drives_the_main_screen() -> None:
    """Screens over the table act through the app's review service and say what changed with
    messages (SegmentsChanged, ShowingSegment); none calls into the main screen (issue 15)."""
    from pathlib import Path

    import director_tui.ui.screens as screens

    folder = Path(screens.__file__).parent  # the main screen and its parts are in main/, not here
    others = list(folder.glob("*.py"))
    reaching = sorted(p.name for p in others
                      if "main_screen" in p.read_text(encoding="utf-8") or "action_main" in p.read_text(encoding="utf-8")
                      or "screens.main" in p.read_text(encoding="utf-8"))
    assert len(others) > 10 and reaching == []
