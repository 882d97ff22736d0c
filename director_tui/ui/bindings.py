"""Every binding of the app, each with an id users can remap in their config.

    [keymap]
    approve = "space,y"
"""

from __future__ import annotations

from textual.binding import Binding

MAIN_BINDINGS: list[Binding] = [
    Binding("j,down", "cursor_down", "Down", id="cursor-down", tooltip="Move to the next segment", show=False),
    Binding("k,up", "cursor_up", "Up", id="cursor-up", tooltip="Move to the previous segment", show=False),
    Binding("n", "next_segment", "Next", id="next-segment", tooltip="Next segment", show=False),
    Binding("p", "previous_segment", "Previous", id="previous-segment", tooltip="Previous segment", show=False),
    Binding("g,home", "first_segment", "First", id="first-segment", tooltip="First segment", show=False),
    Binding("G,end", "last_segment", "Last", id="last-segment", tooltip="Last segment", show=False),
    Binding("pagedown,ctrl+d", "page_down", "Page down", id="page-down", tooltip="Down a page", show=False),
    Binding("pageup,ctrl+u", "page_up", "Page up", id="page-up", tooltip="Up a page", show=False),
    Binding("h,left", "asset('keyframe')", "Keyframe", id="asset-keyframe", tooltip="Review keyframes (left column)", show=False),
    Binding("l,right", "asset('video')", "Video", id="asset-video", tooltip="Review videos (right column)", show=False),
    Binding("space", "approve", "Approve", id="approve", tooltip="Approve the current version, jump to the next to review"),
    Binding("d", "reject", "Reject", id="reject", tooltip="Reject the current version"),
    Binding("r", "regenerate", "Regenerate", id="regenerate", tooltip="Queue a new version"),
    Binding("f", "send_back", "Send back", id="send-back",
            tooltip="Send back with a note: the note is a comment, a new version is queued, the cursor moves on"),
    Binding("o", "open_player", "Open", id="open-player", tooltip="Open the version in the external player"),
    Binding("O", "send_to_machine", "Send", id="send-to-machine", show=False,
            tooltip="Send to my machine: serve the version on loopback, its URL copied, with the ssh -L line"),
    Binding("v", "toggle_versions", "Versions", id="toggle-versions", tooltip="Show/hide the version history"),
    Binding("i", "toggle_picture", "Picture", id="toggle-picture", show=False,
            tooltip="Show/hide the current version's picture beside the table (a clip: its middle frame)"),
    Binding("L", "toggle_task_log", "Log", id="toggle-task-log", tooltip="Show/hide the live task log", show=False),
    Binding("x", "toggle_mark", "Mark", id="toggle-mark", tooltip="Mark / unmark the segment (r and X act on marks)", show=False),
    Binding("V", "visual", "Range", id="visual-range", tooltip="Start / end marking a range as you move", show=False),
    Binding("ctrl+a", "mark_all", "Mark all", id="mark-all", tooltip="Mark every segment (again: clear marks)", show=False),
    Binding("X", "cancel", "Cancel", id="cancel", tooltip="Cancel queued/running tasks of the segment or the marked ones"),
    Binding("slash", "filter", "Filter", id="filter", tooltip="Filter rows by words in titles, prompts, states", show=False),
    Binding("colon", "command_line", "Command", id="command-line", tooltip="Command line: regen 3-7 keyframe, approve 1-4, cancel all, similar 7, export, cleanup (tab completes)", show=False),
    Binding("enter", "open_review", "Review", id="open-review", tooltip="Open the segment: picture, prompts, versions, comments"),
    Binding("e", "quick_edit", "Edit", id="quick-edit", tooltip="Edit the active prompt on the row (enter saves, esc cancels)"),
    Binding("E", "edit_in_editor", "Editor", id="edit-in-editor", tooltip="Edit the active prompt in $EDITOR", show=False),
    Binding("c", "comment", "Comment", id="comment", tooltip="Comment on the current version (video: start with a time code, 00:02.5; @name tells someone)"),
    Binding("C", "compare", "Compare", id="compare", tooltip="Compare the current version with the previous one"),
    Binding("s", "similar", "Similar", id="similar", tooltip="Queue a version like the current one (it is the {reference})", show=False),
    Binding("a", "variations", "A/B", id="variations", tooltip="Queue variations (different seeds) and show them side by side"),
    Binding("A", "variation_grid", "Grid", id="variation-grid", tooltip="The segment's latest variations, to pick one", show=False),
    Binding("P", "presets", "Presets", id="presets", tooltip="Preset library: apply to the current or marked prompts"),
    Binding("u", "undo", "Undo", id="undo", tooltip="Undo your last decision, prompt save or preset", show=False),
    Binding("ctrl+r", "redo", "Redo", id="redo", tooltip="Redo what you undid", show=False),
    Binding("T", "open_screen('tasks')", "Tasks", id="tasks", tooltip="All tasks: state, progress, elapsed, ETA, logs"),
    Binding("t", "open_screen('timeline')", "Timeline", id="timeline", tooltip="Activity timeline: who did what, when", show=False),
    Binding("M", "open_screen('metrics')", "Metrics", id="metrics", tooltip="Quality metrics: approval, regenerations, attention", show=False),
    Binding("R", "open_screen('recommendations')", "Advice", id="recommendations", tooltip="What got approved first time: phrases, presets", show=False),
    Binding("at", "open_screen('mentions')", "Mentions", id="mentions", tooltip="Comments that mention you (@you): enter goes there", show=False),
    Binding("escape", "close", "Close", id="close", tooltip="Close what is open, end a range, clear marks", show=False),
]

TASKS_BINDINGS: list[Binding] = [
    Binding("j", "down", "Down", id="tasks-down", tooltip="Next task", show=False),
    Binding("k", "up", "Up", id="tasks-up", tooltip="Previous task", show=False),
    Binding("g,home", "first", "First", id="tasks-first", tooltip="Oldest task", show=False),
    Binding("G,end", "last", "Last", id="tasks-last", tooltip="Newest task", show=False),
    Binding("enter", "show_log", "Log", id="tasks-log", tooltip="The task's whole log, followed live"),
    Binding("X", "cancel_task", "Cancel", id="tasks-cancel", tooltip="Cancel the task (any instance's)"),
    Binding("r", "retry_task", "Retry", id="tasks-retry", tooltip="Queue a failed/cancelled task again"),
    Binding("escape,T", "close_tasks", "Back", id="tasks-close", tooltip="Back to the segments"),
]

TIMELINE_BINDINGS: list[Binding] = [
    Binding("j", "cursor(1)", "Down", id="timeline-down", show=False, tooltip="Older event"),
    Binding("k", "cursor(-1)", "Up", id="timeline-up", show=False, tooltip="Newer event"),
    Binding("g,home", "edge(False)", "Newest", id="timeline-first", show=False, tooltip="Newest event"),
    Binding("G,end", "edge(True)", "Oldest", id="timeline-last", show=False, tooltip="Oldest loaded event"),
    Binding("enter", "jump", "Go to", id="timeline-jump", tooltip="Go to the event's segment"),
    Binding("s", "this_segment", "Segment", id="timeline-segment", tooltip="Only this segment's events (again: all)"),
    Binding("w", "this_author", "Author", id="timeline-author", tooltip="Only this author's events (again: all)"),
    Binding("f", "next_kind", "Kind", id="timeline-kind", tooltip="Cycle kinds: prompt, generation, decision, comment…"),
    Binding("slash", "edit_filter", "Filter", id="timeline-filter", tooltip="Filter: segment:3 kind:decision author:ana since:2d"),
    Binding("escape", "close_timeline", "Clear/back", id="timeline-close", tooltip="Clear the filters; again: back"),
    Binding("q,t", "back", "Back", id="timeline-back", show=False, tooltip="Back to the segments"),
]

METRICS_BINDINGS: list[Binding] = [
    Binding("j", "cursor(1)", "Down", id="metrics-down", show=False, tooltip="Next segment needing attention"),
    Binding("k", "cursor(-1)", "Up", id="metrics-up", show=False, tooltip="Previous segment needing attention"),
    Binding("enter", "jump", "Go to", id="metrics-jump", tooltip="Go to the segment"),
    Binding("r", "refresh", "Refresh", id="metrics-refresh", tooltip="Read the metrics again"),
    Binding("escape,q,M", "back", "Back", id="metrics-back", tooltip="Back to the segments"),
]

MENTIONS_BINDINGS: list[Binding] = [
    Binding("j", "cursor(1)", "Down", id="mentions-down", show=False, tooltip="Next mention"),
    Binding("k", "cursor(-1)", "Up", id="mentions-up", show=False, tooltip="Previous mention"),
    Binding("enter", "jump", "Go to", id="mentions-jump", tooltip="Go to the mention's segment (it is seen then)"),
    Binding("x", "seen", "Seen", id="mentions-seen", tooltip="Mark it seen without going there"),
    Binding("escape,q,at", "back", "Back", id="mentions-back", tooltip="Back to the segments"),
]

RECOMMEND_BINDINGS: list[Binding] = [
    Binding("j", "cursor(1)", "Down", id="recommend-down", show=False, tooltip="Next"),
    Binding("k", "cursor(-1)", "Up", id="recommend-up", show=False, tooltip="Previous"),
    Binding("f", "next_field", "Field", id="recommend-field", tooltip="Image prompts, motion prompts, or both"),
    Binding("w", "toggle_worst", "Best/worst", id="recommend-worst", tooltip="What works best, or what gets rejected"),
    Binding("escape,q,R", "back", "Back", id="recommend-back", tooltip="Back to the segments"),
]

CONFIRM_BINDINGS: list[Binding] = [
    Binding("y", "answer(True)", "Yes", id="confirm-yes", tooltip="Go ahead"),
    Binding("n,escape", "answer(False)", "No", id="confirm-no", tooltip="Do nothing"),
]

LOG_BINDINGS: list[Binding] = [
    Binding("escape,q", "close_log", "Close", id="log-close", tooltip="Close the log"),
]

APP_BINDINGS: list[Binding] = [
    Binding("question_mark", "help", "Help", id="help", tooltip="This help"),
    Binding("q", "quit", "Quit", id="quit", tooltip="Quit (state is kept)"),
    Binding("ctrl+p", "command_palette", "Palette", id="command-palette", show=False, priority=True,
            tooltip="Command palette: every action of the screen by name, themes"),
]

PROMPT_LINE_BINDINGS: list[Binding] = [
    Binding("enter", "submit", "Send", id="prompt-send", tooltip="Send the line: keep the filter, run the command, save the comment"),
    Binding("escape", "cancel_prompt", "Cancel", id="prompt-cancel",
            tooltip="Close the line (filter, command, comment) without sending it"),
    Binding("tab", "complete", "Complete", id="prompt-complete", show=False,
            tooltip="Take the suggested completion of a command"),
]

QUICK_EDIT_BINDINGS: list[Binding] = [
    Binding("escape", "cancel_edit", "Cancel", id="quick-edit-cancel", show=False, tooltip="Leave the quick edit unsaved"),
]

HELP_BINDINGS: list[Binding] = [
    Binding("escape,q,question_mark", "dismiss", "Close", id="help-close", tooltip="Close the help"),
]


REVIEW_BINDINGS = [
    Binding("ctrl+s", "save_prompts", "Save prompts", id="review-save", priority=True, tooltip="Save edited prompts"),
    Binding("escape", "back", "Back", id="review-back", tooltip="Leave the prompt; again: back to the table"),
    Binding("space", "approve", "Approve", id="review-approve", tooltip="Approve, go to the next to review"),
    Binding("d", "reject", "Reject", id="review-reject", tooltip="Reject the current version"),
    Binding("r", "regenerate", "Regenerate", id="review-regenerate", tooltip="Queue a new version"),
    Binding("f", "send_back", "Send back", id="review-send-back",
            tooltip="Send back with a note (a comment), queue a new version, go to the next to review"),
    Binding("c", "comment", "Comment", id="review-comment", tooltip="Comment (video: a time code first, 00:02.5)"),
    Binding("m", "pick_version", "Pick", id="review-pick", tooltip="Pick the highlighted version to compare"),
    Binding("C", "compare", "Compare", id="review-compare", tooltip="Compare picked/highlighted, else current with previous"),
    Binding("s", "similar", "Similar", id="review-similar", show=False, tooltip="Queue a version like the current one"),
    Binding("a", "variations", "A/B", id="review-variations", tooltip="Queue variations, pick in a grid"),
    Binding("o", "open_player", "Open", id="review-open", show=False, tooltip="Open in the external player"),
    Binding("O", "send_to_machine", "Send", id="review-send-to-machine", show=False,
            tooltip="Send to my machine: serve the version on loopback, its URL copied, with the ssh -L line"),
    Binding("e", "edit_prompt", "Edit", id="review-edit", tooltip="Edit the active prompt here"),
    Binding("u", "undo", "Undo", id="review-undo", show=False, tooltip="Undo your last change"),
    Binding("ctrl+r", "redo", "Redo", id="review-redo", show=False, tooltip="Redo"),
    Binding("n", "step(1)", "Next", id="review-next", show=False, tooltip="Next segment"),
    Binding("p", "step(-1)", "Previous", id="review-previous", show=False, tooltip="Previous segment"),
    Binding("j", "version_cursor(1)", "Down", id="review-version-down", show=False, tooltip="Next version in the list"),
    Binding("k", "version_cursor(-1)", "Up", id="review-version-up", show=False, tooltip="Previous version in the list"),
    Binding("comma", "clip_frames(-1)", "Frame back", id="review-frame-back", show=False,
            tooltip="A clip: one frame back (the frame shows above, its time code on the strip)"),
    Binding("full_stop", "clip_frames(1)", "Frame on", id="review-frame-on", show=False, tooltip="A clip: one frame on"),
    Binding("left_square_bracket", "clip_seconds(-1)", "Second back", id="review-second-back", show=False,
            tooltip="A clip: one second back"),
    Binding("right_square_bracket", "clip_seconds(1)", "Second on", id="review-second-on", show=False,
            tooltip="A clip: one second on"),
    Binding("left_curly_bracket", "clip_mark(-1)", "Comment back", id="review-mark-back", show=False,
            tooltip="A clip: to the previous comment's time (▲ on the strip); enter plays from there"),
    Binding("right_curly_bracket", "clip_mark(1)", "Comment on", id="review-mark-on", show=False,
            tooltip="A clip: to the next comment's time (▲ on the strip); enter plays from there"),
    Binding("h", "asset('keyframe')", "Keyframe", id="review-keyframe", show=False, tooltip="Keyframes"),
    Binding("l", "asset('video')", "Video", id="review-video", show=False, tooltip="Videos"),
]

COMPARE_BINDINGS = [
    Binding("f", "flicker", "Flicker", id="compare-flicker", tooltip="Show one version in place; again: the other"),
    Binding("b", "both", "Side by side", id="compare-both", tooltip="Back to side by side"),
    Binding("o", "play", "Play both", id="compare-play", tooltip="Clips: play both side by side in one player"),
    Binding("O", "send_to_machine", "Send both", id="compare-send",
            tooltip="Send both to my machine: one page with the two, side by side, at full quality"),
    Binding("escape,q,C", "close_compare", "Back", id="compare-close", tooltip="Back"),
]

PRESET_BINDINGS = [
    Binding("j", "cursor('down')", "Down", id="presets-down", show=False, tooltip="Next preset"),
    Binding("k", "cursor('up')", "Up", id="presets-up", show=False, tooltip="Previous preset"),
    Binding("enter", "apply", "Apply", id="presets-apply", tooltip="Add the preset to the prompt(s)"),
    Binding("space", "choose", "Choose", id="presets-choose", tooltip="Choose for variations (one each)"),
    Binding("a", "variations", "Variations", id="presets-variations", tooltip="Queue one variation per chosen preset"),
    Binding("n", "new", "New", id="presets-new", tooltip="Create a preset"),
    Binding("e", "edit", "Edit", id="presets-edit", tooltip="Edit the preset"),
    Binding("D", "delete", "Delete", id="presets-delete", tooltip="Delete the preset (press twice)"),
    Binding("escape,q,P", "close_presets", "Back", id="presets-close", tooltip="Back"),
]

FORM_BINDINGS = [Binding("escape", "cancel_form", "Cancel", id="preset-form-cancel", tooltip="Cancel")]

VARIATION_BINDINGS = [
    # the key bar shows one entry for all nine: "1-9 Pick the winner"
    Binding(str(n), f"pick({n})", "Pick the winner" if n == 1 else f"Pick {n}", id=f"variation-pick-{n}",
            show=n == 1, key_display="1-9" if n == 1 else None,
            tooltip=f"Variation {n} wins: approved, the others rejected")
    for n in range(1, 10)
] + [Binding("escape,q", "close_grid", "Back", id="variation-close", tooltip="Back (the variations stay)")]

CONFLICT_BINDINGS = [
    Binding("t", "choose('theirs')", "Keep theirs", id="conflict-theirs", tooltip="Keep the saved text, drop your edit"),
    Binding("y", "choose('mine')", "Save mine", id="conflict-mine", tooltip="Save your text over theirs (a new revision)"),
    Binding("e", "choose('edit')", "Edit again", id="conflict-edit", tooltip="Edit your text again, against theirs"),
    Binding("escape", "choose('theirs')", "Close", id="conflict-close", show=False, tooltip="Keep theirs"),
]


def all_bindings() -> list[Binding]:
    return [b for _, group in binding_groups() for b in group]


def binding_groups() -> list[tuple[str, list[Binding]]]:
    """Every screen's bindings, titled, in the order the help lists them."""
    return [("Segments", MAIN_BINDINGS), ("App", APP_BINDINGS), ("Segment review", REVIEW_BINDINGS),
            ("Quick edit", QUICK_EDIT_BINDINGS), ("Prompt line", PROMPT_LINE_BINDINGS),
            ("Compare", COMPARE_BINDINGS), ("Presets", PRESET_BINDINGS),
            ("Preset form", FORM_BINDINGS), ("Variations", VARIATION_BINDINGS),
            ("Save conflict", CONFLICT_BINDINGS), ("Tasks", TASKS_BINDINGS), ("Timeline", TIMELINE_BINDINGS),
            ("Metrics", METRICS_BINDINGS), ("Recommendations", RECOMMEND_BINDINGS), ("Mentions", MENTIONS_BINDINGS),
            ("Confirm", CONFIRM_BINDINGS), ("Task log", LOG_BINDINGS),
            ("Help", HELP_BINDINGS)]


def effective_keys(binding: Binding, keymap: dict[str, str]) -> str:
    """The keys a binding answers to, after the user's keymap."""
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key


def check_keymap(keymap: dict[str, str]) -> list[str]:
    """Ids in the user's keymap that no binding has (reported, not fatal)."""
    ids = {b.id for b in all_bindings()}
    return sorted(k for k in keymap if k not in ids)


KEY_NAMES = {"question_mark": "?", "slash": "/", "colon": ":", "at": "@", "comma": ",", "full_stop": ".",
             "left_square_bracket": "[", "right_square_bracket": "]", "left_curly_bracket": "{",
             "right_curly_bracket": "}", "space": "space", "escape": "esc",
             "pagedown": "PgDn", "pageup": "PgUp", "down": "↓", "up": "↑", "left": "←", "right": "→"}


def pretty_keys(keys: str) -> str:
    return " ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def palette_entries(screen: object, keymap: dict[str, str]) -> list[tuple[str, str, str]]:
    """(title, help, action) for every binding of `screen` and of the app: what the command
    palette offers, so every key action can also be found by name."""
    own = list(getattr(type(screen), "BINDINGS", []) or [])
    entries = []
    for binding in [b for b in own if isinstance(b, Binding)] + APP_BINDINGS:
        if binding.action == "command_palette" or not binding.id:
            continue
        keys = pretty_keys(effective_keys(binding, keymap))
        title = binding.description if binding.description != "Pick the winner" else "Pick variation 1"
        entries.append((title, f"{binding.tooltip or binding.description} — keys: {keys} · id {binding.id}",
                        binding.action))
    return entries
