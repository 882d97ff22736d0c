"""Issue 25, 1: others' text never reaches the terminal as a command. A colleague's prompt
holding an OSC 52 sequence set the director's clipboard when the stream was opened. Every
field a colleague can write (title, prompts, comments and their authors, preset names,
task messages and errors, log lines) is seeded with hostile sequences, every screen is
opened, and what the app would write to the terminal for it (the compositor's full update,
rendered as the driver writes it) is checked: no OSC, no device query, no BEL, no 8-bit
CSI. The hostile text's harmless remainder is drawn (it is not hidden from the director).
Fails without ui/terminal_safety.py."""

from __future__ import annotations

from sqlalchemy import update

from director_tui.core import review
from director_tui.core.models import Asset, Preset, Segment, Stream, Task
from director_tui.ui.app import make_app
from tests.conftest import SIZE, segs, settled

CLIPBOARD = "\x1b]52;c;ZWNobyBwd25lZAo=\x1b\\"  # writes the clipboard / tmux buffer
LINK = "\x1b]8;;http://attacker.example/\x1b\\click\x1b]8;;\x1b\\"
TITLE = "\x1b]0;pwned\x07"  # the window title, ended by BEL
QUERY = "\x1b[6n"  # makes the terminal type its answer into the app
C1 = "\x9b31m\x9d0;c1\x9c"  # 8-bit CSI and OSC
HOSTILE = f"lighthouse {CLIPBOARD}{LINK}{TITLE}{QUERY}{C1} end"
FORBIDDEN = ("\x1b]", "\x1b[6n", "\x07", "\x9b", "\x9d", "\x9c")


def rendered(app) -> str:  # type: ignore[no-untyped-def]
    """What the driver would write for the whole screen now."""
    return app.screen._compositor.render_full_update().render_segments(app.console)  # type: ignore[no-any-return]


async def test_every_screen_draws_hostile_text_without_sending_a_command(store, settings, film) -> None:  # type: ignore[no-untyped-def]
    s1, s2 = segs(store)[:2]
    with store.write() as s:
        s.execute(update(Stream).values(title=f"Film {HOSTILE}"))
        s.execute(update(Segment).where(Segment.id == s1.id).values(
            title=f"Shot {HOSTILE}", image_prompt=HOSTILE, motion_prompt=HOSTILE))
        review.add_comment(s, s1.id, f"@tester {HOSTILE}", f"ana{QUERY}", asset=Asset.KEYFRAME)
        review.approve(s, s2.id, Asset.KEYFRAME, f"ben{CLIPBOARD}")
        s.add(Preset(name=f"warm{CLIPBOARD}", category="lighting", text=f"warm light {HOSTILE}"))
        s.add(Task(stream_id=s1.stream_id, segment_id=s1.id, asset="keyframe", prompt=HOSTILE, state="failed",
                   message=HOSTILE, error=f"generator exited with code 3: {HOSTILE}"))
    app = make_app(settings, store, "film", start_runner=False)
    seen: dict[str, str] = {}
    screens: dict[str, str] = {}
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app)
        seen["main"] = rendered(app)
        for keys, name in ((["v"], "versions"), (["L"], "task log"), (["T"], "tasks"), (["escape", "t"], "timeline"),
                           (["escape", "escape", "M"], "metrics"), (["escape", "R"], "recommendations"),
                           (["escape", "at"], "mentions"), (["escape", "P"], "presets"), (["escape", "question_mark"], "help"),
                           (["escape", "enter"], "review"), (["c"], "comment line")):
            await pilot.press(*keys)
            await settled(pilot, app)
            seen[name] = rendered(app)
            screens[name] = type(app.screen).__name__
    for name, out in seen.items():
        for bad in FORBIDDEN:
            assert bad not in out, (name, repr(bad))
    assert "]52;c;ZWNobyBwd25lZAo=" in seen["main"]  # drawn as the plain text it is
    assert {screens[n] for n in ("tasks", "timeline", "metrics", "recommendations", "mentions", "presets", "help",
                                 "review")} == {"TasksScreen", "TimelineScreen", "MetricsScreen", "RecommendScreen",
                                                "MentionsScreen", "PresetsScreen", "HelpScreen", "ReviewScreen"}
