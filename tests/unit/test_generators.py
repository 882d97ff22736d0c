"""Placeholder substitution and progress parsing (pure functions, real inputs)."""

from __future__ import annotations

from director_tui.jobs.generators import build_argv, builtin_command, parse_progress


def test_substitution_is_single_pass_and_byte_exact() -> None:
    prompt = 'say "hi"; $(touch /tmp/pwned) {output} `id` 🎬\nline two'
    argv = build_argv(["gen", "--prompt", "{prompt}", "--out", "{output}", "pre-{seed}-post"],
                      {"prompt": prompt, "output": "/o.png", "seed": "42"})
    assert argv == ["gen", "--prompt", prompt, "--out", "/o.png", "pre-42-post"]


def test_unknown_braces_are_left_alone() -> None:
    assert build_argv(["{json}", "{prompt}"], {"prompt": "p"}) == ["{json}", "p"]


def test_progress_formats() -> None:
    p = parse_progress("PROGRESS 45 rendering frame 12/24")
    assert p is not None and p.fraction == 0.45 and p.message == "rendering frame 12/24"
    p = parse_progress('{"progress": 0.3, "message": "denoising"}')
    assert p is not None and p.fraction == 0.3 and p.message == "denoising"
    p = parse_progress('{"progress": 80}')
    assert p is not None and p.fraction == 0.8
    p = parse_progress("sampling:  45%|████▌     | 12/24 [00:03<00:03,  3.9it/s]")
    assert p is not None and p.fraction == 0.45 and p.message == "12/24"
    assert parse_progress("Loading weights from disk") is None
    assert parse_progress('{"progress": "half"}') is None
    assert parse_progress("{not json progress") is None
    # hostile lines are ignored, never fatal: nested past any sense, huge, odd numbers
    assert parse_progress('{"progress": ' + "[" * 100_000 + "]" * 100_000 + "}") is None
    assert parse_progress('{"progress": [' + "[" * 1000 + "]" * 1000 + "]}") is None
    assert parse_progress('{"progress": 0.5, "message": "' + "x" * 60_000 + '"}') is None
    assert parse_progress("PROGRESS " + "9" * 5000 + " big").fraction == 1.0  # type: ignore[union-attr]
    assert parse_progress('{"progress": NaN}') is None and parse_progress('{"progress": Infinity}') is None


def test_builtin_video_command_gets_reference_and_duration() -> None:
    cmd = builtin_command("video", 0.5)
    assert {"--reference={reference}", "--duration={duration}", "--out={output}", "--prompt={prompt}"} <= set(cmd)
