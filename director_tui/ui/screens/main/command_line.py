"""The main screen's `:` line: `:regen 3-7 keyframe`, `:approve 1-4`, `:reject 2 video`,
`:cancel all`, `:filter x`, `:undo`, `:similar 4`, `:vary 5`, `:presets export FILE`,
`:export …`, `:cleanup …`, `:restore 4 2`, `:trust`, `:help`. Parsed in core/commands.py;
each verb goes to the collaborator that owns it. Owned by MainScreen (`screen.commands`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from director_tui.ui.screens.main.part import ScreenPart

if TYPE_CHECKING:
    from director_tui.core.store import Store

PRESETS_FILE_MAX = 1 << 20  # a presets file is a few KB; a larger one is not one


class CommandLine(ScreenPart):
    last_dailies: object = None  # the last `:dailies` run (tests follow it)

    def run(self, line: str) -> None:
        from director_tui.core.commands import CommandError, parse_command

        screen, table = self.screen, self.screen.table
        try:
            command = parse_command(line, len(table.all_order))
        except CommandError as exc:
            screen.notify(str(exc), severity="warning", timeout=4)
            return
        verb = command.verb
        if verb == "trust":
            from director_tui.ui.screens.trust import review_trust

            review_trust(self.app)
        elif verb == "help":
            self.app.call_later(self.app.run_action, "help")  # the app's: one help screen at a time
        elif verb in ("undo", "redo"):
            screen.decisions.journal(verb)
        elif verb == "similar":
            screen.decisions.similar(command.positions[0])
        elif verb == "vary":
            screen.decisions.variations(int(command.text) if command.text else None)
        elif verb == "presets":
            self.presets_file(command.asset or "", command.text or "")
        elif verb == "filter":
            screen.apply_filter(command.text)
        elif self.ctx.store_or_later(lambda: self.run(line)) is None:
            return  # the store is still opening: run once it is
        elif verb in ("export", "cleanup", "restore"):
            getattr(screen.jobs, f"run_{verb}")(command)
        elif verb == "dailies":
            from director_tui.ui.screens.main.dailies import play_dailies

            play_dailies(screen, command.text, lambda run: setattr(self, "last_dailies", run))
        else:
            by_position = {table.rows_by_id[i].position: i for i in table.all_order}
            seg_ids = [by_position[p] for p in command.positions if p in by_position]
            if verb == "cancel":
                screen.decisions.cancel_segments(None if line.split()[1:2] == ["all"] else seg_ids)
            else:
                screen.decisions.apply_to_segments(verb, seg_ids, command.asset or screen.asset)

    def _import_presets(self, path: Path) -> None:
        """In a worker thread: the file read (a regular file, capped) and parsed, then the
        import queued on the loop; what is wrong with it is one notice."""
        from director_tui.core import prompts
        from director_tui.user_files import read_regular

        def say(message: str) -> None:
            self.app.call_from_thread(self.screen.notify, message, severity="error", timeout=6)

        try:
            parsed = prompts.parse_presets_toml(read_regular(path, PRESETS_FILE_MAX).decode("utf-8"), str(path))
        except OSError as exc:
            return say(f"{path}: {exc.strerror or exc}")
        except UnicodeDecodeError as exc:
            return say(f"{path}: not UTF-8 text (byte {exc.start})")
        except prompts.PromptError as exc:
            return say(str(exc))

        def imported(counts: tuple[int, int]) -> None:
            self.screen.notify(f"presets from {path}: {counts[0]} new, {counts[1]} updated", timeout=3)

        self.app.call_from_thread(self.ctx.writer.submit,
                                  lambda s: prompts.import_presets(s, parsed, self.ctx.settings.user), imported,
                                  refused=(prompts.PromptError,), what=f"the presets from {path.name}")

    def presets_file(self, direction: str, name: str) -> None:
        """:presets export FILE / :presets import FILE (TOML). Both run in a worker thread: the
        store's read, and a FIFO or a slow mount (issue 25), must not hold the screen."""
        store = self.ctx.store_or_later(lambda: self.presets_file(direction, name))
        if store is None:
            return
        path = Path(name).expanduser()
        work = (lambda: self._export_presets(store, path)) if direction == "export" else (lambda: self._import_presets(path))
        self.app.run_worker(work, thread=True, group="presets-file", exit_on_error=False)

    def _export_presets(self, store: Store, path: Path) -> None:
        """In a worker thread."""
        import tempfile

        from director_tui.config import file_mode
        from director_tui.core import prompts

        def say(message: str, severity: str = "information") -> None:
            self.app.call_from_thread(self.screen.notify, message, severity=severity,
                                      timeout=3 if severity == "information" else 6)

        try:
            with store.read() as s:
                text = prompts.presets_to_toml(prompts.list_presets(s))
            # a private file under a name no one can guess, never one planted as a link (issue 25)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(tmp, file_mode())
            os.replace(tmp, path)
        except OSError as exc:
            say(f"{path}: {exc.strerror or exc}", "error")
            return
        say(f"presets exported to {path}")
