#!/usr/bin/env python3
"""Reports progress as a tqdm bar on stderr (\\r-separated) and JSON lines on stdout."""
import json
import sys
import time
from pathlib import Path

from PIL import Image

args = sys.argv[1:]
out = Path(args[args.index("--out") + 1])
for i in range(0, 11):
    pct = i * 10
    bar = "█" * i + " " * (10 - i)
    sys.stderr.write(f"\rsampling: {pct:3d}%|{bar}| {i}/10 [00:0{i}<00:00,  9.9it/s]")
    sys.stderr.flush()
    time.sleep(0.01)
sys.stderr.write("\n")
print(json.dumps({"progress": 0.95, "message": "decoding latents"}), flush=True)
print("x" * 200_000, flush=True)  # one very long line must not break the reader
Image.new("RGB", (64, 36), (200, 20, 30)).save(out, format="PNG")
