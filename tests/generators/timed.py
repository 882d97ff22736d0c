#!/usr/bin/env python3
"""Records when it ran (CLOCK_MONOTONIC, shared by all processes) as `<dir>/<pid>`, sleeps
`--sleep` seconds, then writes a small valid PNG to --out."""
import os
import sys
import time
from pathlib import Path

from PIL import Image

args = sys.argv[1:]
out = Path(args[args.index("--out") + 1])
record = Path(args[args.index("--dir") + 1]) / str(os.getpid())
start = time.monotonic()
record.write_text(f"{start}\n", encoding="utf-8")
print("PROGRESS 10 started", flush=True)
time.sleep(float(args[args.index("--sleep") + 1]))
Image.new("RGB", (16, 9), (1, 2, 3)).save(out, format="PNG")
record.write_text(f"{start}\n{time.monotonic()}\n", encoding="utf-8")
print("PROGRESS 100 done", flush=True)
