#!/usr/bin/env python3
"""Writes bytes that are not an image or a video."""
import sys
from pathlib import Path

args = sys.argv[1:]
out = Path(args[args.index("--out") + 1])
out.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 64)
print("PROGRESS 100 done", flush=True)
