"""The import rules ARCHITECTURE.md states that import-linter cannot say on its own
(Harlequin's import-hygiene test is the model): nothing in ui/ but the app imports the app,
and no screen or service reaches for the app's private parts."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "director_tui" / "ui"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_nothing_in_ui_but_the_app_imports_the_app() -> None:
    offenders = sorted(str(p.relative_to(UI)) for p in UI.rglob("*.py")
                       if p.name != "app.py" or p.parent != UI
                       if {"director_tui.ui.app", "director_tui.ui.app.DirectorApp"} & _imports(p))
    assert offenders == []
    assert len(list(UI.rglob("*.py"))) > 40  # (the walk found the package)


def test_no_screen_or_service_calls_the_apps_private_handler() -> None:
    offenders = sorted(str(p.relative_to(UI)) for p in UI.rglob("*.py")
                       if p.name != "app.py" and "app._handle_exception" in p.read_text(encoding="utf-8"))
    assert offenders == []
