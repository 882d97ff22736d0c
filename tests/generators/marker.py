#!/usr/bin/env python3
"""A generator from someone else's spec: it leaves a marker file beside itself (the proof
that it ran) and writes a small valid PNG to --out."""
import sys
from pathlib import Path

from PIL import Image

args = sys.argv[1:]
Path(args[args.index("--marker") + 1]).write_text("ran\n", encoding="utf-8")
Image.new("RGB", (16, 9), (200, 10, 10)).save(args[args.index("--out") + 1], format="PNG")
print("PROGRESS 100 done", flush=True)
