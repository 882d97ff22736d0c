"""The built-in procedural generator, run as a subprocess like any other.

    python -m director_tui.jobs.procedural keyframe --prompt P --seed S --out F.png
    python -m director_tui.jobs.procedural video --reference K.png --prompt P --duration 4 --out F.mp4

Keyframes are drawn with Pillow (a palette and a scene chosen from the prompt's
words, seeded by prompt and seed, the prompt written on the frame); clips are
rendered by ffmpeg from the keyframe with the camera move the motion prompt
names. Both print `PROGRESS <percent> <message>` lines.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

PALETTES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "dawn": ((250, 170, 120), (90, 110, 170)),
    "sunrise": ((255, 180, 110), (110, 120, 190)),
    "dusk": ((230, 110, 90), (50, 40, 100)),
    "sunset": ((250, 120, 70), (70, 40, 110)),
    "night": ((20, 30, 70), (5, 5, 20)),
    "storm": ((80, 90, 100), (30, 35, 45)),
    "fog": ((190, 195, 200), (140, 150, 160)),
    "mist": ((200, 205, 210), (150, 160, 175)),
    "forest": ((120, 170, 120), (30, 70, 40)),
    "desert": ((240, 200, 140), (200, 140, 80)),
    "ocean": ((120, 190, 230), (20, 70, 130)),
    "snow": ((235, 240, 250), (170, 185, 210)),
    "neon": ((230, 60, 200), (30, 10, 60)),
    "fire": ((255, 140, 40), (120, 20, 10)),
}
DEFAULT_PALETTE = ((150, 180, 220), (60, 80, 120))
REFERENCE_WEIGHT = 0.65  # how much of a keyframe's {reference} survives in the new one


def progress(percent: float, message: str) -> None:
    print(f"PROGRESS {percent:.0f} {message}", flush=True)


def rng_for(prompt: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def palette_for(prompt: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    words = re.findall(r"[a-z]+", prompt.lower())
    for word in words:
        if word in PALETTES:
            return PALETTES[word]
    return DEFAULT_PALETTE


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (int(a[0] + (b[0] - a[0]) * t), int(a[1] + (b[1] - a[1]) * t), int(a[2] + (b[2] - a[2]) * t))


def draw_keyframe(prompt: str, seed: int, width: int, height: int, label: str, pace: float,
                  reference: str = ""):
    from PIL import Image, ImageDraw, ImageFont

    rng = rng_for(prompt, seed)
    top, bottom = palette_for(prompt)
    # jitter the palette by seed so two seeds of one prompt differ visibly
    top = _mix(top, (rng.randrange(256), rng.randrange(256), rng.randrange(256)), 0.18)
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    horizon = int(height * rng.uniform(0.55, 0.72))
    for y in range(height):
        t = y / max(1, horizon) if y < horizon else 1.0
        draw.line([(0, y), (width, y)], fill=_mix(top, bottom, t))
    steps = 5
    progress(10, "sky")
    time.sleep(pace / steps)
    # a sun or moon
    r = int(height * rng.uniform(0.05, 0.12))
    cx, cy = rng.randrange(r, width - r), rng.randrange(r, max(r + 1, horizon - r))
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=_mix(top, (255, 250, 230), 0.7))
    progress(30, "light")
    time.sleep(pace / steps)
    # layered ridges / skyline
    for layer in range(3):
        shade = _mix(bottom, (10, 10, 20), 0.25 + 0.2 * layer)
        base = horizon + layer * height // 14
        points = [(0, height)]
        x = 0
        while x <= width:
            points.append((x, base - rng.randrange(0, height // (5 + layer * 2))))
            x += rng.randrange(width // 24, width // 8)
        points += [(width, base), (width, height)]
        draw.polygon(points, fill=shade)
    progress(55, "landscape")
    time.sleep(pace / steps)
    for _ in range(rng.randrange(4, 12)):
        w = rng.randrange(width // 60, width // 20)
        h = rng.randrange(height // 20, height // 5)
        x = rng.randrange(0, width - w)
        draw.rectangle([x, horizon - h, x + w, horizon + 4], fill=_mix(bottom, (0, 0, 0), 0.6))
    progress(75, "details")
    time.sleep(pace / steps)
    if reference:  # image-to-image: keep most of the reference, let the new prompt and seed show through
        with Image.open(reference) as ref:
            img = Image.blend(img, ref.convert("RGB").resize((width, height)), REFERENCE_WEIGHT)
        draw = ImageDraw.Draw(img)
    # the prompt on a band at the bottom, so a director sees what made the frame
    font = ImageFont.load_default(size=max(12, height // 30))
    small = ImageFont.load_default(size=max(10, height // 48))
    lines = textwrap.wrap(prompt.replace("\n", " "), width=max(20, width // (height // 55 or 1)))[:3]
    band = (len(lines) + 1) * (height // 26) + 16
    overlay = Image.new("RGBA", (width, band), (0, 0, 0, 150))
    img.paste(overlay, (0, height - band), overlay)
    y = height - band + 8
    for line in lines:
        draw.text((16, y), line, fill=(255, 255, 255), font=font)
        y += height // 26
    draw.text((16, y), f"{label}  seed {seed}", fill=(200, 200, 200), font=small)
    progress(90, "text")
    time.sleep(pace / steps)
    return img


def cmd_keyframe(args: argparse.Namespace) -> int:
    img = draw_keyframe(args.prompt, args.seed, args.width, args.height, args.segment, args.pace,
                        args.reference)
    out = Path(args.out)
    # Pillow picks the format from the name; the runner's temporary name keeps the suffix.
    img.save(out, format="PNG")
    progress(100, "done")
    return 0


CAMERA_MOVES = {
    "pan left": "pan_left", "pan right": "pan_right", "tilt up": "tilt_up",
    "tilt down": "tilt_down", "zoom in": "zoom_in", "push in": "zoom_in", "dolly in": "zoom_in",
    "zoom out": "zoom_out", "pull out": "zoom_out", "pull back": "zoom_out", "dolly out": "zoom_out",
    "static": "static", "locked": "static",
}


def camera_move(motion_prompt: str) -> str:
    """The first camera move named in the motion prompt (static when none)."""
    text = " ".join(re.findall(r"[a-z]+", motion_prompt.lower()))
    best, best_at = "static", len(text) + 1
    for phrase, move in CAMERA_MOVES.items():
        at = text.find(phrase)
        if 0 <= at < best_at:
            best, best_at = move, at
    if best == "static" and best_at > len(text):
        for word, move in (("pan", "pan_right"), ("tilt", "tilt_up"), ("zoom", "zoom_in")):
            if re.search(rf"\b{word}", text):
                return move
    return best


def video_filter(move: str, width: int, height: int, frames: int, fps: int) -> str:
    n = max(1, frames - 1)
    big_w, big_h = int(width * 1.25) // 2 * 2, int(height * 1.25) // 2 * 2
    scale = f"scale={big_w}:{big_h}"
    if move in ("pan_left", "pan_right", "tilt_up", "tilt_down"):
        frac = {"pan_left": f"(1-n/{n})", "pan_right": f"(n/{n})",
                "tilt_up": f"(1-n/{n})", "tilt_down": f"(n/{n})"}[move]
        x = f"(iw-ow)*{frac}" if move.startswith("pan") else "(iw-ow)/2"
        y = f"(ih-oh)*{frac}" if move.startswith("tilt") else "(ih-oh)/2"
        return f"{scale},loop=loop={frames}:size=1:start=0,crop={width}:{height}:x='{x}':y='{y}',fps={fps}"
    if move in ("zoom_in", "zoom_out"):
        z = f"1+0.25*on/{n}" if move == "zoom_in" else f"1.25-0.25*on/{n}"
        return (f"{scale},zoompan=z='{z}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
                f":d={frames}:s={width}x{height}:fps={fps}")
    return f"scale={width}:{height},loop=loop={frames}:size=1:start=0,fps={fps}"


def cmd_video(args: argparse.Namespace) -> int:
    import ffmpeg as ffmpeg_python

    from director_tui.media.ffmpeg import command

    fps = 24
    frames = max(1, round(args.duration * fps))
    move = camera_move(args.prompt)
    progress(2, f"camera: {move.replace('_', ' ')}")
    if args.pace:
        time.sleep(args.pace / 2)
    stream = ffmpeg_python.input(args.reference).output(
        args.out, vf=video_filter(move, args.width, args.height, frames, fps),
        frames=frames, vcodec="libx264", pix_fmt="yuv420p", preset="veryfast",
        movflags="+faststart", f="mp4",
    )
    argv = command(stream.global_args("-progress", "pipe:1", "-nostats"), overwrite=True)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    assert proc.stdout is not None
    last = -1
    for line in proc.stdout:
        if line.startswith("frame="):
            done = int(line.split("=", 1)[1].strip() or 0)
            pct = 5 + 93 * min(1.0, done / frames)
            if int(pct) != last:
                last = int(pct)
                progress(pct, f"rendering frame {done}/{frames}")
    err = proc.stderr.read() if proc.stderr else ""
    if proc.wait() != 0:
        print(f"ffmpeg failed: {err.strip()[-400:]}", file=sys.stderr)
        return 1
    progress(100, "done")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="director_tui.jobs.procedural")
    sub = parser.add_subparsers(dest="asset", required=True)
    for name in ("keyframe", "video"):
        p = sub.add_parser(name)
        p.add_argument("--prompt", required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--width", type=int, default=1280)
        p.add_argument("--height", type=int, default=720)
        p.add_argument("--segment", default="")
        p.add_argument("--pace", type=float, default=0.0, help="seconds to spend, to look like work")
        if name == "video":
            p.add_argument("--reference", required=True)
            p.add_argument("--duration", type=float, default=4.0)
        else:
            p.add_argument("--reference", default="", help="a keyframe to vary (image-to-image)")
    args = parser.parse_args(argv)
    return cmd_keyframe(args) if args.asset == "keyframe" else cmd_video(args)


if __name__ == "__main__":
    sys.exit(main())
