"""The review actions of the main screen: decisions, (batch) regeneration, cancel, player.

A mixin of MainScreen, kept apart so each module stays small; it relies on the
screen's table, app and helpers (reload_segments, refresh_counts, _move_to).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from director_tui.core.errors import NotFound
from director_tui.core.rows import SegmentRow
from director_tui.core.states import Asset, TaskState

if TYPE_CHECKING:
    from director_tui.ui.app import DirectorApp
    from director_tui.ui.widgets.segment_table import SegmentTable


PRESETS_FILE_MAX = 1 << 20  # a presets file is a few KB; a larger one is not one


class ReviewActions:
    app: DirectorApp
    table: SegmentTable
    asset: str
    notify: Any
    reload_segments: Any
    refresh_counts: Any
    _move_to: Any
    go_to_next_to_review: Any

    # --- decisions -------------------------------------------------------------
    def _retry(self, row: SegmentRow, action: Callable[[], None]) -> Callable[[], None]:
        """Run `action` later on this row, even if the cursor has moved meanwhile."""

        def again() -> None:
            index = self.table.index_of(row.id)
            if index is not None:
                self._move_to(index)
                action()

        return again

    def _current_or_warn(self) -> SegmentRow | None:
        row = self.table.current
        if row is None:
            self.notify("no segment selected", severity="warning")
        return row

    def action_approve(self) -> None:
        from director_tui.core import review
        from director_tui.core.queue import QueueError
        from director_tui.core.review import ReviewError

        row = self._current_or_warn()
        if row is None:
            return
        asset, settings = self.asset, self.app.settings

        def approved(result: review.DecisionResult) -> None:
            queued_video = result.queued_task is not None
            self._after_change(row.id, queued=queued_video, asset=Asset.VIDEO)
            note = f"{row.position}. {row.title}: {asset} v{result.version_number} approved"
            if queued_video:
                note += " — video queued"
            if result.video_marked_stale:
                note += " — its video is now stale"
            self.notify(note, timeout=2.5)
            self.go_to_next_to_review()

        self.app.writer.submit(
            lambda s: review.approve(s, row.id, asset, settings.user, queue_video=settings.auto_queue_video,
                                     expected=(row.version_id(asset), row.state(asset))),
            approved, refused=(ReviewError, QueueError, NotFound), on_refused=self._refused_decision,
            what=f"the approval of #{row.position}")

    def action_reject(self) -> None:
        from director_tui.core import review
        from director_tui.core.review import ReviewError

        row = self._current_or_warn()
        if row is None:
            return
        asset = self.asset

        def rejected(result: review.DecisionResult) -> None:
            self._after_change(row.id)
            self.notify(f"{row.position}. {row.title}: {asset} v{result.version_number} rejected "
                        f"— press r to regenerate", timeout=2.5)

        self.app.writer.submit(
            lambda s: review.reject(s, row.id, asset, self.app.settings.user, expected=(row.version_id(asset), row.state(asset))),
            rejected, refused=(ReviewError, NotFound), on_refused=self._refused_decision,
            what=f"the rejection of #{row.position}")

    def _refused_decision(self, exc: BaseException) -> None:
        """Someone decided (or regenerated) first: say so, and show what is there now."""
        self.notify(str(exc), severity="warning", timeout=6)
        self.reload_segments(list(self.table.rows_by_id) if len(self.table.rows_by_id) < 200
                             else [r for r in self.table.order[:200]])
        self.refresh_counts()

    def action_regenerate(self) -> None:
        from director_tui.core import queue
        from director_tui.core.queue import QueueError

        if self.table.marked:
            self._regenerate_marked()
            return
        row = self._current_or_warn()
        if row is None:
            return
        asset = self.asset

        def queued(_task: object) -> None:
            self._after_change(row.id, queued=True, asset=asset)
            self.notify(f"{row.position}. {row.title}: {asset} queued", timeout=2)

        self.app.writer.submit(lambda s: queue.enqueue(s, row.id, asset, self.app.settings.user, regenerate=True),
                               queued, refused=(QueueError, NotFound), what=f"the regeneration of #{row.position}")

    def _regenerate_marked(self) -> None:
        self._apply_to_segments("regen", [i for i in self.table.order if i in self.table.marked], self.asset)
        self.table.set_marks(set())

    def _apply_to_segments(self, verb: str, seg_ids: list[int], asset: str) -> None:
        """regen / approve / reject several segments; one notice for all.

        Approvals and rejections are one undoable change (`u` takes back the batch) and do
        exactly what `space` and `d` do, queueing an approved keyframe's clip included.
        """
        from director_tui.core import queue, review
        from director_tui.core.models import Decision

        user, queue_video = self.app.settings.user, self.app.settings.auto_queue_video

        def work(s: object) -> tuple[list[int], list[str], list[int]]:
            if verb == "regen":  # each its own savepoint: one busy segment stops no other
                done, problems = [], []
                for seg_id in seg_ids:
                    try:
                        with s.begin_nested():  # type: ignore[attr-defined]
                            queue.enqueue(s, seg_id, asset, user, regenerate=True)  # type: ignore[arg-type]
                        done.append(seg_id)
                    except (queue.QueueError, NotFound) as exc:
                        problems.append(str(exc))
                return done, problems, []
            decision = Decision.APPROVED if verb == "approve" else Decision.REJECTED
            batch = review.decide_many(s, seg_ids, asset, decision, user, queue_video=queue_video)  # type: ignore[arg-type]
            return batch.done, batch.problems, list(batch.queued)

        def applied(result: tuple[list[int], list[str], list[int]]) -> None:
            done, problems, clips = result
            self.reload_segments(done)
            for seg_id in done if verb == "regen" else clips:
                self.table.set_progress(seg_id, TaskState.QUEUED, asset=asset if verb == "regen" else Asset.VIDEO)
            if verb == "regen" or clips:
                self.app.wake_runner()
            self.refresh_counts()
            past = {"regen": "queued", "approve": "approved", "reject": "rejected"}[verb]
            note = f"{asset}: {len(done)} {past}" + (f", {len(clips)} videos queued" if clips else "")
            self.notify(note + (f"; {len(problems)} not: {problems[0]}" if problems else ""),
                        severity="warning" if problems else "information", timeout=4)

        self.app.writer.submit(work, applied, refused=(review.ReviewError, NotFound),
                               what=f"{verb} of {len(seg_ids)} segments")

    def _cancel_segments(self, seg_ids: list[int] | None) -> None:
        """Cancel the queued/running tasks of these segments (None: of the whole stream)."""
        from director_tui.core import queue

        store = self.app.store
        assert store is not None
        with store.read() as s:
            ids = [int(t.id) for t in queue.active_tasks_of(s, self.app.stream_id, seg_ids)]  # type: ignore[arg-type]
        if not ids:
            self.notify("nothing queued or running there", timeout=2)
            return
        self.app.cancel_tasks(ids)
        self.notify(f"cancelling {len(ids)} task(s)", timeout=2)

    def action_cancel(self) -> None:
        """Cancel the queued/running tasks of the marked segments, else of the current one."""
        if self.app.store_or_later(self.action_cancel) is None:
            return
        marked = [i for i in self.table.order if i in self.table.marked]
        row = self.table.current
        self._cancel_segments(marked or ([row.id] if row else []))
        if marked:
            self.table.set_marks(set())

    def _after_change(self, segment_id: int, queued: bool = False, asset: str = "") -> None:
        self.reload_segments([segment_id])
        if queued:
            self.table.set_progress(segment_id, TaskState.QUEUED, asset=asset)
            self.app.wake_runner()
        self.refresh_counts()

    # --- player ----------------------------------------------------------------
    def action_open_player(self) -> None:
        from director_tui.core.models import Version
        from director_tui.media.player import (
            PlayerError,
            launch_detached,
            plan_player,
            run_in_terminal,
        )

        row = self._current_or_warn()
        store = self.app.store_or_later(self._retry(row, self.action_open_player)) if row is not None else None
        if row is None or store is None:
            return
        version_id = row.version_id(self.asset)
        if version_id is None:
            self.notify(f"segment {row.position} has no {self.asset} yet", severity="warning")
            return
        with store.read() as s:
            version = s.get(Version, version_id)
        assert version is not None
        path = self.app.settings.home / "media" / version.path
        if not path.exists():
            self.notify(f"file missing: {path}", severity="error")
            return
        settings = self.app.settings
        try:
            plan = plan_player(path, settings.player, settings.player_in_terminal,
                               is_image=self.asset == Asset.KEYFRAME)
            if plan.in_terminal and not self.app.is_headless:
                with self.app.suspend():
                    run_in_terminal(plan)
            else:
                launch_detached(plan)
                self.notify(f"opened v{version.number} in {plan.argv[0].rsplit('/', 1)[-1]}", timeout=2)
        except PlayerError as exc:
            self.notify(str(exc), severity="error", timeout=6)

    def _run_review_command(self, command: Any) -> None:
        if command.verb in ("undo", "redo"):
            self._journal(command.verb)  # type: ignore[attr-defined]
        elif command.verb == "similar":
            self.action_similar(command.positions[0])  # type: ignore[attr-defined]
        elif command.verb == "vary":
            self.action_variations(int(command.text) if command.text else None)  # type: ignore[attr-defined]
        else:
            self._presets_file(command.asset, command.text)

    def _presets_file(self, direction: str, name: str) -> None:
        """:presets export FILE / :presets import FILE (TOML)."""
        from pathlib import Path

        from director_tui.core import prompts

        store = self.app.store_or_later(lambda: self._presets_file(direction, name))
        if store is None:
            return
        path = Path(name).expanduser()
        try:
            if direction == "export":
                with store.read() as s:
                    text = prompts.presets_to_toml(prompts.list_presets(s))
                tmp = path.with_name(f".{path.name}.part")
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(path)
                self.notify(f"presets exported to {path}", timeout=3)
                return
            if path.stat().st_size > PRESETS_FILE_MAX:
                raise prompts.PromptError(f"{path}: {path.stat().st_size:,} bytes; a presets file is at most "
                                          f"{PRESETS_FILE_MAX:,}")
            parsed = prompts.parse_presets_toml(path.read_text(encoding="utf-8"), str(path))

            def imported(counts: tuple[int, int]) -> None:
                self.notify(f"presets from {path}: {counts[0]} new, {counts[1]} updated", timeout=3)

            self.app.writer.submit(lambda s: prompts.import_presets(s, parsed, self.app.settings.user), imported,
                                   refused=(prompts.PromptError,), what=f"the presets from {path.name}")
        except OSError as exc:
            self.notify(f"{path}: {exc.strerror or exc}", severity="error", timeout=6)
        except UnicodeDecodeError as exc:
            self.notify(f"{path}: not UTF-8 text (byte {exc.start})", severity="error", timeout=6)
        except prompts.PromptError as exc:
            self.notify(str(exc), severity="error", timeout=6)

    # --- the : command line ------------------------------------------------------
    def run_command(self, line: str) -> None:
        """Run `:regen 3-7 keyframe`, `:approve 1-4`, `:reject 2 video`, `:cancel all`, `:filter x`."""
        from director_tui.core.commands import CommandError, parse_command

        table = self.table
        try:
            command = parse_command(line, len(table.all_order))
        except CommandError as exc:
            self.notify(str(exc), severity="warning", timeout=4)
            return
        if command.verb == "trust":
            from director_tui.ui.screens.trust import review_trust

            review_trust(self.app)
            return
        if command.verb == "help":
            self.app.action_help()
            return
        if command.verb in ("undo", "redo", "similar", "vary", "presets"):
            self._run_review_command(command)
            return
        if command.verb == "filter":
            self.apply_filter(command.text)  # type: ignore[attr-defined]
            return
        store = self.app.store_or_later(lambda: self.run_command(line))
        if store is None:
            return
        if command.verb in ("export", "cleanup", "restore"):
            getattr(self, f"run_{command.verb}")(command)  # Safekeeping's
            return
        by_position = {table.rows_by_id[i].position: i for i in table.all_order}
        seg_ids = [by_position[p] for p in command.positions if p in by_position]
        if command.verb == "cancel":
            self._cancel_segments(None if line.split()[1:2] == ["all"] else seg_ids)
        else:
            self._apply_to_segments(command.verb, seg_ids, command.asset or self.asset)
